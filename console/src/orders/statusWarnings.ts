// What a status change does besides the status, as setStatus's documentation says
// (schema.graphql, docs/api-contract.md): entering CANCELLED, DECLINED or REFUNDED returns
// the units the order still holds to stock; leaving them takes the units again. Money is
// never moved by a status: a paid order that is cancelled still has to be refunded.
import type { OrderStatus } from "../gql/graphql";

const RELEASES_STOCK: readonly OrderStatus[] = ["CANCELLED", "DECLINED", "REFUNDED"];

export interface StatusFacts {
  status: OrderStatus;
  /** Paid and not refunded, as payment says (amountPaid - amountRefunded). */
  paidNotRefunded: number;
  currencyAmount?: string;
}

export function statusWarning(target: OrderStatus, from?: StatusFacts): string | null {
  const notes: string[] = [];
  const releasing = RELEASES_STOCK.includes(target);
  if (releasing && (!from || !RELEASES_STOCK.includes(from.status))) {
    notes.push("Units the order holds but has not shipped go back to stock.");
  }
  if (from && RELEASES_STOCK.includes(from.status) && !releasing) {
    notes.push("The order takes its unshipped units from stock again; this fails if there are not enough.");
  }
  if (from && from.paidNotRefunded > 0 && (target === "CANCELLED" || target === "DECLINED")) {
    notes.push(`The customer has paid ${from.currencyAmount ?? from.paidNotRefunded} that is not refunded: a status change does not refund it (use Refund).`);
  }
  return notes.length ? notes.join(" ") : null;
}
