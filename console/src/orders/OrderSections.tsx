import { dateTime, money, words } from "../lib/format";
import { TableWrap } from "../ui";
import type { OrderView } from "./orderQuery";
import { carrierLine } from "../shipments/shipmentText";

type Address = OrderView["shippingAddress"];

export function Items({ order }: { order: OrderView }) {
  return (
    <section aria-labelledby="items-title" className="panel">
      <h2 id="items-title">Items</h2>
      <TableWrap labelledBy="items-title">
        <table className="data" aria-labelledby="items-title">
          <thead>
            <tr>
              <th scope="col">SKU</th>
              <th scope="col">Item</th>
              <th scope="col" className="num">Price</th>
              <th scope="col" className="num">Ordered</th>
              <th scope="col" className="num">Shipped</th>
              <th scope="col" className="num">Returned</th>
              <th scope="col" className="num">Restocked</th>
              <th scope="col" className="num">Total</th>
            </tr>
          </thead>
          <tbody>
            {order.items.map((item) => (
              <tr key={item.id} data-sku={item.sku}>
                <th scope="row">{item.sku}</th>
                <td>{item.name}</td>
                <td className="num">{money(item.unitPrice, order.currency)}</td>
                <td className="num" data-col="ordered">{item.quantity}</td>
                <td className="num" data-col="shipped">{item.quantityShipped}</td>
                <td className="num" data-col="returned">{item.quantityReturned}</td>
                <td className="num" data-col="restocked">{item.quantityRestocked}</td>
                <td className="num">{money(item.total, order.currency)}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr>
              <th scope="row" colSpan={7}>Subtotal</th>
              <td className="num">{money(order.subtotal, order.currency)}</td>
            </tr>
            <tr>
              <th scope="row" colSpan={7}>Shipping</th>
              <td className="num">{money(order.shippingCost, order.currency)}</td>
            </tr>
            <tr>
              <th scope="row" colSpan={7}>Tax</th>
              <td className="num">{money(order.taxTotal, order.currency)}</td>
            </tr>
            <tr>
              <th scope="row" colSpan={7}>Total</th>
              <td className="num" data-field="total">{money(order.total, order.currency)}</td>
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
      <table className="data" aria-label="Transactions">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Kind</th>
            <th scope="col" className="num">Amount</th>
            <th scope="col">Reference</th>
            <th scope="col">By</th>
          </tr>
        </thead>
        <tbody>
          {payment.transactions.map((t) => (
            <tr key={t.id}>
              <td>{dateTime(t.createdAt)}</td>
              <td>{words(t.kind)}</td>
              <td className="num">{money(t.amount, t.currency)}</td>
              <td>{[t.provider, t.reference].filter(Boolean).join(" ")}</td>
              <td>{t.actor}</td>
            </tr>
          ))}
          {payment.transactions.length === 0 && (
            <tr>
              <td colSpan={5}>No transactions yet.</td>
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
