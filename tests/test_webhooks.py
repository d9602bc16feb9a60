"""Webhooks end to end: a real receiver on a local port checks every delivery's signature
with the `standardwebhooks` library, answers 500s, 410s and hangs; the outbox is fanned out
once and survives a worker killed mid-send; private addresses are refused."""

from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from standardwebhooks.webhooks import Webhook as Verifier
from structlog.testing import capture_logs

from app.models import (
    DeliveryStatus,
    EmailMessage,
    OrderEvent,
    OutboxEntry,
    Webhook,
    WebhookDelivery,
)
from app.models.notifications import DESCRIPTION_MAX
from app.schema.ids import from_global_id
from app.services import maintenance, outbox, webhook_delivery, webhooks
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient, app_settings, count_queries, run_jobs, upload
from tests.factories import NOTE, REFUND, UPDATE_ORDER, create_product, paid, placed, record_payment
from tests.processes import free_port, start_worker
from tests.receivers import Receiver, receiver
from tests.test_documents import GENERATE
from tests.test_imports import IMPORT

CREATE = """
mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    webhook { id url events active description consecutiveFailures }
    secret
    errors { code message field }
  }
}"""
UPDATE = """
mutation($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) {
    webhook { id url events active disabledReason consecutiveFailures }
    errors { code message field }
  }
}"""
DELETE = """
mutation($id: ID!) { deleteWebhook(id: $id) { deletedId errors { code message field } } }"""
DELIVERIES = """
query($id: ID!, $status: WebhookDeliveryStatus) {
  webhookDeliveries(webhookId: $id, status: $status, first: 50) {
    edges { node {
      id event messageId status attempts responseStatus lastError deliveredAt payload
    } }
  }
}"""
WEBHOOKS = """
{ webhooks(first: 10) { edges { node {
  id url events active consecutiveFailures disabledReason
} } } }"""
REDELIVER = """
mutation($id: ID!) {
  redeliverWebhook(deliveryId: $id) {
    delivery { id messageId status attempts } errors { code message field }
  }
}"""
SHIP = """
mutation($id: ID!, $input: ShipOrderInput!) {
  shipOrder(orderId: $id, input: $input) { shipment { id } errors { code message } }
}"""


def delivering(settings: Settings, **changes: Any) -> Settings:
    """The worker's settings for a test: the receiver is on 127.0.0.1."""
    return replace(settings, webhook_allow_private=True, **changes)


async def create_webhook(
    gql: GraphQLClient, app: Any, token: str, url: str, events: list[str]
) -> dict[str, Any]:
    with app_settings(app, webhook_allow_private=True):
        data = await gql.data(CREATE, {"input": {"url": url, "events": events}}, token)
    payload: dict[str, Any] = data["createWebhook"]
    assert payload["errors"] == [], payload["errors"]
    return payload


async def fan_out(settings: Settings) -> int:
    """Dispatch until the outbox is empty; the number of deliveries written."""
    written = 0
    while (done := await outbox.dispatch(settings)).events or done.deliveries:
        written += done.deliveries
    return written


async def deliver(settings: Settings) -> int:
    async with webhook_delivery.http_client(settings) as client:
        return await webhook_delivery.deliver_due(client, settings)


def verified(hook: Receiver, secret: str) -> list[dict[str, Any]]:
    """Every body the receiver got, each checked against its signature."""
    verifier = Verifier(secret)
    bodies = []
    for got in hook.received:
        verifier.verify(got.body, got.headers)  # raises on a bad or missing signature
        bodies.append(orjson.loads(got.body))
    return bodies


async def deliveries(gql: GraphQLClient, token: str, webhook_id: str) -> list[dict[str, Any]]:
    data = await gql.data(DELIVERIES, {"id": webhook_id}, token)
    return [edge["node"] for edge in data["webhookDeliveries"]["edges"]]


async def test_a_placed_order_reaches_the_receiver_signed_and_once(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    async with receiver() as hook:
        created = await create_webhook(
            gql, app, actors.admin.token, hook.url, ["order.created", "order.status_changed"]
        )
        assert created["secret"].startswith("whsec_")
        assert created["webhook"]["events"] == ["order.created", "order.status_changed"]
        order = await placed(gql, actors.customer.token, [("TEE", 2)])
        settings = delivering(settings_with_redis)

        assert await fan_out(settings) == 1
        assert await fan_out(settings) == 0  # an event is fanned out once
        assert await deliver(settings) == 1
        assert await deliver(settings) == 0

        (body,) = verified(hook, created["secret"])
        assert body["type"] == "order.created"
        assert body["data"]["number"] == order["number"]
        assert body["data"]["items"][0]["quantity"] == 2
        assert body["data"]["total"] == order["total"]
        assert body["data"]["shipments"] == []  # none yet: a list, never null
        assert "staffNotes" not in body["data"]
        (got,) = hook.received
        # sent to the address checked, under the URL's own host name
        assert got.headers["host"] == f"127.0.0.1:{hook.port}"
        assert got.headers["webhook-id"].startswith("msg_")
        assert got.headers["content-type"] == "application/json"

    (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
    assert (row["event"], row["status"], row["attempts"], row["responseStatus"]) == (
        "order.created",
        "SUCCEEDED",
        1,
        200,
    )
    assert row["messageId"] == got.headers["webhook-id"]
    assert row["payload"] == body
    delivered = datetime.fromisoformat(row["deliveredAt"])
    assert abs((datetime.now(UTC) - delivered).total_seconds()) < 60
    assert await OrderEvent.filter(dispatched=False).count() == 0


async def test_a_failing_receiver_gets_retries_with_the_same_id_until_it_answers(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    async with receiver(500, 503, 200) as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        settings = delivering(settings_with_redis, webhook_retry_delays=(0.0, 0.0, 0.0))
        await fan_out(settings)

        await deliver(settings)
        (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
        assert (row["status"], row["attempts"], row["responseStatus"]) == ("RETRYING", 1, 500)
        assert row["lastError"].startswith("HTTP 500")
        webhook = await Webhook.get(id=from_global_id("Webhook", created["webhook"]["id"]))
        assert webhook.consecutive_failures == 1
        assert webhook.failing_since is not None

        await deliver(settings)
        await deliver(settings)
        bodies = verified(hook, created["secret"])

    assert len(bodies) == 3
    assert bodies[0] == bodies[1] == bodies[2]
    assert len({got.headers["webhook-id"] for got in hook.received}) == 1
    (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
    assert (row["status"], row["attempts"], row["responseStatus"]) == ("SUCCEEDED", 3, 200)
    await webhook.refresh_from_db()
    assert webhook.consecutive_failures == 0
    assert webhook.failing_since is None


async def test_the_retry_schedule_runs_out_and_staff_can_redeliver(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    async with receiver(500, 500, 200) as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        settings = delivering(settings_with_redis, webhook_retry_delays=(0.0,))
        await fan_out(settings)
        await deliver(settings)
        await deliver(settings)
        assert await deliver(settings) == 0  # given up: nothing is due any more
        webhook_id = created["webhook"]["id"]
        (failed,) = await deliveries(gql, actors.admin.token, webhook_id)
        assert (failed["status"], failed["attempts"]) == ("FAILED", 2)

        data = await gql.data(REDELIVER, {"id": failed["id"]}, actors.admin.token)
        again = data["redeliverWebhook"]["delivery"]
        assert (again["status"], again["messageId"]) == ("PENDING", failed["messageId"])
        await deliver(settings)
        verified(hook, created["secret"])

    assert len(hook.received) == 3
    failed_only = await gql.data(
        DELIVERIES, {"id": webhook_id, "status": "FAILED"}, actors.admin.token
    )
    edges = failed_only["webhookDeliveries"]["edges"]
    assert [edge["node"]["id"] for edge in edges] == [failed["id"]]
    rows = await deliveries(gql, actors.admin.token, webhook_id)
    assert [r["status"] for r in rows] == ["SUCCEEDED", "FAILED"]  # newest first
    # an id that is not a webhook's lists nothing, whichever webhooks have deliveries
    for other in ("T3JkZXI6MQ==", "V2ViaG9vazo5OTk5OQ==", "junk"):
        assert await deliveries(gql, actors.admin.token, other) == []


async def test_410_disables_the_webhook_and_tells_the_others(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver(410) as gone, receiver() as watcher:
        created = await create_webhook(gql, app, actors.admin.token, gone.url, ["order.created"])
        watching = await create_webhook(
            gql, app, actors.admin.token, watcher.url, ["webhook.disabled"]
        )
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await fan_out(settings)
        with capture_logs() as logged:
            await deliver(settings)
        assert len(gone.received) == 2
        # operators read which webhook went off, and why, in the worker's log
        webhook_id = from_global_id("Webhook", created["webhook"]["id"])
        assert [e for e in logged if e["event"] == "webhook_disabled"] == [
            {
                "event": "webhook_disabled",
                "log_level": "warning",
                "webhook_id": webhook_id,
                "reason": "The receiver answered 410 Gone.",
            }
        ]

        edges = (await gql.data(WEBHOOKS, token=actors.admin.token))["webhooks"]["edges"]
        hooks = [edge["node"] for edge in edges]
        # newest first
        assert [h["id"] for h in hooks] == [watching["webhook"]["id"], created["webhook"]["id"]]
        disabled = next(h for h in hooks if h["id"] == created["webhook"]["id"])
        assert disabled["active"] is False
        assert disabled["disabledReason"] == "The receiver answered 410 Gone."
        await fan_out(settings)
        await deliver(settings)
        (news,) = verified(watcher, watching["secret"])
        assert news["type"] == "webhook.disabled"
        assert news["data"]["url"] == gone.url

        # nothing more goes to a disabled webhook; switched back on, it gets new events
        await placed(gql, actors.customer.token, [("TEE", 1)])
        assert await fan_out(settings) == 0
        refused = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
        assert [d["status"] for d in refused] == ["FAILED", "FAILED"]
        again = await gql.data(REDELIVER, {"id": refused[0]["id"]}, actors.admin.token)
        assert [(e["code"], e["field"]) for e in again["redeliverWebhook"]["errors"]] == [
            ("INVALID_INPUT", ["deliveryId"])
        ]
        data = await gql.data(
            UPDATE,
            {"id": created["webhook"]["id"], "input": {"active": True}},
            actors.admin.token,
        )
        assert data["updateWebhook"]["webhook"]["disabledReason"] is None
        gone.statuses = [200]
        await placed(gql, actors.customer.token, [("TEE", 1)])
        assert await fan_out(settings) == 1
        await deliver(settings)
        assert len(gone.received) == 3


async def test_a_webhook_failing_for_a_day_is_disabled(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis, webhook_retry_delays=(0.0,) * 5)
    async with receiver(500) as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        webhook_id = from_global_id("Webhook", created["webhook"]["id"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await fan_out(settings)
        await deliver(settings)
        assert (await Webhook.get(id=webhook_id)).active  # one failure is not a day
        await Webhook.filter(id=webhook_id).update(
            failing_since=datetime.now(UTC) - timedelta(hours=23, minutes=59)
        )
        await deliver(settings)
        assert (await Webhook.get(id=webhook_id)).active  # nor is a minute short of one
        await Webhook.filter(id=webhook_id).update(
            failing_since=datetime.now(UTC) - timedelta(hours=24, seconds=1)
        )
        # a second event waits, not yet claimed, when the first one's failure disables
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await fan_out(settings)
        async with webhook_delivery.http_client(settings) as client:
            assert await webhook_delivery.deliver_due(client, settings, limit=1) == 1
        assert len(hook.received) == 3

    webhook = await Webhook.get(id=webhook_id)
    assert webhook.active is False
    assert webhook.disabled_reason == "Every delivery failed for 24 hours."
    assert webhook.disabled_at is not None
    assert webhook.consecutive_failures == 3
    tried, waiting = await WebhookDelivery.filter(webhook_id=webhook_id).order_by("id")
    assert (tried.status, tried.attempts) == (DeliveryStatus.FAILED, 3)
    assert (waiting.status, waiting.attempts, waiting.last_error) == (
        DeliveryStatus.FAILED,
        0,
        "Webhook disabled.",
    )


async def test_staff_only_text_never_reaches_a_webhook(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver() as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, webhooks.TOPICS)
        order = await paid(gql, actors.customer.token, [("TEE", 2)], actors.admin.token)
        admin = actors.admin.token
        await gql.data(UPDATE_ORDER, {"id": order["id"], "notes": "SECRET staff notes"}, admin)
        await gql.data(NOTE, {"id": order["id"], "text": "SECRET staff note"}, admin)
        item = order["items"][0]["id"]
        shipped = await gql.data(
            SHIP,
            {
                "id": order["id"],
                "input": {
                    "items": [{"orderItemId": item, "quantity": 1}],
                    "trackingNumber": "1Z999AA10123456784",
                },
            },
            admin,
        )
        assert shipped["shipOrder"]["errors"] == []
        refunded = await gql.data(
            REFUND,
            {"id": order["id"], "input": {"amount": "5.00", "reason": "SECRET refund reason"}},
            admin,
        )
        assert refunded["refundOrder"]["errors"] == []
        await fan_out(settings)
        await deliver(settings)
        bodies = verified(hook, created["secret"])

    kinds = [b["type"] for b in bodies]
    for expected in (
        "order.created",
        "payment.recorded",
        "order.status_changed",
        "shipment.created",
        "refund.created",
    ):
        assert expected in kinds, kinds
    assert all(b"SECRET" not in got.body for got in hook.received)
    shipment = next(b for b in bodies if b["type"] == "shipment.created")["data"]
    assert shipment["trackingNumber"] == "1Z999AA10123456784"
    assert shipment["order"]["number"] == order["number"]
    refund = next(b for b in bodies if b["type"] == "refund.created")["data"]
    assert (refund["amount"], "reason" in refund) == ("5.00", False)
    assert refund["returnId"] is refund["returnRequest"] is None  # refunded without a return


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/hooks",
        "http://192.168.0.10/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
        "http://100.64.0.1/hooks",
    ],
)
async def test_private_and_metadata_addresses_are_refused(
    gql: GraphQLClient, actors: Actors, url: str
) -> None:
    data = await gql.data(
        CREATE, {"input": {"url": url, "events": ["order.created"]}}, actors.admin.token
    )
    (error,) = data["createWebhook"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_WEBHOOK_URL", ["url"])
    assert await Webhook.all().count() == 0


async def test_malformed_webhooks_are_refused_with_every_reason(
    gql: GraphQLClient, actors: Actors
) -> None:
    for url in (
        "ftp://example.com/x",
        "http://user:pw@93.184.215.14/",
        "http://user@93.184.215.14/",  # a user name alone, or a password alone
        "http://:pw@93.184.215.14/",
        "no url",
        "x" * 3000,
    ):
        data = await gql.data(
            CREATE, {"input": {"url": url, "events": ["order.created"]}}, actors.admin.token
        )
        assert [e["code"] for e in data["createWebhook"]["errors"]] == ["INVALID_WEBHOOK_URL"]
    data = await gql.data(
        CREATE,
        {"input": {"url": "https://93.184.215.14/hooks", "events": ["order.shipped", "x"]}},
        actors.admin.token,
    )
    (error,) = data["createWebhook"]["errors"]
    assert error["field"] == ["events"]
    assert "order.shipped" in error["message"]
    # a public address is taken (nothing is sent until an event happens)
    data = await gql.data(
        CREATE,
        {"input": {"url": "https://93.184.215.14/hooks", "events": ["order.created"]}},
        actors.admin.token,
    )
    assert data["createWebhook"]["errors"] == []


async def test_a_receiver_that_turned_private_is_refused_at_delivery(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    async with receiver() as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        strict = replace(settings_with_redis, webhook_allow_private=False)
        await fan_out(strict)
        await deliver(strict)
    assert hook.received == []
    (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
    assert row["status"] == "RETRYING"
    assert "private" in row["lastError"]


async def test_only_webhook_managers_see_or_change_webhooks(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    created = await create_webhook(
        gql, app, actors.admin.token, "http://127.0.0.1:9/x", ["order.created"]
    )
    webhook_id = created["webhook"]["id"]
    for token in (actors.support.token, actors.fulfillment.token, actors.customer.token):
        data = await gql.data(
            CREATE, {"input": {"url": "https://93.184.215.14/", "events": ["order.created"]}}, token
        )
        assert [e["code"] for e in data["createWebhook"]["errors"]] == ["FORBIDDEN"]
        data = await gql.data(DELETE, {"id": webhook_id}, token)
        assert [e["code"] for e in data["deleteWebhook"]["errors"]] == ["FORBIDDEN"]
        body = await gql(WEBHOOKS, token=token, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await gql(WEBHOOKS, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    data = await gql.data(DELETE, {"id": webhook_id}, actors.admin.token)
    assert data["deleteWebhook"] == {"deletedId": webhook_id, "errors": []}
    data = await gql.data(DELETE, {"id": webhook_id}, actors.admin.token)
    assert [(e["code"], e["field"], e["message"]) for e in data["deleteWebhook"]["errors"]] == [
        ("NOT_FOUND", ["id"], "Webhook not found.")
    ]


async def test_the_outbox_survives_a_worker_killed_mid_send(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """No worker runs while the order is placed: its event waits in the outbox. The first
    worker sends it and is killed before the receiver answers; the next one sends it again
    once the dead worker's claim runs out. At least once: the receiver sees the same
    webhook-id twice and can drop the second."""
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    fast = {
        "BITCART_WEBHOOK_ALLOW_PRIVATE": "1",
        "BITCART_WEBHOOK_TIMEOUT": "1",
        "BITCART_WORKER_LEASE_SECONDS": "2",
    }
    async with receiver() as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        hook.delay = 30  # the first worker waits on the answer when it is killed
        first = await start_worker(settings_with_redis, **fast)
        try:
            await hook.wait_for(1)
        finally:
            first.send_signal(signal.SIGKILL)
            await first.wait()
        (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
        assert (row["status"], row["attempts"]) == ("PENDING", 0)

        hook.delay = 0
        second = await start_worker(settings_with_redis, **fast)
        try:
            await hook.wait_for(2)
            for _ in range(100):
                (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
                if row["status"] == "SUCCEEDED":
                    break
                await asyncio.sleep(0.1)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()
        bodies = verified(hook, created["secret"])

    assert row["status"] == "SUCCEEDED"
    assert bodies[0] == bodies[1]
    assert len({got.headers["webhook-id"] for got in hook.received}) == 1
    assert await WebhookDelivery.all().count() == 1  # fanned out once, sent twice


async def test_payments_documents_and_imports_have_events(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    app: Any,
    settings_with_redis: Settings,
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver() as hook:
        created = await create_webhook(
            gql, app, actors.admin.token, hook.url, ["payment.recorded", "document.ready"]
        )
        order = await placed(gql, actors.customer.token, [("TEE", 1)])
        payload = await record_payment(
            gql, actors.admin.token, order, provider="stripe", reference="pi_123"
        )
        assert payload["errors"] == []
        await fan_out(settings)
        await deliver(settings)
        (body,) = verified(hook, created["secret"])
    assert body["type"] == "payment.recorded"
    assert body["data"]["reference"] == "pi_123"
    assert body["data"]["order"]["number"] == order["number"]
    # a batch of documents rendered by the worker, and a tracking import it finished
    async with receiver() as hook:
        created = await create_webhook(
            gql, app, actors.admin.token, hook.url, ["document.ready", "import.finished"]
        )
        made = await gql.data(
            GENERATE, {"ids": [order["id"]], "kind": "INVOICE"}, actors.admin.token
        )
        document = made["generateDocuments"]["document"]
        csv = f"Order Number,Tracking Number\n{order['number']},1Z999AA10123456784\n".encode()
        body = await upload(http, IMPORT, {}, csv, actors.admin.token)
        tracking_import = body["data"]["importTracking"]["trackingImport"]
        await run_jobs(settings_with_redis)
        await fan_out(settings)
        await deliver(settings)
        bodies = {b["type"]: b["data"] for b in verified(hook, created["secret"])}
    assert bodies["document.ready"] == {
        **bodies["document.ready"],
        "id": document["id"],
        "kind": "INVOICE",
        "status": "READY",
        "orderNumbers": [order["number"]],
        "pageCount": 1,
        "url": f"/documents/{from_global_id('Document', document['id'])}",
    }
    ready = bodies["document.ready"]
    assert ready["createdAt"] <= ready["finishedAt"]  # both set: it is finished
    assert bodies["import.finished"] == {
        **bodies["import.finished"],
        "id": tracking_import["id"],
        "status": "SUCCEEDED",
        "totalRows": 1,
        "updated": 1,
        "failed": 0,
    }


async def test_a_dispatch_costs_the_same_few_queries_for_2_events_or_200(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """Webhook bodies and emails are built in sets: no query per event."""
    await create_product(gql, actors.admin.token, "TEE", stock=500)
    await create_webhook(gql, app, actors.admin.token, "http://127.0.0.1:9/x", webhooks.TOPICS)
    settings = delivering(settings_with_redis)

    async def busy_day(orders: int) -> None:
        for i in range(orders):
            order = await paid(gql, actors.customer.token, [("TEE", 1)], actors.admin.token)
            if i % 2 == 0:
                await gql.data(SHIP, {"id": order["id"], "input": {}}, actors.admin.token)

    await busy_day(1)
    with count_queries() as few:
        small = await outbox.dispatch(settings)
    await busy_day(40)
    with count_queries() as many:
        large = await outbox.dispatch(settings)
    assert small.events < 10
    assert large.events < outbox.DISPATCH_SET  # one set each
    assert large.events > 10 * small.events
    assert large.deliveries > 10 * small.deliveries
    assert large.emails > 10 * small.emails
    assert many.count == few.count, many.statements


async def test_finished_deliveries_are_forgotten_after_30_days(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    await create_webhook(gql, app, actors.admin.token, "http://127.0.0.1:9/x", ["order.created"])
    for _ in range(3):
        await placed(gql, actors.customer.token, [("TEE", 1)])
    await fan_out(delivering(settings_with_redis))
    first, second, third = await WebhookDelivery.all().order_by("id")
    old = datetime.now(UTC) - timedelta(days=31)
    # deliveries: the first finished and old, the second old and waiting, the third finished
    # and recent; emails are kept as long: an old failed one goes, an old waiting one and a
    # recent sent one stay
    await WebhookDelivery.filter(id__in=[first.id, third.id]).update(
        status=DeliveryStatus.SUCCEEDED
    )
    await WebhookDelivery.filter(id__in=[first.id, second.id]).update(created_at=old)
    waiting, failed, sent = await EmailMessage.all().order_by("id").values_list("id", flat=True)
    await EmailMessage.filter(id=failed).update(status=DeliveryStatus.FAILED, created_at=old)
    await EmailMessage.filter(id=waiting).update(created_at=old)
    await EmailMessage.filter(id=sent).update(status=DeliveryStatus.SUCCEEDED)
    # outbox entries: an old dispatched one goes; an old one not yet dispatched and a recent
    # one stay
    await OutboxEntry.create(topic="webhook.disabled", data={}, dispatched=True)
    waiting_entry = await OutboxEntry.create(topic="webhook.disabled", data={}, dispatched=False)
    await OutboxEntry.filter().update(created_at=old)
    recent_entry = await OutboxEntry.create(topic="webhook.disabled", data={}, dispatched=True)

    assert await maintenance.purge_notifications() == 3
    # an old one still waiting to be sent stays, as does everything recent
    remaining = await WebhookDelivery.all().order_by("id").values_list("id", flat=True)
    assert remaining == [second.id, third.id]
    kept = await EmailMessage.all().order_by("id").values_list("id", flat=True)
    assert kept == [waiting, sent]
    entries = await OutboxEntry.all().order_by("id").values_list("id", flat=True)
    assert entries == [waiting_entry.id, recent_entry.id]
    assert await WebhookDelivery.filter(webhook_id=first.webhook_id).count() == 2


async def test_webhook_changes_are_checked_like_new_ones(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    token = actors.admin.token
    created = await create_webhook(gql, app, token, "http://127.0.0.1:9/x", ["order.created"])
    webhook_id = created["webhook"]["id"]
    for input_, expected in (
        ({"events": []}, (["events"], "Name at least one event.")),
        ({"description": "d" * (DESCRIPTION_MAX + 1)}, (["description"], None)),
        ({"url": "https://no-such-host.invalid/hook"}, (["url"], None)),
    ):
        data = await gql.data(UPDATE, {"id": webhook_id, "input": input_}, token)
        [error] = data["updateWebhook"]["errors"]
        assert error["field"] == expected[0]
        if expected[1] is not None:
            assert error["message"] == expected[1]
    missing = await gql.data(
        UPDATE, {"id": "V2ViaG9vazo5OTk5OQ==", "input": {"active": False}}, token
    )
    assert [(e["code"], e["field"]) for e in missing["updateWebhook"]["errors"]] == [
        ("NOT_FOUND", ["id"])
    ]
    # a change that is accepted keeps the events in the documented order, once each
    with app_settings(app, webhook_allow_private=True):
        data = await gql.data(
            UPDATE,
            {
                "id": webhook_id,
                "input": {
                    "events": [
                        "refund.created",
                        "order.created",
                        "return.created",
                        "order.created",
                    ],
                    "description": " ops ",
                    "url": " http://127.0.0.1:9/moved ",
                },
            },
            token,
        )
    changed = data["updateWebhook"]["webhook"]
    # TOPICS' order, not the alphabet's: return.created before refund.created
    assert changed["events"] == ["order.created", "return.created", "refund.created"]
    assert changed["url"] == "http://127.0.0.1:9/moved"
    assert (await Webhook.get()).description == "ops"
    gone = await gql.data(REDELIVER, {"id": "V2ViaG9va0RlbGl2ZXJ5Ojk5OTk5"}, token)
    assert [(e["code"], e["field"], e["message"]) for e in gone["redeliverWebhook"]["errors"]] == [
        ("NOT_FOUND", ["deliveryId"], "Webhook delivery not found.")
    ]


def selection(shape: dict[str, Any]) -> str:
    """The GraphQL selection that asks for exactly the fields of a webhook's data."""
    fields = []
    for key, value in shape.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            value = value[0]
        fields.append(f"{key} {{ {selection(value)} }}" if isinstance(value, dict) else key)
    return " ".join(fields)


def without(shape: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in shape.items() if k not in keys}


async def test_a_webhook_reads_like_the_staff_query_of_the_same_object(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """Every event's `data` is what a staff query of the same fields answers (the promise of
    app/services/snapshots.py), field by field: money, ids, times, tracking links, payment
    figures, items and shipment lines, for orders, shipments, returns, refunds and payments.
    Where a webhook names a related object by id, the query reads it through the object."""
    from tests.test_returns import request_return, set_status
    from tests.test_shipments import ship

    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=20, price="10.00")
    await create_product(gql, admin, "B", stock=20, price="5.25")
    topics = [
        "order.created",
        "order.status_changed",
        "shipment.created",
        "return.created",
        "return.status_changed",
        "refund.created",
        "payment.recorded",
    ]
    settings = delivering(settings_with_redis)
    async with receiver() as hook:
        created = await create_webhook(gql, app, admin, hook.url, topics)
        order = await placed(
            gql, actors.customer.token, [("A", 3), ("B", 2)], customerComment="by the door"
        )
        payment = await record_payment(
            gql, admin, order, amount="20.00", provider="stripe", reference="pi_9"
        )
        assert payment["errors"] == []
        shipped = await ship(
            gql, admin, order, [(0, 2)], trackingNumber="1Z999AA10123456784", carrier="UPS"
        )
        assert shipped["errors"] == []
        asked = await request_return(gql, actors.customer.token, order, [(0, 1)], "too big")
        assert asked["errors"] == []
        return_id = asked["returnRequest"]["id"]
        for status in ("AUTHORIZED", "RECEIVED"):
            assert (await set_status(gql, admin, return_id, status))["errors"] == []
        refund = await gql.data(
            REFUND, {"id": order["id"], "input": {"amount": "7.50", "returnId": return_id}}, admin
        )
        assert refund["refundOrder"]["errors"] == []
        await fan_out(settings)
        await deliver(settings)
        bodies = verified(hook, created["secret"])
    assert {b["type"] for b in bodies} == set(topics)
    ref = {"id": order["id"], "number": order["number"]}
    changes: list[Any] = []
    for body in bodies:
        data = body["data"]
        if body["type"].startswith("order."):
            changes.append(data.get("change"))
            shape = without(data, "change")  # what the event changed, beside the order
            asked_for = f"query($id: ID!) {{ order(id: $id) {{ {selection(shape)} }} }}"
            answer = await gql.data(asked_for, {"id": data["id"]}, admin)
            assert shape == answer["order"], body["type"]
        elif body["type"] == "shipment.created":
            asked_for = f"query($id: ID!) {{ shipment(id: $id) {{ {selection(data)} }} }}"
            answer = await gql.data(asked_for, {"id": data["id"]}, admin)
            assert data == answer["shipment"]
            assert data["trackingUrl"] == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
            assert data["items"] == [{"sku": "A", "name": "Product A", "quantity": 2}]
        elif body["type"].startswith("return."):
            assert data["order"] == ref
            # the webhook names the order item by id and its sku beside it
            shape = without(data, "order") | {
                "items": [
                    without(i, "orderItem", "sku")
                    | {"orderItem": {"id": i["orderItem"], "sku": i["sku"]}}
                    for i in data["items"]
                ]
            }
            asked_for = (
                f"query($id: ID!) {{ order(id: $id) {{ returns {{ {selection(shape)} }} }} }}"
            )
            (answer,) = (await gql.data(asked_for, {"id": order["id"]}, admin))["order"]["returns"]
            assert shape == answer
        elif body["type"] == "refund.created":
            assert data["order"] == ref
            # the API's name for the link, and its first name, kept for receivers
            assert data["returnId"] == data["returnRequest"] == return_id
            shape = without(data, "order", "returnRequest", "returnId")
            asked_for = (
                f"query($id: ID!) {{ order(id: $id) {{ refunds {{ {selection(shape)} }} "
                "returns { id refund { id } } } }"
            )
            answer = (await gql.data(asked_for, {"id": order["id"]}, admin))["order"]
            assert [shape] == answer["refunds"]
            assert answer["returns"] == [{"id": return_id, "refund": {"id": data["id"]}}]
        else:
            assert body["type"] == "payment.recorded"
            assert data["order"] == ref
            shape = without(data, "order")
            asked_for = (
                f"query($id: ID!) {{ order(id: $id) {{ payment {{ transactions {{ "
                f"{selection(shape)} }} }} }} }}"
            )
            answer = (await gql.data(asked_for, {"id": order["id"]}, admin))["order"]
            transactions = answer["payment"]["transactions"]
            assert [shape] == [t for t in transactions if t["id"] == data["id"]]
            assert [t["kind"] for t in transactions] == ["CAPTURE", "REFUND"]
    assert sorted(sorted(c.items()) for c in changes) == sorted(
        sorted(c.items())
        for c in (
            {"status": "AWAITING_PAYMENT"},
            {"from": "AWAITING_PAYMENT", "to": "PARTIALLY_SHIPPED"},
            {"from": "PARTIALLY_SHIPPED", "to": "PARTIALLY_REFUNDED"},
        )
    )
    # the figures themselves, so that a wrong one on both sides could not pass either
    final = next(b["data"] for b in bodies if b["type"] == "order.created")
    assert (final["subtotal"], final["total"], final["customerComment"]) == (
        "40.50",
        "40.50",
        "by the door",
    )
    assert final["payment"] | {"method": None, "provider": None, "status": None} == {
        "method": None,
        "provider": None,
        "status": None,
        "amountAuthorized": "0.00",
        "amountPaid": "20.00",
        "amountRefunded": "7.50",
        "refundRequested": "0.00",
        "balanceDue": "20.50",
        "refundDue": "0.00",
    }
    assert [(i["sku"], i["quantityShipped"], i["quantityReturned"]) for i in final["items"]] == [
        ("A", 2, 1),
        ("B", 0, 0),
    ]


async def test_a_failed_attempt_says_what_the_receiver_answered_briefly(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """The last error quotes the start of the receiver's answer (the status alone when it
    said nothing), and a receiver slower than the timeout is a failed attempt."""
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(
        settings_with_redis, webhook_retry_delays=(0.0,) * 5, webhook_timeout_seconds=0.5
    )
    async with receiver(500) as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await fan_out(settings)
        errors = []
        for reply, delay in (("", 0.0), ("  busy: try later " + "x" * 5000, 0.0), ("ok", 2.0)):
            hook.reply, hook.delay = reply, delay
            assert await deliver(settings) == 1
            (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
            errors.append((row["lastError"], row["responseStatus"], row["status"]))
    quoted = "busy: try later " + "x" * (200 - len("  busy: try later "))
    assert errors == [
        ("HTTP 500", 500, "RETRYING"),
        (f"HTTP 500: {quoted}", 500, "RETRYING"),
        ("No answer within the timeout.", None, "RETRYING"),
    ]


async def test_deliveries_of_a_switched_off_webhook_fail_unsent(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """Staff switch a webhook off while a delivery waits: the delivery fails unsent, and the
    webhook's other deliveries go on."""
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver() as off, receiver() as on:
        switched = await create_webhook(gql, app, actors.admin.token, off.url, ["order.created"])
        kept = await create_webhook(gql, app, actors.admin.token, on.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        assert await fan_out(settings) == 2
        data = await gql.data(
            UPDATE,
            {"id": switched["webhook"]["id"], "input": {"active": False}},
            actors.admin.token,
        )
        assert data["updateWebhook"]["errors"] == []
        assert await deliver(settings) == 2
        assert off.received == []
        assert len(on.received) == 1
    (unsent,) = await deliveries(gql, actors.admin.token, switched["webhook"]["id"])
    assert (unsent["status"], unsent["attempts"], unsent["lastError"]) == (
        "FAILED",
        0,
        "Webhook disabled.",
    )
    (sent,) = await deliveries(gql, actors.admin.token, kept["webhook"]["id"])
    assert sent["status"] == "SUCCEEDED"


async def test_a_deleted_shipment_is_told_with_what_it_carried(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """shipment.deleted: the shipment is gone, so the event says which it was, of which
    order, and the tracking number it had."""
    from tests.test_shipments import DELETE as DELETE_SHIPMENT
    from tests.test_shipments import ship

    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver() as hook:
        created = await create_webhook(gql, app, admin, hook.url, ["shipment.deleted"])
        order = await paid(gql, actors.customer.token, [("TEE", 2)], admin)
        shipped = await ship(gql, admin, order, trackingNumber="1Z999AA10123456784")
        shipment_id = shipped["shipment"]["id"]
        gone = await gql.data(DELETE_SHIPMENT, {"id": shipment_id}, admin)
        assert gone["deleteShipment"]["errors"] == []
        await fan_out(settings)
        await deliver(settings)
        (body,) = verified(hook, created["secret"])
    assert body["type"] == "shipment.deleted"
    assert body["data"] == {
        "id": shipment_id,
        "order": {"id": order["id"], "number": order["number"]},
        "trackingNumber": "1Z999AA10123456784",
    }


async def test_a_claim_holds_deliveries_for_as_long_as_sending_them_may_take(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """Claimed deliveries are this worker's for rounds of SEND_AT_ONCE sends, each up to the
    timeout, plus a lease; a worker that dies mid-send leaves them to the next after that."""
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis, webhook_timeout_seconds=7, worker_lease_seconds=30)
    await create_webhook(gql, app, actors.admin.token, "http://127.0.0.1:9/x", ["order.created"])
    await placed(gql, actors.customer.token, [("TEE", 1)])
    await fan_out(settings)
    for limit, rounds in (
        (1, 1),
        (webhook_delivery.SEND_AT_ONCE, 1),
        (webhook_delivery.SEND_AT_ONCE + 1, 2),
    ):
        await WebhookDelivery.all().update(next_attempt_at=datetime.now(UTC))
        before = datetime.now(UTC)
        (claimed,) = await webhook_delivery.claim_due(limit, settings)
        held = (claimed.next_attempt_at - before).total_seconds()
        assert rounds * 7 + 30 <= held < rounds * 7 + 30 + 2, (limit, held)
        assert await webhook_delivery.claim_due(limit, settings) == []  # another worker's now


async def test_the_longest_due_deliveries_are_claimed_first(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """A worker that can take only some takes those waiting longest, whatever their ids."""
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    await create_webhook(gql, app, actors.admin.token, "http://127.0.0.1:9/x", ["order.created"])
    for _ in range(3):
        await placed(gql, actors.customer.token, [("TEE", 1)])
    await fan_out(settings)
    first, second, third = await WebhookDelivery.all().order_by("id")
    now = datetime.now(UTC)
    for row, waited in ((first, 1), (second, 60), (third, 3600)):
        await WebhookDelivery.filter(id=row.id).update(
            next_attempt_at=now - timedelta(seconds=waited)
        )
    claimed = [d.id for d in await webhook_delivery.claim_due(2, settings)]
    assert sorted(claimed) == [second.id, third.id]
    assert [d.id for d in await webhook_delivery.claim_due(2, settings)] == [first.id]


async def test_a_receiver_nobody_answers_for_is_a_failed_attempt_that_says_so(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    url = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there
    created = await create_webhook(gql, app, actors.admin.token, url, ["order.created"])
    await placed(gql, actors.customer.token, [("TEE", 1)])
    await fan_out(settings)
    assert await deliver(settings) == 1
    (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
    assert (row["status"], row["attempts"], row["responseStatus"]) == ("RETRYING", 1, None)
    assert row["lastError"].startswith("ConnectError: ")


async def test_a_redirect_is_a_failed_attempt_never_followed(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """3xx answers fail the attempt: a receiver cannot send a signed event elsewhere."""
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver() as elsewhere, receiver(302) as moved:
        moved.location = elsewhere.url
        created = await create_webhook(gql, app, actors.admin.token, moved.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await fan_out(settings)
        await deliver(settings)
        moved.statuses, moved.location = [300], None
        await WebhookDelivery.all().update(next_attempt_at=datetime.now(UTC))
        await deliver(settings)
        assert elsewhere.received == []
    assert len(moved.received) == 2
    (row,) = await deliveries(gql, actors.admin.token, created["webhook"]["id"])
    assert (row["status"], row["attempts"], row["responseStatus"]) == ("RETRYING", 2, 300)
    assert row["lastError"] == "HTTP 300: nope"


async def test_deliveries_ignore_proxies_set_in_the_environment(
    gql: GraphQLClient,
    actors: Actors,
    app: Any,
    settings_with_redis: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A delivery connects to the address it checked, never through a proxy the process's
    environment names (which would see, and could alter, every signed event)."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{free_port()}")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver() as hook:
        await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await fan_out(settings)
        await deliver(settings)
    assert len(hook.received) == 1


async def test_a_receiver_at_an_ipv6_address_gets_its_delivery(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    settings = delivering(settings_with_redis)
    async with receiver(host="::1") as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, ["order.created"])
        await placed(gql, actors.customer.token, [("TEE", 1)])
        await fan_out(settings)
        await deliver(settings)
        (body,) = verified(hook, created["secret"])
    assert body["type"] == "order.created"
    assert hook.received[0].headers["host"] == f"[::1]:{hook.port}"


async def test_a_store_has_at_most_50_webhooks_each_on_unless_made_off(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    token = actors.admin.token
    first = await create_webhook(gql, app, token, "http://127.0.0.1:9/0", ["order.created"])
    assert first["webhook"]["active"] is True  # on unless told otherwise
    with app_settings(app, webhook_allow_private=True):
        off = await gql.data(
            CREATE,
            {
                "input": {
                    "url": "http://127.0.0.1:9/1",
                    "events": ["order.created"],
                    "active": False,
                    "description": "  to the ERP ",
                }
            },
            token,
        )
        assert off["createWebhook"]["webhook"]["active"] is False
        assert off["createWebhook"]["webhook"]["description"] == "to the ERP"
        assert first["webhook"]["description"] == ""
        for n in range(2, webhooks.MAX_WEBHOOKS):
            await create_webhook(gql, app, token, f"http://127.0.0.1:9/{n}", ["order.created"])
        over = await gql.data(
            CREATE, {"input": {"url": "http://127.0.0.1:9/x", "events": ["order.created"]}}, token
        )
    assert over["createWebhook"]["webhook"] is None
    assert [(e["code"], e["message"]) for e in over["createWebhook"]["errors"]] == [
        ("LIMIT_REACHED", "At most 50 webhooks.")
    ]
    assert await Webhook.all().count() == webhooks.MAX_WEBHOOKS
    page = """query($after: String) { webhooks(first: 2, after: $after) {
      edges { node { url } } pageInfo { endCursor } } }"""
    urls, after = [], None
    for _ in range(2):  # newest first, the second page going on from the first
        listed = (await gql.data(page, {"after": after}, token))["webhooks"]
        urls += [e["node"]["url"] for e in listed["edges"]]
        after = listed["pageInfo"]["endCursor"]
    assert urls == [f"http://127.0.0.1:9/{n}" for n in (49, 48, 47, 46)]


async def test_a_receiver_on_its_schemes_own_port_is_sent_to_without_one(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """A URL without a port goes to the scheme's port at the checked address, and the Host
    header names the host alone (an HTTP client stands in for the network: port 80 is not
    a test's to listen on)."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    await create_product(gql, actors.admin.token, "TEE", stock=5)
    await create_webhook(
        gql, app, actors.admin.token, "http://localhost/in?shop=1", ["order.created"]
    )
    await placed(gql, actors.customer.token, [("TEE", 1)])
    settings = delivering(settings_with_redis)
    await fan_out(settings)
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as client:
        assert await webhook_delivery.deliver_due(client, settings) == 1
    (request,) = seen
    assert request.url.host in ("127.0.0.1", "::1")  # where localhost was found
    assert (request.url.port, request.url.raw_path) == (None, b"/in?shop=1")
    assert request.headers["host"] == "localhost"


async def test_order_updated_says_what_changed(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Settings
) -> None:
    """An address, the shipping method and the comment: each order.updated carries the
    field that changed, before and after, never an empty change."""
    from tests.factories import address, shipping_method

    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=5)
    await shipping_method(gql, admin, "express", "12.00")
    settings = delivering(settings_with_redis)
    update = """mutation($id: ID!, $input: UpdateOrderInput!) {
      updateOrder(id: $id, input: $input) { errors { code } } }"""
    async with receiver() as hook:
        created = await create_webhook(gql, app, admin, hook.url, ["order.updated"])
        order = await placed(gql, actors.customer.token, [("TEE", 1)], customerComment="ring")
        changes = {
            "shippingAddress": address(first="Bea", city="Leeds", postalCode=""),
            "customerComment": "knock twice",
            "shippingMethod": "express",
            "staffNotes": "SECRET",
        }
        done = await gql.data(update, {"id": order["id"], "input": changes}, admin)
        assert done["updateOrder"]["errors"] == []
        await fan_out(settings)
        await deliver(settings)
        bodies = verified(hook, created["secret"])
    assert all(b"SECRET" not in got.body for got in hook.received)
    changed = {key: value for b in bodies for key, value in b["data"]["change"].items()}
    assert len(bodies) == 3
    assert all(b["data"]["change"] for b in bodies)
    assert changed["customerComment"] == {"from": "ring", "to": "knock twice"}
    assert changed["shippingMethod"] == {"from": "standard", "to": "express"}
    assert changed["shippingCost"] == {"from": "0.00", "to": "12.00"}
    assert changed["total"] == {"from": "10.00", "to": "22.00"}
    before, after = changed["shippingAddress"]["from"], changed["shippingAddress"]["to"]
    assert (before["firstName"], before["city"], before["postalCode"]) == (
        "Alice",
        "Oxford",
        "OX1 1AA",
    )
    assert (after["firstName"], after["city"], after["postalCode"]) == ("Bea", "Leeds", "")
    assert set(after) == {
        "firstName", "lastName", "company", "street1", "street2", "city", "state",
        "postalCode", "country", "phone",
    }  # fmt: skip
