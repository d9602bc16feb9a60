import { screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ReturnStatus } from "../gql/graphql";
import { ADMIN, renderScreen, SUPPORT } from "../test-render";
import ReturnsArea from "./index";
import { returnedValue } from "./returnMoves";
import { patient } from "../test-wait";

function detail(status: ReturnStatus, nextStatuses: ReturnStatus[], restocked = false) {
  return {
    returnRequest: {
      id: "UmV0dXJuOjE=",
      status,
      nextStatuses,
      createdAt: "2026-11-26T14:05:09+00:00",
      updatedAt: "2026-11-26T14:05:09+00:00",
      customerComment: "Too small",
      staffNotes: "",
      restocked,
      items: [
        {
          quantity: 2,
          reason: "too small",
          action: "REFUND",
          orderItem: { id: "T3JkZXJJdGVtOjE=", sku: "TEE", name: "Tee", unitPrice: "10.25", currency: "USD", quantityShipped: 2, quantityReturned: 0, quantityRestocked: 0 },
        },
      ],
      refund: null,
      order: { id: "T3JkZXI6MQ==", number: 104, email: "ada@example.com", currency: "USD", payment: { status: "PAID", amountPaid: "20.50", amountRefunded: "0.00" } },
    },
  };
}

function open(me = ADMIN, answer = detail("RECEIVED", ["REPAIRED", "REFUNDED"]), more = {}) {
  return renderScreen(me, <ReturnsArea />, { ReturnDetail: () => answer, ...more }, { path: "/returns/UmV0dXJuOjE=", route: "returns/*" });
}

describe("a return's page", { timeout: 30_000 }, () => {
  it("suggests refunding what the returned items were sold for", () => {
    expect(returnedValue(detail("RECEIVED", []).returnRequest.items)).toBe("20.50");
  });

  it("offers the moves the API offers, and money back only through Refund", async () => {
    open();
    await screen.findByRole("heading", { name: "Return for order 104" });
    const actions = screen.getByRole("group", { name: "Return actions" });
    expect(within(actions).getAllByRole("button").map((b) => b.textContent)).toEqual(["Mark repaired", "Refund"]);
  });

  it("offers no refund to staff without REFUNDS_WRITE", async () => {
    open(SUPPORT);
    const actions = await screen.findByRole("group", { name: "Return actions" });
    expect(within(actions).getAllByRole("button").map((b) => b.textContent)).toEqual(["Mark repaired"]);
  });

  it("receives with restock ticked, and says so", async () => {
    const moved = vi.fn(() => ({ setReturnStatus: { returnRequest: { id: "r", status: "RECEIVED", restocked: true }, errors: [] } }));
    const { named } = open(ADMIN, detail("AUTHORIZED", ["RECEIVED", "CANCELLED"]), { SetReturnStatus: moved });
    await userEvent.click(await screen.findByRole("button", { name: "Mark received" }));
    const dialog = screen.getByRole("dialog", { name: "Receive return" });
    expect(within(dialog).getByRole("checkbox", { name: /Put the items back in stock/ })).toBeChecked();
    await userEvent.click(within(dialog).getByRole("button", { name: "Mark received" }));
    await vi.waitFor(() => expect(named("SetReturnStatus")).toHaveLength(1), patient);
    expect(named("SetReturnStatus")[0]?.variables).toEqual({ id: "UmV0dXJuOjE=", status: "RECEIVED", note: "", restock: true });
    expect(await screen.findByText("Received, and the items are back in stock.")).toBeInTheDocument();
  });

  it("refunds from the return with its items and its id", async () => {
    const refunded = vi.fn(() => ({ refundOrder: { refund: { id: "f", amount: "20.50", currency: "USD" }, errors: [] } }));
    const { named } = open(ADMIN, detail("RECEIVED", ["REPAIRED", "REFUNDED"], true), { RefundReturn: refunded });
    await userEvent.click(await screen.findByRole("button", { name: "Refund" }));
    const dialog = screen.getByRole("dialog", { name: "Refund return" });
    expect(within(dialog).getByLabelText(/^Amount/)).toHaveValue("20.50");
    expect(within(dialog).getByRole("checkbox", { name: /Put the items back in stock/ })).toBeDisabled(); // restocked on receipt
    await userEvent.click(within(dialog).getByRole("button", { name: /^Refund/ }));
    await vi.waitFor(() => expect(named("RefundReturn")).toHaveLength(1), patient);
    const variables = named("RefundReturn")[0]?.variables as { orderId: string; key: string; input: unknown };
    expect(variables.orderId).toBe("T3JkZXI6MQ==");
    expect(variables.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(variables.input).toEqual({
      amount: "20.50",
      items: [{ orderItemId: "T3JkZXJJdGVtOjE=", quantity: 2 }],
      restock: false,
      reason: "",
      returnId: "UmV0dXJuOjE=",
    });
  });
});
