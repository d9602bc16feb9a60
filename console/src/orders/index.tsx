// Orders > Manage orders: Open / Completed / All, filters, search, sort, keyset pages, and
// what to do with a selection. Live: an order event makes the page ask again when its order
// is on the page or could come onto it (liveRule.ts), at most twice a second.
import { useDeferredValue, useEffect, useMemo, useRef, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useQuery, useSubscription } from "urql";
import { graphql } from "../gql";
import type { ExportGranularity, OrderSortField, OrdersListQuery, SortDirection } from "../gql/graphql";
import { useOnReconnect } from "../lib/live";
import { useThrottled } from "../lib/throttle";
import { dateTime, money, ORDER_STATUSES, PAYMENT_STATUSES, words } from "../lib/format";
import { useViewer } from "../lib/viewer";
import { Button } from "../ui/fields";
import { Check } from "../ui/Check";
import { NativeSelect } from "../ui/NativeSelect";
import { BulkStatus } from "./BulkStatus";
import { JobStatus, useFileJobs } from "./jobs";
import { defaultPageSize, type ListParams, listSearch, orderFilter, PAGE_SIZES, readParams, SORTS, type Tab as TabKey } from "./listParams";
import { listMayChange, type ShownPage } from "./liveRule";

const OrdersListDocument = graphql(`
  query OrdersList(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: OrderFilterInput
    $sort: OrderSortInput
  ) {
    orders(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
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
          number
          status
          createdAt
          updatedAt
          email
          total
          currency
          trackingNumber
          payment {
            status
          }
          shippingAddress {
            firstName
            lastName
            city
            country
          }
        }
      }
    }
  }
`);

const OrdersLiveDocument = graphql(`
  subscription OrdersLive {
    orderEvents {
      id
      type
      order {
        id
        number
        status
        isOpen
        createdAt
        updatedAt
        total
        payment {
          status
        }
      }
    }
  }
`);

type Row = OrdersListQuery["orders"]["edges"][number]["node"];
const TABS: { key: TabKey; label: string }[] = [
  { key: "open", label: "Open" },
  { key: "completed", label: "Completed" },
  { key: "all", label: "All" },
];
const REFETCH_AT_MOST_EVERY_MS = 500;
// read once: a phone stays a phone (styles.css switches to cards at the same width)
const PAGE_SIZE = defaultPageSize(typeof window !== "undefined" && !!window.matchMedia?.("(max-width: 640px)").matches);

export default function OrdersScreen() {
  const [search, setSearch] = useSearchParams();
  const params = readParams(search, PAGE_SIZE);
  const change = (next: Partial<ListParams>, keepPage = false) => setSearch(listSearch(params, next, keepPage));
  const filter = useMemo(() => orderFilter(readParams(search, PAGE_SIZE)), [search]);
  const [field, direction] = params.sort.split(":") as [OrderSortField, SortDirection];
  const variables = {
    filter,
    sort: { field, direction },
    ...(params.before ? { last: params.size, before: params.before } : { first: params.size, after: params.after || null }),
  };
  const [{ data, fetching, error }, refetch] = useQuery({ query: OrdersListDocument, variables });
  const refresh = useThrottled(() => refetch({ requestPolicy: "network-only" }), REFETCH_AT_MOST_EVERY_MS);
  const shown = useRef<ShownPage | null>(null);
  shown.current = data
    ? {
        ids: new Set(data.orders.edges.map((edge) => edge.node.id)),
        filter,
        sort: { field, direction },
        rows: data.orders.edges.map((edge) => edge.node),
        atStart: !data.orders.pageInfo.hasPreviousPage,
        atEnd: !data.orders.pageInfo.hasNextPage,
      }
    : null;
  useSubscription({ query: OrdersLiveDocument }, (_, event) => {
    if (listMayChange(event.orderEvents.order, shown.current)) refresh();
    return event;
  });
  useOnReconnect(refresh);

  const rows = useMemo(() => data?.orders.edges.map((edge) => edge.node) ?? [], [data]);
  // the table is drawn from a deferred copy: React renders a page of rows in slices between
  // other work rather than in one long task (a phone's slow CPU stays responsive)
  const shownRows = useDeferredValue(rows);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  useEffect(() => setSelected(new Set()), [search]);

  return (
    <section aria-labelledby="orders-title" className="stack">
      <h1 id="orders-title">Orders</h1>
      {/* the help page's uncompleted / completed orders: links, so each is an address */}
      <nav aria-label="Which orders" className="tabs">
        <ul>
          {TABS.map((tab) => (
            <li key={tab.key}>
              <Link
                to={{ search: `?${listSearch(params, { tab: tab.key })}` }}
                className="tab"
                aria-current={params.tab === tab.key ? "page" : undefined}
              >
                {tab.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <Filters params={params} change={change} />
      <SelectionBar rows={rows} selected={selected} filter={filter} onBulkDone={refresh} />
      {error && <p role="alert">{error.message}</p>}
      <OrdersTable rows={shownRows} selected={selected} setSelected={setSelected} busy={fetching || shownRows !== rows} />
      {/* only once the rows are there: drawn before them, it would jump down when they came */}
      {data && (
        <Pages
          total={data.orders.totalCount}
          pageInfo={data.orders.pageInfo}
          onPrevious={(before) => change({ before, after: "" }, true)}
          onNext={(after) => change({ after, before: "" }, true)}
        />
      )}
    </section>
  );
}

function Filters({ params, change }: { params: ListParams; change(next: Partial<ListParams>): void }) {
  const [text, setText] = useState(params.q);
  useEffect(() => setText(params.q), [params.q]);
  useEffect(() => {
    if (text === params.q) return;
    const timer = setTimeout(() => change({ q: text.trim() }), 300);
    return () => clearTimeout(timer);
    // only the typed text starts a search; the address changing back is handled above
  }, [text]);
  // on a phone all but the search sit behind a "Filters" button (CSS shows them on wider screens)
  const [open, setOpen] = useState(false);
  const chosen = [params.status, params.payment, params.from, params.to].filter(Boolean).length;
  return (
    <div className="row filters">
      <form
        role="search"
        className="field search"
        onSubmit={(event) => {
          event.preventDefault();
          change({ q: text.trim() });
        }}
      >
        <label htmlFor="search-orders">Search orders</label>
        <input
          id="search-orders"
          type="search"
          value={text}
          onChange={(event) => setText(event.target.value)}
          placeholder="Number, email, name or tracking number"
          autoComplete="off"
        />
      </form>
      <button type="button" className="button filters-toggle" aria-expanded={open} aria-controls="order-filters" onClick={() => setOpen(!open)}>
        Filters{chosen ? ` (${chosen})` : ""}
      </button>
      <div className="row filters-more" id="order-filters" data-open={open || undefined}>
        <NativeSelect
          label="Status"
          value={params.status || "ANY"}
          onChange={(status) => change({ status: status === "ANY" ? "" : status })}
          choices={[{ key: "ANY", label: "Any status" }, ...ORDER_STATUSES.map((key) => ({ key, label: words(key) }))]}
        />
        <NativeSelect
          label="Payment"
          value={params.payment || "ANY"}
          onChange={(payment) => change({ payment: payment === "ANY" ? "" : payment })}
          choices={[{ key: "ANY", label: "Any payment" }, ...PAYMENT_STATUSES.map((key) => ({ key, label: words(key) }))]}
        />
        <DateField label="Placed from" value={params.from} onChange={(from) => change({ from })} />
        <DateField label="Placed until" value={params.to} onChange={(to) => change({ to })} />
        <NativeSelect label="Sort by" value={params.sort} onChange={(sort) => change({ sort })} choices={SORTS} />
        <NativeSelect
          label="Per page"
          value={String(params.size)}
          onChange={(size) => change({ size: Number(size) })}
          choices={PAGE_SIZES.map((size) => ({ key: String(size), label: String(size) }))}
        />
      </div>
    </div>
  );
}

function DateField({ label, value, onChange }: { label: string; value: string; onChange(value: string): void }) {
  const id = `date-${label.replaceAll(" ", "-").toLowerCase()}`;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="date" value={value} onChange={(event) => onChange(event.target.value)} />
    </div>
  );
}

function SelectionBar({
  rows,
  selected,
  filter,
  onBulkDone,
}: {
  rows: Row[];
  selected: Set<string>;
  filter: ReturnType<typeof orderFilter>;
  onBulkDone(): void;
}) {
  const { can } = useViewer();
  const jobs = useFileJobs();
  const [granularity, setGranularity] = useState<ExportGranularity>("ORDER");
  const ids = rows.filter((row) => selected.has(row.id)).map((row) => row.id);
  return (
    <div className="stack">
      <div className="row selection-bar" role="group" aria-label="Selected orders">
        <span>{ids.length ? `${ids.length} selected` : "Select orders to change or print them."}</span>
        {can("ORDERS_WRITE") && ids.length > 0 && <BulkStatus orderIds={ids} onDone={onBulkDone} />}
        {can("DOCUMENTS_WRITE") && ids.length > 0 && (
          <>
            <Button onPress={() => jobs.print("INVOICE", ids)} isDisabled={jobs.state.busy}>
              Print invoices
            </Button>
            <Button onPress={() => jobs.print("PACKING_SLIP", ids)} isDisabled={jobs.state.busy}>
              Print packing slips
            </Button>
          </>
        )}
        <span className="spacer" />
        <NativeSelect<ExportGranularity>
          label="Export rows"
          value={granularity}
          onChange={setGranularity}
          choices={[
            { key: "ORDER", label: "One per order" },
            { key: "ITEM", label: "One per item" },
          ]}
        />
        <Button onPress={() => jobs.exportCsv(filter, granularity)} isDisabled={jobs.state.busy}>
          Export CSV
        </Button>
      </div>
      <JobStatus state={jobs.state} />
    </div>
  );
}

function OrdersTable({
  rows,
  selected,
  setSelected,
  busy,
}: {
  rows: Row[];
  selected: Set<string>;
  setSelected(next: Set<string>): void;
  busy: boolean;
}) {
  const all = rows.length > 0 && rows.every((row) => selected.has(row.id));
  const some = rows.some((row) => selected.has(row.id));
  const toggle = (id: string, on: boolean) => {
    const next = new Set(selected);
    if (on) next.add(id);
    else next.delete(id);
    setSelected(next);
  };
  // On a phone each row is a card (styles.css); the explicit roles keep it a table with rows,
  // row headers and cells for a screen reader whatever the CSS display of each element.
  return (
    <div className="table-wrap">
      <table className="data orders-table" role="table" aria-label="Orders" aria-busy={busy}>
        <thead role="rowgroup">
          <tr role="row">
            <th scope="col" role="columnheader">
              <Check
                hideLabel
                label="Select every order on this page"
                isSelected={all}
                isIndeterminate={some && !all}
                onChange={(on) => setSelected(on ? new Set(rows.map((row) => row.id)) : new Set())}
              />
            </th>
            <th scope="col" role="columnheader">Order</th>
            <th scope="col" role="columnheader">Placed</th>
            <th scope="col" role="columnheader">Customer</th>
            <th scope="col" role="columnheader">Status</th>
            <th scope="col" role="columnheader">Payment</th>
            <th scope="col" role="columnheader" className="num">
              Total
            </th>
            <th scope="col" role="columnheader">Tracking</th>
          </tr>
        </thead>
        <tbody role="rowgroup">
          {rows.map((row) => (
            <tr key={row.id} role="row" data-order-number={row.number}>
              <td role="cell" className="pick">
                <Check hideLabel label={`Select order ${row.number}`} isSelected={selected.has(row.id)} onChange={(on) => toggle(row.id, on)} />
              </td>
              <th scope="row" role="rowheader" className="number">
                <Link to={`/orders/${row.number}`}>{row.number}</Link>
              </th>
              <td role="cell" className="placed">
                {dateTime(row.createdAt)}
              </td>
              <td role="cell" className="customer">
                {row.shippingAddress.firstName} {row.shippingAddress.lastName}
                <br />
                <span className="muted">{row.email}</span>
              </td>
              <td role="cell" data-label="Status">
                {words(row.status)}
              </td>
              <td role="cell" data-label="Payment">
                {words(row.payment.status)}
              </td>
              <td role="cell" className="num total">
                {money(row.total, row.currency)}
              </td>
              <td role="cell" data-label="Tracking" className="tracking">
                {row.trackingNumber ?? "—"}
              </td>
            </tr>
          ))}
          {rows.length === 0 && !busy && (
            <tr role="row">
              <td role="cell" colSpan={8}>
                No orders match.
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

function Pages({
  total,
  pageInfo,
  onPrevious,
  onNext,
}: {
  total: number | undefined;
  pageInfo: OrdersListQuery["orders"]["pageInfo"] | undefined;
  onPrevious(cursor: string): void;
  onNext(cursor: string): void;
}) {
  return (
    <nav aria-label="Pages" className="row">
      <Button isDisabled={!pageInfo?.hasPreviousPage || !pageInfo.startCursor} onPress={() => pageInfo?.startCursor && onPrevious(pageInfo.startCursor)}>
        Previous page
      </Button>
      <Button isDisabled={!pageInfo?.hasNextPage || !pageInfo.endCursor} onPress={() => pageInfo?.endCursor && onNext(pageInfo.endCursor)}>
        Next page
      </Button>
      <span className="muted" role="status">
        {total === undefined ? "" : `${total} order${total === 1 ? "" : "s"}`}
      </span>
    </nav>
  );
}
