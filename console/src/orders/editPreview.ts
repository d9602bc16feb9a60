// Edit order's form as the editOrder input it stands for, and the server's preview of that
// input while the user types: previewOrderEdit works the edit out with editOrder's own code,
// so the new total, balance due and refund due shown before saving are the server's.
import { useEffect, useRef, useState } from "react";
import { useClient } from "urql";
import { graphql } from "../gql";
import type { EditOrderInput, PreviewOrderEditQuery } from "../gql/graphql";
import type { OrderView, UserErrorLike } from "./orderQuery";

export const PreviewOrderEditDocument = graphql(`
  query PreviewOrderEdit($orderId: ID!, $input: EditOrderInput!) {
    previewOrderEdit(orderId: $orderId, input: $input) {
      preview {
        version
        subtotal
        shippingCost
        taxTotal
        total
        totalBefore
        currency
        payment {
          status
          balanceDue
          refundDue
        }
        lines {
          orderItemId
          sku
          quantity
          unitPrice
          total
        }
        stockShortfalls {
          sku
          wanted
          inStock
        }
      }
      errors {
        code
        message
        field
      }
    }
  }
`);

export type Preview = NonNullable<PreviewOrderEditQuery["previewOrderEdit"]["preview"]>;

export interface Line {
  quantity: string;
  unitPrice: string;
  remove: boolean;
}
export interface NewLine {
  sku: string;
  quantity: string;
  unitPrice: string;
}
export interface EditForm {
  lines: Record<string, Line>;
  added: NewLine[];
  shipping: string;
  note: string;
}

export function changesOf(order: OrderView, lines: Record<string, Line>) {
  const change = [];
  const remove = [];
  for (const item of order.items) {
    const line = lines[item.id];
    if (!line) continue;
    if (line.remove) {
      remove.push(item.id);
      continue;
    }
    const quantity = Number(line.quantity) !== item.quantity ? Number(line.quantity) : null;
    const unitPrice = line.unitPrice.trim() !== item.unitPrice ? line.unitPrice.trim() : null;
    if (quantity !== null || unitPrice !== null) change.push({ orderItemId: item.id, quantity, unitPrice });
  }
  return { change, remove };
}

/** The editOrder input the form stands for: what Save sends and the preview shows. */
export function editInput(order: OrderView, form: EditForm, version: number): EditOrderInput {
  const { change, remove } = changesOf(order, form.lines);
  const add = form.added
    .filter((a) => a.sku.trim())
    .map((a) => ({ sku: a.sku.trim(), quantity: Number(a.quantity || 1), unitPrice: a.unitPrice.trim() || null }));
  const shippingCost = form.shipping.trim() !== order.shippingCost ? form.shipping.trim() : null;
  return { expectedVersion: version, change, remove, add, shippingCost, note: form.note };
}

/** The user has changed something on the form (until then there is nothing to preview). */
export function touched(input: EditOrderInput): boolean {
  return Boolean(input.change?.length || input.remove?.length || input.add?.length || input.shippingCost != null);
}

export interface PreviewState {
  /** The server's figures for the input last answered; null before any, or when refused. */
  preview: Preview | null;
  /** What editOrder would answer for it now (INSUFFICIENT_STOCK comes with a preview). */
  errors: UserErrorLike[];
  /** An answer for the current input is still to come. */
  pending: boolean;
}

const IDLE: PreviewState = { preview: null, errors: [], pending: false };

/** Asks previewOrderEdit once the input has stayed the same for `delayMs`; an answer for
 * an input that has changed since is dropped, so what shows is always the latest. */
export function usePreview(orderId: string, input: EditOrderInput | null, delayMs = 400): PreviewState {
  const client = useClient();
  const [state, setState] = useState<PreviewState>(IDLE);
  const asked = useRef(0);
  const key = input === null ? "" : JSON.stringify(input);
  useEffect(() => {
    const mine = ++asked.current;
    if (input === null) {
      setState(IDLE);
      return;
    }
    setState((now) => ({ ...now, pending: true }));
    const timer = setTimeout(async () => {
      const result = await client.query(PreviewOrderEditDocument, { orderId, input }, { requestPolicy: "network-only" }).toPromise();
      if (mine !== asked.current) return; // the form moved on meanwhile
      const payload = result.data?.previewOrderEdit;
      const errors: UserErrorLike[] = result.error ? [{ message: result.error.message }] : [...(payload?.errors ?? [])];
      setState({ preview: payload?.preview ?? null, errors, pending: false });
    }, delayMs);
    return () => clearTimeout(timer);
    // the input is compared by its text: a new object with the same content asks nothing
  }, [client, orderId, key, delayMs]);
  return state;
}
