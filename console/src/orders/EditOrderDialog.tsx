// Edit order: lines, prices and shipping cost in one editOrder, against the version the form
// was opened on. The server computes the new totals; what it answers (the new total,
// balance due or refund due) is shown before the dialog is closed. A conflict offers a reload.
import { useState } from "react";
import { Checkbox, Form } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import type { EditOrderMutation } from "../gql/graphql";
import { idempotencyKey, money } from "../lib/format";
import { Button, Dialog, Errors, Notice, TextField } from "../ui";
import { outcome, type OrderView, type UserErrorLike } from "./orderQuery";

const EditOrderDocument = graphql(`
  mutation EditOrder($orderId: ID!, $input: EditOrderInput!, $key: String) {
    editOrder(orderId: $orderId, input: $input, idempotencyKey: $key) {
      order {
        id
        version
        total
        currency
        payment {
          balanceDue
          refundDue
        }
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

interface Line {
  quantity: string;
  unitPrice: string;
  remove: boolean;
}
interface NewLine {
  sku: string;
  quantity: string;
  unitPrice: string;
}
type Saved = NonNullable<EditOrderMutation["editOrder"]["order"]>;

export function changesOf(order: OrderView, lines: Record<string, Line>) {
  const change = [];
  const remove = [];
  for (const item of order.items) {
    const line = lines[item.id];
    if (!line) continue;
    if (line.remove) {
      remove.push(item.id);
      continue;
    }
    const quantity = Number(line.quantity) !== item.quantity ? Number(line.quantity) : null;
    const unitPrice = line.unitPrice.trim() !== item.unitPrice ? line.unitPrice.trim() : null;
    if (quantity !== null || unitPrice !== null) change.push({ orderItemId: item.id, quantity, unitPrice });
  }
  return { change, remove };
}

export function EditOrderDialog({ order, onClose, reload }: { order: OrderView; onClose(changed: boolean): void; reload(): void }) {
  const client = useClient();
  const initial = () => Object.fromEntries(order.items.map((i) => [i.id, { quantity: String(i.quantity), unitPrice: i.unitPrice, remove: false }]));
  const [lines, setLines] = useState<Record<string, Line>>(initial);
  const [added, setAdded] = useState<NewLine[]>([]);
  const [shipping, setShipping] = useState(order.shippingCost);
  const [note, setNote] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(order.version);
  const conflict = errors.some((e) => e.code === "VERSION_CONFLICT");

  async function save() {
    setBusy(true);
    const { change, remove } = changesOf(order, lines);
    const input = {
      expectedVersion: version,
      change,
      remove,
      add: added.filter((a) => a.sku.trim()).map((a) => ({ sku: a.sku.trim(), quantity: Number(a.quantity || 1), unitPrice: a.unitPrice.trim() || null })),
      shippingCost: shipping.trim() !== order.shippingCost ? shipping.trim() : null,
      note,
    };
    const result = await client.mutation(EditOrderDocument, { orderId: order.id, input, key: idempotencyKey() }).toPromise();
    const found = outcome(result, result.data?.editOrder);
    setBusy(false);
    setErrors(found);
    if (found.length === 0) setSaved(result.data?.editOrder.order ?? null);
  }

  function startOver() {
    reload();
    onClose(true); // reopened from the menu, the form starts from the order as it is now
  }

  const set = (id: string, patch: Partial<Line>) => setLines({ ...lines, [id]: { ...(lines[id] as Line), ...patch } });
  return (
    <Dialog title="Edit order" isOpen onOpenChange={(o) => !o && onClose(saved !== null)} wide>
      {saved ? (
        <div className="stack">
          <Notice tone="success">
            Saved. New total {money(saved.total, saved.currency)}; balance due{" "}
            <strong data-field="edit-balance-due">{money(saved.payment.balanceDue, saved.currency)}</strong>; refund due{" "}
            <strong data-field="edit-refund-due">{money(saved.payment.refundDue, saved.currency)}</strong>.
          </Notice>
          <div className="dialog-buttons">
            <Button variant="primary" onPress={() => onClose(true)} autoFocus>
              Close
            </Button>
          </div>
        </div>
      ) : (
        <Form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void save();
          }}
        >
          <p className="muted">
            Now: total {money(order.total, order.currency)}, balance due {money(order.payment.balanceDue, order.currency)}. The server works out
            the new total, balance due and refund due when you save, and shows them here.
          </p>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Quantity</th>
                <th scope="col">Unit price</th>
                <th scope="col">Remove</th>
              </tr>
            </thead>
            <tbody>
              {order.items.map((item) => {
                const line = lines[item.id] as Line;
                return (
                  <tr key={item.id}>
                    <td>
                      {item.sku}: {item.name}
                      {item.quantityShipped > 0 && <span className="muted"> ({item.quantityShipped} shipped)</span>}
                    </td>
                    <td>
                      <TextField label={`Quantity of ${item.sku}`} type="number" min={item.quantityShipped} value={line.quantity} onChange={(v) => set(item.id, { quantity: v })} isDisabled={line.remove} />
                    </td>
                    <td>
                      <TextField label={`Unit price of ${item.sku}`} type="number" step="0.01" min={0} value={line.unitPrice} onChange={(v) => set(item.id, { unitPrice: v })} isDisabled={line.remove} />
                    </td>
                    <td>
                      <Checkbox className="checkbox" isSelected={line.remove} onChange={(remove) => set(item.id, { remove })} aria-label={`Remove ${item.sku}`}>
                        <span className="box" aria-hidden="true">{line.remove ? "✓" : ""}</span>
                      </Checkbox>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {added.map((line, index) => (
            <div className="row" key={index} role="group" aria-label={`New line ${index + 1}`}>
              <TextField label={`New line ${index + 1} SKU`} value={line.sku} onChange={(sku) => setAdded(added.map((a, i) => (i === index ? { ...a, sku } : a)))} />
              <TextField label={`New line ${index + 1} quantity`} type="number" min={1} value={line.quantity} onChange={(quantity) => setAdded(added.map((a, i) => (i === index ? { ...a, quantity } : a)))} />
              <TextField
                label={`New line ${index + 1} unit price`}
                type="number"
                step="0.01"
                description="Empty: the product's price."
                value={line.unitPrice}
                onChange={(unitPrice) => setAdded(added.map((a, i) => (i === index ? { ...a, unitPrice } : a)))}
              />
            </div>
          ))}
          <div>
            <Button onPress={() => setAdded([...added, { sku: "", quantity: "1", unitPrice: "" }])}>Add a line</Button>
          </div>
          <TextField label="Shipping cost" type="number" step="0.01" min={0} value={shipping} onChange={setShipping} />
          <TextField label="Note (staff only)" value={note} onChange={setNote} />
          <Errors errors={errors} />
          {conflict && (
            <div className="row">
              <Button onPress={startOver}>Reload the order</Button>
              <Button onPress={() => { setVersion(order.version); setErrors([]); }}>Keep my changes and try again</Button>
            </div>
          )}
          <div className="dialog-buttons">
            <Button onPress={() => onClose(false)}>Cancel</Button>
            <Button type="submit" variant="primary" isPending={busy}>
              Save changes
            </Button>
          </div>
        </Form>
      )}
    </Dialog>
  );
}
