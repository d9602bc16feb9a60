"""Refund requests: staff ask the payment side to pay money back.

A request is a record the payment back end receives as a `refund.requested` webhook; it
performs the refund at the provider and confirms it with recordPayment(kind: REFUND,
refundRequestId). Until then the request is PENDING and its amount can be asked for by no
other request, so money is never asked for twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum

from tortoise.functions import Sum

from app.models import (
    EventVisibility,
    Order,
    PaymentTransaction,
    RefundRequest,
    RefundRequestStatus,
    Return,
    TransactionKind,
)
from app.services import events, transactions
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.events import EventType, NewEvent
from app.services.lifecycle import KEEPS_NOTHING, dues
from app.services.money import parse_money
from app.services.orders import lock_order, save_changes

MAX_REASON = 2000
# Requests one order may have (refunds are bounded alike).
MAX_REQUESTS = 20


@dataclass(frozen=True)
class RefundAsk:
    amount: Decimal | None = None  # None: what is due back (Payment.refundDue)
    reason: str = ""
    return_id: int | None = None


class WarningCode(StrEnum):
    REFUND_DUE = "REFUND_DUE"
    AUTHORIZATION_OPEN = "AUTHORIZATION_OPEN"


@dataclass(frozen=True)
class PaymentWarning:
    """Something about the money staff should act on; the action itself succeeded."""

    code: WarningCode
    message: str
    amount: Decimal
    currency: str


def check_ask(ask: RefundAsk, field: list[str], amount_name: str = "amount") -> None:
    """The ask's input; `field` is where it sits in the mutation's input, and `amount_name`
    what that input calls the amount (cancelOrder's is refundAmount)."""
    problems = Problems()
    if ask.amount is not None:
        amount = parse_money(ask.amount)
        if amount is None or amount <= 0:
            problems.add([*field, amount_name], "A positive amount with at most two decimals.")
    if len(ask.reason) > MAX_REASON:
        problems.add([*field, "reason"], f"At most {MAX_REASON} characters.")
    problems.raise_if_any()


async def request_refund(
    viewer: Viewer, order_id: int, ask: RefundAsk
) -> tuple[RefundRequest, Order]:
    """Ask the payment side to refund (REFUNDS_WRITE): by default what is due back, at
    most what was captured and is neither refunded nor asked for by another request."""
    viewer.require(Permission.REFUNDS_WRITE)
    check_ask(ask, ["input"])
    order = await lock_order(order_id, "orderId")
    request, new_events = await ask_refund(viewer, order, ask, ["input"])
    await events.record(order.id, viewer, *new_events)
    return request, order


async def ask_refund(
    viewer: Viewer, order: Order, ask: RefundAsk, field: list[str], amount_name: str = "amount"
) -> tuple[RefundRequest, list[NewEvent]]:
    """A request on a locked order (checked by check_ask), and the events to record."""
    totals = await transactions.totals_of(order)
    open_amount = totals.refundable - order.amount_refund_requested
    amount = parse_money(ask.amount) if ask.amount is not None else refund_due(order)
    assert amount is not None  # checked by check_ask
    if amount == 0 and ask.amount is None:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Nothing is due back (refundDue 0.00 {order.currency}); name an amount to "
            "refund more.",
            [*field, amount_name],
        )
    if amount <= 0 or amount > open_amount:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_PAYMENT,
            f"At most {max(open_amount, Decimal(0))} {order.currency} can be asked for "
            f"(captured {totals.captured}, refunded {totals.refunded}, asked for already "
            f"{order.amount_refund_requested}).",
            [*field, amount_name],
        )
    if await RefundRequest.filter(order_id=order.id).count() >= MAX_REQUESTS:
        raise DomainError(
            ErrorCode.LIMIT_REACHED,
            f"An order has at most {MAX_REQUESTS} refund requests.",
            ["orderId"],
        )
    if ask.return_id is not None and not await Return.exists(id=ask.return_id, order_id=order.id):
        raise not_found("Return", [*field, "returnId"])
    request = await RefundRequest.create(
        order_id=order.id,
        return_request_id=ask.return_id,
        status=RefundRequestStatus.PENDING,
        amount=amount,
        currency=order.currency,
        reason=ask.reason.strip(),
        created_by_id=viewer.user_id,
        created_by=viewer.label,
    )
    await save_changes(order, {"amount_refund_requested": order.amount_refund_requested + amount})
    new_events = [
        NewEvent(
            EventType.REFUND_REQUESTED,
            f"Refund of {amount} {order.currency} requested.",
            data={"refundRequestId": request.id, "amount": str(amount), "currency": order.currency},
        )
    ]
    if request.reason:
        new_events.append(
            NewEvent(
                EventType.REFUND_REASON,
                request.reason,
                EventVisibility.STAFF,
                {"refundRequestId": request.id},
            )
        )
    return request, new_events


async def cancel_request(viewer: Viewer, request_id: int) -> tuple[RefundRequest, Order]:
    """Withdraw a pending request (REFUNDS_WRITE): staff changed their mind, or the
    provider refused it. Its amount may be asked for again."""
    viewer.require(Permission.REFUNDS_WRITE)
    found = await RefundRequest.get_or_none(id=request_id)
    if found is None:
        raise not_found("Refund request", ["id"])
    order = await lock_order(found.order_id)
    request = await RefundRequest.get(id=request_id)  # again, under the order's lock
    _require_pending(request, ["id"])
    await RefundRequest.filter(id=request.id).update(
        status=RefundRequestStatus.CANCELLED, settled_at=datetime.now(UTC)
    )
    await request.refresh_from_db()
    await save_changes(order, {"amount_refund_requested": await requested_sum(order.id)})
    await events.record(
        order.id,
        viewer,
        NewEvent(
            EventType.REFUND_REQUEST_CANCELLED,
            f"Refund request of {request.amount} {request.currency} withdrawn.",
            data={"refundRequestId": request.id},
        ),
    )
    return request, order


def _require_pending(request: RefundRequest, field: list[str]) -> None:
    if request.status is not RefundRequestStatus.PENDING:
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            f"The refund request is {request.status.value}, not PENDING.",
            field,
        )


async def requested_sum(order_id: int) -> Decimal:
    """What the order's pending requests ask for."""
    row = (
        await RefundRequest.filter(order_id=order_id, status=RefundRequestStatus.PENDING)
        .annotate(total=Sum("amount"))
        .first()
        .values_list("total", flat=True)
    )
    return Decimal(row or 0).quantize(Decimal("0.01"))


async def to_settle(
    order: Order, amount: Decimal | None, request_id: int | None, field: list[str]
) -> RefundRequest | None:
    """The pending request a refund of `amount` confirms: the one named, else the oldest
    pending one of that amount (a refund the payment side reports without naming it)."""
    if request_id is not None:
        request = await RefundRequest.get_or_none(id=request_id, order_id=order.id)
        if request is None:
            raise not_found("Refund request", field)
        _require_pending(request, field)
        if amount is not None and amount != request.amount:
            raise DomainError(
                ErrorCode.INVALID_INPUT,
                f"The request is for {request.amount} {request.currency}; a refund of another "
                "amount is recorded without it (withdraw the request first).",
                field,
            )
        return request
    pending = RefundRequest.filter(order_id=order.id, status=RefundRequestStatus.PENDING)
    if amount is None:
        return await pending.order_by("id").first()
    return await pending.filter(amount=amount).order_by("id").first()


async def confirm(request: RefundRequest, refund_id: int) -> None:
    await RefundRequest.filter(id=request.id).update(
        status=RefundRequestStatus.CONFIRMED, refund_id=refund_id, settled_at=datetime.now(UTC)
    )


async def recorded_by_hand(
    order: Order, amount: Decimal, provider: str, reference: str | None
) -> PaymentTransaction | None:
    """A refund staff recorded by hand (refundOrder: no provider reference) that the payment
    side now reports with its reference: the same money, so it is not recorded twice. The
    oldest such refund of the same amount takes the provider and reference."""
    if reference is None:
        return None
    earlier = (
        await PaymentTransaction.filter(
            order_id=order.id, kind=TransactionKind.REFUND, reference=None, amount=amount
        )
        .order_by("id")
        .first()
    )
    if earlier is not None:
        await PaymentTransaction.filter(id=earlier.id).update(
            provider=provider, reference=reference
        )
        earlier.provider, earlier.reference = provider, reference
    return earlier


def refund_due(order: Order) -> Decimal:
    """What the order owes back and no request asks for yet (Payment.refundDue)."""
    return dues(
        order.status,
        order.total,
        order.amount_paid,
        order.amount_refunded,
        order.amount_refund_requested,
    )[1]


def payment_warnings(order: Order) -> list[PaymentWarning]:
    """What a cancelled (declined, refunded) order still holds of the customer's money."""
    if order.status not in KEEPS_NOTHING:
        return []
    due = refund_due(order)
    warnings = []
    if due > 0:
        warnings.append(
            PaymentWarning(
                WarningCode.REFUND_DUE,
                f"{due} {order.currency} was captured and is neither refunded nor asked "
                "for: ask the payment side with requestRefund (or cancelOrder with refund).",
                due,
                order.currency,
            )
        )
    if order.amount_authorized > 0:
        warnings.append(
            PaymentWarning(
                WarningCode.AUTHORIZATION_OPEN,
                f"{order.amount_authorized} {order.currency} is authorized and not captured: "
                "void it at the provider and record the VOID.",
                order.amount_authorized,
                order.currency,
            )
        )
    return warnings
