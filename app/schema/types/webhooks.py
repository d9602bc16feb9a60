"""Webhooks and their deliveries as GraphQL sees them (WEBHOOKS_MANAGE only)."""

from __future__ import annotations

from datetime import datetime

import orjson
import strawberry
from strawberry.scalars import JSON

from app.models import DeliveryStatus as DeliveryStatusModel
from app.models import Webhook as WebhookModel
from app.models import WebhookDelivery as WebhookDeliveryModel
from app.schema.cost import most
from app.schema.ids import to_global_id
from app.services.webhooks import TOPICS

strawberry.enum(DeliveryStatusModel, name="WebhookDeliveryStatus")
WebhookDeliveryStatus = DeliveryStatusModel


@strawberry.type(
    description="Where the store posts events. The signing secret is shown once, by createWebhook."
)
class Webhook:
    id: strawberry.ID
    url: str
    events: list[str] = strawberry.field(directives=[most(len(TOPICS))])
    active: bool
    description: str
    created_at: datetime
    consecutive_failures: int
    failing_since: datetime | None = strawberry.field(
        description="The first failed attempt since the last delivered one."
    )
    disabled_at: datetime | None
    disabled_reason: str | None

    @classmethod
    def build(cls, row: WebhookModel) -> Webhook:
        return cls(
            id=to_global_id("Webhook", row.id),
            url=row.url,
            events=list(row.events),
            active=row.active,
            description=row.description,
            created_at=row.created_at,
            consecutive_failures=row.consecutive_failures,
            failing_since=row.failing_since,
            disabled_at=row.disabled_at,
            disabled_reason=row.disabled_reason or None,
        )


@strawberry.type(description="One event for one webhook, and how sending it went.")
class WebhookDelivery:
    id: strawberry.ID
    event: str = strawberry.field(description="The event's type, e.g. order.created.")
    message_id: str = strawberry.field(
        description="The webhook-id header: the same on every attempt and redelivery."
    )
    status: WebhookDeliveryStatus
    attempts: int
    response_status: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    next_attempt_at: datetime | None
    payload: JSON = strawberry.field(description="The body sent: { type timestamp data }.")

    @classmethod
    def build(cls, row: WebhookDeliveryModel) -> WebhookDelivery:
        return cls(
            id=to_global_id("WebhookDelivery", row.id),
            event=row.event,
            message_id=row.message_id,
            status=row.status,
            attempts=row.attempts,
            response_status=row.response_status,
            last_error=row.last_error or None,
            created_at=row.created_at,
            delivered_at=row.delivered_at,
            next_attempt_at=row.next_attempt_at,
            payload=orjson.loads(row.payload),
        )
