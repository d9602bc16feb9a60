"""Webhook deliveries: signed per the Standard Webhooks spec, delivered at least once.

Deliveries are rows (see outbox.dispatch); the worker claims the due ones, posts them and
records what happened. A failed attempt is retried after `webhook_retry_delays` (with
jitter); a 410 Gone disables the webhook at once, and one failing for
`webhook_disable_after_seconds` is disabled with a `webhook.disabled` event.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import structlog
from standardwebhooks.webhooks import Webhook as Signer

from app import metrics
from app.db import atomic
from app.models import DeliveryStatus, Webhook, WebhookDelivery
from app.services import leases, outbox
from app.services.errors import DomainError
from app.services.webhooks import resolve
from app.settings import Settings

log = structlog.get_logger("bitcart.webhooks")

# A step sends at most SEND_AT_ONCE deliveries, together: a stopping worker waits at most
# one delivery timeout for the step it is in.
SEND_AT_ONCE = 16
MAX_ERROR = 500
# answers read from a receiver: enough for a status line and a short error
MAX_RESPONSE_BYTES = 4096


def signed_headers(secret: str, message_id: str, payload: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": "BitCart-Orders-Webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Signer(secret).sign(message_id, at, payload),
    }


@dataclass
class Attempt:
    delivery: WebhookDelivery
    ok: bool
    status: int | None = None
    error: str = ""
    gone: bool = False


def _pinned(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """The URL with its host replaced by the address checked (so a second DNS answer cannot
    lead elsewhere), the Host header and the TLS name to keep."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    pinned = urlunsplit(
        (parts.scheme, _netloc(address, parts.port), parts.path or "/", parts.query, "")
    )
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return pinned, {"host": _netloc(host, parts.port)}, extensions


def _netloc(host: str, port: int | None) -> str:
    """host[:port], an IPv6 literal in brackets (in a URL and in a Host header alike)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port else shown


async def send(client: httpx.AsyncClient, delivery: WebhookDelivery, settings: Settings) -> Attempt:
    webhook = delivery.webhook
    try:
        addresses = await resolve(webhook.url, settings.webhook_allow_private)
    except DomainError as exc:
        return Attempt(delivery, ok=False, error=exc.issues[0].message)
    url, headers, extensions = _pinned(webhook.url, addresses[0])
    headers.update(
        signed_headers(webhook.secret, delivery.message_id, delivery.payload, datetime.now(UTC))
    )
    try:
        request = client.build_request(
            "POST", url, content=delivery.payload.encode(), headers=headers, extensions=extensions
        )
        response = await client.send(request, stream=True)
        try:
            # read a little of the answer, never all of what a receiver might send
            body = b""
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) >= MAX_RESPONSE_BYTES:
                    break
        finally:
            await response.aclose()
    except httpx.TimeoutException:
        return Attempt(delivery, ok=False, error="No answer within the timeout.")
    except httpx.HTTPError as exc:
        return Attempt(delivery, ok=False, error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR])
    if 200 <= response.status_code < 300:
        return Attempt(delivery, ok=True, status=response.status_code)
    text = body[:200].decode(errors="replace").strip()
    return Attempt(
        delivery,
        ok=False,
        status=response.status_code,
        error=f"HTTP {response.status_code}" + (f": {text}" if text else ""),
        gone=response.status_code == 410,
    )


def claim_seconds(limit: int, settings: Settings) -> float:
    """How long claimed deliveries are one worker's: long enough to send them all, rounds of
    SEND_AT_ONCE each up to its timeout, plus a lease. A worker that dies mid-send has its
    deliveries tried again after this (at least once, never lost)."""
    rounds = -(-limit // SEND_AT_ONCE)
    return rounds * settings.webhook_timeout_seconds + settings.worker_lease_seconds


async def claim_due(limit: int, settings: Settings) -> list[WebhookDelivery]:
    """Up to `limit` due deliveries, this worker's while it sends them."""
    ids = await leases.claim_due(WebhookDelivery, limit, claim_seconds(limit, settings))
    return await WebhookDelivery.filter(id__in=ids).select_related("webhook").order_by("id")


def next_wait(attempts: int, delays: tuple[float, ...]) -> float | None:
    """Seconds until the next try after `attempts` tries, with +-20 % jitter so receivers
    coming back up are not hit by every retry at once; None once the schedule is spent."""
    if attempts > len(delays):
        return None
    base = delays[attempts - 1]
    return base * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


async def record(attempts: list[Attempt], settings: Settings) -> None:
    """Write what the attempts came to, and the webhooks' failure counts, in one
    transaction: the webhooks are locked and read once, each written once."""
    now = datetime.now(UTC)
    async with atomic():
        locked = Webhook.filter(id__in={a.delivery.webhook_id for a in attempts})
        webhooks = {w.id: w for w in await locked.select_for_update()}
        changed: set[int] = set()
        for attempt in attempts:
            delivery = attempt.delivery
            delivery.attempts += 1
            delivery.response_status = attempt.status
            delivery.last_error = attempt.error[:MAX_ERROR]
            webhook = webhooks.get(delivery.webhook_id)
            if attempt.ok:
                delivery.status = DeliveryStatus.SUCCEEDED
                delivery.delivered_at = now
                delivery.next_attempt_at = None
                if webhook is not None and (webhook.consecutive_failures or webhook.failing_since):
                    webhook.consecutive_failures, webhook.failing_since = 0, None
                    changed.add(webhook.id)
            else:
                wait = (
                    None
                    if attempt.gone
                    else next_wait(delivery.attempts, settings.webhook_retry_delays)
                )
                delivery.status = DeliveryStatus.FAILED if wait is None else DeliveryStatus.RETRYING
                delivery.next_attempt_at = None if wait is None else now + timedelta(seconds=wait)
                if webhook is not None and webhook.active:
                    webhook.consecutive_failures += 1
                    webhook.failing_since = webhook.failing_since or now
                    changed.add(webhook.id)
                    reason = _disable_reason(webhook, attempt, now, settings)
                    if reason:
                        await _disable(webhook, reason, now)
                        delivery.status = DeliveryStatus.FAILED
                        delivery.next_attempt_at = None
            metrics.WEBHOOK_DELIVERIES.labels(delivery.status.value).inc()
            await delivery.save(
                update_fields=[
                    "attempts",
                    "response_status",
                    "last_error",
                    "status",
                    "delivered_at",
                    "next_attempt_at",
                ]
            )
        for webhook_id in changed:
            webhook = webhooks[webhook_id]
            await Webhook.filter(id=webhook_id).update(
                consecutive_failures=webhook.consecutive_failures,
                failing_since=webhook.failing_since,
            )


def _disable_reason(webhook: Webhook, attempt: Attempt, now: datetime, settings: Settings) -> str:
    if attempt.gone:
        return "The receiver answered 410 Gone."
    since = webhook.failing_since or now
    if now - since >= timedelta(seconds=settings.webhook_disable_after_seconds):
        hours = settings.webhook_disable_after_seconds / 3600
        return f"Every delivery failed for {hours:g} hours."
    return ""


async def _disable(webhook: Webhook, reason: str, now: datetime) -> None:
    webhook.active = False
    await Webhook.filter(id=webhook.id).update(
        active=False, disabled_at=now, disabled_reason=reason
    )
    # what was still waiting for it fails now; redeliverWebhook sends it again later
    await WebhookDelivery.filter(
        webhook_id=webhook.id, status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
    ).update(status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="Webhook disabled.")
    log.warning("webhook_disabled", webhook_id=webhook.id, reason=reason)
    await outbox.add(
        "webhook.disabled",
        {"id": webhook.id, "url": webhook.url, "reason": reason, "disabledAt": now.isoformat()},
    )


async def deliver_due(
    client: httpx.AsyncClient, settings: Settings, limit: int = SEND_AT_ONCE
) -> int:
    """Send what is due now, SEND_AT_ONCE at a time; the number of attempts made."""
    claimed = await claim_due(limit, settings)
    if not claimed:
        return 0
    inactive = [d for d in claimed if not d.webhook.active]
    live = [d for d in claimed if d.webhook.active]
    if inactive:
        await WebhookDelivery.filter(id__in=[d.id for d in inactive]).update(
            status=DeliveryStatus.FAILED, next_attempt_at=None, last_error="Webhook disabled."
        )
    gate = asyncio.Semaphore(SEND_AT_ONCE)

    async def one(delivery: WebhookDelivery) -> Attempt:
        async with gate:
            return await send(client, delivery, settings)

    attempts = await asyncio.gather(*(one(d) for d in live))
    await record(list(attempts), settings)
    return len(claimed)


def http_client(settings: Settings) -> httpx.AsyncClient:
    """No redirects (a 3xx is a failure, never a second request somewhere else), no proxy
    from the environment, and the delivery timeout."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.webhook_timeout_seconds),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=SEND_AT_ONCE * 2),
    )
