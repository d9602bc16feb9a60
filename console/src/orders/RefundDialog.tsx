// Refund: record money paid back at the provider, optionally for items and with restock.
// The amount may be at most what was captured and not refunded (the server refuses more).
import { useState } from "react";
import { Form } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import { idempotencyKey, money } from "../lib/format";
import { Button, Dialog, Errors, TextField } from "../ui";
import { Check } from "../ui/Check";
import { outcome, refundable, type OrderView, type UserErrorLike } from "./orderQuery";

const RefundOrderDocument = graphql(`
  mutation RefundOrder($orderId: ID!, $input: RefundOrderInput!, $key: String) {
    refundOrder(orderId: $orderId, input: $input, idempotencyKey: $key) {
      refund {
        id
        amount
      }
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

export function RefundDialog({ order, onClose }: { order: OrderView; onClose(changed: boolean): void }) {
  const client = useClient();
  const most = refundable(order);
  const [amount, setAmount] = useState(order.payment.refundDue !== "0" && Number(order.payment.refundDue) > 0 ? order.payment.refundDue : most.toFixed(2));
  const [quantities, setQuantities] = useState<Record<string, string>>({});
  const [restock, setRestock] = useState(false);
  const [reason, setReason] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [busy, setBusy] = useState(false);
  const [key] = useState(idempotencyKey);

  async function refund() {
    setBusy(true);
    const items = order.items
      .map((item) => ({ orderItemId: item.id, quantity: Number(quantities[item.id] || 0) }))
      .filter((line) => line.quantity > 0);
    const input = { amount, items, restock, reason };
    const result = await client.mutation(RefundOrderDocument, { orderId: order.id, input, key }).toPromise();
    const found = outcome(result, result.data?.refundOrder);
    setBusy(false);
    setErrors(found);
    if (found.length === 0) onClose(true);
  }

  return (
    <Dialog title="Refund" isOpen onOpenChange={(o) => !o && onClose(false)} wide>
      <Form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          void refund();
        }}
      >
        <TextField
          label="Amount"
          type="number"
          step="0.01"
          min={0}
          max={most}
          value={amount}
          onChange={setAmount}
          isRequired
          description={`Up to ${money(most.toFixed(2), order.currency)}: what was paid and not refunded.`}
        />
        {/* a card per item on a phone (styles.css, .cards-table) */}
        <table className="data cards-table" role="table">
          <caption className="muted">Items refunded (optional)</caption>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Item</th>
              <th scope="col" role="columnheader" className="num">Ordered</th>
              <th scope="col" role="columnheader" className="num">Shipped</th>
              <th scope="col" role="columnheader">Refund</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {order.items.map((item) => (
              <tr key={item.id} role="row">
                <td role="cell" className="card-head card-line" data-label="Item">{item.name}</td>
                <td role="cell" className="num" data-label="Ordered">{item.quantity}</td>
                <td role="cell" className="num" data-label="Shipped">{item.quantityShipped}</td>
                <td role="cell" className="card-line">
                  <TextField
                    label={`Refund quantity of ${item.sku}`}
                    type="number"
                    min={0}
                    max={item.quantity}
                    value={quantities[item.id] ?? ""}
                    onChange={(value) => setQuantities({ ...quantities, [item.id]: value })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <Check label="Put the refunded shipped items back in stock" isSelected={restock} onChange={setRestock} />
        <TextField label="Reason (staff only)" value={reason} onChange={setReason} />
        <Errors errors={errors} />
        <div className="dialog-buttons">
          <Button onPress={() => onClose(false)}>Cancel</Button>
          <Button type="submit" variant="danger" isPending={busy}>
            Refund
          </Button>
        </div>
      </Form>
    </Dialog>
  );
}
