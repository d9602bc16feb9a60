"""The order lifecycle as data, in one place.

An order has three statuses: `status`, the BigCommerce-style word staff see and may set to
anything; `payment_status`, derived from the payment ledger (app.services.transactions); and
`fulfillment_status`, derived from what was shipped and returned (fulfillment_of). What an
order allows (shipping, editing, cancelling, refunds) is decided here from those, and the
moves the system makes on its own (on payment, shipment, refund, return and expiry) are rows
of TRANSITIONS, each with its guard. Services ask here; nothing else lists statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tortoise.expressions import Q

from app.models import (
    FulfillmentStatus,
    OrderStatus,
    PaymentStatus,
    ReturnStatus,
    TransactionKind,
)

S = OrderStatus
F = FulfillmentStatus
R = ReturnStatus

# Closed (completed) statuses: an order in one is not open, whatever was shipped.
CLOSED_STATUSES = frozenset(
    {S.SHIPPED, S.COMPLETED, S.CANCELLED, S.DECLINED, S.REFUNDED, S.RETURNED}
)
OPEN_STATUSES = frozenset(OrderStatus) - CLOSED_STATUSES
# What is left to send: an order whose units all went out (or came back) is done with,
# whatever word a refund or staff left in its status.
UNFINISHED = frozenset({F.UNFULFILLED, F.PARTIALLY_FULFILLED})
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
# Orders called off before they were fulfilled: the tracking page ends at that step, and a
# refund leaves them as they are (the money follows a cancellation, it does not reopen the
# order; payment status says REFUNDED).
CALLED_OFF = frozenset({S.CANCELLED, S.DECLINED})
STAY_AFTER_REFUND = CALLED_OFF
# The payment statuses the unpaid-order sweep cancels: nothing authorized or captured.
UNPAID = frozenset({PaymentStatus.PENDING, PaymentStatus.VOIDED})
# The payment an order may be placed with, and the transaction each one is.
PLACEABLE_PAYMENT: dict[PaymentStatus, TransactionKind | None] = {
    PaymentStatus.PENDING: None,
    PaymentStatus.AUTHORIZED: TransactionKind.AUTHORIZATION,
    PaymentStatus.PAID: TransactionKind.CAPTURE,
}


def fulfillment_of(lines: Iterable[tuple[int, int, int]]) -> FulfillmentStatus:
    """An order's fulfilment from its lines' (ordered, shipped, returned) units: nothing
    shipped, some units still to ship, or everything shipped, and then how much came back."""
    lines = list(lines)
    if not any(shipped for _, shipped, _ in lines):
        return F.UNFULFILLED
    if any(shipped < ordered for ordered, shipped, _ in lines):
        return F.PARTIALLY_FULFILLED
    if not any(returned for _, _, returned in lines):
        return F.FULFILLED
    if all(returned >= shipped for _, shipped, returned in lines):
        return F.RETURNED
    return F.PARTIALLY_RETURNED


def fulfillment_changes(
    current: FulfillmentStatus, lines: Iterable[tuple[int, int, int]]
) -> dict[str, FulfillmentStatus]:
    """The fulfillment_status column to write after the lines changed ({} if it stays)."""
    now = fulfillment_of(lines)
    return {} if now is current else {"fulfillment_status": now}


def is_open(status: OrderStatus, fulfillment: FulfillmentStatus) -> bool:
    """Open: neither in a closed status nor with everything shipped. (A partial refund leaves
    a shipped order PARTIALLY_REFUNDED; it stays closed.)"""
    return status not in CLOSED_STATUSES and fulfillment in UNFINISHED


# Editing (lines, addresses, notes in updateOrder) and cancelling take an open order.
is_editable = is_open
is_cancellable = is_open


def ships_from(status: OrderStatus) -> bool:
    """Whether the status allows shipping (cancelled and the like do not); what is left to
    ship is the items' to say (NOTHING_TO_SHIP once everything went)."""
    return status not in NOT_SHIPPABLE


def open_condition(wanted: bool) -> Q:
    """is_open as a query condition: open orders, or (False) the rest."""
    condition = Q(status__in=sorted(OPEN_STATUSES), fulfillment_status__in=sorted(UNFINISHED))
    return condition if wanted else ~condition


def placed_status(covered: bool) -> OrderStatus:
    """Where a new order starts: on to fulfilment when its payment covers it."""
    return S.AWAITING_FULFILLMENT if covered else S.AWAITING_PAYMENT


class Trigger(StrEnum):
    """What moves an order on its own."""

    PAYMENT = "PAYMENT"  # the ledger changed (recordPayment)
    SHIPMENT = "SHIPMENT"  # units went out (shipOrder)
    REFUND = "REFUND"  # money went back (refundOrder, a provider's refund)
    RETURN = "RETURN"  # units came back (a return RECEIVED)
    EXPIRY = "EXPIRY"  # the unpaid-order sweep


@dataclass(frozen=True)
class Facts:
    """What the guards look at, for one order at the moment of the trigger."""

    status: OrderStatus
    manual: bool = False  # the status is one staff set by hand
    covered: bool = False  # the payments cover the total
    payment: PaymentStatus = PaymentStatus.PENDING
    fulfillment: FulfillmentStatus = F.UNFULFILLED
    fully_refunded: bool = False
    # something was shipped and every shipped unit came back (units never shipped aside)
    shipped_back: bool = False


@dataclass(frozen=True)
class Transition:
    """One automatic move: on `trigger`, from any of `sources` (None: from anywhere), when
    `guard` holds, the order goes `to`; the event says `cause` and carries `reason`."""

    trigger: Trigger
    sources: frozenset[OrderStatus] | None
    to: OrderStatus
    guard: Callable[[Facts], bool]
    cause: str = ""
    reason: str = ""
    tail: str = ""


def _by_payments(f: Facts) -> bool:
    return not f.manual


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        Trigger.PAYMENT,
        AWAITING_PAYMENT,
        S.AWAITING_FULFILLMENT,
        lambda f: _by_payments(f) and f.covered,
        cause="Payment {how} in full",
        reason="PAYMENT",
    ),
    Transition(
        Trigger.PAYMENT,
        PAID_FOR,
        S.AWAITING_PAYMENT,
        lambda f: _by_payments(f) and not f.covered,
        cause="Payment no longer covers the order",
        reason="PAYMENT",
    ),
    Transition(Trigger.SHIPMENT, None, S.SHIPPED, lambda f: f.fulfillment not in UNFINISHED),
    Transition(Trigger.SHIPMENT, None, S.PARTIALLY_SHIPPED, lambda f: f.fulfillment in UNFINISHED),
    Transition(
        Trigger.REFUND,
        frozenset(OrderStatus) - STAY_AFTER_REFUND,
        S.REFUNDED,
        lambda f: f.fully_refunded,
    ),
    Transition(
        Trigger.REFUND,
        frozenset(OrderStatus) - STAY_AFTER_REFUND,
        S.PARTIALLY_REFUNDED,
        lambda f: not f.fully_refunded,
    ),
    Transition(Trigger.RETURN, None, S.RETURNED, lambda f: f.shipped_back),
    Transition(
        Trigger.EXPIRY,
        AWAITING_PAYMENT,
        S.CANCELLED,
        lambda f: _by_payments(f) and f.payment in UNPAID,
        cause="Not paid within {ttl}",
        reason="UNPAID",
        tail=" and the stock released",
    ),
)


def transition(trigger: Trigger, facts: Facts) -> Transition | None:
    """The automatic move `trigger` makes of an order with these facts, if any (the first
    row whose source and guard match). A move to the status the order has is none."""
    for row in TRANSITIONS:
        if row.trigger is not trigger:
            continue
        if row.sources is not None and facts.status not in row.sources:
            continue
        if row.guard(facts):
            return None if row.to is facts.status else row
    return None


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
