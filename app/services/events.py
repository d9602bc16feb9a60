"""The order timeline: append-only, PUBLIC entries are what a customer sees."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from app.db import insert_rows
from app.models import EventVisibility, OrderEvent, OrderStatus
from app.services import jobs
from app.services.auth import Viewer


class EventType(StrEnum):
    """Every kind of entry on an order's timeline."""

    ORDER_PLACED = "ORDER_PLACED"
    ORDER_EDITED = "ORDER_EDITED"
    ORDER_EDIT_DETAILS = "ORDER_EDIT_DETAILS"
    BILLING_ADDRESS_UPDATED = "BILLING_ADDRESS_UPDATED"
    SHIPPING_ADDRESS_UPDATED = "SHIPPING_ADDRESS_UPDATED"
    SHIPPING_METHOD_UPDATED = "SHIPPING_METHOD_UPDATED"
    COMMENT_UPDATED = "COMMENT_UPDATED"
    STAFF_NOTES_UPDATED = "STAFF_NOTES_UPDATED"
    NOTE = "NOTE"
    STATUS_CHANGED = "STATUS_CHANGED"
    STATUS_NOTE = "STATUS_NOTE"
    TRACKING_NUMBER_SET = "TRACKING_NUMBER_SET"
    SHIPMENT_CREATED = "SHIPMENT_CREATED"
    SHIPMENT_DELETED = "SHIPMENT_DELETED"
    RETURN_REQUESTED = "RETURN_REQUESTED"
    RETURN_STATUS_CHANGED = "RETURN_STATUS_CHANGED"
    RETURN_NOTE = "RETURN_NOTE"
    REFUND_ISSUED = "REFUND_ISSUED"
    REFUND_REASON = "REFUND_REASON"
    REFUND_REQUESTED = "REFUND_REQUESTED"
    REFUND_REQUEST_CANCELLED = "REFUND_REQUEST_CANCELLED"
    REFUND_MATCHED = "REFUND_MATCHED"
    ORDER_CANCELLED = "ORDER_CANCELLED"
    PAYMENT_RECORDED = "PAYMENT_RECORDED"


@dataclass(frozen=True)
class NewEvent:
    type: EventType
    message: str
    visibility: EventVisibility = EventVisibility.PUBLIC
    data: dict[str, Any] = field(default_factory=dict)


async def record(order_id: int, viewer: Viewer, *events: NewEvent) -> None:
    """Append events to an order's timeline in one statement (the outbox too: the
    dispatcher fans them out once the transaction commits)."""
    jobs.announce()
    await OrderEvent.bulk_create(
        [
            OrderEvent(
                order_id=order_id,
                type=e.type,
                visibility=e.visibility,
                actor_id=viewer.user_id,
                actor_kind=actor_kind(viewer),
                actor=viewer.label,
                message=e.message,
                data=e.data,
            )
            for e in events
        ]
    )


async def record_set(viewer: Viewer, pairs: Sequence[tuple[int, NewEvent]], now: datetime) -> None:
    """(order id, event) pairs of many orders, in one insert (the set-based writers')."""
    if not pairs:
        return
    jobs.announce()
    await insert_rows(
        "order_events", EVENT_COLUMNS, [as_row(order_id, viewer, e, now) for order_id, e in pairs]
    )


def actor_kind(viewer: Viewer) -> str:
    if viewer.kind is None:
        return "GUEST"
    if viewer.user_id is None:
        return "SYSTEM"
    return viewer.kind.value


def status_changed(
    previous: OrderStatus, to: OrderStatus, *, cause: str = "", tail: str = "", **data: Any
) -> NewEvent:
    """The one STATUS_CHANGED entry: "Status changed from A to B.", or with a cause first
    ("Payment paid in full: status changed ...") and a tail before the full stop."""
    changed = f"tatus changed from {previous.value} to {to.value}{tail}."
    message = f"{cause}: s{changed}" if cause else f"S{changed}"
    return NewEvent(
        EventType.STATUS_CHANGED, message, data={"from": previous.value, "to": to.value, **data}
    )


def tracking_set(number: str, carrier: str | None, **data: Any) -> NewEvent:
    """The one TRACKING_NUMBER_SET entry, from addTracking and from an import alike."""
    shown = f" ({carrier})" if carrier else ""
    return NewEvent(
        EventType.TRACKING_NUMBER_SET,
        f"Tracking number {number}{shown} added.",
        data={"trackingNumber": number, "carrier": carrier or None, **data},
    )


# The order_events columns, for set-based inserts (app.db.insert_rows).
EVENT_COLUMNS = (
    "order_id",
    "type",
    "visibility",
    "actor_id",
    "actor_kind",
    "actor",
    "message",
    "data",
    "created_at",
)


def as_row(order_id: int, viewer: Viewer, event: NewEvent, now: datetime) -> tuple[Any, ...]:
    """An event as a row of EVENT_COLUMNS."""
    return (
        order_id,
        event.type.value,
        event.visibility.value,
        viewer.user_id,
        actor_kind(viewer),
        viewer.label,
        event.message,
        orjson.dumps(event.data).decode(),
        now,
    )
