"""The order lifecycle's rules in one place: which statuses allow what, and which status
follows a shipment, a refund or a return. Services ask here; nothing else lists statuses."""

from __future__ import annotations

from decimal import Decimal

from app.models import OrderStatus, PaymentStatus, ReturnStatus, TransactionKind

S = OrderStatus
R = ReturnStatus

# Closed (completed) orders: not listed as open, not edited.
CLOSED_STATUSES = frozenset(
    {S.SHIPPED, S.COMPLETED, S.CANCELLED, S.DECLINED, S.REFUNDED, S.RETURNED}
)
OPEN_STATUSES = frozenset(OrderStatus) - CLOSED_STATUSES
# Entering one of these gives back the stock the order still holds (ordered minus shipped);
# leaving them takes it again.
RELEASING = frozenset({S.CANCELLED, S.DECLINED, S.REFUNDED})
# Orders that keep nothing of what was paid (cancelled and the like): all of it is owed back.
KEEPS_NOTHING = RELEASING
# Orders that are not shipped from.
NOT_SHIPPABLE = frozenset({S.CANCELLED, S.DECLINED, S.REFUNDED, S.INCOMPLETE})
# What payments (and the unpaid-order sweep) move on their own; any other status is the
# staff's to change.
AWAITING_PAYMENT = frozenset({S.PENDING, S.AWAITING_PAYMENT})
# Where a covering payment moves them; when the payments stop covering an order there (an
# authorization voided), it goes back to AWAITING_PAYMENT.
PAID_FOR = frozenset({S.AWAITING_FULFILLMENT})
# The payment an order may be placed with, and the transaction each one is.
PLACEABLE_PAYMENT: dict[PaymentStatus, TransactionKind | None] = {
    PaymentStatus.PENDING: None,
    PaymentStatus.AUTHORIZED: TransactionKind.AUTHORIZATION,
    PaymentStatus.PAID: TransactionKind.CAPTURE,
}

RETURN_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.PENDING: frozenset({R.AUTHORIZED, R.REJECTED, R.CANCELLED}),
    R.AUTHORIZED: frozenset({R.RECEIVED, R.CANCELLED}),
    R.RECEIVED: frozenset({R.REFUNDED, R.REPAIRED}),
    R.REPAIRED: frozenset(),
    R.REFUNDED: frozenset(),
    R.REJECTED: frozenset(),
    R.CANCELLED: frozenset(),
}
# A customer may only withdraw their own request before the store acts on it.
CUSTOMER_RETURN_TRANSITIONS: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    R.PENDING: frozenset({R.CANCELLED})
}
# Requests that still claim their units (a rejected or cancelled one frees them).
ACTIVE_RETURNS = frozenset(RETURN_TRANSITIONS) - {R.REJECTED, R.CANCELLED}
# Requests whose units are still on their way back.
UNRECEIVED_RETURNS = frozenset({R.PENDING, R.AUTHORIZED})


def after_shipment(everything_shipped: bool) -> OrderStatus:
    """R5: a shipment leaves the order SHIPPED or PARTIALLY_SHIPPED."""
    return S.SHIPPED if everything_shipped else S.PARTIALLY_SHIPPED


# A refund leaves these as they are: the money follows a cancellation, it does not reopen
# the order (payment.status says REFUNDED).
STAY_AFTER_REFUND = frozenset({S.CANCELLED, S.DECLINED})


def after_refund(current: OrderStatus, fully_refunded: bool) -> OrderStatus:
    if current in STAY_AFTER_REFUND:
        return current
    return S.REFUNDED if fully_refunded else S.PARTIALLY_REFUNDED


def after_return(every_shipped_unit_back: bool) -> OrderStatus | None:
    """An order all of whose shipped units came back is RETURNED; otherwise it stays."""
    return S.RETURNED if every_shipped_unit_back else None


_ZERO = Decimal("0.00")


def dues(
    status: OrderStatus, total: Decimal, paid: Decimal, refunded: Decimal, requested: Decimal
) -> tuple[Decimal, Decimal]:
    """What is left to collect and what is left to pay back (neither below zero).

    An order keeps its total, or nothing once it is cancelled, declined or refunded; the
    refund due leaves out what was refunded and what refund requests already ask for.
    """
    kept = _ZERO if status in KEEPS_NOTHING else total
    return max(_ZERO, kept - paid), max(_ZERO, paid - refunded - requested - kept)
