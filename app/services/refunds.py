"""Refunds: what the merchant paid back at their provider, recorded exactly (no gateway call)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tortoise.expressions import F

from app.models import (
    EventVisibility,
    Order,
    OrderItem,
    PaymentStatus,
    PaymentTransaction,
    Refund,
    RefundRequest,
    Return,
    ReturnStatus,
    TransactionKind,
)
from app.services import events, refund_requests, returns, status_plan, transactions
from app.services.auth import Permission, Viewer
from app.services.catalog import item_lines, move_stock
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.events import EventType, NewEvent
from app.services.lifecycle import RETURN_TRANSITIONS, Facts, Trigger
from app.services.money import parse_money
from app.services.orders import lock_order, save_changes
from app.services.returns import move_return

MAX_REASON = 2000
# Refunds recorded on one order.
MAX_REFUNDS = 20


@dataclass(frozen=True)
class RefundLine:
    order_item_id: int
    quantity: int


@dataclass(frozen=True)
class RefundInput:
    amount: Decimal
    items: list[RefundLine]
    restock: bool = False
    reason: str = ""
    return_id: int | None = None


def _refundable_return(request: Return) -> bool:
    """A refund request's return moves on with its confirmation only if it still may (the
    money is back with the customer either way)."""
    return ReturnStatus.REFUNDED in RETURN_TRANSITIONS[request.status]


async def refund_order(viewer: Viewer, order_id: int, data: RefundInput) -> tuple[Refund, Order]:
    """Record a refund of at most what was captured and not yet refunded.

    It is a REFUND transaction in the payment ledger; the payment's amountRefunded and status
    follow, the order becomes PARTIALLY_REFUNDED or REFUNDED, a linked return becomes
    REFUNDED, and restock puts the items back, once.
    """
    viewer.require(Permission.REFUNDS_WRITE)
    order = await lock_order(order_id, "orderId")
    refund, _ = await issue_refund(viewer, order, data)
    return refund, order


async def issue_refund(
    viewer: Viewer,
    order: Order,
    data: RefundInput,
    *,
    provider: str | None = None,
    reference: str | None = None,
    method: str | None = None,
    settles: RefundRequest | None = None,
) -> tuple[Refund, PaymentTransaction]:
    """The refund on a locked order, with its transaction (the provider's reference when the
    payment side reported it); `settles`, the pending refund request it confirms. Every
    refund, by whichever mutation, needs REFUNDS_WRITE."""
    viewer.require(Permission.REFUNDS_WRITE)
    amount = _check(data)
    if await Refund.filter(order_id=order.id).count() >= MAX_REFUNDS:
        raise DomainError(
            ErrorCode.LIMIT_REACHED, f"An order has at most {MAX_REFUNDS} refunds.", ["orderId"]
        )
    await _check_amount(order, amount, settles)
    items, wanted = await _wanted(order, data)
    request = await _linked_return(order, data, settles)
    transaction = await transactions.add(
        viewer,
        order,
        TransactionKind.REFUND,
        amount,
        provider=order.payment_provider if provider is None else provider,
        reference=reference,
        method=order.payment_method if method is None else method,
    )
    refund = await Refund.create(
        order_id=order.id,
        return_request_id=request.id if request else None,
        amount=amount,
        currency=order.currency,
        reason=data.reason.strip(),
        items=[{"order_item_id": k, "quantity": v} for k, v in wanted.items()],
        restocked=data.restock and bool(wanted),
        created_by_id=viewer.user_id,
        created_by=viewer.label,
    )
    if data.restock and wanted:
        await _restock(viewer, order, items, wanted)
    await events.record(
        order.id, viewer, *await _settle(viewer, order, refund, transaction, settles)
    )
    if request is not None and (data.return_id is not None or _refundable_return(request)):
        # the refund's own email tells the customer; the return's move adds none
        await move_return(viewer, order, request, ReturnStatus.REFUNDED, refund_id=refund.id)
    return refund, transaction


def _check(data: RefundInput) -> Decimal:
    """The refund's amount, once the input is sound."""
    problems = Problems()
    amount = parse_money(data.amount)
    if amount is None or amount <= 0:
        problems.add(["amount"], "A positive amount with at most two decimals.")
    if len(data.reason) > MAX_REASON:
        problems.add(["reason"], f"At most {MAX_REASON} characters.")
    for index, line in enumerate(data.items):
        if line.quantity < 1:
            problems.add(["items", str(index), "quantity"], "At least one unit.")
    problems.raise_if_any()
    assert amount is not None
    return amount


async def _check_amount(order: Order, amount: Decimal, settles: RefundRequest | None) -> None:
    """At most what was captured and not refunded, less what other requests ask for."""
    before = await transactions.totals_of(order)
    # what other pending requests ask for is theirs to refund
    asked = order.amount_refund_requested - (settles.amount if settles else 0)
    if amount > before.refundable - asked:
        raise DomainError(
            ErrorCode.REFUND_EXCEEDS_PAYMENT,
            f"At most {max(before.refundable - asked, 0)} {order.currency} can be refunded "
            f"(paid {before.captured}, refunded {before.refunded}"
            + (f", asked for by pending refund requests {asked}" if asked else "")
            + ").",
            ["amount"],
        )


async def _wanted(order: Order, data: RefundInput) -> tuple[dict[int, OrderItem], dict[int, int]]:
    """The order's items, and the units of each the refund names (within what may be
    restocked, with restock; within what was ordered, without)."""
    problems = Problems()
    items = {i.id: i for i in await OrderItem.filter(order_id=order.id)}
    restockable = await returns.restockable(order.id) if data.restock else {}
    wanted: dict[int, int] = {}
    for index, line in enumerate(data.items):
        item = items.get(line.order_item_id)
        if item is None:
            problems.add(
                ["items", str(index), "orderItemId"],
                "Not an item of this order.",
                ErrorCode.NOT_FOUND,
            )
            continue
        wanted[item.id] = wanted.get(item.id, 0) + line.quantity
        bound = restockable[item.id] if data.restock else item.quantity
        if wanted[item.id] > bound:
            problems.add(
                ["items", str(index), "quantity"],
                f"Only {max(bound, 0)} unit(s) of {item.sku} can be "
                + ("restocked." if data.restock else "refunded."),
                ErrorCode.QUANTITY_EXCEEDS_RETURNABLE,
            )
    problems.raise_if_any()
    return items, wanted


async def _linked_return(
    order: Order, data: RefundInput, settles: RefundRequest | None
) -> Return | None:
    """The return the refund is for: named, or the one of the request it settles."""
    return_id = data.return_id
    if return_id is None and settles is not None:
        return_id = settles.return_request_id
    if return_id is None:
        return None
    request = await Return.get_or_none(id=return_id, order_id=order.id)
    if request is None:
        raise not_found("Return", ["returnId"])
    return request


async def _restock(
    viewer: Viewer, order: Order, items: dict[int, OrderItem], wanted: dict[int, int]
) -> None:
    await move_stock(
        item_lines((items[k], v) for k, v in wanted.items()),
        reason="REFUND_RESTOCKED",
        order_id=order.id,
        actor_id=viewer.user_id,
    )
    for item_id, quantity in wanted.items():
        await OrderItem.filter(id=item_id).update(
            quantity_restocked=F("quantity_restocked") + quantity
        )


async def _settle(
    viewer: Viewer,
    order: Order,
    refund: Refund,
    transaction: PaymentTransaction,
    settles: RefundRequest | None,
) -> list[NewEvent]:
    """The payment summary and the lifecycle's move on a refund, saved; the events."""
    after = await transactions.totals_of(order)
    summary = after.columns()
    issued: dict[str, object] = {
        "refundId": refund.id,
        "transactionId": transaction.id,
        "amount": str(refund.amount),
        "currency": order.currency,
    }
    if settles is not None:
        await refund_requests.confirm(settles, refund.id)
        summary["amount_refund_requested"] = await refund_requests.requested_sum(order.id)
        issued["refundRequestId"] = settles.id
    facts = Facts(order.status, fully_refunded=after.status is PaymentStatus.REFUNDED)
    columns, moved = await status_plan.follow(viewer, order, Trigger.REFUND, facts)
    await save_changes(order, {**summary, **columns})
    found = [
        NewEvent(
            EventType.REFUND_ISSUED, f"Refunded {refund.amount} {order.currency}.", data=issued
        ),
        *moved,
    ]
    if refund.reason:
        found.append(
            NewEvent(
                EventType.REFUND_REASON,
                refund.reason,
                EventVisibility.STAFF,
                {"refundId": refund.id},
            )
        )
    return found
