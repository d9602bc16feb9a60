// The tables that become cards on a phone (styles.css, .cards-table): the order page's items
// and transactions, the Ship items, Refund and Edit order dialogs, a return's items; the lists
// of shipments, returns and products, an import's rows; the settings' shipping methods, webhooks
// and their deliveries, API tokens and staff. A phone
// shows each cell's column header from its data-label, and a screen reader announces the
// header itself, which only the explicit ARIA roles keep once CSS makes rows flex boxes.
// So: every element carries its role, and every cell is labelled by its own column's header
// (or holds a field named by its own label, or is a row's actions: buttons that say what they do).
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { Provider } from "urql";
import { describe, expect, it, vi } from "vitest";
import { ADMIN, renderScreen } from "../test-render";
import { fakeClient } from "../test-client";
import ProductsScreen from "../products/index";
import ReturnsArea from "../returns/index";
import ImportsArea from "../imports/index";
import { ApiTokens } from "../settings/ApiTokens";
import { ShippingMethods } from "../settings/ShippingMethods";
import { Staff } from "../settings/Staff";
import { Webhooks } from "../settings/Webhooks";
import ShipmentsScreen from "../shipments/index";
import { EditOrderDialog } from "./EditOrderDialog";
import type { OrderView } from "./orderQuery";
import { Items, Payment } from "./OrderSections";
import { RefundDialog } from "./RefundDialog";
import { ShipItemsDialog } from "./ShipItemsDialog";

const item = (id: string, sku: string, name: string, quantity: number, unitPrice: string, shipped: number) => ({
  id,
  sku,
  name,
  quantity,
  unitPrice,
  total: (quantity * Number(unitPrice)).toFixed(2),
  quantityShipped: shipped,
  quantityReturned: 0,
  quantityRestocked: 0,
});

const order = {
  id: "T3JkZXI6MQ==",
  number: 104,
  version: 3,
  status: "PARTIALLY_SHIPPED",
  currency: "USD",
  subtotal: "42.50",
  shippingCost: "5.00",
  taxTotal: "0.00",
  total: "47.50",
  trackingNumber: "1Z999AA10123456784",
  payment: {
    method: "card",
    provider: "stripe",
    status: "PAID",
    currency: "USD",
    amountAuthorized: "0.00",
    amountPaid: "47.50",
    amountRefunded: "0.00",
    balanceDue: "0.00",
    refundDue: "0.00",
    transactions: [
      { id: "t1", kind: "CAPTURE", amount: "47.50", currency: "USD", provider: "stripe", reference: "ch_1", createdAt: "2026-11-26T14:05:09+00:00", actor: "system" },
    ],
  },
  items: [item("i1", "TEE-M", "Tee", 3, "10.00", 1), item("i2", "MUG", "Mug", 1, "12.50", 0)],
  refunds: [],
} as unknown as OrderView;

/** The table's column headers, then for each body row what labels each cell. */
function cardLabels(table: HTMLElement) {
  expect(table).toHaveAttribute("role", "table");
  expect(table).toHaveClass("cards-table");
  for (const group of table.querySelectorAll(":scope > thead, :scope > tbody, :scope > tfoot")) expect(group).toHaveAttribute("role", "rowgroup");
  for (const row of table.querySelectorAll("tr")) expect(row).toHaveAttribute("role", "row");
  const headers = [...table.querySelectorAll("thead th")].map((th) => {
    expect(th).toHaveAttribute("role", "columnheader");
    return th.textContent?.trim();
  });
  const rows = [...table.querySelectorAll("tbody > tr")].map((row) =>
    [...row.children].map((cell, column) => {
      if (cell.tagName === "TH") {
        expect(cell).toHaveAttribute("role", "rowheader");
        // a bare number is no title: such a row header says its column too
        const label = cell.getAttribute("data-label");
        if (label !== null) expect(label).toBe(headers[column]);
        return label === null ? "(row header)" : `(row header) ${label}`;
      }
      expect(cell).toHaveAttribute("role", "cell");
      const label = cell.getAttribute("data-label");
      if (label !== null) {
        expect(label).toBe(headers[column]); // labelled by its own column's header
        return label;
      }
      if (cell.classList.contains("card-actions")) {
        // a row's buttons, unlabelled on its card: each says what it does (its own name,
        // whose start is its text; most name their row too, checked by the tests below)
        expect(headers[column]).toBe("Actions");
        const controls = [...cell.querySelectorAll("button, a")];
        expect(controls.length).toBeGreaterThan(0);
        for (const control of controls) {
          const text = control.textContent?.trim() ?? "";
          expect(text).toBeTruthy();
          expect((control.getAttribute("aria-label") ?? text).startsWith(text)).toBe(true);
        }
        return "(actions)";
      }
      // a React Aria select: its button is named by the visible label beside it
      const picker = cell.querySelector("button[aria-haspopup=listbox]");
      if (picker) {
        const named = (picker.getAttribute("aria-labelledby") ?? "").split(" ").map((id) => cell.querySelector(`[id="${id}"]`));
        const label = named.find((e) => e?.tagName === "LABEL" || e?.classList.contains("react-aria-Label"));
        expect(label?.textContent, `a cell of column "${headers[column]}" has no data-label`).toBeTruthy();
        return `field ${label?.textContent}`;
      }
      // unlabelled only when a field inside names itself with its own visible label
      const field = cell.querySelector<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>("input, textarea, select");
      expect(field, `a cell of column "${headers[column]}" has no data-label`).not.toBeNull();
      expect(field?.labels?.[0]?.textContent).toBeTruthy();
      return `field ${field?.labels?.[0]?.textContent}`;
    }),
  );
  return { headers, rows };
}

describe("on a phone, tables become cards whose cells say their column", () => {
  it("the order page's items: SKU as the card's title, every other cell labelled", () => {
    render(<Items order={order} />);
    const { headers, rows } = cardLabels(screen.getByRole("table", { name: "Items" }));
    expect(headers).toEqual(["SKU", "Item", "Price", "Ordered", "Shipped", "Returned", "Restocked", "Total"]);
    expect(rows).toEqual([
      ["(row header)", ...headers.slice(1)],
      ["(row header)", ...headers.slice(1)],
    ]);
    const tee = screen.getByRole("row", { name: /TEE-M/ });
    expect(within(tee).getByRole("rowheader")).toHaveTextContent("TEE-M");
    expect(within(tee).getAllByRole("cell").map((c) => c.textContent)).toEqual(["Tee", "$10.00", "3", "1", "0", "0", "$30.00"]);
    // the totals below the lines stay rows of a header and an amount
    const total = screen.getByRole("rowheader", { name: "Total" }).closest("tr") as HTMLElement;
    expect(total).toHaveAttribute("role", "row");
    expect(within(total).getByRole("cell")).toHaveTextContent("$47.50");
  });

  it("the payment's transactions", () => {
    render(<Payment order={order} />);
    const { headers, rows } = cardLabels(screen.getByRole("table", { name: "Transactions" }));
    expect(rows).toEqual([headers]);
  });

  it("no transactions: one line across the card", () => {
    render(<Payment order={{ ...order, payment: { ...order.payment, transactions: [] } }} />);
    const table = screen.getByRole("table", { name: "Transactions" });
    expect(within(table).getByRole("cell")).toHaveTextContent("No transactions yet.");
  });

  it("the Ship items, Refund and Edit order dialogs: the fields keep their own names", () => {
    const { client } = fakeClient(() => undefined);
    const onClose = vi.fn();
    const { unmount } = render(
      <Provider value={client}>
        <ShipItemsDialog order={order} onClose={onClose} />
      </Provider>,
    );
    const ship = within(screen.getByRole("dialog", { name: "Ship items" })).getByRole("table");
    expect(cardLabels(ship).rows).toEqual([
      ["Item", "Not shipped", "field TEE-M"],
      ["Item", "Not shipped", "field MUG"],
    ]);
    unmount();

    const refund = render(
      <Provider value={client}>
        <RefundDialog order={order} onClose={onClose} />
      </Provider>,
    );
    const refundTable = within(screen.getByRole("dialog", { name: "Refund" })).getByRole("table");
    expect(cardLabels(refundTable).rows[0]).toEqual(["Item", "Ordered", "Shipped", "field Refund quantity of TEE-M"]);
    refund.unmount();

    render(
      <Provider value={client}>
        <EditOrderDialog order={order} onClose={onClose} reload={vi.fn()} />
      </Provider>,
    );
    const lines = within(screen.getByRole("dialog", { name: "Edit order" })).getByRole("table", { name: "Lines" });
    // "Remove" is a checkbox named "Remove TEE-M" with no visible label: its cell says "Remove"
    expect(cardLabels(lines).rows[0]).toEqual(["Item", "field Quantity of TEE-M", "field Unit price of TEE-M", "Remove"]);
    expect(within(lines).getByRole("checkbox", { name: "Remove TEE-M" })).toBeInTheDocument();
  });

  it("a return's items", async () => {
    renderScreen(
      ADMIN,
      <ReturnsArea />,
      {
        ReturnDetail: () => ({
          returnRequest: {
            id: "UmV0dXJuOjE=",
            status: "REQUESTED",
            nextStatuses: [],
            createdAt: "2026-11-26T14:05:09+00:00",
            updatedAt: "2026-11-26T14:05:09+00:00",
            customerComment: "Too small",
            staffNotes: "",
            restocked: false,
            items: [{ quantity: 1, reason: "Size", action: "REFUND", orderItem: { ...order.items[0], currency: "USD" } }],
            refund: null,
            order: { id: order.id, number: 104, email: "ada@example.com", currency: "USD", payment: { status: "PAID", amountPaid: "47.50", amountRefunded: "0.00" } },
          },
        }),
      },
      { path: "/returns/UmV0dXJuOjE=", route: "returns/*" },
    );
    const { headers, rows } = cardLabels(await screen.findByRole("table", { name: "Returned items" }));
    expect(rows).toEqual([["(row header)", ...headers.slice(1)]]);
  });

  describe("the lists and the settings: each row a card, its buttons named for it", () => {
    const pageInfo = { hasNextPage: false, hasPreviousPage: false, startCursor: "a", endCursor: "a" };

    it("shipments: the order number as the card's title, labelled", async () => {
      const shipment = {
        id: "U2hpcG1lbnQ6Nw==",
        createdAt: "2026-11-26T14:05:09+00:00",
        createdBy: "packer@example.com",
        trackingNumber: "1Z999AA10123456784",
        carrier: "ups",
        carrierName: "UPS",
        trackingUrl: "https://www.ups.com/track?tracknum=1Z999AA10123456784",
        shippingMethod: "standard",
        shippedTo: { firstName: "Ada", lastName: "Lovelace", company: "", city: "London", state: "", country: "GB" },
        items: [{ sku: "TEE-M", name: "Tee", quantity: 1 }],
        order: { id: order.id, number: 104 },
      };
      renderScreen(ADMIN, <ShipmentsScreen />, { ShipmentsList: () => ({ shipments: { totalCount: 1, pageInfo, edges: [{ node: shipment }] } }) });
      const table = await screen.findByRole("table", { name: "Shipments" });
      await within(table).findByRole("rowheader");
      const { headers, rows } = cardLabels(table);
      expect(headers).toEqual(["Shipped", "Order", "To", "Where", "Carrier and tracking", "Items", "Actions"]);
      expect(rows).toEqual([["Shipped", "(row header) Order", "To", "Where", "Carrier and tracking", "Items", "(actions)"]]);
      expect(within(table).getByRole("button", { name: "Delete shipment 1Z999AA10123456784" })).toBeInTheDocument();
    });

    it("returns: the link to a return as the card's title, its status at the top", async () => {
      const request = {
        id: "UmV0dXJuOjE=",
        status: "REQUESTED",
        createdAt: "2026-11-26T14:05:09+00:00",
        customerComment: "Too small",
        items: [{ quantity: 1, orderItem: { sku: "TEE-M" } }],
        order: { id: order.id, number: 104, email: "ada@example.com" },
      };
      renderScreen(ADMIN, <ReturnsArea />, { ReturnsList: () => ({ returns: { totalCount: 1, pageInfo, edges: [{ node: request }] } }) }, { path: "/returns", route: "returns/*" });
      const table = await screen.findByRole("table", { name: "Returns" });
      await within(table).findByRole("rowheader");
      const { headers, rows } = cardLabels(table);
      expect(rows).toEqual([["(row header)", ...headers.slice(1)]]);
      expect(within(table).getByRole("link", { name: "Open the return for order 104, Requested" })).toBeInTheDocument();
      expect(within(table).getByRole("cell", { name: "Requested" })).toHaveClass("card-end");
    });

    it("products: the SKU as the card's title, the price at its top right", async () => {
      const tee = { id: "UHJvZHVjdDox", sku: "TEE-M", name: "Tee", price: "10.00", currency: "USD", stock: 7, active: true };
      renderScreen(ADMIN, <ProductsScreen />, { ProductsList: () => ({ products: { totalCount: 1, pageInfo, edges: [{ node: tee }] } }) });
      const table = await screen.findByRole("table", { name: "Products" });
      await within(table).findByRole("rowheader");
      const { headers, rows } = cardLabels(table);
      expect(headers).toEqual(["SKU", "Name", "Price", "Stock", "Sold", "Actions"]);
      expect(rows).toEqual([["(row header)", "Name", "Price", "Stock", "Sold", "(actions)"]]);
      const row = within(table).getByRole("row", { name: /TEE-M/ });
      expect(within(row).getByRole("cell", { name: "$10.00" })).toHaveClass("card-end");
      expect(within(row).getByRole("button", { name: "Adjust stock of TEE-M" })).toBeInTheDocument();
    });

    it("the settings' shipping methods, API tokens and staff", async () => {
      const express = { id: "U2hpcDox", code: "EXPRESS", name: "Express", price: "18.50", currency: "USD", freeOver: "150.00", countries: ["GB", "IE"], active: true };
      const methods = renderScreen(ADMIN, <ShippingMethods />, { ShippingMethodsSettings: () => ({ shippingMethods: [express] }) });
      let table = await screen.findByRole("table", { name: "Shipping methods" });
      await within(table).findByRole("rowheader");
      expect(cardLabels(table).rows).toEqual([["(row header)", "Name", "Price", "Free over", "Countries", "Offered", "(actions)"]]);
      expect(within(table).getByRole("button", { name: "Edit EXPRESS" })).toBeInTheDocument();
      methods.unmount();

      const token = {
        id: "VG9rZW46MQ==",
        name: "Carrier",
        permissions: ["ORDERS_READ", "SHIPMENTS_WRITE"],
        issuedBy: "admin@example.com",
        createdAt: "2026-11-26T14:05:09+00:00",
        expiresAt: null,
        lastUsedAt: null,
      };
      const tokens = renderScreen(ADMIN, <ApiTokens />, { ApiTokensSettings: () => ({ apiTokens: { pageInfo, edges: [{ node: token }] } }) });
      table = await screen.findByRole("table", { name: "API tokens" });
      await within(table).findByRole("rowheader");
      expect(cardLabels(table).rows).toEqual([["(row header)", "Permissions", "Issued", "Last used", "Expires", "(actions)"]]);
      expect(within(table).getByRole("button", { name: "Revoke Carrier" })).toBeInTheDocument();
      tokens.unmount();

      const member = { id: "VXNlcjoy", email: "grace@example.com", role: "FULFILLMENT", firstName: "Grace", lastName: "Hopper", active: true, createdAt: "2026-11-26T14:05:09+00:00" };
      renderScreen(ADMIN, <Staff />, { StaffSettings: () => ({ staffUsers: { totalCount: 1, pageInfo, edges: [{ node: member }] } }) });
      table = await screen.findByRole("table", { name: "Staff" });
      await within(table).findByRole("rowheader");
      // the role is a select named by its own visible label
      expect(cardLabels(table).rows).toEqual([["(row header)", "Name", "field Role of grace@example.com", "Signs in", "Added", "(actions)"]]);
      expect(within(table).getByRole("button", { name: "Deactivate grace@example.com" })).toBeInTheDocument();
    });

    it("the settings' webhooks and a webhook's deliveries", async () => {
      const url = "https://hooks.example.com/bitcart";
      const hook = { id: "V2ViaG9vazox", url, events: ["order.created", "shipment.created"], active: true, description: "", createdAt: "2026-11-26T14:05:09+00:00", consecutiveFailures: 0, failingSince: null, disabledAt: null, disabledReason: null };
      const delivery = { id: "RGVsaXZlcnk6MQ==", event: "order.created", status: "FAILED", attempts: 3, responseStatus: null, lastError: "connection refused", createdAt: "2026-11-26T14:05:09+00:00", deliveredAt: null, nextAttemptAt: null };
      renderScreen(ADMIN, <Webhooks />, {
        WebhooksSettings: () => ({ webhookEvents: hook.events, webhooks: { edges: [{ node: hook }] } }),
        WebhookDeliveries: () => ({ webhookDeliveries: { pageInfo, edges: [{ node: delivery }] } }),
      });
      const table = await screen.findByRole("table", { name: "Webhooks" });
      await within(table).findByRole("rowheader");
      expect(cardLabels(table).rows).toEqual([["(row header)", "Events", "State", "(actions)"]]);
      await userEvent.click(within(table).getByRole("button", { name: `Deliveries of ${url}` }));
      const deliveries = await within(screen.getByRole("dialog", { name: `Deliveries to ${url}` })).findByRole("table", { name: "Deliveries" });
      await within(deliveries).findByRole("rowheader");
      expect(cardLabels(deliveries).rows).toEqual([["(row header)", "Made", "Status", "Answer", "(actions)"]]);
      expect(within(deliveries).getByRole("button", { name: /^Redeliver order\.created of / })).toBeInTheDocument();
    });

    it("an import's rows: the line number as the card's title, labelled", async () => {
      const report = {
        id: "VHJhY2tpbmdJbXBvcnQ6MQ==",
        filename: "carrier.csv",
        status: "SUCCEEDED",
        createdAt: "2026-11-26T14:05:09+00:00",
        finishedAt: "2026-11-26T14:05:10+00:00",
        totalRows: 1,
        processedRows: 1,
        updated: 0,
        shipped: 0,
        unchanged: 0,
        skipped: 0,
        failed: 1,
        error: null,
        resultUrl: null,
        rows: {
          totalCount: 1,
          pageInfo,
          edges: [{ node: { line: 2, orderNumber: "999999", trackingNumber: "JJD0001234567890", carrier: "dhl", outcome: "FAILED", code: "NOT_FOUND", message: "No order 999999." } }],
        },
      };
      renderScreen(ADMIN, <ImportsArea />, { ImportReport: () => ({ trackingImport: report }) }, { path: "/imports/VHJhY2tpbmdJbXBvcnQ6MQ==", route: "imports/*" });
      const table = await screen.findByRole("table", { name: "Import rows" });
      const { headers, rows } = cardLabels(table);
      expect(headers).toEqual(["Line", "Order", "Tracking number", "Outcome", "Message"]);
      expect(rows).toEqual([["(row header) Line", "Order", "Tracking number", "Outcome", "Message"]]);
    });
  });
});
