"""Return requests: a state machine written as data, returnable quantities, restock once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.expressions import F
from tortoise.functions import Sum
from tortoise.queryset import QuerySet

from app.models import (
    EventVisibility,
    Order,
    OrderItem,
    Return,
    ReturnAction,
    ReturnItem,
    ReturnStatus,
)
from app.services import events, status_plan
from app.services.auth import Permission, Viewer
from app.services.catalog import item_lines, move_stock
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.events import EventType, NewEvent
from app.services.lifecycle import (
    ACTIVE_RETURNS,
    CUSTOMER_RETURN_TRANSITIONS,
    RETURN_TRANSITIONS,
    UNRECEIVED_RETURNS,
    Facts,
    Trigger,
)
from app.services.orders import (
    MAX_LINES,
    lock_order,
    save_changes,
    save_fulfillment,
    visible_orders,
)
from app.services.pagination import Page, PageRequest, paginate

MAX_REASON = 500
# Return requests an order may have, and lines in one.
MAX_RETURNS = 10
MAX_COMMENT = 2000


@dataclass(frozen=True)
class ReturnLine:
    order_item_id: int
    quantity: int
    reason: str = ""
    action: ReturnAction = ReturnAction.REFUND


@dataclass(frozen=True)
class ReturnFilter:
    statuses: list[ReturnStatus] | None = None
    order_id: int | None = None


async def _claims(order_id: int) -> tuple[list[OrderItem], dict[int, int], dict[int, int]]:
    """The order's items, and per item the units claimed by active and by unreceived returns."""
    items = await OrderItem.filter(order_id=order_id)
    rows = (
        await ReturnItem.filter(
            return_request__order_id=order_id, return_request__status__in=list(ACTIVE_RETURNS)
        )
        .group_by("order_item_id", "return_request__status")
        .annotate(claimed=Sum("quantity"))
        .values_list("order_item_id", "return_request__status", "claimed")
    )
    active: dict[int, int] = {}
    unreceived: dict[int, int] = {}
    for item_id, status, claimed in rows:
        active[item_id] = active.get(item_id, 0) + int(claimed or 0)
        if ReturnStatus(status) in UNRECEIVED_RETURNS:
            unreceived[item_id] = unreceived.get(item_id, 0) + int(claimed or 0)
    return items, active, unreceived


async def returnable(order_id: int) -> dict[int, int]:
    """Per order item: shipped units still with the customer, so they can be returned.

    Not claimed by an active return, and not already back in stock through a refund with
    restock (a unit restocked and then returned again would come back twice).
    """
    items, active, unreceived = await _claims(order_id)
    return {
        i.id: min(
            i.quantity_shipped - active.get(i.id, 0),
            i.quantity_shipped - i.quantity_restocked - unreceived.get(i.id, 0),
        )
        for i in items
    }


async def restockable(order_id: int) -> dict[int, int]:
    """Per order item: shipped units not yet back in stock and not on their way back."""
    items, _, unreceived = await _claims(order_id)
    return {
        i.id: i.quantity_shipped - i.quantity_restocked - unreceived.get(i.id, 0) for i in items
    }


async def request_return(
    viewer: Viewer, order_id: int, lines: list[ReturnLine], customer_comment: str = ""
) -> Return:
    """Ask to return shipped items: a customer for their own order, or staff for anyone."""
    if viewer.is_customer:
        if not await visible_orders(viewer).filter(id=order_id).exists():
            raise not_found("Order", ["orderId"])
    else:
        viewer.require(Permission.RETURNS_WRITE)
    _check_lines(lines, customer_comment)
    order = await lock_order(order_id, "orderId")
    if await Return.filter(order_id=order.id).count() >= MAX_RETURNS:
        raise DomainError(
            ErrorCode.LIMIT_REACHED,
            f"An order has at most {MAX_RETURNS} return requests.",
            ["orderId"],
        )
    _check_returnable(lines, await returnable(order.id))
    request = await Return.create(
        order_id=order.id,
        status=ReturnStatus.PENDING,
        customer_comment=customer_comment.strip(),
        created_by_id=viewer.user_id,
    )
    await ReturnItem.bulk_create(
        [
            ReturnItem(
                return_request_id=request.id,
                order_item_id=line.order_item_id,
                quantity=line.quantity,
                reason=line.reason.strip(),
                action=line.action,
            )
            for line in lines
        ]
    )
    await events.record(
        order.id,
        viewer,
        NewEvent(
            EventType.RETURN_REQUESTED,
            f"Return {request.id} requested for {sum(x.quantity for x in lines)} unit(s).",
            data={"returnId": request.id},
        ),
    )
    return request


def _check_lines(lines: list[ReturnLine], customer_comment: str) -> None:
    problems = Problems()
    if not 1 <= len(lines) <= MAX_LINES:
        problems.add(["items"], f"Choose 1 to {MAX_LINES} lines to return.")
    if len(customer_comment) > MAX_COMMENT:
        problems.add(["customerComment"], f"At most {MAX_COMMENT} characters.")
    for index, line in enumerate(lines):
        if line.quantity < 1:
            problems.add(["items", str(index), "quantity"], "Return at least one unit.")
        if len(line.reason) > MAX_REASON:
            problems.add(["items", str(index), "reason"], f"At most {MAX_REASON} characters.")
    problems.raise_if_any()


def _check_returnable(lines: list[ReturnLine], left: dict[int, int]) -> None:
    """Lines of the order, within the shipped units not yet asked back."""
    problems = Problems()
    wanted: dict[int, int] = {}
    for index, line in enumerate(lines):
        if line.order_item_id not in left:
            problems.add(
                ["items", str(index), "orderItemId"],
                "Not an item of this order.",
                ErrorCode.NOT_FOUND,
            )
            continue
        wanted[line.order_item_id] = wanted.get(line.order_item_id, 0) + line.quantity
        if wanted[line.order_item_id] > left[line.order_item_id]:
            problems.add(
                ["items", str(index), "quantity"],
                f"Only {max(left[line.order_item_id], 0)} shipped unit(s) of this item "
                "can be returned.",
                ErrorCode.QUANTITY_EXCEEDS_RETURNABLE,
            )
    problems.raise_if_any()


def visible_returns(viewer: Viewer) -> QuerySet[Return]:
    viewer.require_user()
    if viewer.is_customer:
        return Return.filter(order__customer_id=viewer.user_id)
    viewer.require(Permission.ORDERS_READ)
    return Return.all()


async def get_return(viewer: Viewer, return_id: int) -> Return | None:
    return await visible_returns(viewer).filter(id=return_id).first()


async def list_returns(viewer: Viewer, page: PageRequest, filters: ReturnFilter) -> Page[Return]:
    qs = visible_returns(viewer)
    if filters.statuses:
        qs = qs.filter(status__in=list(filters.statuses))
    if filters.order_id is not None:
        qs = qs.filter(order_id=filters.order_id)
    return await paginate(qs, page, "created_at", descending=True)


def next_statuses(viewer: Viewer, status: ReturnStatus) -> list[ReturnStatus]:
    """What setReturnStatus would let this viewer move a return in `status` to, in the
    order the help page tells them: so a screen offers only those."""
    if viewer.is_customer:
        allowed = CUSTOMER_RETURN_TRANSITIONS.get(status, frozenset())
    elif viewer.can(Permission.RETURNS_WRITE):
        allowed = RETURN_TRANSITIONS.get(status, frozenset())
    else:
        allowed = frozenset()
    return [s for s in ReturnStatus if s in allowed]


async def set_return_status(
    viewer: Viewer, return_id: int, status: ReturnStatus, note: str = "", restock: bool = False
) -> Return:
    """Move a return along its state machine. RECEIVED with restock puts the units back in
    stock, once; when every shipped unit has come back the order becomes RETURNED."""
    viewer.require_user()
    found = await get_return(viewer, return_id)
    if found is None:
        raise not_found("Return", ["id"])
    allowed_moves = RETURN_TRANSITIONS
    if viewer.is_customer:
        if status is not ReturnStatus.CANCELLED:
            raise DomainError(
                ErrorCode.FORBIDDEN, "Customers may only cancel a request.", ["status"]
            )
        allowed_moves = CUSTOMER_RETURN_TRANSITIONS
    else:
        viewer.require(Permission.RETURNS_WRITE)
    if len(note) > MAX_COMMENT:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_COMMENT} characters.", ["note"])
    if restock and status is not ReturnStatus.RECEIVED:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Units are restocked when the return is RECEIVED.", ["restock"]
        )
    order = await lock_order(found.order_id)
    request = await Return.get(id=return_id)  # re-read under the order's lock
    await move_return(viewer, order, request, status, allowed_moves)
    new_events: list[NewEvent] = []
    if status is ReturnStatus.RECEIVED:
        new_events += await _receive(viewer, order, request, restock)
    if note.strip():
        if viewer.is_staff:
            joined = f"{request.staff_notes}\n{note.strip()}".strip()
            await Return.filter(id=request.id).update(staff_notes=joined)
            request.staff_notes = joined
            new_events.append(
                NewEvent(
                    EventType.RETURN_NOTE,
                    note.strip(),
                    EventVisibility.STAFF,
                    {"returnId": request.id},
                )
            )
        else:
            new_events.append(
                NewEvent(EventType.RETURN_NOTE, note.strip(), data={"returnId": request.id})
            )
    if new_events:
        await events.record(order.id, viewer, *new_events)
    return request


async def move_return(
    viewer: Viewer,
    order: Order,
    request: Return,
    status: ReturnStatus,
    allowed_moves: dict[ReturnStatus, frozenset[ReturnStatus]] = RETURN_TRANSITIONS,
    *,
    refund_id: int | None = None,
) -> None:
    """Apply one legal transition (the order is locked by the caller) and log it; with
    `refund_id`, the refund that moved it (whose email is the customer's news)."""
    if status not in allowed_moves.get(request.status, frozenset()):
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            f"A {request.status.value} return cannot become {status.value}.",
            ["status"],
        )
    previous = request.status
    await Return.filter(id=request.id).update(status=status)
    request.status = status
    data: dict[str, object] = {"returnId": request.id, "from": previous.value, "to": status.value}
    if refund_id is not None:
        data["refundId"] = refund_id
    await events.record(
        order.id,
        viewer,
        NewEvent(
            EventType.RETURN_STATUS_CHANGED,
            f"Return {request.id} is now {status.value} (was {previous.value}).",
            data=data,
        ),
    )


async def _receive(viewer: Viewer, order: Order, request: Return, restock: bool) -> list[NewEvent]:
    lines = await ReturnItem.filter(return_request_id=request.id)
    for line in lines:
        changes: dict[str, Any] = {"quantity_returned": F("quantity_returned") + line.quantity}
        if restock:
            changes["quantity_restocked"] = F("quantity_restocked") + line.quantity
        await OrderItem.filter(id=line.order_item_id).update(**changes)
    new_events: list[NewEvent] = []
    if restock and not request.restocked:
        by_id = {i.id: i for i in await OrderItem.filter(id__in=[x.order_item_id for x in lines])}
        await move_stock(
            item_lines((by_id[x.order_item_id], x.quantity) for x in lines),
            reason="RETURN_RESTOCKED",
            order_id=order.id,
            actor_id=viewer.user_id,
        )
        await Return.filter(id=request.id).update(restocked=True)
        request.restocked = True
    items = await OrderItem.filter(order_id=order.id)
    shipped = any(i.quantity_shipped for i in items)
    every_shipped_unit_back = all(i.quantity_returned >= i.quantity_shipped for i in items)
    quantities = [(i.quantity, i.quantity_shipped, i.quantity_returned) for i in items]
    await save_fulfillment(order, quantities)
    facts = Facts(order.status, shipped_back=shipped and every_shipped_unit_back)
    columns, moved = await status_plan.follow(viewer, order, Trigger.RETURN, facts)
    if columns:
        await save_changes(order, columns)
    return new_events + moved
