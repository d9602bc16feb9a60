// One order: what it is, what was paid and shipped, its notes and timeline, and every action
// the help page names. Live: an event of this order (and only of this one) makes the page ask
// again, once for a burst of them.
import { useDeferredValue } from "react";
import { useParams } from "react-router";
import { useQuery, useSubscription } from "urql";
import { useOnReconnect } from "../lib/live";
import { useThrottled } from "../lib/throttle";
import { dateTime, words } from "../lib/format";
import { isOwnEvent } from "./liveRule";
import { OrderActions } from "./OrderActions";
import { OrderLiveDocument, OrderPageDocument } from "./orderQuery";
import { Items, Payment, Shipping } from "./OrderSections";
import { carrierLine } from "../shipments/shipmentText";
import { StaffNotes, Timeline } from "./OrderNotes";

const RELOAD_AT_MOST_EVERY_MS = 250;

export default function OrderPage() {
  const number = Number(useParams().number);
  const [{ data, fetching, error }, refetch] = useQuery({
    query: OrderPageDocument,
    variables: { number },
    pause: !Number.isInteger(number),
  });
  // the page is drawn from a deferred copy: React renders it in slices between other work
  // (a phone's slow CPU stays responsive while the order's sections are built)
  const order = useDeferredValue(data?.order);
  const reload = () => refetch({ requestPolicy: "network-only" });
  const reloadSoon = useThrottled(reload, RELOAD_AT_MOST_EVERY_MS);
  useSubscription({ query: OrderLiveDocument, variables: { orderId: order?.id ?? "" }, pause: !order }, (_, event) => {
    // the subscription is this order's; an event still on its way from the order shown
    // before (the page is reused from one order to the next) is not
    if (order && isOwnEvent(event.orderEvents, order.id)) reloadSoon();
    return event;
  });
  useOnReconnect(reload);

  if (error) return <p role="alert">{error.message}</p>;
  if (!order) return fetching ? <p role="status">Loading order {number}…</p> : <h1>Order {number} was not found</h1>;
  return (
    <article className="stack order-page" aria-labelledby="order-title">
      <header className="row order-head">
        <h1 id="order-title">Order {order.number}</h1>
        <span className="badge" data-status={order.status}>
          {words(order.status)}
        </span>
        <span className="spacer" />
        <OrderActions order={order} reload={reload} />
      </header>
      <dl className="facts panel">
        <dt>Number</dt>
        <dd>{order.number}</dd>
        <dt>Status</dt>
        <dd>
          {words(order.status)} ({order.isOpen ? "open" : "completed"})
        </dd>
        <dt>Placed</dt>
        <dd>{dateTime(order.createdAt)}</dd>
        <dt>Last changed</dt>
        <dd>{dateTime(order.updatedAt)}</dd>
        <dt>Customer</dt>
        <dd>
          {order.customer ? `${order.customer.firstName} ${order.customer.lastName} ` : "Guest "}
          &lt;{order.email}&gt;
        </dd>
        <dt>Tracking number</dt>
        <dd data-field="tracking-number">
          {order.trackingNumber ? (
            order.trackingUrl ? (
              <a href={order.trackingUrl} rel="noreferrer noopener" target="_blank">
                {order.trackingNumber}
              </a>
            ) : (
              order.trackingNumber
            )
          ) : (
            "None yet"
          )}
          {order.carrier || order.carrierName ? ` (${carrierLine(order)})` : ""}
        </dd>
      </dl>
      <Items order={order} />
      <div className="grid-2">
        <Payment order={order} />
        <Shipping order={order} />
      </div>
      <section aria-labelledby="comment-title" className="panel">
        <h2 id="comment-title">Customer's comments</h2>
        <p>{order.customerComment || <span className="muted">None.</span>}</p>
      </section>
      <StaffNotes order={order} reload={reload} />
      <Timeline order={order} reload={reload} />
    </article>
  );
}
