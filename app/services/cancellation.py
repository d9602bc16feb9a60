"""Cancelling an order in one step: the status, the stock it holds, the refund of what was
captured (asked of the payment side) and, if staff tick it, an email to the customer."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from app.models import EventVisibility, Order, OrderStatus, RefundRequest
from app.services import events, refund_requests, status_plan
from app.services.auth import Permission, Viewer
from app.services.catalog import StockLine, move_stock
from app.services.errors import DomainError, ErrorCode, Problems
from app.services.events import EventType, NewEvent
from app.services.fulfilment import held_stock
from app.services.lifecycle import is_cancellable
from app.services.orders import lock_order, save_changes
from app.services.refund_requests import PaymentWarning, RefundAsk
from app.services.status_plan import Move, OrderState

MAX_NOTE = 2000


class CancelReason(StrEnum):
    CUSTOMER = "CUSTOMER"
    INVENTORY = "INVENTORY"
    FRAUD = "FRAUD"
    DECLINED = "DECLINED"
    OTHER = "OTHER"


# What the timeline (and so the customer) reads; fraud is not named to a customer.
REASON_TEXT = {
    CancelReason.CUSTOMER: "at the customer's request",
    CancelReason.INVENTORY: "as the items are not available",
    CancelReason.FRAUD: "",
    CancelReason.DECLINED: "as the payment was declined",
    CancelReason.OTHER: "",
}


@dataclass(frozen=True)
class CancelInput:
    reason: CancelReason = CancelReason.OTHER
    # the units the order holds go back on sale; False writes them off (damaged, lost)
    restock: bool = True
    # ask the payment side to refund what was captured (REFUNDS_WRITE)
    refund: bool = False
    refund_amount: Decimal | None = None  # None: all that is refundable and not asked for
    notify_customer: bool = False
    note: str = ""  # staff-only


@dataclass
class Cancelled:
    order: Order
    refund_request: RefundRequest | None
    warnings: list[PaymentWarning] = field(default_factory=list)


def _check(viewer: Viewer, data: CancelInput) -> None:
    viewer.require(Permission.ORDERS_WRITE)
    if (data.refund or data.refund_amount is not None) and not viewer.can(Permission.REFUNDS_WRITE):
        raise DomainError(
            ErrorCode.FORBIDDEN,
            "Asking for a refund needs the REFUNDS_WRITE permission.",
            ["input", "refund"],
        )
    problems = Problems()
    if data.refund_amount is not None and not data.refund:
        problems.add(["input", "refundAmount"], "A refund amount goes with refund: true.")
    if len(data.note) > MAX_NOTE:
        problems.add(["input", "note"], f"At most {MAX_NOTE} characters.")
    problems.raise_if_any()
    refund_requests.check_ask(RefundAsk(amount=data.refund_amount), ["input"], "refundAmount")


async def cancel_order(viewer: Viewer, order_id: int, data: CancelInput) -> Cancelled:
    """Cancel an open order (ORDERS_WRITE): the units it holds go back on sale (or are
    written off), what was captured is asked back from the payment side with `refund`
    (REFUNDS_WRITE), and the customer is emailed with `notify_customer`. All or nothing."""
    _check(viewer, data)
    order = await lock_order(order_id, "orderId")
    if not is_cancellable(order.status, order.fulfillment_status):
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            f"A {order.status.value} order is closed and cannot be cancelled"
            + (
                "." if order.status is OrderStatus.CANCELLED else "; take items back with a return."
            ),
            ["orderId"],
        )
    held = await held_stock(order)
    move = Move(OrderState.of(order), OrderStatus.CANCELLED, by_staff=True)
    columns, new_events = await status_plan.apply_one(viewer, order, move)
    if columns:
        await save_changes(order, columns)
    if not data.restock and held:
        await move_stock(
            [StockLine(line.product_id, line.sku, -line.quantity) for line in held],
            reason="CANCEL_WRITE_OFF",
            note=f"Written off when order {order.number} was cancelled",
            order_id=order.id,
            actor_id=viewer.user_id,
        )
    request = None
    asked: list[NewEvent] = []
    if data.refund:
        request, asked = await _ask_refund(viewer, order, data)
    new_events.append(_cancelled_event(order, data, request, bool(held)))
    new_events += asked
    # the reason by its code, and the note, for staff only (a customer never reads "FRAUD")
    staff_note = f"Cancelled, reason {data.reason.value}. {data.note.strip()}".strip()
    new_events.append(NewEvent(EventType.STATUS_NOTE, staff_note, EventVisibility.STAFF))
    await events.record(order.id, viewer, *new_events)
    return Cancelled(order, request, refund_requests.payment_warnings(order))


async def _ask_refund(
    viewer: Viewer, order: Order, data: CancelInput
) -> tuple[RefundRequest | None, list[NewEvent]]:
    """The refund request of a cancellation; none when nothing is left to ask for and no
    amount was named."""
    if data.refund_amount is None and refund_requests.refund_due(order) == 0:
        return None, []
    ask = RefundAsk(amount=data.refund_amount, reason=f"Order {order.number} cancelled")
    return await refund_requests.ask_refund(viewer, order, ask, ["input"], "refundAmount")


def _cancelled_event(
    order: Order, data: CancelInput, request: RefundRequest | None, held: bool
) -> NewEvent:
    why = REASON_TEXT[data.reason]
    refund = f"; a refund of {request.amount} {request.currency} is on its way" if request else ""
    return NewEvent(
        EventType.ORDER_CANCELLED,
        f"Order cancelled{' ' + why if why else ''}{refund}.",
        data={
            "reason": data.reason.value if why else None,
            "restocked": data.restock and held,
            "refundAmount": str(request.amount) if request else None,
            "currency": order.currency,
            "notifyCustomer": data.notify_customer,
        },
    )
