"""Webhooks: who hears what, and the addresses they may never point at.

The deliveries themselves (signing, sending, retrying) are in webhook_delivery.py; the
outbox (outbox.py) writes them.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import secrets
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import structlog
from tortoise.queryset import QuerySet

from app.models import DeliveryStatus, Webhook, WebhookDelivery
from app.models.notifications import DESCRIPTION_MAX, URL_MAX
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.pagination import Page, PageRequest, paginate
from app.settings import Settings

log = structlog.get_logger("bitcart.webhooks")

# What a webhook may ask for, in the order the docs list them.
TOPICS = (
    "order.created",
    "order.updated",
    "order.status_changed",
    "order.cancelled",
    "order.tracking_added",
    "shipment.created",
    "shipment.deleted",
    "return.created",
    "return.status_changed",
    "refund.created",
    "refund.requested",
    "refund.request_cancelled",
    "payment.recorded",
    "import.finished",
    "document.ready",
    "webhook.disabled",
)
MAX_WEBHOOKS = 50

_METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),  # AWS, GCP, Azure, OpenStack
    ipaddress.ip_address("fd00:ec2::254"),  # AWS over IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
}


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def manageable(viewer: Viewer) -> QuerySet[Webhook]:
    viewer.require(Permission.WEBHOOKS_MANAGE)
    return Webhook.all()


# --- server-side request forgery -------------------------------------------------------


# Not globally reachable, though this Python's ipaddress calls them global: site-local
# (deprecated), the documentation prefix of RFC 9637 and SRv6 segment ids (RFC 9602).
_NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in ("fec0::/10", "3fff::/20", "5f00::/16"))
# IPv6 prefixes that carry an IPv4 address in their last 32 bits: the IPv4 one decides.
_CARRYING_IPV4 = tuple(
    ipaddress.ip_network(n)
    for n in (
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated (SIIT)
        "64:ff9b::/96",  # NAT64, well-known prefix
    )
)
# Refused whatever they carry: IPv4-compatible (deprecated), local-use NAT64 and Teredo
# (a tunnel through whatever relay the address names)
_NEVER = tuple(ipaddress.ip_network(n) for n in ("::/96", "64:ff9b:1::/48", "2001::/32"))
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 one carries (mapped, translated, NAT64, 6to4, Teredo)."""
    if any(ip in net for net in _CARRYING_IPV4):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    return []


def _not_global(ip: IPAddress) -> bool:
    return (
        ip in _METADATA_ADDRESSES
        or not ip.is_global
        or ip.is_multicast
        or ip.is_reserved
        or (isinstance(ip, ipaddress.IPv6Address) and any(ip in net for net in _NOT_GLOBAL))
    )


def address_refused(address: str) -> bool:
    """Every address that is not global is nobody's webhook receiver: loopback, private,
    link-local, site-local, multicast, reserved and cloud metadata addresses, also written
    as IPv4 inside IPv6 (mapped, NAT64, 6to4, Teredo), whose IPv4 address decides."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv4Address):
        return _not_global(ip)
    if any(ip in net for net in _NEVER):
        return True
    carried = embedded_ipv4(ip)
    if carried:  # NAT64 is reserved space and 6to4 global, whatever they carry
        return any(_not_global(v4) for v4 in carried)
    return _not_global(ip)


def _check_shape(url: str, problems: Problems) -> None:
    if len(url) > URL_MAX:
        problems.add(["url"], f"At most {URL_MAX} characters.", ErrorCode.INVALID_WEBHOOK_URL)
        return
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # an unclosed [IPv6 host, a port that is no number or out of range
        host, port = None, None
    else:
        if port == 0:
            host = None
    if host is None or parts.scheme not in ("http", "https"):
        problems.add(
            ["url"],
            "An http:// or https:// URL with a host (and a port from 1 to 65535).",
            ErrorCode.INVALID_WEBHOOK_URL,
        )
    elif parts.username or parts.password:
        problems.add(
            ["url"],
            "No user name or password in the URL: deliveries are signed instead.",
            ErrorCode.INVALID_WEBHOOK_URL,
        )


async def resolve(url: str, allow_private: bool) -> list[str]:
    """The addresses a delivery may connect to, or INVALID_WEBHOOK_URL. Every address the
    name resolves to must be public: one private answer refuses the whole name."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )
    except (OSError, UnicodeError) as exc:
        raise DomainError(
            ErrorCode.INVALID_WEBHOOK_URL, f"The host {host!r} does not resolve.", ["url"]
        ) from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private and any(address_refused(a) for a in addresses):
        raise DomainError(
            ErrorCode.INVALID_WEBHOOK_URL,
            "The URL leads to a private, loopback, link-local or metadata address; webhooks "
            "go to public addresses only.",
            ["url"],
        )
    return addresses


# --- managing webhooks ---------------------------------------------------------------


@dataclass(frozen=True)
class WebhookData:
    url: str | None = None
    events: list[str] | None = None
    active: bool | None = None
    description: str | None = None


def _clean(data: WebhookData, problems: Problems) -> None:
    if data.url is not None:
        _check_shape(data.url.strip(), problems)
    if data.events is not None:
        unknown = sorted(set(data.events) - set(TOPICS))
        if unknown:
            problems.add(
                ["events"],
                f"Unknown events: {', '.join(unknown)}. Known: {', '.join(TOPICS)}.",
                ErrorCode.INVALID_INPUT,
            )
        elif not data.events:
            problems.add(["events"], "Name at least one event.", ErrorCode.INVALID_INPUT)
    if data.description is not None and len(data.description) > DESCRIPTION_MAX:
        problems.add(
            ["description"], f"At most {DESCRIPTION_MAX} characters.", ErrorCode.INVALID_INPUT
        )


async def create_webhook(viewer: Viewer, data: WebhookData, settings: Settings) -> Webhook:
    manageable(viewer)
    problems = Problems()
    if data.url is None or data.events is None:
        raise DomainError(ErrorCode.INVALID_INPUT, "A url and events are needed.", ["url"])
    _clean(data, problems)
    problems.raise_if_any()
    url = data.url.strip()
    await resolve(url, settings.webhook_allow_private)
    if await Webhook.all().count() >= MAX_WEBHOOKS:
        raise DomainError(ErrorCode.LIMIT_REACHED, f"At most {MAX_WEBHOOKS} webhooks.")
    return await Webhook.create(
        url=url,
        events=sorted(set(data.events), key=TOPICS.index),
        active=True if data.active is None else data.active,
        description=(data.description or "").strip(),
        secret=new_secret(),
    )


async def update_webhook(
    viewer: Viewer, webhook_id: int, data: WebhookData, settings: Settings
) -> Webhook:
    webhook = await manageable(viewer).select_for_update().get_or_none(id=webhook_id)
    if webhook is None:
        raise not_found("Webhook", ["id"])
    problems = Problems()
    _clean(data, problems)
    problems.raise_if_any()
    if data.url is not None:
        webhook.url = data.url.strip()
        await resolve(webhook.url, settings.webhook_allow_private)
    if data.events is not None:
        webhook.events = sorted(set(data.events), key=TOPICS.index)
    if data.description is not None:
        webhook.description = data.description.strip()
    if data.active is not None:
        if data.active and not webhook.active:  # switched back on: a fresh start
            webhook.consecutive_failures = 0
            webhook.failing_since = None
            webhook.disabled_at = None
            webhook.disabled_reason = ""
        webhook.active = data.active
    await webhook.save()
    return webhook


async def delete_webhook(viewer: Viewer, webhook_id: int) -> int:
    deleted: int = await manageable(viewer).filter(id=webhook_id).delete()
    if not deleted:
        raise not_found("Webhook", ["id"])
    return webhook_id


def topics(viewer: Viewer) -> list[str]:
    """The events a webhook may ask for, in the order the docs list them."""
    viewer.require(Permission.WEBHOOKS_MANAGE)
    return list(TOPICS)


async def list_webhooks(viewer: Viewer, page: PageRequest) -> Page[Webhook]:
    return await paginate(manageable(viewer), page, "id", descending=True)


async def list_deliveries(
    viewer: Viewer, webhook_id: int | None, status: DeliveryStatus | None, page: PageRequest
) -> Page[WebhookDelivery]:
    """A webhook's deliveries, newest first (none for an id that is not a webhook)."""
    rows = WebhookDelivery.filter(webhook_id=webhook_id or 0)
    manageable(viewer)
    if status is not None:
        rows = rows.filter(status=status)
    return await paginate(rows, page, "id", descending=True)


async def redeliver(viewer: Viewer, delivery_id: int) -> WebhookDelivery:
    """Send a delivery's event again, as a new delivery with the same message id (so a
    receiver that has it already knows it is the same event). While one copy of the event
    is still to be sent, asking again answers with that one: one pending copy at most."""
    manageable(viewer)
    # locked, so two asks at once make one copy (no join: PostgreSQL locks no outer join)
    first = await WebhookDelivery.filter(id=delivery_id).select_for_update().first()
    if first is None:
        raise not_found("Webhook delivery", ["deliveryId"])
    await first.fetch_related("webhook")
    waiting = await WebhookDelivery.filter(
        webhook_id=first.webhook_id,
        message_id=first.message_id,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.RETRYING],
    ).first()
    if waiting is not None:
        return waiting
    if not first.webhook.active:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "The webhook is disabled: switch it on (updateWebhook) to redeliver.",
            ["deliveryId"],
        )
    return await WebhookDelivery.create(
        webhook_id=first.webhook_id,
        message_id=first.message_id,
        event=first.event,
        payload=first.payload,
        status=DeliveryStatus.PENDING,
        next_attempt_at=datetime.now(UTC),
    )
