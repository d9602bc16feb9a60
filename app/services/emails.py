"""Customer emails: order placed, cancelled or edited, a note from the store, shipment
created, return requested and moved on, refund recorded.

Written when their event is dispatched, with what the templates are given (what a customer
may see: never staff notes, refund reasons or who on the staff acted), then rendered and sent
by the worker's sender, off the dispatch path: through
BITCART_SMTP_URL, or written as .eml files into the data folder's outbox/ when no SMTP
server is set. Templates are Jinja files a shop can override: put `<kind>.subject`,
`<kind>.txt` or `<kind>.html` in BITCART_TEMPLATE_DIR/emails/.
"""

from __future__ import annotations

import asyncio
import email.utils
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage as MimeMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosmtplib
import orjson
import structlog
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)
from jinja2.sandbox import SandboxedEnvironment

from app import metrics
from app.db import insert_rows
from app.models import DeliveryStatus, EmailMessage, EventVisibility, OrderEvent
from app.services import leases, snapshots
from app.services.events import EventType
from app.services.tracking import tracking_token
from app.settings import Settings

log = structlog.get_logger("bitcart.emails")

DEFAULT_TEMPLATES = Path(__file__).resolve().parent.parent / "emails"
# The timeline entries a customer is written to about, and the template of each: one
# email per event.
KINDS: dict[str, str] = {
    EventType.ORDER_PLACED: "order_placed",
    EventType.ORDER_CANCELLED: "order_cancelled",
    EventType.ORDER_EDITED: "order_edited",
    EventType.NOTE: "order_note",
    EventType.SHIPMENT_CREATED: "shipment_created",
    EventType.RETURN_REQUESTED: "return_requested",
    EventType.RETURN_STATUS_CHANGED: "return_status_changed",
    EventType.REFUND_ISSUED: "refund_recorded",
}


def kind_of(event: OrderEvent) -> str | None:
    """The email a PUBLIC timeline entry calls for, if any. Some call for one only when it
    is news: a cancellation or a note staff chose to tell the customer of, an edit that
    changed the total, and a return's move that no refund's email already tells."""
    kind = KINDS.get(event.type)
    if kind is None or event.visibility is not EventVisibility.PUBLIC:
        return None
    data = event.data
    if event.type in (EventType.ORDER_CANCELLED, EventType.NOTE):
        return kind if data.get("notifyCustomer") is True else None
    if event.type == EventType.ORDER_EDITED:
        return kind if data.get("totalBefore") not in (None, data.get("total")) else None
    if event.type == EventType.RETURN_STATUS_CHANGED and data.get("refundId") is not None:
        return None
    return kind


# A step sends at most SEND_AT_ONCE emails, together: a stopping worker waits at most one
# SMTP timeout for the step it is in.
SEND_AT_ONCE = 8
SMTP_TIMEOUT = 10


class Templates:
    """The shop's templates first, then ours; a shop template that fails to render is
    logged and ours is used, so a typo never stops the customer hearing from the store."""

    def __init__(self, template_dir: Path | None) -> None:
        loaders: list[Any] = []
        if template_dir is not None:
            loaders.append(FileSystemLoader(template_dir / "emails"))
        self.shop = SandboxedEnvironment(
            loader=ChoiceLoader(loaders) if loaders else None,
            autoescape=select_autoescape(["html"], default_for_string=False),
            undefined=StrictUndefined,
        )
        # ours ship with the code and are trusted: no sandbox to pay for on every email
        self.ours = Environment(
            loader=FileSystemLoader(DEFAULT_TEMPLATES),
            autoescape=select_autoescape(["html"], default_for_string=False),
            undefined=StrictUndefined,
            keep_trailing_newline=True,
            auto_reload=False,  # ours change only with a release
        )

    def render(self, name: str, context: dict[str, Any]) -> str:
        if self.shop.loader is not None:
            try:
                return self.shop.get_template(name).render(context)
            except TemplateError as exc:
                if not _missing(exc, name):
                    log.warning("email_template_failed", template=name, error=str(exc))
        return self.ours.get_template(name).render(context)


def _missing(exc: TemplateError, name: str) -> bool:
    return type(exc).__name__ == "TemplateNotFound" and getattr(exc, "name", None) == name


_templates: dict[Path | None, Templates] = {}


def templates(settings: Settings) -> Templates:
    if settings.template_dir not in _templates:
        _templates[settings.template_dir] = Templates(settings.template_dir)
    return _templates[settings.template_dir]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(kind: str, context: dict[str, Any], settings: Settings) -> Rendered:
    chosen = templates(settings)
    subject = " ".join(chosen.render(f"{kind}.subject", context).split())
    return Rendered(
        subject=subject[:300],
        text=chosen.render(f"{kind}.txt", context),
        html=chosen.render(f"{kind}.html", context),
    )


def _context(
    kind: str, event: OrderEvent, order: snapshots.Snapshot, entity: Any, settings: Settings
) -> dict[str, Any]:
    number = order["number"]
    return {
        "kind": kind,
        "store": {
            "name": settings.store_name,
            "email": settings.store_email,
            "return_address": settings.return_address or settings.store_address,
        },
        "order": order,
        "tracking_page": f"{settings.public_url}/track/"
        + tracking_token(number, settings.secret_key),
        "event": {"type": event.type, "data": event.data, "message": event.message},
        "dues": _dues(order),
        "shipment": entity if kind == "shipment_created" else None,
        "return": entity if kind in ("return_requested", "return_status_changed") else None,
        "refund": entity if kind == "refund_recorded" else None,
    }


def _dues(order: snapshots.Snapshot) -> dict[str, str]:
    """What the customer has left to pay, and what the store owes them (refunds asked of
    the payment side included), as the order's payment says."""
    payment = order["payment"]
    owed = Decimal(payment["refundDue"]) + Decimal(payment["refundRequested"])
    return {"balance": payment["balanceDue"], "refund": f"{owed:.2f}"}


_ENTITY = {
    "shipment_created": ("shipmentId", snapshots.shipments),
    "return_requested": ("returnId", snapshots.returns),
    "return_status_changed": ("returnId", snapshots.returns),
    "refund_recorded": ("refundId", snapshots.refunds),
}


EMAIL_COLUMNS = (
    "order_id",
    "kind",
    "recipient",
    "subject",
    "text",
    "html",
    "context",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
)


async def write_for(
    events: list[OrderEvent],
    orders: dict[int, dict[str, Any]],
    cache: snapshots.OrderSnapshots,
    settings: Settings,
) -> int:
    """Keep the emails these events call for (in the dispatch transaction), each with what
    its templates are given; the sender renders them."""
    chosen = [(e, kind) for e in events if e.order_id in orders and (kind := kind_of(e))]
    if not chosen:
        return 0
    order_snapshots = await cache.of({e.order_id for e, _ in chosen})
    entities: dict[str, dict[int, snapshots.Snapshot]] = {}
    for kind, (key, load) in _ENTITY.items():
        ids = {e.data[key] for e, k in chosen if k == kind and isinstance(e.data.get(key), int)}
        entities[kind] = await load(ids) if ids else {}
    now = datetime.now(UTC)
    rows = []
    for event, kind in chosen:
        order = order_snapshots.get(event.order_id)
        if order is None:
            continue
        entity = None
        if kind in _ENTITY:
            entity = entities[kind].get(event.data.get(_ENTITY[kind][0], 0))
            if entity is None:
                continue
        # rendered by the sender (send_due), off the dispatch: kept as the templates' input
        context = orjson.dumps(_context(kind, event, order, entity, settings)).decode()
        rows.append(
            (
                event.order_id,
                kind,
                orders[event.order_id]["email"],
                "",
                "",
                "",
                context,
                DeliveryStatus.PENDING.value,
                0,
                now,
                "",
                now,
            )
        )
    await insert_rows("email_messages", EMAIL_COLUMNS, rows)
    return len(rows)


# --- sending -----------------------------------------------------------------------


def mime(message: EmailMessage, settings: Settings) -> MimeMessage:
    mail = MimeMessage()
    mail["From"] = email.utils.formataddr((settings.store_name, settings.store_email))
    mail["To"] = message.recipient
    mail["Subject"] = message.subject
    mail["Date"] = email.utils.format_datetime(message.created_at)
    domain = settings.store_email.rpartition("@")[2] or "bitcart.local"
    mail["Message-ID"] = f"<bitcart-email-{message.id}@{domain}>"
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    return mail


@dataclass(frozen=True)
class Smtp:
    hostname: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool

    @classmethod
    def from_url(cls, url: str) -> Smtp:
        """smtp://user:password@host:587 (STARTTLS when the server offers it) or
        smtps://…:465 (TLS from the start)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("BITCART_SMTP_URL must look like smtp://user:pass@host:587")
        tls = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if tls else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=tls,
        )


async def _deliver(message: EmailMessage, settings: Settings) -> None:
    mail = mime(message, settings)
    if not settings.smtp_url:
        folder = settings.data_dir / "outbox"
        path = folder / f"{message.id:08d}-{message.kind}.eml"
        await asyncio.to_thread(_write_file, path, bytes(mail))
        return
    smtp = Smtp.from_url(settings.smtp_url)
    await aiosmtplib.send(
        mail,
        hostname=smtp.hostname,
        port=smtp.port,
        username=smtp.username,
        password=smtp.password,
        use_tls=smtp.use_tls,
        timeout=SMTP_TIMEOUT,
    )


def _write_file(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    partial.write_bytes(data)
    partial.replace(path)  # whole files only: a reader never sees half an email


async def _claim(limit: int, settings: Settings) -> list[EmailMessage]:
    """Due emails, claimed for as long as sending them all may take (rounds of SEND_AT_ONCE,
    each up to the SMTP timeout) plus a lease: a worker that dies mid-send leaves them to
    the next after that."""
    hold = -(-limit // SEND_AT_ONCE) * SMTP_TIMEOUT + settings.worker_lease_seconds
    ids = await leases.claim_due(EmailMessage, limit, hold)
    return list(await EmailMessage.filter(id__in=ids).order_by("id"))


async def rendered(messages: list[EmailMessage], settings: Settings) -> None:
    """Render the claimed emails still waiting for it (off the event loop) and keep their
    text, so a retry sends the same words."""
    waiting = [m for m in messages if m.context is not None]
    if not waiting:
        return

    def render_all() -> list[Rendered]:
        return [render(m.kind, m.context, settings) for m in waiting]

    for message, made in zip(waiting, await asyncio.to_thread(render_all), strict=True):
        message.subject, message.text, message.html = made.subject, made.text, made.html
        message.context = None
        await EmailMessage.filter(id=message.id).update(
            subject=made.subject, text=made.text, html=made.html, context=None
        )


async def send_due(settings: Settings, limit: int = SEND_AT_ONCE) -> int:
    """Send the emails that are due, rendered first; a failure waits for its next try
    (email_retry_delays) and after the last one the email is FAILED. The number of
    attempts made."""
    claimed = await _claim(limit, settings)
    await rendered(claimed, settings)
    gate = asyncio.Semaphore(SEND_AT_ONCE)

    async def one(message: EmailMessage) -> str:
        async with gate:
            try:
                await _deliver(message, settings)
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                return f"{type(exc).__name__}: {exc}"[:500] or type(exc).__name__
            return ""

    errors = await asyncio.gather(*(one(m) for m in claimed))
    now = datetime.now(UTC)
    for message, error in zip(claimed, errors, strict=True):
        message.attempts += 1
        message.last_error = error
        if not error:
            message.status = DeliveryStatus.SUCCEEDED
            message.sent_at = now
            message.next_attempt_at = None
        elif message.attempts > len(settings.email_retry_delays):
            message.status = DeliveryStatus.FAILED
            message.next_attempt_at = None
            log.warning("email_failed", email_id=message.id, error=error)
        else:
            message.status = DeliveryStatus.RETRYING
            wait = settings.email_retry_delays[message.attempts - 1]
            message.next_attempt_at = now + timedelta(seconds=wait)
        metrics.EMAILS.labels(message.status.value).inc()
        await message.save(
            update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"]
        )
    return len(claimed)
