"""Status changes with their stock effects, and tracking numbers on orders."""

from __future__ import annotations

from typing import Any

from app.carriers import InvalidTrackingNumber, Tracking, resolve
from app.models import EventVisibility, Order, OrderItem, OrderStatus
from app.services import events
from app.services.auth import Permission, Viewer
from app.services.catalog import StockLine, item_lines, move_stock
from app.services.errors import DomainError, ErrorCode
from app.services.events import EventType, NewEvent
from app.services.orders import lock_order, save_changes
from app.services.rules import RELEASING

MAX_NOTE = 2000


async def held_stock(order: Order) -> list[StockLine]:
    """The units reserved for the order and not yet shipped, per product."""
    items = await OrderItem.filter(order_id=order.id)
    return item_lines(
        (i, i.quantity - i.quantity_shipped) for i in items if i.quantity > i.quantity_shipped
    )


async def set_status(viewer: Viewer, order_id: int, status: OrderStatus, note: str = "") -> Order:
    """Any status may be set (merchants correct mistakes); stock follows, exactly once.

    R2: this never creates a shipment, SHIPPED included.
    """
    viewer.require(Permission.ORDERS_WRITE)
    if len(note) > MAX_NOTE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_NOTE} characters.", ["note"])
    order = await lock_order(order_id, "orderId")
    new_events = await apply_status(viewer, order, status, manual=True)
    if note.strip():
        new_events.append(NewEvent(EventType.STATUS_NOTE, note.strip(), EventVisibility.STAFF))
    if new_events:
        await events.record(order.id, viewer, *new_events)
    return order


async def apply_status(
    viewer: Viewer,
    order: Order,
    status: OrderStatus,
    extra: dict[str, Any] | None = None,
    *,
    touch: bool = False,
    manual: bool = False,
) -> list[NewEvent]:
    """Move a locked order to `status` with its stock effects; returns the event to record.

    Entering CANCELLED, DECLINED or REFUNDED gives back the units still held (once);
    leaving them takes the units again, or fails with INSUFFICIENT_STOCK. With `touch` the
    order's version moves on even when nothing in the order row changed. `manual` marks a
    status staff chose by hand, which payments and the unpaid-order sweep leave alone.
    """
    previous = order.status
    updates: dict[str, Any] = dict(extra or {})
    if status != previous:
        updates["status"] = status
        updates["status_manual"] = manual
    elif manual and not order.status_manual:
        updates["status_manual"] = True
    if status in RELEASING and not order.stock_released:
        await move_stock(
            await held_stock(order),
            reason="ORDER_RELEASED",
            order_id=order.id,
            actor_id=viewer.user_id,
        )
        updates["stock_released"] = True
    elif status not in RELEASING and order.stock_released:
        lines = await held_stock(order)
        await move_stock(
            [StockLine(line.product_id, line.sku, -line.quantity) for line in lines],
            reason="ORDER_REINSTATED",
            order_id=order.id,
            actor_id=viewer.user_id,
        )
        updates["stock_released"] = False
    if updates or touch:
        await save_changes(order, updates)
    if status == previous:
        return []
    return [events.status_changed(previous, status)]


def check_tracking(number: str, carrier: str | None, field: str = "trackingNumber") -> Tracking:
    try:
        return resolve(number, carrier)
    except InvalidTrackingNumber as exc:
        raise DomainError(ErrorCode.INVALID_TRACKING_NUMBER, str(exc), [field]) from exc


async def add_tracking(
    viewer: Viewer, order_id: int, number: str, carrier: str | None = None
) -> Order:
    """Set the order's tracking number; the customer sees it at once (the same number and
    carrier again change nothing).

    R3: shipments are never touched; each keeps the number it was created with.
    """
    viewer.require_any(Permission.SHIPMENTS_WRITE, Permission.ORDERS_WRITE)
    tracking = check_tracking(number, carrier)
    order = await lock_order(order_id, "orderId")
    if order.tracking_number == tracking.number and order.carrier == (tracking.carrier or ""):
        return order
    await save_changes(
        order, {"tracking_number": tracking.number, "carrier": tracking.carrier or ""}
    )
    await events.record(
        order.id,
        viewer,
        events.tracking_set(tracking.number, tracking.carrier),
    )
    return order
