"""#11's story on a real `serve --demo` (its own worker, the embedded Valkey): a merchant
points a webhook at their system and watches orders live; a customer orders, the order
ships, and the shipping email's link opens the tracking page."""

from __future__ import annotations

import asyncio
import email
import email.policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import orjson
from standardwebhooks.webhooks import Webhook as Verifier

from app.services.demo import DEMO_LOGINS
from tests.factories import address
from tests.processes import free_port, serve, stop, wait_healthy
from tests.receivers import receiver
from tests.test_subscriptions import ORDER_EVENTS, next_message, session, subscribe

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
CREATE = """mutation($url: String!) {
  createWebhook(input: {url: $url, events: ["order.created", "shipment.created"]}) {
    secret errors { code message }
  }
}"""
PLACE = """mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id number items { id } } errors { code message } }
}"""
SHIP = """mutation($id: ID!) {
  shipOrder(orderId: $id, input: {trackingNumber: "1Z999AA10123456784"}) {
    errors { code message }
  }
}"""


async def call(
    client: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = (
        await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
    ).json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def test_webhook_live_updates_and_a_shipping_email_on_a_real_serve(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"BITCART_WEBHOOK_ALLOW_PRIVATE": "1", "BITCART_PUBLIC_URL": base}
    process = serve(tmp_path, port, "--demo", env=env)
    try:
        await asyncio.to_thread(wait_healthy, base, process)
        async with (
            httpx.AsyncClient(base_url=base, timeout=10) as client,
            receiver() as hook,
        ):
            admin, customer = [
                (await call(client, LOGIN, e=login.email, p=login.password))["login"]["token"]
                for login in (DEMO_LOGINS[0], DEMO_LOGINS[3])
            ]
            created = (await call(client, CREATE, admin, url=hook.url))["createWebhook"]
            assert created["errors"] == []
            async with session(f"ws://127.0.0.1:{port}/graphql", admin) as ws:
                await subscribe(ws, "live", ORDER_EVENTS)
                await asyncio.sleep(0.5)  # the API process's Redis subscription starts
                order_input = {
                    "items": [{"sku": "MUG-CLASSIC", "quantity": 2}],
                    "billingAddress": address(),
                    "shippingMethod": "standard",
                }
                placed = (await call(client, PLACE, customer, input=order_input))["placeOrder"]
                assert placed["errors"] == []
                order = placed["order"]
                heard = await next_message(ws, 15)
                event = heard["payload"]["data"]["orderEvents"]
                assert event["type"] == "ORDER_PLACED"
                assert str(order["number"]) in event["message"]

                shipped = await call(client, SHIP, admin, id=order["id"])
                assert shipped["shipOrder"]["errors"] == []
                await hook.wait_for(2)

            bodies = []
            for got in hook.received:
                Verifier(created["secret"]).verify(got.body, got.headers)
                bodies.append(orjson.loads(got.body))
            assert sorted(b["type"] for b in bodies) == ["order.created", "shipment.created"]

            mail = await shipping_email(tmp_path / "outbox")
            text = mail.get_body(preferencelist=("plain",))
            assert text is not None
            content = text.get_content()
            assert "1Z999AA10123456784" in content
            link = next(line for line in content.splitlines() if "/track/" in line).strip()
            assert link.startswith(f"{base}/track/")
            page = await client.get(link)
            assert page.status_code == 200
            assert f"<h1>Order {order['number']}</h1>" in page.text
    finally:
        stop(process)


async def shipping_email(folder: Path) -> EmailMessage:
    for _ in range(150):
        found = await asyncio.to_thread(_written, folder)
        if found is not None:
            message = email.message_from_bytes(found, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            return message
        await asyncio.sleep(0.1)
    raise AssertionError("no shipping email in the outbox folder")


def _written(folder: Path) -> bytes | None:
    found = sorted(folder.glob("*-shipment_created.eml")) if folder.exists() else []
    return found[-1].read_bytes() if found else None
