"""The transactional outbox: every change writes its events in its own transaction (the
order timeline, and `outbox` for the rest); the worker's dispatcher turns each one, once,
into webhook deliveries, customer emails and a live update.

A dispatch claims a set of undispatched events, writes their deliveries and emails and
marks them dispatched in one transaction, so an event is fanned out once even when workers
race or die; live updates are published after that commit. A worker killed between a
change's commit and the dispatch leaves the events undispatched for the next look (every
second, and at once when a request wakes it).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from app import live
from app.db import atomic, insert_rows, is_postgres
from app.models import (
    DeliveryStatus,
    EventVisibility,
    Order,
    OrderEvent,
    OutboxEntry,
    Webhook,
)
from app.services import emails, snapshots
from app.services.events import EventType
from app.settings import Settings

DISPATCH_SET = 500

# Timeline entries that are news for a webhook. Only PUBLIC entries feed the order topics,
# so the staff's notes and edit details never reach one.
ORDER_TOPICS: dict[str, str] = {
    EventType.ORDER_PLACED: "order.created",
    EventType.ORDER_EDITED: "order.updated",
    EventType.BILLING_ADDRESS_UPDATED: "order.updated",
    EventType.SHIPPING_ADDRESS_UPDATED: "order.updated",
    EventType.SHIPPING_METHOD_UPDATED: "order.updated",
    EventType.COMMENT_UPDATED: "order.updated",
    EventType.STATUS_CHANGED: "order.status_changed",
    EventType.ORDER_CANCELLED: "order.cancelled",
    EventType.TRACKING_NUMBER_SET: "order.tracking_added",
}
ENTITY_TOPICS: dict[str, str] = {
    EventType.SHIPMENT_CREATED: "shipment.created",
    EventType.SHIPMENT_DELETED: "shipment.deleted",
    EventType.RETURN_REQUESTED: "return.created",
    EventType.RETURN_STATUS_CHANGED: "return.status_changed",
    EventType.REFUND_ISSUED: "refund.created",
    EventType.PAYMENT_RECORDED: "payment.recorded",
    EventType.REFUND_REQUESTED: "refund.requested",
    EventType.REFUND_REQUEST_CANCELLED: "refund.request_cancelled",
}
# the id in the timeline entry's data that names the entity, and how to load a set of them
_ENTITY_IDS: dict[str, str] = {
    "shipment.created": "shipmentId",
    "return.created": "returnId",
    "return.status_changed": "returnId",
    "refund.created": "refundId",
    "payment.recorded": "transactionId",
    "refund.requested": "refundRequestId",
    "refund.request_cancelled": "refundRequestId",
}
_LOADERS: dict[str, Callable[[set[int]], Awaitable[dict[int, snapshots.Snapshot]]]] = {
    "shipment.created": snapshots.shipments,
    "return.created": snapshots.returns,
    "return.status_changed": snapshots.returns,
    "refund.created": snapshots.refunds,
    "payment.recorded": snapshots.transactions,
    "refund.requested": snapshots.refund_requests,
    "refund.request_cancelled": snapshots.refund_requests,
}


async def add(topic: str, data: dict[str, Any]) -> None:
    """An event that is on no order's timeline, in the caller's transaction."""
    await OutboxEntry.create(topic=topic, data=data)


def topic_of(event: OrderEvent) -> str | None:
    if event.type in ENTITY_TOPICS:
        return ENTITY_TOPICS[event.type]
    if event.visibility is EventVisibility.PUBLIC:
        return ORDER_TOPICS.get(event.type)
    return None


@dataclass
class Dispatched:
    # what the live channel carries once the transaction has committed
    live: list[dict[str, Any]] = field(default_factory=list)
    deliveries: int = 0
    emails: int = 0

    @property
    def events(self) -> int:
        return len(self.live)


@dataclass
class _Message:
    message_id: str
    topic: str
    payload: str


async def _claim(model: type[OrderEvent] | type[OutboxEntry]) -> list[Any]:
    rows = model.filter(dispatched=False).order_by("id").limit(DISPATCH_SET)
    if is_postgres():
        rows = rows.select_for_update(skip_locked=True)
    return list(await rows)


DELIVERY_COLUMNS = (
    "webhook_id",
    "message_id",
    "event",
    "payload",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
)


def _deliveries(messages: list[_Message], webhooks: list[Webhook]) -> list[tuple[Any, ...]]:
    """One PENDING delivery row per message and webhook that wants its topic."""
    now = datetime.now(UTC)
    return [
        (
            webhook.id,
            m.message_id,
            m.topic,
            m.payload,
            DeliveryStatus.PENDING.value,
            0,
            now,
            "",
            now,
        )
        for m in messages
        for webhook in webhooks
        if m.topic in webhook.events
    ]


async def dispatch(settings: Settings) -> Dispatched:
    """Fan out one set of undispatched events (at most DISPATCH_SET of each kind)."""
    done = Dispatched()
    async with atomic():
        events: list[OrderEvent] = await _claim(OrderEvent)
        entries: list[OutboxEntry] = await _claim(OutboxEntry)
        if not events and not entries:
            return done
        webhooks = await Webhook.filter(active=True)
        wanted = {topic for w in webhooks for topic in w.events}
        orders = {
            o["id"]: o
            for o in await Order.filter(id__in={e.order_id for e in events}).values(
                "id", "number", "customer_id", "email"
            )
        }
        cache = snapshots.OrderSnapshots()
        messages = await _messages(events, entries, wanted, orders, cache)
        rows = _deliveries(messages, webhooks)
        await insert_rows("webhook_deliveries", DELIVERY_COLUMNS, rows)
        done.deliveries = len(rows)
        if settings.notify:
            done.emails = await emails.write_for(events, orders, cache, settings)
        if events:
            await OrderEvent.filter(id__in=[e.id for e in events]).update(dispatched=True)
        if entries:
            await OutboxEntry.filter(id__in=[e.id for e in entries]).update(dispatched=True)
    done.live = [
        {
            "id": e.id,
            "orderId": e.order_id,
            "customerId": orders.get(e.order_id, {}).get("customer_id"),
            "visibility": e.visibility.value,
        }
        for e in events
    ]
    return done


async def _messages(
    events: list[OrderEvent],
    entries: list[OutboxEntry],
    wanted: set[str],
    orders: dict[int, dict[str, Any]],
    cache: snapshots.OrderSnapshots,
) -> list[_Message]:
    """The webhook bodies of the events some webhook wants, built in sets."""
    chosen = [(e, topic) for e in events if (topic := topic_of(e)) in wanted]
    order_ids = {e.order_id for e, topic in chosen if topic.startswith("order.")}
    order_snapshots = await cache.of(order_ids)
    needed: dict[str, set[int]] = defaultdict(set)
    for e, topic in chosen:
        if topic in _ENTITY_IDS and isinstance(e.data.get(_ENTITY_IDS[topic]), int):
            needed[topic].add(e.data[_ENTITY_IDS[topic]])
    loaded: dict[str, dict[int, snapshots.Snapshot]] = {}
    for topic, ids in needed.items():
        loaded[topic] = await _LOADERS[topic](ids)
    messages = []
    for e, topic in chosen:
        data: dict[str, Any] | None
        if topic.startswith("order."):
            found = order_snapshots.get(e.order_id)
            data = {**found, "change": e.data} if found else None
        elif topic == "shipment.deleted":
            order = orders.get(e.order_id, {})
            data = {
                "id": snapshots.global_id("Shipment", e.data.get("shipmentId")),
                "order": {
                    "id": snapshots.global_id("Order", e.order_id),
                    "number": order.get("number"),
                },
                "trackingNumber": e.data.get("trackingNumber"),
            }
        else:
            data = loaded.get(topic, {}).get(e.data.get(_ENTITY_IDS[topic], 0))
        if data is not None:  # gone by now (a deleted order): nothing true to say
            messages.append(_message(f"msg_oe{e.id}", topic, e.created_at, data))
    messages += [
        _message(f"msg_ob{entry.id}", entry.topic, entry.created_at, entry.data)
        for entry in entries
        if entry.topic in wanted
    ]
    return messages


def _message(message_id: str, topic: str, at: datetime, data: dict[str, Any]) -> _Message:
    body = {"type": topic, "timestamp": at.astimezone(UTC).isoformat(), "data": data}
    return _Message(message_id, topic, orjson.dumps(body).decode())


async def publish(redis: Any, dispatched: Dispatched) -> None:
    """Tell every API process's subscribers (Redis pub/sub reaches them all)."""
    await live.publish(redis, live.ORDER_EVENTS, dispatched.live)
