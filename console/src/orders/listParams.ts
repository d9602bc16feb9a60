// The orders list's state lives in the address (shareable, survives a reload, Back works).
import type { OrderFilterInput, OrderStatus, PaymentStatus } from "../gql/graphql";

export type Tab = "open" | "completed" | "all";

export interface ListParams {
  tab: Tab;
  q: string;
  status: OrderStatus | "";
  payment: PaymentStatus | "";
  sku: string;
  country: string;
  from: string; // yyyy-mm-dd, local
  to: string;
  sort: string; // FIELD:DIRECTION
  size: number;
  after: string;
  before: string;
}

export const SORTS = [
  { key: "CREATED_AT:DESC", label: "Newest first" },
  { key: "CREATED_AT:ASC", label: "Oldest first" },
  { key: "UPDATED_AT:DESC", label: "Recently changed" },
  { key: "NUMBER:DESC", label: "Number, highest first" },
  { key: "NUMBER:ASC", label: "Number, lowest first" },
  { key: "TOTAL:DESC", label: "Total, highest first" },
  { key: "TOTAL:ASC", label: "Total, lowest first" },
];
export const PAGE_SIZES = [25, 50, 100];

/** A page's rows when the address does not say: 50 at a desk, 25 on a phone (the cards are tall,
 * and a phone's CPU draws half as many in half the time). */
export function defaultPageSize(narrow: boolean): number {
  return narrow ? 25 : 50;
}

export function readParams(search: URLSearchParams, defaultSize = 50): ListParams {
  const tab = search.get("tab");
  const size = Number(search.get("size"));
  const sort = search.get("sort") ?? "";
  return {
    tab: tab === "completed" || tab === "all" ? tab : "open",
    q: search.get("q") ?? "",
    status: (search.get("status") ?? "") as OrderStatus | "",
    payment: (search.get("payment") ?? "") as PaymentStatus | "",
    sku: search.get("sku") ?? "",
    country: search.get("country") ?? "",
    from: search.get("from") ?? "",
    to: search.get("to") ?? "",
    sort: SORTS.some((s) => s.key === sort) ? sort : "CREATED_AT:DESC",
    size: PAGE_SIZES.includes(size) ? size : defaultSize,
    after: search.get("after") ?? "",
    before: search.get("before") ?? "",
  };
}

/** Start of `from` to the end of `to`, in the browser's zone, as the API's instants. */
export function orderFilter(params: ListParams): OrderFilterInput {
  const filter: OrderFilterInput = {};
  if (params.tab !== "all") filter.isOpen = params.tab === "open";
  if (params.status) filter.status = [params.status];
  if (params.payment) filter.paymentStatus = [params.payment];
  if (params.sku) filter.sku = params.sku;
  if (params.country) filter.shippingCountry = params.country.toUpperCase();
  if (params.q) filter.search = params.q;
  if (params.from) filter.createdAfter = new Date(`${params.from}T00:00:00`).toISOString();
  if (params.to) {
    const end = new Date(`${params.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    filter.createdBefore = end.toISOString();
  }
  return filter;
}

/** The address's query for `params` changed by `next`: back to the first page unless the
 * change is itself a page move (keepPage), defaults left out so addresses stay short. */
export function listSearch(params: ListParams, next: Partial<ListParams>, keepPage = false): URLSearchParams {
  const merged = { ...params, ...next, ...(keepPage ? {} : { after: "", before: "" }) };
  const out = new URLSearchParams();
  for (const [key, value] of Object.entries(merged)) if (value) out.set(key, String(value));
  return out;
}
