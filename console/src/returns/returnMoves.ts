// What each move of a return is called on its button and dialog. Which moves exist is the
// API's to say (Return.nextStatuses); this only words them.
import type { ReturnStatus } from "../gql/graphql";

export const RETURN_STATUSES = [
  "PENDING",
  "AUTHORIZED",
  "RECEIVED",
  "REPAIRED",
  "REFUNDED",
  "REJECTED",
  "CANCELLED",
] as const satisfies readonly ReturnStatus[];
type Unlisted = Exclude<ReturnStatus, (typeof RETURN_STATUSES)[number]>;
export const everyReturnStatusListed: [Unlisted] extends [never] ? true : never = true;

export interface MoveWords {
  button: string;
  title: string;
  explain: string;
  done(restocked: boolean): string;
}

export const RETURN_MOVES: Record<ReturnStatus, MoveWords> = {
  PENDING: {
    button: "Reopen",
    title: "Reopen return",
    explain: "The request waits for a decision again.",
    done: () => "The return is pending.",
  },
  AUTHORIZED: {
    button: "Authorize",
    title: "Authorize return",
    explain: "The customer is told to send the items back.",
    done: () => "Authorized: the customer may send the items back.",
  },
  RECEIVED: {
    button: "Mark received",
    title: "Receive return",
    explain: "The items have come back to the store.",
    done: (restocked) => (restocked ? "Received, and the items are back in stock." : "Received; the items were not restocked."),
  },
  REPAIRED: {
    button: "Mark repaired",
    title: "Mark return repaired",
    explain: "The items were repaired (to send back to the customer).",
    done: () => "Marked repaired.",
  },
  REFUNDED: {
    button: "Mark refunded",
    title: "Mark return refunded",
    explain: "The return is settled by a refund.",
    done: () => "Marked refunded.",
  },
  REJECTED: {
    button: "Reject",
    title: "Reject return",
    explain: "The request is refused; its items may be asked for again.",
    done: () => "Rejected.",
  },
  CANCELLED: {
    button: "Cancel return",
    title: "Cancel return",
    explain: "The request is withdrawn; its items may be asked for again.",
    done: () => "Cancelled.",
  },
};

/** What the returned items were sold for: the refund a return suggests (the API bounds it). */
export function returnedValue(items: readonly { quantity: number; orderItem: { unitPrice: string } | null }[]): string {
  const cents = items.reduce((sum, item) => sum + Math.round(Number(item.orderItem?.unitPrice ?? "0") * 100) * item.quantity, 0);
  return (cents / 100).toFixed(2);
}
