import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Provider } from "urql";
import { describe, expect, it, vi } from "vitest";
import { fakeClient } from "../test-client";
import { changesOf } from "./EditOrderDialog";
import { orderFilter, readParams } from "./listParams";
import type { OrderView } from "./orderQuery";
import { refundable } from "./orderQuery";
import { ShipItemsDialog } from "./ShipItemsDialog";
import { statusWarning } from "./statusWarnings";
import { patient } from "../test-wait";

const order = {
  id: "T3JkZXI6MQ==",
  number: 104,
  version: 3,
  status: "AWAITING_SHIPMENT",
  trackingNumber: "1Z999AA10123456784",
  shippingCost: "5.00",
  currency: "USD",
  payment: { amountPaid: "50.00", amountRefunded: "12.50" },
  items: [
    { id: "i1", sku: "TEE-M", name: "Tee", quantity: 3, unitPrice: "10.00", quantityShipped: 1 },
    { id: "i2", sku: "MUG", name: "Mug", quantity: 1, unitPrice: "12.50", quantityShipped: 1 },
  ],
} as unknown as OrderView;

describe("the list's address", () => {
  it("reads tabs, filters and sort, with defaults for anything unknown", () => {
    const params = readParams(new URLSearchParams("tab=completed&q=lovelace&status=SHIPPED&sort=TOTAL:ASC&size=100"));
    expect(params).toMatchObject({ tab: "completed", q: "lovelace", status: "SHIPPED", sort: "TOTAL:ASC", size: 100 });
    expect(readParams(new URLSearchParams("tab=nope&sort=DROP&size=7"))).toMatchObject({ tab: "open", sort: "CREATED_AT:DESC", size: 50 });
  });

  it("asks for open or completed orders as the help page splits them", () => {
    expect(orderFilter(readParams(new URLSearchParams("")))).toEqual({ isOpen: true });
    expect(orderFilter(readParams(new URLSearchParams("tab=completed")))).toEqual({ isOpen: false });
    expect(orderFilter(readParams(new URLSearchParams("tab=all&q=1Z99")))).toEqual({ search: "1Z99" });
    expect(orderFilter(readParams(new URLSearchParams("tab=all&payment=PAID&sku=MUG&country=gb")))).toEqual({
      paymentStatus: ["PAID"],
      sku: "MUG",
      shippingCountry: "GB",
    });
  });

  it("turns a date range into the whole of both days in the browser's zone", () => {
    const filter = orderFilter(readParams(new URLSearchParams("tab=all&from=2026-11-26&to=2026-11-27")));
    expect(filter.createdAfter).toBe(new Date(2026, 10, 26).toISOString());
    expect(filter.createdBefore).toBe(new Date(2026, 10, 28).toISOString());
  });
});

describe("status warnings", () => {
  it("say stock moves when an order is cancelled, and that paid money is not refunded", () => {
    const warning = statusWarning("CANCELLED", { status: "AWAITING_SHIPMENT", paidNotRefunded: 37.5, currencyAmount: "$37.50" });
    expect(warning).toContain("go back to stock");
    expect(warning).toContain("$37.50");
  });

  it("say stock is taken again when a cancelled order is reopened", () => {
    expect(statusWarning("AWAITING_SHIPMENT", { status: "CANCELLED", paidNotRefunded: 0 })).toContain("from stock again");
  });

  it("stay quiet for a change that moves neither stock nor money", () => {
    expect(statusWarning("AWAITING_SHIPMENT", { status: "AWAITING_FULFILLMENT", paidNotRefunded: 20 })).toBeNull();
  });
});

describe("editing an order", () => {
  it("sends only the lines that changed", () => {
    const lines = {
      i1: { quantity: "4", unitPrice: "10.00", remove: false },
      i2: { quantity: "1", unitPrice: "12.50", remove: true },
    };
    expect(changesOf(order, lines)).toEqual({ change: [{ orderItemId: "i1", quantity: 4, unitPrice: null }], remove: ["i2"] });
  });

  it("offers to refund what was paid and not refunded", () => {
    expect(refundable(order)).toBe(37.5);
  });
});

describe("the Ship items dialog", () => {
  it("names each quantity by its SKU, fills in the order's tracking number and ships what is given", async () => {
    const { client, sent } = fakeClient(() => ({
      shipOrder: { shipment: { id: "s", trackingNumber: "x" }, order: { id: "o", status: "SHIPPED" }, errors: [] },
    }));
    const onClose = vi.fn();
    render(
      <Provider value={client}>
        <ShipItemsDialog order={order} onClose={onClose} />
      </Provider>,
    );
    const dialog = screen.getByRole("dialog", { name: "Ship items" });
    expect(within(dialog).queryByLabelText("MUG")).toBeNull(); // fully shipped already
    const tee = within(dialog).getByLabelText("TEE-M");
    expect(tee).toHaveValue(2);
    expect(within(dialog).getByLabelText(/^Tracking number/)).toHaveValue("1Z999AA10123456784");
    await userEvent.clear(tee);
    await userEvent.type(tee, "1");
    await userEvent.click(within(dialog).getByRole("button", { name: "Ship" }));
    await vi.waitFor(() => expect(onClose).toHaveBeenCalledWith(true), patient);
    expect(sent).toHaveLength(1);
    expect((sent[0]?.variables as { input: unknown }).input).toEqual({ items: [{ orderItemId: "i1", quantity: 1 }], comments: "", trackingNumber: "1Z999AA10123456784" });
    expect(onClose).toHaveBeenCalledWith(true);
  });
});
