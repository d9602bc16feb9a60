// The settings forms' own logic: country lists, what changed, what a token may hold.
import type { Permission } from "../gql/graphql";

/** "gb, FR  de" -> ["GB", "FR", "DE"] (the API checks each is a country). */
export function countryList(text: string): string[] {
  return [...new Set(text.split(/[\s,;]+/).map((code) => code.trim().toUpperCase()).filter(Boolean))];
}

/** A token can hold only what its issuer holds: the permissions to offer, in the API's order. */
export function grantable(all: readonly Permission[], held: readonly Permission[]): Permission[] {
  const mine = new Set(held);
  return all.filter((permission) => mine.has(permission));
}

export const PERMISSIONS = [
  "ORDERS_READ",
  "ORDERS_WRITE",
  "SHIPMENTS_WRITE",
  "RETURNS_WRITE",
  "REFUNDS_WRITE",
  "IMPORTS_WRITE",
  "DOCUMENTS_WRITE",
  "STAFF_MANAGE",
  "PAYMENTS_WRITE",
  "SETTINGS_WRITE",
  "WEBHOOKS_MANAGE",
] as const satisfies readonly Permission[];
type Unlisted = Exclude<Permission, (typeof PERMISSIONS)[number]>;
export const everyPermissionListed: [Unlisted] extends [never] ? true : never = true;

/** An expiry date typed as YYYY-MM-DD: the end of that day in the browser's zone, or null. */
export function expiryOf(day: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const [year, month, date] = day.split("-").map(Number) as [number, number, number];
  return new Date(year, month - 1, date + 1).toISOString();
}
