// Edit order: lines, prices and shipping cost in one editOrder, against the version the form
// was opened on. While the user types, the server's preview of the edit (previewOrderEdit,
// worked out by editOrder's own code) shows the new total, balance due and refund due, and
// any stock it lacks, before saving; after saving, what editOrder answered. A version
// conflict, found by the preview or by saving, offers a reload.
import { useState } from "react";
import { Form } from "react-aria-components";
import { useClient } from "urql";
import { graphql } from "../gql";
import type { EditOrderMutation } from "../gql/graphql";
import { idempotencyKey, money } from "../lib/format";
import { Button, Dialog, Errors, Notice, TextField } from "../ui";
import { Check } from "../ui/Check";
import { editInput, type EditForm, type Line, type PreviewState, touched, usePreview } from "./editPreview";
import { outcome, type OrderView, type UserErrorLike } from "./orderQuery";

export { changesOf } from "./editPreview";

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

type Saved = NonNullable<EditOrderMutation["editOrder"]["order"]>;

export function EditOrderDialog({
  order,
  onClose,
  reload,
  previewDelayMs = 400,
}: {
  order: OrderView;
  onClose(changed: boolean): void;
  reload(): void;
  previewDelayMs?: number;
}) {
  const client = useClient();
  const initial = () => Object.fromEntries(order.items.map((i) => [i.id, { quantity: String(i.quantity), unitPrice: i.unitPrice, remove: false }]));
  const [form, setForm] = useState<EditForm>(() => ({ lines: initial(), added: [], shipping: order.shippingCost, note: "" }));
  const [errors, setErrors] = useState<UserErrorLike[]>([]);
  const [saved, setSaved] = useState<Saved | null>(null);
  const [busy, setBusy] = useState(false);
  const [version, setVersion] = useState(order.version);
  const input = editInput(order, form, version);
  const changed = touched(input);
  const preview = usePreview(order.id, saved || !changed ? null : input, previewDelayMs);
  const conflict = [...errors, ...preview.errors].some((e) => e.code === "VERSION_CONFLICT");
  const { lines, added } = form;
  const setAdded = (next: EditForm["added"]) => setForm({ ...form, added: next });

  async function save() {
    setBusy(true);
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

  const set = (id: string, patch: Partial<Line>) => setForm({ ...form, lines: { ...lines, [id]: { ...(lines[id] as Line), ...patch } } });
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
            the new total, balance due and refund due as you edit, and shows them below before you save.
          </p>
          {/* a card per line on a phone (styles.css, .cards-table) */}
          <table className="data cards-table" role="table" aria-label="Lines">
            <thead role="rowgroup">
              <tr role="row">
                <th scope="col" role="columnheader">Item</th>
                <th scope="col" role="columnheader">Quantity</th>
                <th scope="col" role="columnheader">Unit price</th>
                <th scope="col" role="columnheader">Remove</th>
              </tr>
            </thead>
            <tbody role="rowgroup">
              {order.items.map((item) => {
                const line = lines[item.id] as Line;
                return (
                  <tr key={item.id} role="row">
                    <td role="cell" className="card-head card-line" data-label="Item">
                      {item.sku}: {item.name}
                      {item.quantityShipped > 0 && <span className="muted"> ({item.quantityShipped} shipped)</span>}
                    </td>
                    <td role="cell" className="card-field">
                      {/* no min: how low a line may go is the server's rule, shown by the preview */}
                      <TextField label={`Quantity of ${item.sku}`} type="number" value={line.quantity} onChange={(v) => set(item.id, { quantity: v })} isDisabled={line.remove} />
                    </td>
                    <td role="cell" className="card-field">
                      <TextField label={`Unit price of ${item.sku}`} type="number" step="0.01" min={0} value={line.unitPrice} onChange={(v) => set(item.id, { unitPrice: v })} isDisabled={line.remove} />
                    </td>
                    <td role="cell" className="card-line" data-label="Remove">
                      <Check hideLabel label={`Remove ${item.sku}`} isSelected={line.remove} onChange={(remove) => set(item.id, { remove })} />
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
          <TextField label="Shipping cost" type="number" step="0.01" min={0} value={form.shipping} onChange={(shipping) => setForm({ ...form, shipping })} />
          <TextField label="Note (staff only)" value={form.note} onChange={(note) => setForm({ ...form, note })} />
          <AfterEdit state={preview} changed={changed} />
          <Errors errors={errors} />
          {conflict && (
            <div className="row">
              <Button onPress={startOver}>Reload the order</Button>
              <Button
                onPress={() => {
                  setVersion(order.version);
                  setErrors([]);
                }}
              >
                Keep my changes and try again
              </Button>
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

/** The server's preview of the edit: the figures it would give, what it lacks, or why
 * editOrder would refuse it. Polite live region: read out when the user pauses. */
function AfterEdit({ state, changed }: { state: PreviewState; changed: boolean }) {
  const { preview, errors, pending } = state;
  const figures = preview && (
    <dl className="facts" data-field="edit-preview">
      <dt>New subtotal</dt>
      <dd>{money(preview.subtotal, preview.currency)}</dd>
      <dt>Shipping</dt>
      <dd>{money(preview.shippingCost, preview.currency)}</dd>
      <dt>Tax</dt>
      <dd>{money(preview.taxTotal, preview.currency)}</dd>
      <dt>New total</dt>
      <dd data-field="preview-total">
        {money(preview.total, preview.currency)} <span className="muted">(now {money(preview.totalBefore, preview.currency)})</span>
      </dd>
      <dt>Balance due</dt>
      <dd>
        <strong data-field="preview-balance-due">{money(preview.payment.balanceDue, preview.currency)}</strong>
      </dd>
      <dt>Refund due</dt>
      <dd>
        <strong data-field="preview-refund-due">{money(preview.payment.refundDue, preview.currency)}</strong>
      </dd>
    </dl>
  );
  return (
    <section className="panel edit-preview" aria-label="After this edit" aria-live="polite" aria-busy={pending}>
      <h3>After this edit</h3>
      {!changed ? (
        <p className="muted">No changes yet.</p>
      ) : (
        <>
          {pending && <p className="muted">Working out the new balance…</p>}
          {figures}
          {preview && preview.stockShortfalls.length > 0 && (
            <ul className="errors" aria-label="Not enough stock">
              {preview.stockShortfalls.map((s) => (
                <li key={s.sku}>
                  Not enough stock of {s.sku}: {s.wanted} wanted, {s.inStock} in stock.
                </li>
              ))}
            </ul>
          )}
          {errors.length > 0 && !(preview && errors.every((e) => e.code === "INSUFFICIENT_STOCK")) && (
            <ul className="errors" aria-label="Saving would be refused">
              {errors.map((e, i) => (
                <li key={i}>{e.message}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
