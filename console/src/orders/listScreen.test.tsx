import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { ADMIN, renderScreen } from "../test-render";
import OrdersScreen from "./index";
import { defaultPageSize, listSearch, readParams } from "./listParams";
import { eventMessage, eventTitle, visibilityLabel } from "./timelineText";

const row = (number: number) => ({
  id: `o${number}`,
  number,
  status: "AWAITING_SHIPMENT",
  createdAt: "2026-11-26T14:05:09+00:00",
  updatedAt: "2026-11-26T14:05:09+00:00",
  email: `b${number}@example.com`,
  total: "20.00",
  currency: "USD",
  trackingNumber: null,
  payment: { status: "PAID" },
  shippingAddress: { firstName: "Ada", lastName: "Lovelace", city: "London", country: "GB" },
});
const page = {
  orders: {
    totalCount: 2,
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: "a", endCursor: "b" },
    edges: [{ node: row(101) }, { node: row(102) }],
  },
};

describe("the list's address, changed", () => {
  it("keeps the filters, goes back to the first page, and leaves defaults out", () => {
    const params = readParams(new URLSearchParams("tab=all&q=ada&status=SHIPPED&after=xyz"));
    expect(listSearch(params, { tab: "completed" }).toString()).toBe("tab=completed&q=ada&status=SHIPPED&sort=CREATED_AT%3ADESC&size=50");
    expect(listSearch(params, { after: "next" }, true).get("after")).toBe("next");
    expect(listSearch(params, { q: "" }).has("q")).toBe(false);
  });

  it("has 25 rows a page on a phone and 50 at a desk unless the address says", () => {
    expect(readParams(new URLSearchParams(""), defaultPageSize(true)).size).toBe(25);
    expect(readParams(new URLSearchParams(""), defaultPageSize(false)).size).toBe(50);
    expect(readParams(new URLSearchParams("size=100"), defaultPageSize(true)).size).toBe(100);
  });
});

describe("the orders screen", () => {
  it("has Open, Completed and All as links to addresses, the current one marked", async () => {
    renderScreen(ADMIN, <OrdersScreen />, { OrdersList: () => page }, { path: "/orders?tab=completed&q=ada" });
    const tabs = screen.getByRole("navigation", { name: "Which orders" });
    const links = within(tabs).getAllByRole("link");
    expect(links.map((link) => link.textContent)).toEqual(["Open", "Completed", "All"]);
    expect(within(tabs).getByRole("link", { name: "Completed" })).toHaveAttribute("aria-current", "page");
    expect(within(tabs).getByRole("link", { name: "Open" })).not.toHaveAttribute("aria-current");
    expect(within(tabs).getByRole("link", { name: "All" }).getAttribute("href")).toContain("tab=all&q=ada");
  });

  it("selects with native checkboxes, every row at once from the header", async () => {
    renderScreen(ADMIN, <OrdersScreen />, { OrdersList: () => page }, { path: "/orders" });
    const table = await screen.findByRole("table", { name: "Orders" });
    await within(table).findByRole("link", { name: "101" });
    const one = within(table).getByRole("checkbox", { name: "Select order 101" });
    expect(one.tagName).toBe("INPUT");
    await userEvent.click(one);
    const every = within(table).getByRole("checkbox", { name: "Select every order on this page" }) as HTMLInputElement;
    expect(every.indeterminate).toBe(true);
    expect(screen.getByText("1 selected")).toBeInTheDocument();
    await userEvent.click(every);
    expect(every).toBeChecked();
    expect(screen.getByText("2 selected")).toBeInTheDocument();
  });

  it("keeps the filters behind a Filters button that says whether they are shown", async () => {
    renderScreen(ADMIN, <OrdersScreen />, { OrdersList: () => page }, { path: "/orders?status=SHIPPED" });
    expect(screen.getByRole("searchbox", { name: "Search orders" })).toBeInTheDocument();
    const toggle = screen.getByRole("button", { name: "Filters (1)" });
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await userEvent.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(screen.getByRole("combobox", { name: "Status" })).toHaveValue("SHIPPED");
  });
});

describe("a timeline entry", () => {
  it("reads in words: its kind, the statuses it names, who can see it", () => {
    expect(eventTitle("STATUS_CHANGED")).toBe("Status changed");
    expect(eventTitle("SOMETHING_NEW")).toBe("Something new");
    expect(eventMessage("Payment paid in full: status changed from AWAITING_PAYMENT to AWAITING_FULFILLMENT.")).toBe(
      "Payment paid in full: status changed from Awaiting payment to Awaiting fulfillment.",
    );
    expect(eventMessage("Return 4 is now RECEIVED (was AUTHORIZED).")).toBe("Return 4 is now Received (was Authorized).");
    // a tracking number or a SKU is not a status name
    expect(eventMessage("2 item(s) shipped, tracking number 1Z999AA10123456784.")).toBe("2 item(s) shipped, tracking number 1Z999AA10123456784.");
    expect(eventMessage("Order edited: TEE-M 2 -> 3.")).toBe("Order edited: TEE-M 2 -> 3.");
    expect(visibilityLabel("STAFF")).toBe("Staff only");
    expect(visibilityLabel("PUBLIC")).toBe("Public");
  });
});
