"""The public order-tracking view: by number and email, or by the token in a store's email."""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.carriers import carrier_name, tracking_url
from app.db import fits_id
from app.models import (
    EventVisibility,
    Order,
    OrderEvent,
    OrderItem,
    Return,
    ReturnItem,
    ReturnStatus,
    Shipment,
    ShipmentItem,
)
from app.services import ratelimit
from app.services.auth import normalise_email
from app.services.events import EventType
from app.services.lifecycle import CALLED_OFF
from app.settings import Settings

_TOKEN_BYTES = 18  # 144 bits: unguessable, and short enough for a link


def tracking_token(order_number: int, secret_key: str) -> str:
    """`<number>-<mac>`: derived, so nothing is stored and every order has one."""
    mac = hmac.new(secret_key.encode(), f"order-tracking:{order_number}".encode(), hashlib.sha256)
    code = base64.urlsafe_b64encode(mac.digest()[:_TOKEN_BYTES]).decode()
    return f"{order_number}-{code}"


def _number_from_token(token: str, secret_key: str) -> int | None:
    number, _, _ = token.strip().partition("-")
    if not number.isascii() or not number.isdigit() or not fits_id(int(number)):
        return None
    expected = tracking_token(int(number), secret_key)
    given = token.strip().encode()  # bytes: any text compares, not only ASCII
    return int(number) if hmac.compare_digest(expected.encode(), given) else None


async def find_for_tracking(
    settings: Settings,
    redis: Any,
    client: str,
    *,
    number: int | None = None,
    email: str | None = None,
    token: str | None = None,
) -> Order | None:
    """The order for the public view, or None. A wrong email, a wrong token and a missing
    order all give the same None; attempts are limited per client address."""
    await ratelimit.hit(
        redis,
        "tracking",
        client,
        settings.tracking_rate_limit,
        settings.tracking_rate_window_seconds,
    )
    if token:
        found = _number_from_token(token, settings.secret_key)
        if found is None:
            return None
        return await Order.get_or_none(number=found)
    wanted = normalise_email(email or "")
    if number is None or not fits_id(number) or not wanted or len(wanted) > 254:
        return None
    return await Order.get_or_none(number=number, email=wanted)


# --- the public view of an order, for the tracking page ------------------------------------

STATUS_TEXT = {
    "PENDING": "Received",
    "AWAITING_PAYMENT": "Awaiting payment",
    "AWAITING_FULFILLMENT": "Being prepared",
    "AWAITING_SHIPMENT": "Ready to ship",
    "AWAITING_PICKUP": "Ready for pickup",
    "PARTIALLY_SHIPPED": "Partly shipped",
    "SHIPPED": "Shipped",
    "COMPLETED": "Completed",
    "CANCELLED": "Cancelled",
    "DECLINED": "Declined",
    "REFUNDED": "Refunded",
    "PARTIALLY_REFUNDED": "Partly refunded",
    "DISPUTED": "Under review",
    "MANUAL_VERIFICATION_REQUIRED": "Under review",
    "RETURNED": "Returned",
    "INCOMPLETE": "Incomplete",
}
RETURN_TEXT = {
    "PENDING": "Requested, waiting for the store",
    "AUTHORIZED": "Authorized: please send the items back",
    "RECEIVED": "Received by the store",
    "REPAIRED": "Repaired",
    "REFUNDED": "Refunded",
    "REJECTED": "Not accepted",
    "CANCELLED": "Withdrawn",
}
# the timeline entries the customer reads, newest first
MAX_UPDATES = 30


@dataclass(frozen=True)
class Step:
    label: str
    when: datetime | None
    done: bool
    # begun and not finished (partly shipped): the step the order is at
    under_way: bool = False


@dataclass(frozen=True)
class Parcel:
    """What went out under one tracking number (or under none)."""

    number: str
    carrier: str  # by name: "UPS", "Royal Mail"
    url: str | None
    dates: list[datetime]
    items: list[tuple[str, int]]


@dataclass(frozen=True)
class ReturnView:
    created_at: datetime
    status: str
    items: list[tuple[str, int]]
    send_to: list[str]  # where to send it, once authorized


@dataclass(frozen=True)
class Update:
    when: datetime
    text: str


@dataclass(frozen=True)
class TrackingView:
    order: Order
    items: list[OrderItem]
    steps: list[Step]
    parcels: list[Parcel]
    returns: list[ReturnView]
    updates: list[Update]


async def tracking_view(order: Order, return_address: str) -> TrackingView:
    """Everything the tracking page shows, from what the customer may see: PUBLIC timeline
    entries only, never a staff note, a refund reason or a return's staff notes."""
    items = await OrderItem.filter(order_id=order.id).order_by("id")
    shipments = await Shipment.filter(order_id=order.id).order_by("id")
    lines = await ShipmentItem.filter(shipment_id__in=[s.id for s in shipments]).order_by("id")
    events = await OrderEvent.filter(order_id=order.id, visibility=EventVisibility.PUBLIC).order_by(
        "id"
    )
    requests = await Return.filter(order_id=order.id).order_by("id")
    returned = await ReturnItem.filter(return_request_id__in=[r.id for r in requests])
    names = {i.id: i.name for i in items}
    address = [line.strip() for line in return_address.splitlines() if line.strip()]
    return TrackingView(
        order=order,
        items=items,
        steps=progress(order, items, shipments, events),
        parcels=parcels(order, shipments, lines),
        returns=[
            ReturnView(
                created_at=r.created_at,
                status=RETURN_TEXT.get(r.status.value, r.status.value),
                items=[
                    (names.get(x.order_item_id, ""), x.quantity)
                    for x in returned
                    if x.return_request_id == r.id
                ],
                send_to=address if r.status is ReturnStatus.AUTHORIZED else [],
            )
            for r in requests
        ],
        updates=[
            Update(e.created_at, text)
            for e in reversed(events)
            if (text := update_text(e)) is not None
        ][:MAX_UPDATES],
    )


def _last(events: list[OrderEvent], *types: EventType, **data: Any) -> datetime | None:
    found = [
        e.created_at
        for e in events
        if e.type in types and all(e.data.get(k) in v for k, v in data.items())
    ]
    return found[-1] if found else None


def progress(
    order: Order, items: list[OrderItem], shipments: list[Shipment], events: list[OrderEvent]
) -> list[Step]:
    """Placed, paid, shipped (partly), and returned or refunded (partly) when they happen;
    a cancelled order ends at its cancellation."""
    steps = [Step("Placed", order.created_at, True)]
    paid = order.amount_paid + order.amount_authorized >= order.total
    if paid:
        label = "Paid" if order.amount_paid >= order.total else "Payment authorized"
        when = _last(events, EventType.PAYMENT_RECORDED, kind=("CAPTURE", "AUTHORIZATION"))
        steps.append(Step(label, when, True))
    if order.status in CALLED_OFF:
        moved = _last(events, EventType.STATUS_CHANGED, to=(order.status.value,))
        steps.append(Step(STATUS_TEXT[order.status.value], moved, True))
    else:
        if not paid:
            steps.append(Step("Paid", None, False))
        ordered = sum(i.quantity for i in items)
        shipped = sum(i.quantity_shipped for i in items)
        label = "Partly shipped" if 0 < shipped < ordered else "Shipped"
        last_shipped = shipments[-1].created_at if shipments else None
        steps.append(Step(label, last_shipped, shipped >= ordered > 0, 0 < shipped < ordered))
        back = sum(i.quantity_returned for i in items)
        if back:
            label = "Returned" if back >= shipped else "Partly returned"
            when = _last(events, EventType.RETURN_STATUS_CHANGED, to=("RECEIVED",))
            steps.append(Step(label, when, True))
    if order.amount_refunded > 0:
        label = "Refunded" if order.amount_refunded >= order.amount_paid else "Partly refunded"
        steps.append(Step(label, _last(events, EventType.REFUND_ISSUED), True))
    return steps


def parcels(order: Order, shipments: list[Shipment], lines: list[ShipmentItem]) -> list[Parcel]:
    """Shipments grouped by tracking number, each number once (a re-ship under the same
    number is one parcel with two dates); the order's own number if no shipment has it."""
    grouped: dict[str, list[Shipment]] = {}
    for shipment in shipments:
        grouped.setdefault(shipment.tracking_number, []).append(shipment)
    found = []
    for number, group in grouped.items():
        ids = {s.id for s in group}
        counted: dict[str, int] = {}
        for line in lines:
            if line.shipment_id in ids:
                counted[line.name] = counted.get(line.name, 0) + line.quantity
        carrier = next((s.carrier for s in group if s.carrier), "")
        found.append(
            Parcel(
                number=number,
                carrier=carrier_name(carrier, number),
                url=tracking_url(number, carrier or None),
                dates=[s.created_at for s in group],
                items=list(counted.items()),
            )
        )
    if order.tracking_number and order.tracking_number not in grouped:
        found.append(
            Parcel(
                number=order.tracking_number,
                carrier=carrier_name(order.carrier, order.tracking_number),
                url=tracking_url(order.tracking_number, order.carrier or None),
                dates=[],
                items=[],
            )
        )
    return found


def update_text(event: OrderEvent) -> str | None:
    """A PUBLIC timeline entry in the customer's words (None: nothing to tell them)."""
    data = event.data
    if event.type == EventType.ORDER_PLACED:
        return "Order placed."
    if event.type == EventType.STATUS_CHANGED:
        return f"Status: {STATUS_TEXT.get(str(data.get('to')), str(data.get('to')))}."
    if event.type == EventType.PAYMENT_RECORDED:
        done = {
            "CAPTURE": "received",
            "AUTHORIZATION": "authorized",
            "VOID": "released",
        }.get(str(data.get("kind")))
        return f"Payment of {data.get('amount')} {data.get('currency')} {done}." if done else None
    if event.type == EventType.TRACKING_NUMBER_SET:
        number = str(data.get("trackingNumber") or "")
        carrier = carrier_name(data.get("carrier"), number)
        return f"Tracking number {number}" + (f" ({carrier})" if carrier else "") + " added."
    if event.type == EventType.NOTE:
        who = "You wrote" if event.actor_kind == "CUSTOMER" else "The store wrote"
        return f"{who}: {event.message}"
    if event.type == EventType.RETURN_REQUESTED:
        return "Return requested."
    if event.type == EventType.RETURN_STATUS_CHANGED:
        return f"Return: {RETURN_TEXT.get(str(data.get('to')), str(data.get('to')))}."
    if event.type == EventType.REFUND_ISSUED:
        return f"Refunded {data.get('amount')} {data.get('currency')}."
    return event.message or None
