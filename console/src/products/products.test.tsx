import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { FULFILLMENT, renderScreen, SUPPORT } from "../test-render";
import ProductsScreen from "./index";
import { productChanges, stockDelta } from "./productForms";
import { patient } from "../test-wait";

const tee = { id: "UHJvZHVjdDox", sku: "TEE", name: "Tee", price: "10.00", currency: "USD", stock: 7, active: true };
const list = () => ({
  products: { totalCount: 1, pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: "a", endCursor: "a" }, edges: [{ node: tee }] },
});

describe("the product forms", () => {
  it("send only what changed, and nothing when nothing did", () => {
    expect(productChanges(tee, { name: "Tee", price: "10.00", active: true })).toBeNull();
    expect(productChanges(tee, { name: " Blue tee ", price: "10.00", active: true })).toEqual({ name: "Blue tee" });
    expect(productChanges(tee, { name: "Tee", price: "12.50", active: false })).toEqual({ price: "12.50", active: false });
  });

  it("read a stock change as a signed whole number other than zero", () => {
    expect(stockDelta("5")).toBe(5);
    expect(stockDelta("+5")).toBe(5);
    expect(stockDelta("-3")).toBe(-3);
    for (const wrong of ["", "0", "1.5", "three", "- 3", "99999999999"]) expect(stockDelta(wrong)).toBeNull();
  });
});

describe("the products screen", { timeout: 30_000 }, () => {
  it("lets staff who edit orders change a product, sending only the change", async () => {
    const update = vi.fn(() => ({ updateProduct: { product: { ...tee, price: "12.50" }, errors: [] } }));
    const { named } = renderScreen(SUPPORT, <ProductsScreen />, { ProductsList: list, UpdateProduct: update });
    await userEvent.click(await screen.findByRole("button", { name: "Edit TEE" }));
    const dialog = screen.getByRole("dialog", { name: "Edit TEE" });
    const price = within(dialog).getByLabelText(/^Price/);
    await userEvent.clear(price);
    await userEvent.type(price, "12.50");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await vi.waitFor(() => expect(named("UpdateProduct")).toHaveLength(1), patient);
    expect(named("UpdateProduct")[0]?.variables).toEqual({ id: tee.id, input: { price: "12.50" } });
  });

  it("adjusts stock by a signed number with a reason", async () => {
    const adjust = vi.fn(() => ({ adjustStock: { product: { id: tee.id, stock: 4 }, errors: [] } }));
    const { named } = renderScreen(SUPPORT, <ProductsScreen />, { ProductsList: list, AdjustStock: adjust });
    await userEvent.click(await screen.findByRole("button", { name: "Adjust stock of TEE" }));
    const dialog = screen.getByRole("dialog", { name: "Adjust stock of TEE" });
    await userEvent.type(within(dialog).getByLabelText(/^Change/), "-3");
    expect(dialog).toHaveTextContent("After: 4.");
    await userEvent.type(within(dialog).getByLabelText(/^Reason/), "damaged in the shop");
    await userEvent.click(within(dialog).getByRole("button", { name: "Adjust stock" }));
    await vi.waitFor(() => expect(named("AdjustStock")).toHaveLength(1), patient);
    expect(named("AdjustStock")[0]?.variables).toEqual({ sku: "TEE", delta: -3, reason: "damaged in the shop" });
    expect(await screen.findByText("TEE has 4 in stock.")).toBeInTheDocument();
  });

  it("offers a fulfilment user nothing to change", async () => {
    renderScreen(FULFILLMENT, <ProductsScreen />, { ProductsList: list });
    await screen.findByRole("table", { name: "Products" });
    expect(screen.getByRole("row", { name: /TEE/ })).toHaveTextContent("Tee");
    expect(screen.queryByRole("button", { name: "New product" })).toBeNull();
    expect(screen.queryByRole("button", { name: /Edit|Adjust stock/ })).toBeNull();
  });
});
