"""Status changes with their stock effects, and tracking numbers on orders."""

from __future__ import annotations

from app.carriers import InvalidTrackingNumber, Tracking, resolve
from app.models import Order, OrderItem, OrderStatus
from app.services import events, status_plan, tracking_plan
from app.services.auth import Permission, Viewer
from app.services.catalog import StockLine, item_lines
from app.services.errors import DomainError, ErrorCode
from app.services.orders import lock_order, save_changes
from app.services.status_plan import Move, OrderState

MAX_NOTE = 2000


async def held_stock(order: Order) -> list[StockLine]:
    """The units reserved for the order and not yet shipped, per product."""
    items = await OrderItem.filter(order_id=order.id)
    return item_lines(
        (i, i.quantity - i.quantity_shipped) for i in items if i.quantity > i.quantity_shipped
    )


async def set_status(viewer: Viewer, order_id: int, status: OrderStatus, note: str = "") -> Order:
    """Any status may be set (merchants correct mistakes); stock follows, exactly once.

    R2: this never creates a shipment, SHIPPED included. The same planner as a bulk change
    (app.services.status_plan), for the set of one.
    """
    viewer.require(Permission.ORDERS_WRITE)
    check_note(note)
    order = await lock_order(order_id, "orderId")
    move = Move(OrderState.of(order), status, by_staff=True, note=note)
    columns, new_events = await status_plan.apply_one(viewer, order, move)
    if columns:
        await save_changes(order, columns)
    if new_events:
        await events.record(order.id, viewer, *new_events)
    return order


def check_note(note: str, field: str = "note") -> None:
    if len(note) > MAX_NOTE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_NOTE} characters.", [field])


def check_tracking(number: str, carrier: str | None, field: str = "trackingNumber") -> Tracking:
    try:
        return resolve(number, carrier)
    except InvalidTrackingNumber as exc:
        raise DomainError(ErrorCode.INVALID_TRACKING_NUMBER, str(exc), [field]) from exc


async def add_tracking(
    viewer: Viewer, order_id: int, number: str, carrier: str | None = None
) -> Order:
    """Set the order's tracking number; the customer sees it at once (the same number and
    carrier again change nothing). The same planner as an import's set path, for the set of
    one (app.services.tracking_plan); R3: shipments are never touched.
    """
    tracking_plan.require_writer(viewer)
    tracking = check_tracking(number, carrier)
    order = await lock_order(order_id, "orderId")
    current = {order.id: (order.tracking_number, order.carrier)}
    ask = tracking_plan.Ask(order.id, tracking.number, tracking.carrier or "")
    result = tracking_plan.plan(viewer, current, [ask], overwrite=True)
    if result.final:
        order.updated_at = await tracking_plan.write(viewer, result)
        order.tracking_number, order.carrier = result.final[order.id]
        order.version += 1
    return order
