import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Operation } from "@urql/core";
import { Provider } from "urql";
import { describe, expect, it, vi } from "vitest";
import { liveClient } from "../test-client";
import { EditOrderDialog } from "./EditOrderDialog";
import { editInput, touched } from "./editPreview";
import type { OrderView } from "./orderQuery";

const order = {
  id: "T3JkZXI6MQ==",
  number: 104,
  version: 3,
  status: "AWAITING_SHIPMENT",
  shippingCost: "5.00",
  total: "35.00",
  currency: "USD",
  payment: { amountPaid: "35.00", amountRefunded: "0.00", balanceDue: "0.00", refundDue: "0.00" },
  items: [
    { id: "i1", sku: "TEE-M", name: "Tee", quantity: 3, unitPrice: "10.00", quantityShipped: 1 },
    { id: "i2", sku: "MUG", name: "Mug", quantity: 1, unitPrice: "12.50", quantityShipped: 0 },
  ],
} as unknown as OrderView;

const untouched = {
  lines: {
    i1: { quantity: "3", unitPrice: "10.00", remove: false },
    i2: { quantity: "1", unitPrice: "12.50", remove: false },
  },
  added: [],
  shipping: "5.00",
  note: "",
};

/** What the server would answer for a preview of `input`: the tee's quantity priced. */
function previewOf(input: { change?: { orderItemId: string; quantity?: number | null }[] }, extra: object = {}) {
  const tees = input.change?.find((c) => c.orderItemId === "i1")?.quantity ?? 3;
  const total = (tees * 10 + 12.5 + 5).toFixed(2);
  const due = Math.max(0, Number(total) - 35).toFixed(2);
  const back = Math.max(0, 35 - Number(total)).toFixed(2);
  return {
    previewOrderEdit: {
      __typename: "PreviewOrderEditPayload",
      preview: {
        __typename: "OrderEditPreview",
        version: 3,
        subtotal: (tees * 10 + 12.5).toFixed(2),
        shippingCost: "5.00",
        taxTotal: "0.00",
        total,
        totalBefore: "35.00",
        currency: "USD",
        payment: { __typename: "Payment", status: "PARTIALLY_PAID", balanceDue: due, refundDue: back },
        lines: [],
        stockShortfalls: [],
        ...extra,
      },
      errors: [],
    },
  };
}

const saved = (total: string, due: string) => ({
  editOrder: {
    __typename: "OrderPayload",
    order: { __typename: "Order", id: order.id, version: 4, total, currency: "USD", payment: { __typename: "Payment", balanceDue: due, refundDue: "0.00" } },
    errors: [],
  },
});

const named = (op: Operation) => (op.query.definitions[0] as { name?: { value: string } }).name?.value;
const previews = (sent: Operation[]) => sent.filter((op) => named(op) === "PreviewOrderEdit");
type Input = { change?: { orderItemId: string; quantity?: number | null }[] };

function dialog(answer: (op: Operation) => unknown, delay = 150) {
  const { client, sent } = liveClient(answer);
  const onClose = vi.fn();
  render(
    <Provider value={client}>
      <EditOrderDialog order={order} onClose={onClose} reload={vi.fn()} previewDelayMs={delay} />
    </Provider>,
  );
  return { sent, onClose, box: screen.getByRole("dialog", { name: "Edit order" }) };
}

async function setQuantity(box: HTMLElement, sku: string, value: string) {
  const field = within(box).getByLabelText(`Quantity of ${sku}`);
  await userEvent.clear(field);
  await userEvent.type(field, value);
}

describe("the edit's input", () => {
  it("is what the form says, sent as is to the preview and to Save", () => {
    const input = editInput(order, { ...untouched, lines: { ...untouched.lines, i1: { quantity: "4", unitPrice: "10.00", remove: false } }, note: "phoned" }, 3);
    expect(input).toEqual({
      expectedVersion: 3,
      change: [{ orderItemId: "i1", quantity: 4, unitPrice: null }],
      remove: [],
      add: [],
      shippingCost: null,
      note: "phoned",
    });
    expect(touched(input)).toBe(true);
    expect(touched(editInput(order, untouched, 3))).toBe(false);
    expect(editInput(order, { ...untouched, shipping: "4.90", added: [{ sku: " CAP ", quantity: "", unitPrice: "" }] }, 3)).toMatchObject({
      add: [{ sku: "CAP", quantity: 1, unitPrice: null }],
      shippingCost: "4.90",
    });
  });
});

describe("Edit order's preview", () => {
  it("shows the server's new balance before saving, asking once the typing stops", async () => {
    // a pause longer than any between two keystrokes
    const { sent, box } = dialog((op) => (named(op) === "PreviewOrderEdit" ? previewOf(op.variables?.input as Input) : saved("47.50", "12.50")), 1000);
    expect(within(box).getByText("No changes yet.")).toBeInTheDocument();
    await setQuantity(box, "TEE-M", "45"); // "", "4", "45": one question, for 45
    // the dialog waits 1 s of quiet before it asks: vi.waitFor's own 1 s would race it
    await vi.waitFor(() => expect(box.querySelector('[data-field="preview-balance-due"]')).toHaveTextContent("$432.50"), { timeout: 10_000 });
    expect(previews(sent)).toHaveLength(1);
    expect((previews(sent)[0]?.variables as { input: Input }).input.change).toEqual([{ orderItemId: "i1", quantity: 45, unitPrice: null }]);
    expect(previews(sent)[0]?.context.requestPolicy).toBe("network-only");
    expect(box.querySelector('[data-field="preview-total"]')).toHaveTextContent("$467.50");
    expect(box.querySelector('[data-field="preview-refund-due"]')).toHaveTextContent("$0.00");
    // no edit was saved by looking
    expect(sent.filter((op) => op.kind === "mutation")).toHaveLength(0);

    await setQuantity(box, "TEE-M", "1");
    await vi.waitFor(() => expect(box.querySelector('[data-field="preview-refund-due"]')).toHaveTextContent("$7.50"), { timeout: 10_000 });
    await userEvent.click(within(box).getByRole("button", { name: "Save changes" }));
    await vi.waitFor(() => expect(box.querySelector('[data-field="edit-balance-due"]')).toBeInTheDocument());
    const [save] = sent.filter((op) => op.kind === "mutation");
    // Save sends exactly what was previewed last
    expect((save?.variables as { input: unknown }).input).toEqual((previews(sent).at(-1)?.variables as { input: unknown }).input);
  }, 30_000);

  it("shows the answer to the latest input, whatever order the answers come in", async () => {
    const quantity = (op: Operation) => (op.variables?.input as Input).change?.[0]?.quantity;
    const { sent, box } = dialog(async (op) => {
      if (named(op) !== "PreviewOrderEdit") return saved("0", "0");
      if (quantity(op) === 4) await new Promise((resolve) => setTimeout(resolve, 400));
      return previewOf(op.variables?.input as Input);
    }, 20);
    await setQuantity(box, "TEE-M", "4");
    await vi.waitFor(() => expect(previews(sent).map(quantity)).toContain(4)); // asked, not answered
    await setQuantity(box, "TEE-M", "2");
    await vi.waitFor(() => expect(box.querySelector('[data-field="preview-total"]')).toHaveTextContent("$37.50"));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the slow answer, for 4, arrives
    expect(box.querySelector('[data-field="preview-total"]')).toHaveTextContent("$37.50");
  }, 30_000);

  it("names the stock it lacks with the figures, and offers a reload on a version conflict", async () => {
    const short = previewOf({}, { stockShortfalls: [{ __typename: "StockShortfall", sku: "TEE-M", wanted: 6, inStock: 2 }] });
    short.previewOrderEdit.errors = [{ code: "INSUFFICIENT_STOCK", message: "Not enough stock of TEE-M.", field: ["items"] }] as never;
    const { box } = dialog(() => short, 20);
    await setQuantity(box, "TEE-M", "9");
    expect(await within(box).findByText("Not enough stock of TEE-M: 6 wanted, 2 in stock.")).toBeInTheDocument();
    expect(box.querySelector('[data-field="preview-balance-due"]')).toBeInTheDocument();

    const conflict = { previewOrderEdit: { __typename: "PreviewOrderEditPayload", preview: null, errors: [{ code: "VERSION_CONFLICT", message: "The order was changed by someone else.", field: ["expectedVersion"] }] } };
    const second = dialog(() => conflict, 20);
    await setQuantity(second.box, "MUG", "2");
    expect(await within(second.box).findByRole("button", { name: "Reload the order" })).toBeInTheDocument();
    expect(within(second.box).getByText("The order was changed by someone else.")).toBeInTheDocument();
    expect(second.box.querySelector('[data-field="preview-balance-due"]')).toBeNull();
  }, 30_000);
});
