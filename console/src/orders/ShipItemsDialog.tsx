// Ship items: a quantity per unshipped line (named by its SKU), the order's tracking number
// filled in (R4: a shipment takes the order's number unless another is given).
import { useState } from "react";
import { Form } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import { idempotencyKey } from "../lib/format";
import { Button, Dialog, Errors, TextField } from "../ui";
import { outcome, type OrderView, type UserErrorLike } from "./orderQuery";

const ShipOrderDocument = graphql(`
  mutation ShipOrder($orderId: ID!, $input: ShipOrderInput!, $key: String) {
    shipOrder(orderId: $orderId, input: $input, idempotencyKey: $key) {
      shipment {
        id
        trackingNumber
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

export function ShipItemsDialog({ order, onClose }: { order: OrderView; onClose(changed: boolean): void }) {
  const client = useClient();
  const lines = order.items.filter((item) => item.quantity > item.quantityShipped);
  const [quantities, setQuantities] = useState<Record<string, string>>(() =>
    Object.fromEntries(lines.map((item) => [item.id, String(item.quantity - item.quantityShipped)])),
  );
  const [tracking, setTracking] = useState(order.trackingNumber ?? "");
  const [carrier, setCarrier] = useState("");
  const [comments, setComments] = useState("");
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [busy, setBusy] = useState(false);
  const [key] = useState(idempotencyKey);

  async function ship() {
    const items = lines
      .map((item) => ({ orderItemId: item.id, quantity: Number(quantities[item.id] || 0) }))
      .filter((line) => line.quantity > 0);
    if (items.length === 0) {
      setErrors([{ message: "Give a quantity for at least one item." }]);
      return;
    }
    setBusy(true);
    const input = {
      items,
      comments,
      ...(tracking.trim() ? { trackingNumber: tracking.trim() } : {}),
      ...(carrier.trim() ? { carrier: carrier.trim() } : {}),
    };
    const result = await client.mutation(ShipOrderDocument, { orderId: order.id, input, key }).toPromise();
    const found = outcome(result, result.data?.shipOrder);
    setBusy(false);
    setErrors(found);
    if (found.length === 0) onClose(true);
  }

  return (
    <Dialog title="Ship items" isOpen onOpenChange={(o) => !o && onClose(false)} wide>
      {lines.length === 0 ? (
        <p>Everything on this order has been shipped.</p>
      ) : (
        <Form
          className="stack"
          onSubmit={(event) => {
            event.preventDefault();
            void ship();
          }}
        >
          {/* a card per item on a phone (styles.css, .cards-table) */}
          <table className="data cards-table" role="table">
            <caption className="muted">Quantities to ship now (at most what is not shipped yet)</caption>
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">Item</th>
                <th scope="col" role="columnheader" className="num">Not shipped</th>
                <th scope="col" role="columnheader">Ship</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {lines.map((item) => (
                <tr key={item.id} role="row">
                  <td role="cell" className="card-head card-line" data-label="Item">{item.name}</td>
                  <td role="cell" className="num" data-label="Not shipped">{item.quantity - item.quantityShipped}</td>
                  <td role="cell" className="card-line">
                    <TextField
                      label={item.sku}
                      type="number"
                      min={0}
                      max={item.quantity - item.quantityShipped}
                      value={quantities[item.id] ?? ""}
                      onChange={(value) => setQuantities({ ...quantities, [item.id]: value })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <TextField
            label="Tracking number"
            value={tracking}
            onChange={setTracking}
            description={order.trackingNumber ? "The order's tracking number; change it for a different parcel." : "Optional."}
          />
          <TextField label="Carrier" value={carrier} onChange={setCarrier} description="Optional: detected from the number when it can be." />
          <TextField label="Comments" value={comments} onChange={setComments} />
          <Errors errors={errors} />
          <div className="dialog-buttons">
            <Button onPress={() => onClose(false)}>Cancel</Button>
            <Button type="submit" variant="primary" isPending={busy}>
              Ship
            </Button>
          </div>
        </Form>
      )}
    </Dialog>
  );
}
