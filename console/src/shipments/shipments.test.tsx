import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ADMIN, renderScreen, SUPPORT } from "../test-render";
import ShipmentsScreen from "./index";
import { carrierLine, countryName, itemsLine, placeLine } from "./shipmentText";
import { patient } from "../test-wait";

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
  items: [
    { sku: "TEE", name: "Tee", quantity: 2 },
    { sku: "MUG", name: "Mug", quantity: 1 },
  ],
  order: { id: "T3JkZXI6MQ==", number: 104 },
};
const page = {
  shipments: {
    totalCount: 1,
    pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: "a", endCursor: "a" },
    edges: [{ node: shipment }],
  },
};

describe("a shipment's line", () => {
  it("names the carrier as people say it, the place by country name, the items by SKU", () => {
    expect(carrierLine({ carrier: "ups", carrierName: "UPS" })).toBe("UPS");
    expect(carrierLine({ carrier: "Parcelforce", carrierName: null })).toBe("Parcelforce");
    expect(carrierLine({ carrier: null, carrierName: null })).toBe("—");
    expect(countryName("gb")).toBe("United Kingdom");
    expect(placeLine({ city: "London", state: "", country: "GB" })).toBe("London, United Kingdom");
    expect(itemsLine(shipment.items)).toBe("2 × TEE, 1 × MUG");
  });
});

describe("the shipments list", { timeout: 30_000 }, () => {
  it("shows when, which order, to whom, where, the tracking link and the items", async () => {
    renderScreen(ADMIN, <ShipmentsScreen />, { ShipmentsList: () => page });
    const table = await screen.findByRole("table", { name: "Shipments" });
    const row = within(table).getAllByRole("row")[1] as HTMLElement;
    expect(within(row).getByRole("link", { name: "104" })).toHaveAttribute("href", "/orders/104");
    expect(row).toHaveTextContent("Ada Lovelace");
    expect(row).toHaveTextContent("London, United Kingdom");
    expect(within(row).getByRole("link", { name: "1Z999AA10123456784" })).toHaveAttribute("href", shipment.trackingUrl);
    expect(row).toHaveTextContent("2 × TEE, 1 × MUG");
    expect(row).toHaveTextContent("UPS"); // the API's name for the carrier, not its code
    expect(row).not.toHaveTextContent(/\bups\b/);
  });

  it("deletes after a confirmation that says the order is not changed", async () => {
    const deleted = vi.fn(() => ({ deleteShipment: { deletedShipmentId: shipment.id, order: { id: "o", number: 104, status: "SHIPPED", trackingNumber: "x" }, errors: [] } }));
    const { named } = renderScreen(ADMIN, <ShipmentsScreen />, { ShipmentsList: () => page, DeleteShipment: deleted });
    await userEvent.click(await screen.findByRole("button", { name: "Delete shipment 1Z999AA10123456784" }));
    const dialog = screen.getByRole("dialog", { name: "Delete shipment" });
    expect(dialog).toHaveTextContent("The order is not changed: order 104 keeps its status, tracking number and notes.");
    expect(named("DeleteShipment")).toHaveLength(0);
    await userEvent.click(within(dialog).getByRole("button", { name: "Delete shipment" }));
    await vi.waitFor(() => expect(named("DeleteShipment")).toHaveLength(1), patient);
    expect(named("DeleteShipment")[0]?.variables).toEqual({ id: shipment.id });
    expect(await screen.findByText("Deleted shipment 1Z999AA10123456784. Order 104 is unchanged.")).toBeInTheDocument();
  });

  it("offers no delete to staff who may not ship", async () => {
    renderScreen(SUPPORT, <ShipmentsScreen />, { ShipmentsList: () => page });
    await screen.findByRole("table", { name: "Shipments" });
    expect(screen.queryByRole("button", { name: /^Delete/ })).toBeNull();
  });
});
