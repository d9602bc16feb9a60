"""Shipments: created only by "ship items", never edited, deleted without touching the order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tortoise.expressions import F, Q, Subquery
from tortoise.queryset import QuerySet

from app.carriers import Tracking
from app.models import EventVisibility, Order, OrderItem, Shipment, ShipmentItem
from app.services import events, status_plan
from app.services.addresses import Address, search_words
from app.services.auth import Permission, Viewer
from app.services.catalog import item_lines, move_stock
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.events import EventType, NewEvent
from app.services.fulfilment import check_tracking
from app.services.lifecycle import (
    Facts,
    Trigger,
    fulfillment_of,
    ships_from,
)
from app.services.order_search import MAX_SEARCH, order_number_in
from app.services.orders import lock_order, save_changes, save_fulfillment
from app.services.pagination import Page, PageRequest, paginate
from app.services.returns import returnable

MAX_COMMENTS = 2000
# Shipments an order may have at once (deleted ones do not count).
MAX_SHIPMENTS = 10


@dataclass(frozen=True)
class ShipLine:
    order_item_id: int
    quantity: int


@dataclass(frozen=True)
class ShipInput:
    items: list[ShipLine] | None = None
    tracking_number: str | None = None
    carrier: str | None = None
    shipping_method: str | None = None
    comments: str = ""


@dataclass(frozen=True)
class ShipmentFilter:
    order_id: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = None


def _plan(items: list[OrderItem], requested: list[ShipLine] | None) -> list[tuple[OrderItem, int]]:
    """What to ship: the lines asked for, or everything not yet shipped (R6 bounds)."""
    by_id = {item.id: item for item in items}
    if requested is None:
        return [
            (i, i.quantity - i.quantity_shipped) for i in items if i.quantity > i.quantity_shipped
        ]
    problems = Problems()
    wanted: dict[int, int] = {}
    for index, line in enumerate(requested):
        if line.order_item_id not in by_id:
            problems.add(
                ["items", str(index), "orderItemId"],
                "Not an item of this order.",
                ErrorCode.NOT_FOUND,
            )
        elif line.quantity < 1:
            problems.add(["items", str(index), "quantity"], "Ship at least one unit.")
        else:
            wanted[line.order_item_id] = wanted.get(line.order_item_id, 0) + line.quantity
    for index, line in enumerate(requested):
        item = by_id.get(line.order_item_id)
        if item is not None and wanted.get(item.id, 0) > item.quantity - item.quantity_shipped:
            problems.add(
                ["items", str(index), "quantity"],
                f"Only {item.quantity - item.quantity_shipped} of {item.sku} are left to ship.",
                ErrorCode.QUANTITY_EXCEEDS_UNSHIPPED,
            )
            wanted.pop(item.id)
    problems.raise_if_any()
    return [(by_id[item_id], qty) for item_id, qty in wanted.items()]


async def ship_order(viewer: Viewer, order_id: int, data: ShipInput) -> tuple[Shipment, Order]:
    """Create a shipment ("ship items"), in full or in part.

    R4 it takes the order's tracking number when none is given; R5 the order becomes
    PARTIALLY_SHIPPED or SHIPPED; R6 never more than ordered minus shipped, even when
    called concurrently (the order row is locked and each item update is conditional).
    """
    viewer.require(Permission.SHIPMENTS_WRITE)
    if len(data.comments) > MAX_COMMENTS:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"At most {MAX_COMMENTS} characters.", ["comments"]
        )
    given = (
        check_tracking(data.tracking_number, data.carrier, "trackingNumber")
        if data.tracking_number and data.tracking_number.strip()
        else None
    )
    order = await lock_order(order_id, "orderId")
    await _check_shippable(order)
    items = list(await OrderItem.filter(order_id=order.id).order_by("id"))
    plan = _plan(items, data.items)
    if not plan:
        raise DomainError(
            ErrorCode.NOTHING_TO_SHIP, "Every item of this order has shipped.", ["items"]
        )
    await _mark_shipped(plan)
    shipment = await _create_shipment(viewer, order, data, given, plan)
    updates: dict[str, Any] = {
        "fulfillment_status": fulfillment_of(
            (i.quantity, i.quantity_shipped, i.quantity_returned) for i in items
        )
    }
    if given and not order.tracking_number:
        # the customer sees the number on the order at once, as with addTracking
        updates.update(tracking_number=given.number, carrier=given.carrier or "")
    facts = Facts(order.status, fulfillment=updates["fulfillment_status"])
    columns, moved = await status_plan.follow(viewer, order, Trigger.SHIPMENT, facts)
    await save_changes(order, {**updates, **columns})
    await events.record(order.id, viewer, _shipped_event(shipment, plan), *moved)
    return shipment, order


async def _check_shippable(order: Order) -> None:
    if not ships_from(order.status):
        raise DomainError(
            ErrorCode.ORDER_NOT_SHIPPABLE,
            f"A {order.status.value} order cannot be shipped.",
            ["orderId"],
        )
    if await Shipment.filter(order_id=order.id).count() >= MAX_SHIPMENTS:
        raise DomainError(
            ErrorCode.LIMIT_REACHED,
            f"An order has at most {MAX_SHIPMENTS} shipments; ship the rest together.",
            ["orderId"],
        )


async def _mark_shipped(plan: list[tuple[OrderItem, int]]) -> None:
    """R6: each line's shipped units move on only while they stay within what was ordered."""
    for item, quantity in plan:
        updated = await OrderItem.filter(
            id=item.id, quantity_shipped__lte=item.quantity - quantity
        ).update(quantity_shipped=F("quantity_shipped") + quantity)
        if not updated:
            raise DomainError(
                ErrorCode.QUANTITY_EXCEEDS_UNSHIPPED,
                f"{item.sku} was shipped meanwhile.",
                ["items"],
            )
        item.quantity_shipped += quantity


async def _create_shipment(
    viewer: Viewer,
    order: Order,
    data: ShipInput,
    given: Tracking | None,
    plan: list[tuple[OrderItem, int]],
) -> Shipment:
    """The shipment and its lines; R4 its number is the order's when none is given."""
    address = Address.from_json(order.shipping_address)
    shipment = await Shipment.create(
        order_id=order.id,
        created_by_id=viewer.user_id,
        created_by=viewer.label,
        shipped_to=address.as_json(),
        search_text=search_words(address),
        tracking_number=given.number if given else order.tracking_number,
        carrier=(given.carrier or "") if given else order.carrier,
        shipping_method=(data.shipping_method or "").strip()[:100] or order.shipping_method,
        comments=data.comments.strip(),
    )
    await ShipmentItem.bulk_create(
        [
            ShipmentItem(
                shipment_id=shipment.id,
                order_item_id=item.id,
                sku=item.sku,
                name=item.name,
                quantity=quantity,
            )
            for item, quantity in plan
        ]
    )
    return shipment


def _shipped_event(shipment: Shipment, plan: list[tuple[OrderItem, int]]) -> NewEvent:
    number = shipment.tracking_number
    return NewEvent(
        EventType.SHIPMENT_CREATED,
        f"{sum(q for _, q in plan)} item(s) shipped"
        + (f", tracking number {number}." if number else "."),
        data={
            "shipmentId": shipment.id,
            "trackingNumber": number or None,
            "items": [{"sku": i.sku, "quantity": q} for i, q in plan],
        },
    )


async def delete_shipment(viewer: Viewer, shipment_id: int) -> Order:
    """Remove a shipment. R7: the order keeps its status, tracking number and notes; the
    shipment's quantities become shippable again.

    Units that came back (a return, a restock) must stay covered by what is shipped, so such
    a shipment is refused. On an order whose stock is released (cancelled and the like) the
    units go back to stock, so the order keeps holding nothing and a later reinstatement takes
    back exactly what it gave.
    """
    viewer.require(Permission.SHIPMENTS_WRITE)
    shipment = await Shipment.get_or_none(id=shipment_id)
    if shipment is None:
        raise not_found("Shipment", ["id"])
    order = await lock_order(shipment.order_id)
    lines = await ShipmentItem.filter(shipment_id=shipment.id)
    items = {i.id: i for i in await OrderItem.filter(order_id=order.id)}
    with_customer = await returnable(order.id)
    for line in lines:
        item = items[line.order_item_id]
        if line.quantity > with_customer[item.id]:
            raise DomainError(
                ErrorCode.SHIPMENT_HAS_RETURNS,
                f"{item.sku} from this shipment was returned or restocked; "
                "a shipment whose units came back cannot be deleted.",
                ["id"],
            )
    await ShipmentItem.filter(shipment_id=shipment.id).delete()
    if not await Shipment.filter(id=shipment.id).delete():  # deleted by a concurrent call
        raise not_found("Shipment", ["id"])
    for line in lines:
        await OrderItem.filter(id=line.order_item_id).update(
            quantity_shipped=F("quantity_shipped") - line.quantity
        )
    for line in lines:
        items[line.order_item_id].quantity_shipped -= line.quantity
    await save_fulfillment(
        order, ((i.quantity, i.quantity_shipped, i.quantity_returned) for i in items.values())
    )
    if order.stock_released:
        await move_stock(
            item_lines((items[line.order_item_id], line.quantity) for line in lines),
            reason="ORDER_RELEASED",
            order_id=order.id,
            actor_id=viewer.user_id,
        )
    await events.record(
        order.id,
        viewer,
        NewEvent(
            EventType.SHIPMENT_DELETED,
            f"Shipment {shipment.id} deleted; its items can be shipped again.",
            # a correction in the back office, not news for the customer
            EventVisibility.STAFF,
            data={"shipmentId": shipment.id, "trackingNumber": shipment.tracking_number or None},
        ),
    )
    return order


def visible_shipments(viewer: Viewer) -> QuerySet[Shipment]:
    viewer.require_user()
    if viewer.is_customer:
        return Shipment.filter(order__customer_id=viewer.user_id)
    viewer.require(Permission.ORDERS_READ)
    return Shipment.all()


async def get_shipment(viewer: Viewer, shipment_id: int) -> Shipment | None:
    return await visible_shipments(viewer).filter(id=shipment_id).first()


async def list_shipments(
    viewer: Viewer,
    page: PageRequest,
    filters: ShipmentFilter,
    columns: Sequence[str] | None = None,
) -> Page[Any]:
    """Newest first: when an order shipped, to whom and where. With `columns`, rows of
    those fields instead of models (see `paginate`)."""
    qs = visible_shipments(viewer)
    if filters.order_id is not None:
        qs = qs.filter(order_id=filters.order_id)
    if filters.created_after:
        qs = qs.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__lt=filters.created_before)
    if filters.search and filters.search.strip():
        term = filters.search.strip()[:MAX_SEARCH]
        condition = Q(search_text__icontains=term.lower()) | Q(
            tracking_number__icontains=term.replace(" ", "").upper()
        )
        number = order_number_in(term)
        if number is not None:
            condition |= Q(order_id__in=Subquery(Order.filter(number=number).values("id")))
        qs = qs.filter(condition)
    return await paginate(qs, page, "created_at", descending=True, columns=columns)
