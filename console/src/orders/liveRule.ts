// Which live events make a screen ask the server again. An order event carries its order
// (OrderEvent.order) as the server has it now; the list asks again only when that order is
// on the page, or could be after asking: it passes the parts of the filter the event's
// order can be held to, and its sort key falls within the page's. Nothing here decides a
// business rule: "open" is the server's isOpen, and a filter the console cannot check from
// the event (search, SKU, country, email) counts as matching, so the rule may ask once too
// often but never misses a change.
import type { OrderFilterInput, OrderSortField, SortDirection } from "../gql/graphql";

/** The event's order, as the live subscriptions select it. */
export interface EventOrder {
  id: string;
  status: string;
  isOpen: boolean;
  number: number;
  createdAt: string;
  updatedAt: string;
  total: string;
  payment: { status: string };
}

export type SortKeyed = Pick<EventOrder, "number" | "createdAt" | "updatedAt" | "total">;

export interface ShownPage {
  ids: ReadonlySet<string>;
  filter: OrderFilterInput;
  sort: { field: OrderSortField; direction: SortDirection };
  /** The rows shown, in the order shown. */
  rows: readonly SortKeyed[];
  /** No rows before this page (pageInfo.hasPreviousPage false) and none after it. */
  atStart: boolean;
  atEnd: boolean;
}

/** Ask the list again for this event? */
export function listMayChange(order: EventOrder, page: ShownPage | null): boolean {
  if (page === null) return true; // nothing shown yet to compare with
  if (page.ids.has(order.id)) return true; // a row shown moved (or left the filter)
  return mayMatch(order, page.filter) && withinPage(order, page);
}

/** The order passes every part of the filter the event lets the console check. */
export function mayMatch(order: EventOrder, filter: OrderFilterInput): boolean {
  if (filter.isOpen != null && order.isOpen !== filter.isOpen) return false;
  if (filter.status?.length && !filter.status.includes(order.status as never)) return false;
  if (filter.paymentStatus?.length && !filter.paymentStatus.includes(order.payment.status as never)) return false;
  // both ends taken as inclusive, whichever the server's are: an order on the boundary
  // may cost a question, never a missed change
  const placed = Date.parse(order.createdAt);
  if (filter.createdAfter && placed < Date.parse(filter.createdAfter)) return false;
  if (filter.createdBefore && placed > Date.parse(filter.createdBefore)) return false;
  return true;
}

function key(row: SortKeyed, field: OrderSortField): number {
  switch (field) {
    case "NUMBER":
      return row.number;
    case "TOTAL":
      return Number(row.total);
    case "UPDATED_AT":
      return Date.parse(row.updatedAt);
    case "CREATED_AT":
      return Date.parse(row.createdAt);
  }
}

/** Sorted among the page's rows: between its first and last (ties count as inside), or
 * beyond an end of the list the page reaches. */
export function withinPage(order: SortKeyed, page: ShownPage): boolean {
  const first = page.rows[0];
  const last = page.rows[page.rows.length - 1];
  if (!first || !last) return true; // an empty page: anything that matches appears
  const { field, direction } = page.sort;
  const sign = direction === "DESC" ? -1 : 1; // compare as if ascending
  const value = sign * key(order, field);
  const afterStart = page.atStart || value >= sign * key(first, field);
  const beforeEnd = page.atEnd || value <= sign * key(last, field);
  return afterStart && beforeEnd;
}

/** The order page takes only its own order's events. */
export function isOwnEvent(event: { order: { id: string } } | null | undefined, orderId: string): boolean {
  return event?.order.id === orderId;
}
