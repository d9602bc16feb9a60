import { dateTime, money, words } from "../lib/format";
import { TableWrap } from "../ui";
import type { OrderView } from "./orderQuery";
import { carrierLine } from "../shipments/shipmentText";

type Address = OrderView["shippingAddress"];

export function Items({ order }: { order: OrderView }) {
  // On a phone each line is a card (styles.css, .cards-table); the explicit roles keep it a
  // table of rows, row headers and cells for a screen reader whatever their CSS display.
  return (
    <section aria-labelledby="items-title" className="panel">
      <h2 id="items-title">Items</h2>
      <TableWrap labelledBy="items-title">
        <table className="data cards-table" role="table" aria-labelledby="items-title">
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">SKU</th>
              <th scope="col" role="columnheader">Item</th>
              <th scope="col" role="columnheader" className="num">Price</th>
              <th scope="col" role="columnheader" className="num">Ordered</th>
              <th scope="col" role="columnheader" className="num">Shipped</th>
              <th scope="col" role="columnheader" className="num">Returned</th>
              <th scope="col" role="columnheader" className="num">Restocked</th>
              <th scope="col" role="columnheader" className="num">Total</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {order.items.map((item) => (
              <tr key={item.id} role="row" data-sku={item.sku}>
                <th scope="row" role="rowheader" className="card-head">{item.sku}</th>
                <td role="cell" className="card-line" data-label="Item">{item.name}</td>
                <td role="cell" className="num" data-label="Price" data-col="price">{money(item.unitPrice, order.currency)}</td>
                <td role="cell" className="num" data-label="Ordered" data-col="ordered">{item.quantity}</td>
                <td role="cell" className="num" data-label="Shipped" data-col="shipped">{item.quantityShipped}</td>
                <td role="cell" className="num" data-label="Returned" data-col="returned">{item.quantityReturned}</td>
                <td role="cell" className="num" data-label="Restocked" data-col="restocked">{item.quantityRestocked}</td>
                <td role="cell" className="num card-end" data-label="Total">{money(item.total, order.currency)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot role="rowgroup">
            <tr role="row">
              <th scope="row" role="rowheader" colSpan={7}>Subtotal</th>
              <td role="cell" className="num">{money(order.subtotal, order.currency)}</td>
            </tr>
            <tr role="row">
              <th scope="row" role="rowheader" colSpan={7}>Shipping</th>
              <td role="cell" className="num">{money(order.shippingCost, order.currency)}</td>
            </tr>
            <tr role="row">
              <th scope="row" role="rowheader" colSpan={7}>Tax</th>
              <td role="cell" className="num">{money(order.taxTotal, order.currency)}</td>
            </tr>
            <tr role="row">
              <th scope="row" role="rowheader" colSpan={7}>Total</th>
              <td role="cell" className="num" data-field="total">{money(order.total, order.currency)}</td>
            </tr>
          </tfoot>
        </table>
      </TableWrap>
    </section>
  );
}

export function Payment({ order }: { order: OrderView }) {
  const { payment } = order;
  const c = payment.currency;
  return (
    <section aria-labelledby="payment-title" className="panel stack">
      <h2 id="payment-title">Payment</h2>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{words(payment.status)}</dd>
        <dt>Method</dt>
        <dd>{[payment.method, payment.provider].filter(Boolean).join(" via ") || "—"}</dd>
        <dt>Authorized</dt>
        <dd>{money(payment.amountAuthorized, c)}</dd>
        <dt>Paid</dt>
        <dd>{money(payment.amountPaid, c)}</dd>
        <dt>Refunded</dt>
        <dd>{money(payment.amountRefunded, c)}</dd>
        <dt>Balance due</dt>
        <dd data-field="balance-due">{money(payment.balanceDue, c)}</dd>
        <dt>Refund due</dt>
        <dd data-field="refund-due">{money(payment.refundDue, c)}</dd>
      </dl>
      {/* a card per transaction on a phone, as the items above */}
      <table className="data cards-table" role="table" aria-label="Transactions">
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">When</th>
            <th scope="col" role="columnheader">Kind</th>
            <th scope="col" role="columnheader" className="num">Amount</th>
            <th scope="col" role="columnheader">Reference</th>
            <th scope="col" role="columnheader">By</th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          {payment.transactions.map((t) => (
            <tr key={t.id} role="row">
              <td role="cell" className="card-line" data-label="When">{dateTime(t.createdAt)}</td>
              <td role="cell" className="card-head" data-label="Kind">{words(t.kind)}</td>
              <td role="cell" className="num card-end" data-label="Amount">{money(t.amount, t.currency)}</td>
              <td role="cell" data-label="Reference">{[t.provider, t.reference].filter(Boolean).join(" ")}</td>
              <td role="cell" data-label="By">{t.actor}</td>
            </tr>
          ))}
          {payment.transactions.length === 0 && (
            <tr role="row">
              <td role="cell" colSpan={5}>No transactions yet.</td>
            </tr>
          )}
        </tbody>
      </table>
      {order.refunds.length > 0 && (
        <ul aria-label="Refunds">
          {order.refunds.map((r) => (
            <li key={r.id}>
              {dateTime(r.createdAt)}: {money(r.amount, r.currency)} refunded{r.restocked ? ", items restocked" : ""}
              {r.reason ? ` (${r.reason})` : ""}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function AddressBlock({ address }: { address: Address }) {
  return (
    <address>
      {address.firstName} {address.lastName}
      {address.company && <><br />{address.company}</>}
      <br />
      {address.street1}
      {address.street2 && <><br />{address.street2}</>}
      <br />
      {[address.postalCode, address.city, address.state].filter(Boolean).join(" ")}
      <br />
      {address.country}
      {address.phone && <><br />{address.phone}</>}
    </address>
  );
}

export function Shipping({ order }: { order: OrderView }) {
  return (
    <section aria-labelledby="shipping-title" className="panel stack">
      <h2 id="shipping-title">Shipping</h2>
      <dl className="facts">
        <dt>Method</dt>
        <dd>{order.shippingMethod || "—"}</dd>
        <dt>Cost</dt>
        <dd>{money(order.shippingCost, order.currency)}</dd>
        <dt>Ship to</dt>
        <dd>
          <AddressBlock address={order.shippingAddress} />
        </dd>
        <dt>Bill to</dt>
        <dd>
          <AddressBlock address={order.billingAddress} />
        </dd>
      </dl>
      <h3>Shipments</h3>
      {order.shipments.length === 0 ? (
        <p className="muted">Nothing shipped yet.</p>
      ) : (
        <ul aria-label="Shipments of this order">
          {order.shipments.map((s) => (
            <li key={s.id}>
              {dateTime(s.createdAt)}: {s.items.map((i) => `${i.quantity} × ${i.sku}`).join(", ")}
              {s.trackingNumber && (
                <>
                  {" — "}
                  {s.trackingUrl ? (
                    <a href={s.trackingUrl} target="_blank" rel="noreferrer noopener">
                      {s.trackingNumber}
                    </a>
                  ) : (
                    s.trackingNumber
                  )}
                  {s.carrier || s.carrierName ? ` (${carrierLine(s)})` : ""}
                </>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
