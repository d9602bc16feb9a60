"""The order timeline: append-only, PUBLIC entries are what a customer sees."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.models import EventVisibility, OrderEvent
from app.services.auth import Viewer


@dataclass(frozen=True)
class NewEvent:
    type: str
    message: str
    visibility: EventVisibility = EventVisibility.PUBLIC
    data: dict[str, Any] = field(default_factory=dict)


async def record(order_id: int, viewer: Viewer, *events: NewEvent) -> None:
    """Append events to an order's timeline in one statement."""
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


def actor_kind(viewer: Viewer) -> str:
    if viewer.kind is None:
        return "GUEST"
    if viewer.user_id is None:
        return "SYSTEM"
    return viewer.kind.value


def visible_events(viewer: Viewer) -> list[EventVisibility]:
    if viewer.is_staff:
        return [EventVisibility.PUBLIC, EventVisibility.STAFF]
    return [EventVisibility.PUBLIC]
