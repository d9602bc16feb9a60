// Managing return requests: the list, and a return's page where staff move it through its
// states (offering only the moves the API would take: `nextStatuses`), restock on receipt,
// and refund from it.
import { useState } from "react";
import { Link, Route, Routes, useParams } from "react-router";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { ReturnDetailQuery, ReturnStatus } from "../gql/graphql";
import { dateTime, words } from "../lib/format";
import { useViewer } from "../lib/viewer";
import { Button, Dialog, Errors, Notice, Select, TextField } from "../ui";
import { Check } from "../ui/Check";
import "../ui/screens.css";
import { pageArguments, Pager, type PageAt } from "../ui/Pager";
import { RETURN_MOVES, RETURN_STATUSES } from "./returnMoves";
import { RefundReturn } from "./RefundReturn";

const ReturnsListDocument = graphql(`
  query ReturnsList($first: Int, $after: String, $last: Int, $before: String, $filter: ReturnFilterInput) {
    returns(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
      edges {
        node {
          id
          status
          createdAt
          customerComment
          items {
            quantity
            orderItem {
              sku
            }
          }
          order {
            id
            number
            email
          }
        }
      }
    }
  }
`);

const ReturnDetailDocument = graphql(`
  query ReturnDetail($id: ID!) {
    returnRequest(id: $id) {
      id
      status
      nextStatuses
      createdAt
      updatedAt
      customerComment
      staffNotes
      restocked
      items {
        quantity
        reason
        action
        orderItem {
          id
          sku
          name
          unitPrice
          currency
          quantityShipped
          quantityReturned
          quantityRestocked
        }
      }
      refund {
        id
        amount
        currency
        createdAt
        restocked
      }
      order {
        id
        number
        email
        currency
        payment {
          status
          amountPaid
          amountRefunded
        }
      }
    }
  }
`);

const SetReturnStatusDocument = graphql(`
  mutation SetReturnStatus($id: ID!, $status: ReturnStatus!, $note: String!, $restock: Boolean!) {
    setReturnStatus(id: $id, status: $status, note: $note, restock: $restock) {
      returnRequest {
        id
        status
        restocked
      }
      errors {
        code
        message
      }
    }
  }
`);

export type ReturnView = NonNullable<ReturnDetailQuery["returnRequest"]>;

export default function ReturnsArea() {
  return (
    <Routes>
      <Route index element={<ReturnsList />} />
      <Route path=":id" element={<ReturnPage />} />
    </Routes>
  );
}

const PAGE_SIZE = 50;

function ReturnsList() {
  const [status, setStatus] = useState<ReturnStatus | "ANY">("ANY");
  const [at, setAt] = useState<PageAt>({});
  const [{ data, fetching, error }] = useQuery({
    query: ReturnsListDocument,
    variables: { ...pageArguments(at, PAGE_SIZE), filter: status === "ANY" ? null : { status: [status] } },
    requestPolicy: "cache-and-network",
  });
  const rows = data?.returns.edges.map((edge) => edge.node) ?? [];
  return (
    <section aria-labelledby="returns-title" className="stack">
      <h1 id="returns-title">Returns</h1>
      <div className="row filters">
        <Select
          label="Status"
          value={status}
          onChange={(next) => {
            setStatus(next);
            setAt({});
          }}
          choices={[{ key: "ANY", label: "Any status" }, ...RETURN_STATUSES.map((key) => ({ key, label: words(key) }))]}
        />
      </div>
      {error && <p role="alert">{error.message}</p>}
      {/* a card per return on a phone (styles.css, .cards-table), as a return's items */}
      <div className="table-wrap">
        <table className="data cards-table" role="table" aria-label="Returns" aria-busy={fetching}>
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">Return</th>
              <th scope="col" role="columnheader">Requested</th>
              <th scope="col" role="columnheader">Order</th>
              <th scope="col" role="columnheader">Status</th>
              <th scope="col" role="columnheader">Items</th>
              <th scope="col" role="columnheader">Customer's comment</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {rows.map((row) => (
              <tr key={row.id} role="row">
                <th scope="row" role="rowheader" className="card-head">
                  <Link to={`/returns/${encodeURIComponent(row.id)}`} aria-label={`Open the return for order ${row.order.number}, ${words(row.status)}`}>
                    Open
                  </Link>
                </th>
                <td role="cell" className="card-line" data-label="Requested">{dateTime(row.createdAt)}</td>
                <td role="cell" className="card-line" data-label="Order">
                  <Link to={`/orders/${row.order.number}`}>{row.order.number}</Link>
                  <br />
                  <span className="muted">{row.order.email}</span>
                </td>
                <td role="cell" className="card-end" data-label="Status">{words(row.status)}</td>
                <td role="cell" className="card-line" data-label="Items">{row.items.map((item) => `${item.quantity} × ${item.orderItem?.sku ?? "?"}`).join(", ")}</td>
                <td role="cell" className="card-line" data-label="Customer's comment">{row.customerComment || "—"}</td>
              </tr>
            ))}
            {rows.length === 0 && !fetching && (
              <tr role="row">
                <td role="cell" colSpan={6}>No returns match.</td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      <Pager pageInfo={data?.returns.pageInfo} total={data?.returns.totalCount} noun={["return", "returns"]} onMove={setAt} />
    </section>
  );
}

function ReturnPage() {
  const { id = "" } = useParams();
  const [{ data, fetching, error }, refetch] = useQuery({ query: ReturnDetailDocument, variables: { id }, requestPolicy: "network-only" });
  const reload = () => refetch({ requestPolicy: "network-only" });
  const request = data?.returnRequest;
  if (fetching && !data) return <p role="status">Loading…</p>;
  if (error) return <p role="alert">{error.message}</p>;
  if (!request) {
    return (
      <section className="stack">
        <h1>Return not found</h1>
        <Link to="/returns">All returns</Link>
      </section>
    );
  }
  return (
    <section aria-labelledby="return-title" className="stack">
      <p>
        <Link to="/returns">All returns</Link>
      </p>
      <h1 id="return-title">Return for order {request.order.number}</h1>
      <p>
        <span className="badge" data-return-status={request.status}>
          {words(request.status)}
        </span>{" "}
        requested {dateTime(request.createdAt)} · <Link to={`/orders/${request.order.number}`}>Order {request.order.number}</Link> ·{" "}
        {request.order.email}
      </p>
      <ReturnActions request={request} onChanged={reload} />
      {/* a card per item on a phone (styles.css, .cards-table), as on the order page */}
      <div className="table-wrap" tabIndex={0} role="region" aria-label="Returned items">
        <table className="data cards-table" role="table" aria-label="Returned items">
          <thead role="rowgroup">
            <tr role="row">
              <th scope="col" role="columnheader">SKU</th>
              <th scope="col" role="columnheader">Item</th>
              <th scope="col" role="columnheader" className="num">
                Quantity
              </th>
              <th scope="col" role="columnheader">Reason</th>
              <th scope="col" role="columnheader">Wanted</th>
            </tr>
          </thead>
          <tbody role="rowgroup">
            {request.items.map((item, i) => (
              <tr key={i} role="row">
                <th scope="row" role="rowheader" className="card-head">{item.orderItem?.sku ?? "—"}</th>
                <td role="cell" className="card-line" data-label="Item">{item.orderItem?.name ?? "—"}</td>
                <td role="cell" className="num card-end" data-label="Quantity">{item.quantity}</td>
                <td role="cell" data-label="Reason">{item.reason || "—"}</td>
                <td role="cell" data-label="Wanted">{words(item.action)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="grid-2">
        <div className="panel">
          <h2>Customer's comment</h2>
          <p>{request.customerComment || "—"}</p>
        </div>
        <div className="panel" role="region" aria-label="Staff notes">
          <h2>
            Staff notes <span className="badge badge-staff">staff only</span>
          </h2>
          <p className="pre">{request.staffNotes || "—"}</p>
        </div>
        <div className="panel">
          <h2>Stock and money</h2>
          <p>{request.restocked ? "The items were put back in stock." : "Not restocked."}</p>
          <p>
            {request.refund
              ? `Refunded ${request.refund.amount} ${request.refund.currency} on ${dateTime(request.refund.createdAt)}.`
              : "No refund yet."}
          </p>
        </div>
      </div>
    </section>
  );
}

function ReturnActions({ request, onChanged }: { request: ReturnView; onChanged(): void }) {
  const { can } = useViewer();
  const [move, setMove] = useState<ReturnStatus | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // refunded with money through the Refund dialog, never as a bare status change
  const moves = request.nextStatuses.filter((status) => status !== "REFUNDED");
  const refundable = can("REFUNDS_WRITE") && request.nextStatuses.includes("REFUNDED");
  if (moves.length === 0 && !refundable) return done ? <Notice tone="success">{done}</Notice> : null;
  return (
    <div className="stack">
      <div className="row" role="group" aria-label="Return actions">
        {moves.map((status) => (
          <Button key={status} variant={status === "REJECTED" || status === "CANCELLED" ? "secondary" : "primary"} onPress={() => setMove(status)}>
            {RETURN_MOVES[status].button}
          </Button>
        ))}
        {refundable && (
          <RefundReturn
            request={request}
            onRefunded={(message) => {
              setDone(message);
              onChanged();
            }}
          />
        )}
      </div>
      {done && <Notice tone="success">{done}</Notice>}
      {move && (
        <MoveReturn
          request={request}
          status={move}
          onClose={() => setMove(null)}
          onMoved={(message) => {
            setMove(null);
            setDone(message);
            onChanged();
          }}
        />
      )}
    </div>
  );
}

function MoveReturn({
  request,
  status,
  onClose,
  onMoved,
}: {
  request: ReturnView;
  status: ReturnStatus;
  onClose(): void;
  onMoved(message: string): void;
}) {
  const [note, setNote] = useState("");
  const receiving = status === "RECEIVED";
  const [restock, setRestock] = useState(receiving);
  const [{ data, fetching }, setStatus] = useMutation(SetReturnStatusDocument);
  const words_ = RETURN_MOVES[status];
  return (
    <Dialog title={words_.title} isOpen onOpenChange={(open) => !open && onClose()}>
      <form
        className="stack"
        onSubmit={async (event) => {
          event.preventDefault();
          const result = await setStatus({ id: request.id, status, note, restock: receiving && restock });
          if (result.data?.setReturnStatus.returnRequest) onMoved(words_.done(receiving && restock));
        }}
      >
        <p>{words_.explain}</p>
        {receiving && (
          <Check
            label="Put the items back in stock"
            description="once; they can be sold again"
            isSelected={restock}
            onChange={setRestock}
          />
        )}
        <TextField label="Note" value={note} onChange={setNote} multiline description="Staff only: kept on the return and the order's timeline." />
        <Errors errors={data?.setReturnStatus.errors} />
        <div className="dialog-buttons">
          <Button onPress={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" isDisabled={fetching}>
            {words_.button}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
