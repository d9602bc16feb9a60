import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Provider } from "urql";
import { describe, expect, it, vi } from "vitest";
import { ViewerContext, viewerOf, type Me } from "../lib/viewer";
import { liveClient } from "../test-client";
import OrdersScreen from ".";
import { type EventOrder, isOwnEvent, listMayChange, type ShownPage } from "./liveRule";

const at = (day: number) => new Date(Date.UTC(2026, 10, day, 12)).toISOString();

function order(id: string, day: number, extra: Partial<EventOrder> = {}): EventOrder {
  return {
    id,
    number: 100 + day,
    status: "AWAITING_SHIPMENT",
    isOpen: true,
    createdAt: at(day),
    updatedAt: at(day),
    total: `${day}.00`,
    payment: { status: "PAID" },
    ...extra,
  };
}

// the Open tab, newest first: the second page of three, days 20 down to 18
const rows = [order("o20", 20), order("o19", 19), order("o18", 18)];
const secondPage: ShownPage = {
  ids: new Set(rows.map((r) => r.id)),
  filter: { isOpen: true },
  sort: { field: "CREATED_AT", direction: "DESC" },
  rows,
  atStart: false,
  atEnd: false,
};
const firstPage: ShownPage = { ...secondPage, atStart: true };

describe("which order events make the list ask again", () => {
  it("any event of an order on the page", () => {
    expect(listMayChange(order("o19", 19, { status: "CANCELLED", isOpen: false }), secondPage)).toBe(true);
  });

  it("a new order only on the page it sorts onto", () => {
    const placed = order("new", 25);
    expect(listMayChange(placed, firstPage)).toBe(true);
    expect(listMayChange(placed, secondPage)).toBe(false); // it goes on the first page
    expect(listMayChange(placed, { ...secondPage, sort: { field: "CREATED_AT", direction: "ASC" }, rows: [...rows].reverse(), atEnd: true })).toBe(true);
  });

  it("not an event of an order on another page", () => {
    expect(listMayChange(order("o10", 10), secondPage)).toBe(false);
    expect(listMayChange(order("o22", 22), secondPage)).toBe(false);
  });

  it("a status change that brings an order into the filter, where it sorts among the rows", () => {
    // o19b was completed, so not on the Open tab; reopened, it sorts between o20 and o18
    expect(listMayChange(order("o19b", 19), secondPage)).toBe(true);
    // still completed (the server's isOpen says so): it stays off the Open tab
    expect(listMayChange(order("o19b", 19, { status: "COMPLETED", isOpen: false }), secondPage)).toBe(false);
  });

  it("holds the order to the status, payment and date parts of the filter", () => {
    const page = (filter: ShownPage["filter"]) => ({ ...secondPage, filter });
    expect(listMayChange(order("x", 19), page({ status: ["AWAITING_SHIPMENT"] }))).toBe(true);
    expect(listMayChange(order("x", 19), page({ status: ["PENDING", "SHIPPED"] }))).toBe(false);
    expect(listMayChange(order("x", 19), page({ paymentStatus: ["PAID"] }))).toBe(true);
    expect(listMayChange(order("x", 19), page({ paymentStatus: ["PENDING"] }))).toBe(false);
    expect(listMayChange(order("x", 19), page({ createdAfter: at(19), createdBefore: at(20) }))).toBe(true);
    expect(listMayChange(order("x", 19), page({ createdAfter: "2026-11-19T13:00:00.000Z" }))).toBe(false);
    expect(listMayChange(order("x", 19), page({ createdBefore: "2026-11-19T11:00:00.000Z" }))).toBe(false);
  });

  it("counts a filter it cannot check from the event (search, SKU, country) as matching", () => {
    const page = { ...secondPage, filter: { search: "lovelace", sku: "MUG", shippingCountry: "GB" } };
    expect(listMayChange(order("x", 19), page)).toBe(true);
    expect(listMayChange(order("x", 12), page)).toBe(false); // but not off its page
  });

  it("sorts by the page's own key, ties inside", () => {
    const byTotal: ShownPage = { ...secondPage, sort: { field: "TOTAL", direction: "DESC" } };
    expect(listMayChange(order("x", 1, { total: "18.00" }), byTotal)).toBe(true);
    expect(listMayChange(order("x", 1, { total: "17.99" }), byTotal)).toBe(false);
    const byNumber: ShownPage = { ...secondPage, sort: { field: "NUMBER", direction: "DESC" } };
    expect(listMayChange(order("x", 1, { number: 119 }), byNumber)).toBe(true);
    expect(listMayChange(order("x", 1, { number: 121 }), byNumber)).toBe(false);
    // recently changed first: a change moves any matching order to the top of the first page
    const recent: ShownPage = { ...firstPage, sort: { field: "UPDATED_AT", direction: "DESC" } };
    expect(listMayChange(order("x", 3, { updatedAt: at(26) }), recent)).toBe(true);
    expect(listMayChange(order("x", 3, { updatedAt: at(26) }), { ...recent, atStart: false })).toBe(false);
  });

  it("an empty page, or none yet, takes any matching order", () => {
    expect(listMayChange(order("x", 1), { ...secondPage, rows: [], ids: new Set() })).toBe(true);
    expect(listMayChange(order("x", 1), null)).toBe(true);
  });
});

describe("the order page", () => {
  it("takes only its own order's events", () => {
    expect(isOwnEvent({ order: { id: "o1" } }, "o1")).toBe(true);
    expect(isOwnEvent({ order: { id: "o2" } }, "o1")).toBe(false);
    expect(isOwnEvent(null, "o1")).toBe(false);
  });
});

const admin: Me = {
  id: "1",
  email: "admin@example.com",
  kind: "STAFF",
  role: "ADMIN",
  firstName: "A",
  lastName: "D",
  permissions: ["ORDERS_READ", "ORDERS_WRITE"],
};

function listAnswer() {
  return {
    orders: {
      totalCount: 9,
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: "a", endCursor: "b" },
      edges: rows.map((r) => ({
        node: {
          ...r,
          __typename: "Order",
          email: "a@example.com",
          currency: "USD",
          trackingNumber: null,
          payment: { status: "PAID" },
          shippingAddress: { firstName: "Ada", lastName: "L", city: "London", country: "GB" },
        },
      })),
    },
  };
}

describe("the orders list, live", () => {
  it("asks again for an event of a row it shows, not for one of an order elsewhere", async () => {
    const { client, sent, push } = liveClient(() => listAnswer());
    render(
      <Provider value={client}>
        <MemoryRouter initialEntries={["/orders"]}>
          <ViewerContext.Provider value={viewerOf(admin)}>
            <OrdersScreen />
          </ViewerContext.Provider>
        </MemoryRouter>
      </Provider>,
    );
    expect(await screen.findByRole("link", { name: "120" })).toBeInTheDocument();
    // what a live event sends: the list's query again, past the cache
    const asked = () => sent.filter((op) => op.kind === "query" && op.context.requestPolicy === "network-only").length;
    const event = (o: EventOrder) => ({ orderEvents: { __typename: "OrderEvent", id: `e${Math.random()}`, type: "NOTE", order: { __typename: "Order", ...o } } });
    push(event(order("o3", 3))); // a note on an older order, on a later page
    await new Promise((resolve) => setTimeout(resolve, 700)); // past the throttle
    expect(asked()).toBe(0);
    push(event(order("o19", 19, { status: "SHIPPED", isOpen: false })));
    await vi.waitFor(() => expect(asked()).toBe(1), { timeout: 10_000 });
    push(event(order("new", 30))); // a new order, newest first on the first page
    await vi.waitFor(() => expect(asked()).toBe(2), { timeout: 10_000 });
  }, 30_000);
});
