// The order page's read: everything a screen shows, in one request.
import { graphql } from "../gql";
import type { OrderPageQuery } from "../gql/graphql";

export const OrderPageDocument = graphql(`
  query OrderPage($number: Int!) {
    order(number: $number) {
      id
      number
      version
      status
      isOpen
      createdAt
      updatedAt
      email
      currency
      subtotal
      shippingCost
      taxTotal
      total
      shippingMethod
      customerComment
      staffNotes
      trackingNumber
      carrier
      carrierName
      trackingUrl
      customer {
        email
        firstName
        lastName
      }
      billingAddress {
        ...AddressFields
      }
      shippingAddress {
        ...AddressFields
      }
      payment {
        method
        provider
        status
        amountAuthorized
        amountPaid
        amountRefunded
        balanceDue
        refundDue
        currency
        transactions {
          id
          kind
          amount
          currency
          provider
          reference
          createdAt
          actor
        }
      }
      items {
        id
        sku
        name
        quantity
        unitPrice
        total
        quantityShipped
        quantityReturned
        quantityRestocked
      }
      shipments {
        id
        createdAt
        trackingNumber
        carrier
        carrierName
        trackingUrl
        items {
          sku
          quantity
        }
      }
      refunds {
        id
        amount
        currency
        createdAt
        restocked
        reason
      }
      events(first: 100) {
        totalCount
        edges {
          node {
            id
            type
            createdAt
            actor
            message
            visibility
          }
        }
      }
    }
  }

  fragment AddressFields on Address {
    firstName
    lastName
    company
    street1
    street2
    city
    state
    postalCode
    country
    phone
  }
`);

export const OrderLiveDocument = graphql(`
  subscription OrderLive($orderId: ID!) {
    orderEvents(orderId: $orderId) {
      id
      type
      order {
        id
      }
    }
  }
`);

export type OrderView = NonNullable<OrderPageQuery["order"]>;
export type Item = OrderView["items"][number];

export interface UserErrorLike {
  code?: string;
  message: string;
  field?: readonly string[] | null;
}

/** A mutation's outcome: its payload's errors, or the transport's. */
export function outcome(
  result: { error?: { message: string } | undefined },
  payload: { errors: readonly UserErrorLike[] } | undefined | null,
): UserErrorLike[] {
  if (result.error) return [{ message: result.error.message }];
  if (!payload) return [{ message: "The server gave no answer." }];
  return [...payload.errors];
}

/** What can still be refunded, as the payment says: captured minus refunded. */
export function refundable(order: OrderView): number {
  return Math.max(0, Number(order.payment.amountPaid) - Number(order.payment.amountRefunded));
}
