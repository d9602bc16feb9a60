"""Recording payments as the payment side reports them, and letting unpaid orders go."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from app.models import (
    EventVisibility,
    Order,
    PaymentTransaction,
    TransactionKind,
)
from app.services import buyer_limits, events, refund_requests, status_plan, transactions
from app.services.auth import SYSTEM, Permission, Viewer
from app.services.errors import DomainError, ErrorCode, Problems
from app.services.events import EventType, NewEvent
from app.services.lifecycle import Facts, Trigger, transition
from app.services.money import parse_money
from app.services.orders import lock_order, save_changes
from app.services.refunds import RefundInput, issue_refund
from app.services.status_plan import Move

MAX_REFERENCE = 255
MAX_NAME = 50
EXPIRE_SET = 100

_DONE = {
    TransactionKind.AUTHORIZATION: "authorized",
    TransactionKind.CAPTURE: "captured",
    TransactionKind.VOID: "voided",
    TransactionKind.REFUND: "refunded",
}


@dataclass(frozen=True)
class PaymentRecord:
    kind: TransactionKind
    amount: Decimal | None = None  # None: what is outstanding for this kind
    currency: str | None = None  # None: the order's
    provider: str = ""
    reference: str = ""
    method: str = ""
    # REFUND only: the refund request this refund performs
    refund_request_id: int | None = None


def check_record(data: PaymentRecord) -> Problems:
    problems = Problems()
    if data.amount is not None:
        amount = parse_money(data.amount)
        if amount is None or amount <= 0:
            problems.add(["input", "amount"], "A positive amount with at most two decimals.")
    for name, value, limit in (
        ("provider", data.provider, MAX_NAME),
        ("method", data.method, MAX_NAME),
        ("reference", data.reference, MAX_REFERENCE),
    ):
        if len(value.strip()) > limit:
            problems.add(["input", name], f"At most {limit} characters.")
    if data.refund_request_id is not None and data.kind is not TransactionKind.REFUND:
        problems.add(["input", "refundRequestId"], "Only a REFUND performs a refund request.")
    return problems


async def record_payment(
    viewer: Viewer, order_id: int, data: PaymentRecord
) -> tuple[PaymentTransaction, Order]:
    """Append what the payment side did to the order's ledger.

    The same (provider, kind, reference) again returns the transaction recorded first and
    changes nothing. A payment that covers the order moves it from PENDING or
    AWAITING_PAYMENT to AWAITING_FULFILLMENT, and a void that leaves it uncovered moves it
    back to AWAITING_PAYMENT, unless staff set that status by hand.
    """
    viewer.require(Permission.PAYMENTS_WRITE)
    if data.kind is TransactionKind.REFUND:  # money going back: what refundOrder needs
        viewer.require(Permission.REFUNDS_WRITE)
    check_record(data).raise_if_any()
    order = await lock_order(order_id, "orderId")
    reference = data.reference.strip() or None
    provider = transactions.normalise_provider(data.provider or order.payment_provider)
    if reference is not None:
        known = await PaymentTransaction.get_or_none(
            provider=provider, kind=data.kind, reference=reference
        )
        if known is not None:
            return _same_or_conflict(known, order, data), order
    currency = (data.currency or order.currency).strip().upper()
    if currency != order.currency:
        raise DomainError(
            ErrorCode.CURRENCY_MISMATCH,
            f"The order is in {order.currency}, not {currency}.",
            ["input", "currency"],
        )
    before = await transactions.totals_of(order)
    if data.kind is TransactionKind.REFUND:
        return await _refunded(viewer, order, data, before, provider, reference), order
    amount = _amount(data, before, order.currency)
    transaction = await transactions.add(
        viewer,
        order,
        data.kind,
        amount,
        provider=provider,
        reference=reference,
        method=data.method or order.payment_method,
    )
    after = await transactions.totals_of(order)
    updates = _payment_columns(data, after, provider, reference)
    new_events = [_recorded(transaction, order)]
    new_events += await _follow_payment(viewer, order, updates, data.kind, after.covered)
    await events.record(order.id, viewer, *new_events)
    return transaction, order


def _payment_columns(
    data: PaymentRecord, after: transactions.Totals, provider: str, reference: str | None
) -> dict[str, Any]:
    """The payment summary, and Order.payment's provider, method and reference from the
    latest payment (an authorization or capture)."""
    updates: dict[str, Any] = after.columns()
    if data.kind in (TransactionKind.AUTHORIZATION, TransactionKind.CAPTURE):
        if provider:
            updates["payment_provider"] = provider
        if data.method.strip():
            updates["payment_method"] = data.method.strip()
        if reference:
            updates["payment_transaction_id"] = reference
    return updates


def _recorded(transaction: PaymentTransaction, order: Order) -> NewEvent:
    return NewEvent(
        EventType.PAYMENT_RECORDED,
        f"Payment of {transaction.amount} {order.currency} {_DONE[transaction.kind]}.",
        data={
            "transactionId": transaction.id,
            "kind": transaction.kind.value,
            "amount": str(transaction.amount),
            "currency": order.currency,
        },
    )


async def _refunded(
    viewer: Viewer,
    order: Order,
    data: PaymentRecord,
    before: transactions.Totals,
    provider: str,
    reference: str | None,
) -> PaymentTransaction:
    """A refund made at the provider: the same record as refundOrder, without items. It
    confirms the refund request it names (or a pending one of its amount); one staff
    recorded by hand already is that refund, given its reference."""
    amount = parse_money(data.amount) if data.amount is not None else None
    field = ["input", "refundRequestId"]
    settles = await refund_requests.to_settle(order, amount, data.refund_request_id, field)
    if settles is None and amount is not None:
        known = await refund_requests.recorded_by_hand(order, amount, provider, reference)
        if known is not None:
            await events.record(
                order.id,
                viewer,
                NewEvent(
                    EventType.REFUND_MATCHED,
                    f"The {provider or 'provider'} refund {reference} is the refund of "
                    f"{amount} {order.currency} recorded by hand.",
                    EventVisibility.STAFF,
                    {"transactionId": known.id},
                ),
            )
            return known
    if amount is None:
        amount = settles.amount if settles is not None else before.refundable
    refund = RefundInput(amount=amount, items=[])
    _, transaction = await issue_refund(
        viewer,
        order,
        refund,
        provider=provider,
        reference=reference,
        method=data.method.strip() or order.payment_method,
        settles=settles,
    )
    return transaction


def _same_or_conflict(
    known: PaymentTransaction, order: Order, data: PaymentRecord
) -> PaymentTransaction:
    """A repeated report of one transaction changes nothing; a different one with its
    reference is refused."""
    amount = parse_money(data.amount) if data.amount is not None else known.amount
    if known.order_id != order.id or amount != known.amount:
        raise DomainError(
            ErrorCode.TRANSACTION_CONFLICT,
            f"{known.provider} {known.kind.value} {known.reference} is recorded already"
            + (" on another order." if known.order_id != order.id else f" for {known.amount}."),
            ["input", "reference"],
        )
    return known


def _amount(data: PaymentRecord, totals: transactions.Totals, currency: str) -> Decimal:
    """The amount asked for, or the default, within what the kind allows."""
    if data.kind is TransactionKind.VOID:
        bound, code = totals.authorized, ErrorCode.NOTHING_TO_VOID
        what = "authorized and not captured"
    elif data.kind is TransactionKind.AUTHORIZATION:
        bound, code = totals.balance - totals.authorized, ErrorCode.PAYMENT_EXCEEDS_BALANCE
        what = "left to authorize"
    else:
        bound, code = totals.balance, ErrorCode.PAYMENT_EXCEEDS_BALANCE
        what = "left to pay"
    bound = max(bound, transactions.ZERO)
    amount = parse_money(data.amount) if data.amount is not None else bound
    assert amount is not None  # checked by check_record
    if amount <= 0 or amount > bound:
        raise DomainError(
            code,
            f"{bound} {currency} is {what} (total {totals.total}, captured {totals.captured}, "
            f"authorized {totals.authorized}).",
            ["input", "amount"],
        )
    return amount


async def _follow_payment(
    viewer: Viewer,
    order: Order,
    updates: dict[str, Any],
    kind: TransactionKind,
    covered: bool,
) -> list[NewEvent]:
    """Save the payment's columns with the move the lifecycle makes on a payment (never of a
    status set by hand): on to fulfilment once covered, back to awaiting payment once not."""
    facts = Facts(order.status, manual=order.status_manual, covered=covered)
    how = "authorized" if kind is TransactionKind.AUTHORIZATION else "paid"
    columns, new_events = await status_plan.follow(viewer, order, Trigger.PAYMENT, facts, how=how)
    await save_changes(order, {**updates, **columns})
    return new_events


def unpaid_orders(cutoff: datetime) -> Any:
    """Orders waiting for a payment that never came: nothing authorized or captured, placed
    before `cutoff`, in a status payments would move (not one staff set by hand)."""
    return buyer_limits.unpaid().filter(created_at__lt=cutoff)


async def expire_unpaid(ttl: timedelta, now: datetime | None = None) -> tuple[int, bool]:
    """Cancel one set of unpaid orders older than `ttl`, giving their stock back through the
    ledger (one plan for the set, as a bulk change). Returns how many were cancelled and
    whether more may be waiting."""
    cutoff = (now or datetime.now(UTC)) - ttl
    ids = await unpaid_orders(cutoff).order_by("id").limit(EXPIRE_SET).values_list("id", flat=True)
    # looked at again under the lock: a payment or a staff change may have come meanwhile
    orders = await status_plan.lock_states(list(ids))
    moves = []
    for order in orders.values():
        facts = Facts(order.status, manual=order.status_manual, payment=order.payment_status)
        row = transition(Trigger.EXPIRY, facts)
        if row is not None:
            moves.append(Move.automatic(order, row, ttl=_duration(ttl)))
    result = await status_plan.plan(moves)
    await status_plan.write(result, SYSTEM)
    return len(result.columns), len(ids) == EXPIRE_SET


def _duration(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
