// How a shipment reads in the list: the carrier by name, the place as "city, country", the
// items as "2 × TEE".

const CARRIERS: Record<string, string> = {
  ups: "UPS",
  usps: "USPS",
  fedex: "FedEx",
  dhl: "DHL",
  s10: "Postal (UPU S10)",
};

/** The API's carrier code as people say it; any other name a merchant uses, as given. */
export function carrierName(code: string | null | undefined): string {
  if (!code) return "—";
  return CARRIERS[code.toLowerCase()] ?? code;
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
