// How a shipment reads in the list: the carrier by name, the place as "city, country", the
// items as "2 × TEE".

/** The carrier as the API names it for people (`carrierName`: "UPS", "Royal Mail"), else the
 * code or name as stored, else a dash. The API owns the list of carriers, not the console. */
export function carrierLine(shipment: { carrier?: string | null; carrierName?: string | null }): string {
  return shipment.carrierName || shipment.carrier || "—";
}

let regionNames: Intl.DisplayNames | null = null;

/** "GB" -> "United Kingdom" in the browser's language (the code itself if unknown). */
export function countryName(code: string): string {
  if (!code) return "";
  try {
    regionNames ??= new Intl.DisplayNames(undefined, { type: "region" });
    return regionNames.of(code.toUpperCase()) ?? code;
  } catch {
    return code;
  }
}

export function placeLine(address: { city: string; state?: string; country: string }): string {
  return [address.city, address.state, countryName(address.country)].filter(Boolean).join(", ");
}

export function itemsLine(items: readonly { sku: string; quantity: number }[]): string {
  return items.map((item) => `${item.quantity} × ${item.sku}`).join(", ");
}
