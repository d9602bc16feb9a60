// The order's Actions menu: only what the viewer's permissions allow, each in its dialog.
import { useState } from "react";
import { Menu, MenuItem, MenuTrigger, Popover } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import type { OrderStatus, TransactionKind } from "../gql/graphql";
import { idempotencyKey, money, ORDER_STATUSES, words } from "../lib/format";
import { useViewer } from "../lib/viewer";
import { Button, Dialog, Errors, Notice, Select, TextField } from "../ui";
import { EditOrderDialog } from "./EditOrderDialog";
import { JobStatus, useFileJobs } from "./jobs";
import { outcome, refundable, type OrderView, type UserErrorLike } from "./orderQuery";
import { RefundDialog } from "./RefundDialog";
import { ShipItemsDialog } from "./ShipItemsDialog";
import { statusWarning } from "./statusWarnings";

type Action = "status" | "edit" | "tracking" | "ship" | "payment" | "refund" | "invoice" | "slip";

const SetStatusDocument = graphql(`
  mutation SetOrderStatus($orderId: ID!, $status: OrderStatus!, $note: String!) {
    setStatus(orderId: $orderId, status: $status, note: $note) {
      order {
        id
        status
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const AddTrackingDocument = graphql(`
  mutation AddTracking($orderId: ID!, $trackingNumber: String!, $carrier: String) {
    addTracking(orderId: $orderId, trackingNumber: $trackingNumber, carrier: $carrier) {
      order {
        id
        trackingNumber
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

const RecordPaymentDocument = graphql(`
  mutation RecordPayment($orderId: ID!, $input: RecordPaymentInput!, $key: String) {
    recordPayment(orderId: $orderId, input: $input, idempotencyKey: $key) {
      order {
        id
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export function OrderActions({ order, reload }: { order: OrderView; reload(): void }) {
  const { can, canAny } = useViewer();
  const [open, setOpen] = useState<Action | null>(null);
  const jobs = useFileJobs();
  const items: { id: Action; label: string; allowed: boolean }[] = [
    { id: "status", label: "Change status", allowed: can("ORDERS_WRITE") },
    { id: "edit", label: "Edit order", allowed: can("ORDERS_WRITE") },
    { id: "tracking", label: "Add tracking number", allowed: canAny("SHIPMENTS_WRITE", "ORDERS_WRITE") },
    { id: "ship", label: "Ship items", allowed: can("SHIPMENTS_WRITE") },
    { id: "payment", label: "Record payment", allowed: can("PAYMENTS_WRITE") },
    { id: "refund", label: "Refund", allowed: can("REFUNDS_WRITE") },
    { id: "invoice", label: "Print invoice", allowed: can("DOCUMENTS_WRITE") },
    { id: "slip", label: "Print packing slip", allowed: can("DOCUMENTS_WRITE") },
  ];
  const allowed = items.filter((item) => item.allowed);
  const close = (changed: boolean) => {
    setOpen(null);
    if (changed) reload();
  };
  const onAction = (key: Action) => {
    if (key === "invoice") void jobs.print("INVOICE", [order.id]);
    else if (key === "slip") void jobs.print("PACKING_SLIP", [order.id]);
    else setOpen(key);
  };
  if (allowed.length === 0) return null;
  return (
    <div className="stack actions">
      <MenuTrigger>
        <Button variant="primary">Actions</Button>
        <Popover className="popover" placement="bottom end">
          <Menu className="menu" items={allowed} onAction={(key) => onAction(key as Action)}>
            {(item) => (
              <MenuItem id={item.id} className="menu-item">
                {item.label}
              </MenuItem>
            )}
          </Menu>
        </Popover>
      </MenuTrigger>
      <JobStatus state={jobs.state} />
      {open === "status" && <ChangeStatusDialog order={order} onClose={close} />}
      {open === "edit" && <EditOrderDialog order={order} onClose={close} reload={reload} />}
      {open === "tracking" && <AddTrackingDialog order={order} onClose={close} />}
      {open === "ship" && <ShipItemsDialog order={order} onClose={close} />}
      {open === "payment" && <RecordPaymentDialog order={order} onClose={close} />}
      {open === "refund" && <RefundDialog order={order} onClose={close} />}
    </div>
  );
}

function ChangeStatusDialog({ order, onClose }: { order: OrderView; onClose(changed: boolean): void }) {
  const client = useClient();
  const [status, setStatus] = useState<OrderStatus>(order.status);
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [busy, setBusy] = useState(false);
  const paid = refundable(order);
  const warning =
    status === order.status
      ? null
      : statusWarning(status, { status: order.status, paidNotRefunded: paid, currencyAmount: money(String(paid), order.currency) });

  async function apply() {
    setBusy(true);
    const result = await client.mutation(SetStatusDocument, { orderId: order.id, status, note }).toPromise();
    const found = outcome(result, result.data?.setStatus);
    setBusy(false);
    setErrors(found);
    if (found.length === 0) onClose(true);
  }

  return (
    <Dialog title="Change status" isOpen onOpenChange={(o) => !o && onClose(false)}>
      <p>Now: {words(order.status)}.</p>
      <Select<OrderStatus> label="New status" value={status} onChange={setStatus} choices={ORDER_STATUSES.map((key) => ({ key, label: words(key) }))} />
      {warning && <Notice tone="warning">{warning}</Notice>}
      <TextField label="Note (staff only)" value={note} onChange={setNote} />
      <Errors errors={errors} />
      <div className="dialog-buttons">
        <Button onPress={() => onClose(false)}>Cancel</Button>
        <Button variant={warning ? "danger" : "primary"} onPress={apply} isPending={busy} isDisabled={status === order.status}>
          {warning ? `Change to ${words(status)} anyway` : `Change to ${words(status)}`}
        </Button>
      </div>
    </Dialog>
  );
}

function AddTrackingDialog({ order, onClose }: { order: OrderView; onClose(changed: boolean): void }) {
  const client = useClient();
  const [number, setNumber] = useState("");
  const [carrier, setCarrier] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [busy, setBusy] = useState(false);

  async function save() {
    setBusy(true);
    const result = await client
      .mutation(AddTrackingDocument, { orderId: order.id, trackingNumber: number, carrier: carrier.trim() || null })
      .toPromise();
    const found = outcome(result, result.data?.addTracking);
    setBusy(false);
    setErrors(found);
    if (found.length === 0) onClose(true);
  }

  return (
    <Dialog title="Add tracking number" isOpen onOpenChange={(o) => !o && onClose(false)}>
      {order.trackingNumber && <p>Now: {order.trackingNumber}. Shipments already made keep the number they have.</p>}
      <TextField label="Tracking number" value={number} onChange={setNumber} isRequired autoFocus />
      <TextField label="Carrier" description="Optional: detected from the number when it can be." value={carrier} onChange={setCarrier} />
      <Errors errors={errors} />
      <div className="dialog-buttons">
        <Button onPress={() => onClose(false)}>Cancel</Button>
        <Button variant="primary" onPress={save} isPending={busy} isDisabled={!number.trim()}>
          Save tracking number
        </Button>
      </div>
    </Dialog>
  );
}

const KINDS: { key: TransactionKind; label: string }[] = [
  { key: "CAPTURE", label: "Capture (money received)" },
  { key: "AUTHORIZATION", label: "Authorization" },
  { key: "VOID", label: "Void an authorization" },
];

function RecordPaymentDialog({ order, onClose }: { order: OrderView; onClose(changed: boolean): void }) {
  const client = useClient();
  const [kind, setKind] = useState<TransactionKind>("CAPTURE");
  const [amount, setAmount] = useState("");
  const [reference, setReference] = useState("");
  const [provider, setProvider] = useState(order.payment.provider);
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [busy, setBusy] = useState(false);
  const [key] = useState(idempotencyKey);

  async function save() {
    setBusy(true);
    const input = { kind, amount: amount.trim() || null, reference: reference.trim(), provider: provider.trim(), currency: order.currency };
    const result = await client.mutation(RecordPaymentDocument, { orderId: order.id, input, key }).toPromise();
    const found = outcome(result, result.data?.recordPayment);
    setBusy(false);
    setErrors(found);
    if (found.length === 0) onClose(true);
  }

  return (
    <Dialog title="Record payment" isOpen onOpenChange={(o) => !o && onClose(false)}>
      <p>Balance due: {money(order.payment.balanceDue, order.currency)}.</p>
      <Select<TransactionKind> label="Kind" value={kind} onChange={setKind} choices={KINDS} />
      <TextField label="Amount" type="number" step="0.01" min={0} description="Empty: what is outstanding." value={amount} onChange={setAmount} />
      <TextField label="Provider" value={provider} onChange={setProvider} />
      <TextField label="Reference" description="The provider's id for the payment." value={reference} onChange={setReference} />
      <Errors errors={errors} />
      <div className="dialog-buttons">
        <Button onPress={() => onClose(false)}>Cancel</Button>
        <Button variant="primary" onPress={save} isPending={busy}>
          Record payment
        </Button>
      </div>
    </Dialog>
  );
}
