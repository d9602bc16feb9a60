// What the product dialogs send: only what changed, and a stock change as a signed number.
import type { UpdateProductInput } from "../gql/graphql";

export interface ProductForm {
  name: string;
  price: string;
  active: boolean;
}

/** The fields that differ from the product as listed; null when nothing does. */
export function productChanges(product: ProductForm, form: ProductForm): UpdateProductInput | null {
  const changes: UpdateProductInput = {};
  if (form.name.trim() !== product.name) changes.name = form.name.trim();
  if (form.price.trim() !== product.price) changes.price = form.price.trim();
  if (form.active !== product.active) changes.active = form.active;
  return Object.keys(changes).length ? changes : null;
}

/** "+5", "5" or "-3" as a whole number of units other than 0; null for anything else. */
export function stockDelta(text: string): number | null {
  const trimmed = text.trim().replace(/^\+/, "");
  if (!/^-?\d{1,10}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value === 0 || !Number.isSafeInteger(value) ? null : value;
}
