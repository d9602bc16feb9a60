// How a timeline entry reads for a merchant: a title for its kind instead of the event code,
// and the status names inside its message in words ("from AWAITING_PAYMENT to SHIPPED" ->
// "from Awaiting payment to Shipped"). The message itself is the server's; only names change.
import { ORDER_STATUSES, PAYMENT_STATUSES, words } from "../lib/format";
import { RETURN_STATUSES } from "../returns/returnMoves";

const TITLES: Record<string, string> = {
  ORDER_PLACED: "Order placed",
  ORDER_EDITED: "Order edited",
  ORDER_EDIT_DETAILS: "Edit details",
  BILLING_ADDRESS_UPDATED: "Billing address changed",
  SHIPPING_ADDRESS_UPDATED: "Shipping address changed",
  SHIPPING_METHOD_UPDATED: "Shipping method changed",
  COMMENT_UPDATED: "Customer's comment changed",
  STAFF_NOTES_UPDATED: "Staff notes changed",
  NOTE: "Note",
  STATUS_CHANGED: "Status changed",
  STATUS_NOTE: "Note on the status change",
  TRACKING_NUMBER_SET: "Tracking number added",
  SHIPMENT_CREATED: "Items shipped",
  SHIPMENT_DELETED: "Shipment deleted",
  RETURN_REQUESTED: "Return requested",
  RETURN_STATUS_CHANGED: "Return moved on",
  RETURN_NOTE: "Note on a return",
  REFUND_ISSUED: "Refunded",
  REFUND_REASON: "Reason for the refund",
  REFUND_REQUESTED: "Refund requested",
  REFUND_REQUEST_CANCELLED: "Refund request withdrawn",
  REFUND_MATCHED: "Refund matched",
  ORDER_CANCELLED: "Order cancelled",
  PAYMENT_RECORDED: "Payment recorded",
};

/** The entry's kind as a merchant says it; an unknown kind in words. */
export function eventTitle(type: string): string {
  return TITLES[type] ?? words(type);
}

// the enum values a message can name: order, payment and return statuses, as listed (and
// checked against the schema) where their screens use them
const NAMES = new Set<string>([...ORDER_STATUSES, ...PAYMENT_STATUSES, ...RETURN_STATUSES]);

/** The server's message with every status name in it in words; anything else as written
 * (a tracking number such as 1Z999AA10123456784 or a SKU is not a status name). */
export function eventMessage(message: string): string {
  return message.replace(/\b[A-Z][A-Z_]*[A-Z]\b/g, (name) => (NAMES.has(name) ? words(name) : name));
}

/** "STAFF" -> "Staff only", "PUBLIC" -> "Public": who can see the entry. */
export function visibilityLabel(visibility: string): string {
  return visibility === "STAFF" ? "Staff only" : visibility === "PUBLIC" ? "Public" : words(visibility);
}
