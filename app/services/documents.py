"""Invoices and packing slips: requested here, rendered by a worker, downloaded by id.

R9: the data handed to a template never contains staff notes, so no template can show them.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from tortoise.queryset import QuerySet

from app.db import atomic
from app.documents.render import Renderer, RenderError
from app.models import (
    Document,
    DocumentKind,
    DocumentOrder,
    DocumentStatus,
    Order,
    OrderItem,
)
from app.services import jobs, outbox, snapshots
from app.services.addresses import Address
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.orders import OrderFilter, filtered_orders, visible_orders
from app.settings import Settings
from app.storage import Storage

MAX_ORDERS = 500
# Order.documents lists the newest of an order's documents.
LISTED_PER_ORDER = 10
REUSABLE = [DocumentStatus.PENDING, DocumentStatus.RUNNING, DocumentStatus.READY]
RENDER_JOB = "render_document"


def _checksum(
    kind: DocumentKind, template: str, settings: Settings, orders: Sequence[tuple[int, int]]
) -> str:
    """What a rendering depends on: template, store details and each order's version."""
    payload = orjson.dumps(
        [
            kind.value,
            template,
            settings.store_name,
            settings.store_address,
            settings.store_email,
            list(orders),
        ]
    )
    return hashlib.sha256(payload).hexdigest()


def _may_request(viewer: Viewer, kind: DocumentKind) -> None:
    if viewer.is_customer:
        if kind is not DocumentKind.INVOICE:
            raise DomainError(ErrorCode.FORBIDDEN, "Customers may print invoices only.", ["kind"])
        return
    viewer.require(Permission.DOCUMENTS_WRITE)


async def orders_matching(viewer: Viewer, filters: OrderFilter) -> list[int]:
    """The ids of the orders a filter picks (a day's orders, say), by number, at most 500."""
    picked: list[Any] = (
        await filtered_orders(viewer, filters)
        .order_by("number")
        .limit(MAX_ORDERS + 1)
        .values_list("id", flat=True)
    )
    ids = [int(i) for i in picked]
    if not ids:
        raise DomainError(ErrorCode.NOT_FOUND, "No order matches the filter.", ["filter"])
    if len(ids) > MAX_ORDERS:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"More than {MAX_ORDERS} orders match; narrow the filter.",
            ["filter"],
        )
    return ids


async def request_documents(
    viewer: Viewer,
    order_ids: list[int] | OrderFilter,
    kind: DocumentKind,
    settings: Settings,
    renderer: Renderer,
) -> Document:
    """One PDF for the orders (given, or picked by a filter), in print order: reused when
    nothing it shows has changed."""
    _may_request(viewer, kind)
    if isinstance(order_ids, OrderFilter):
        order_ids = await orders_matching(viewer, order_ids)
    unique = list(dict.fromkeys(order_ids))
    if not 1 <= len(unique) <= MAX_ORDERS:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Print 1 to {MAX_ORDERS} orders at a time.", ["orderIds"]
        )
    versions = dict(await visible_orders(viewer).filter(id__in=unique).values_list("id", "version"))
    problems = Problems()
    for index, order_id in enumerate(order_ids):
        if order_id not in versions:
            problems.add(["orderIds", str(index)], "Order not found.", ErrorCode.NOT_FOUND)
    problems.raise_if_any()
    template = await asyncio.to_thread(renderer.template_checksum, kind.value)
    checksum = _checksum(kind, template, settings, [(i, versions[i]) for i in unique])
    existing = await Document.filter(checksum=checksum, status__in=REUSABLE).order_by("-id").first()
    if existing is not None:
        return existing
    document = await Document.create(
        kind=kind,
        status=DocumentStatus.PENDING,
        order_ids=unique,
        checksum=checksum,
        created_by_id=viewer.user_id,
    )
    await DocumentOrder.bulk_create(
        [DocumentOrder(document_id=document.id, order_id=i) for i in unique]
    )
    jobs.defer(
        RENDER_JOB,
        document.id,
        job_id=f"document:{document.id}",
        queue=jobs.CUSTOMER_QUEUE if viewer.is_customer else None,
    )
    return document


def _money(value: Any) -> str:
    return f"{value:.2f}"


async def document_data(document: Document, settings: Settings, fonts: list[str]) -> dict[str, Any]:
    """Everything a template may show; staff notes are never in it (R9)."""
    orders = {o.id: o for o in await Order.filter(id__in=document.order_ids)}
    items: dict[int, list[OrderItem]] = {}
    for item in await OrderItem.filter(order_id__in=list(orders)).order_by("id"):
        items.setdefault(item.order_id, []).append(item)
    packing = document.kind is DocumentKind.PACKING_SLIP
    return {
        "kind": document.kind.value,
        "fonts": fonts,
        "store": {
            "name": settings.store_name,
            "address": settings.store_address,
            "email": settings.store_email,
        },
        "orders": [
            _order_data(orders[i], items.get(i, []), packing)
            for i in document.order_ids
            if i in orders
        ],
    }


def _order_data(order: Order, items: list[OrderItem], packing: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "number": order.number,
        "date": order.created_at.date().isoformat(),
        "shipping_address": Address.from_json(order.shipping_address).as_json(),
        "shipping_method": order.shipping_method,
        "customer_comment": order.customer_comment,
        "items": [
            {"sku": i.sku, "name": i.name, "quantity": i.quantity}
            if packing
            else {
                "sku": i.sku,
                "name": i.name,
                "quantity": i.quantity,
                "unit_price": _money(i.unit_price),
                "total": _money(i.total),
            }
            for i in items
        ],
    }
    if not packing:
        data.update(
            email=order.email,
            billing_address=Address.from_json(order.billing_address).as_json(),
            currency=order.currency,
            subtotal=_money(order.subtotal),
            shipping_cost=_money(order.shipping_cost),
            tax_total=_money(order.tax_total),
            total=_money(order.total),
            payment={
                "method": order.payment_method,
                "provider": order.payment_provider,
                "status": order.payment_status.value,
                "amount_paid": _money(order.amount_paid),
            },
        )
    return data


async def render_document(
    document_id: int, settings: Settings, renderer: Renderer, storage: Storage
) -> DocumentStatus | None:
    """The worker's part: idempotent, so a repeated or resumed job does no harm."""
    document = await Document.get_or_none(id=document_id)
    if document is None or document.status is DocumentStatus.READY:
        return document.status if document else None
    await Document.filter(id=document.id).update(
        status=DocumentStatus.RUNNING, heartbeat_at=datetime.now(UTC)
    )
    data = await document_data(document, settings, renderer.font_families())
    key = f"documents/{document.id}.pdf"
    try:
        rendered = await renderer.render_async(document.kind.value, data)
        await asyncio.to_thread(storage.save, key, rendered.pdf)
    except RenderError as exc:
        await Document.filter(id=document.id).update(
            status=DocumentStatus.FAILED, error=str(exc)[:2000], finished_at=datetime.now(UTC)
        )
        return DocumentStatus.FAILED
    async with atomic():  # ready, and its document.ready event, together and once
        ready = (
            await Document.filter(id=document.id)
            .exclude(status=DocumentStatus.READY)
            .update(
                status=DocumentStatus.READY,
                storage_key=key,
                page_count=rendered.page_count,
                error="",
                finished_at=datetime.now(UTC),
            )
        )
        if ready:
            await document.refresh_from_db()
            orders = await Order.filter(id__in=document.order_ids).order_by("number")
            numbers = [o.number for o in orders if o.number is not None]
            await outbox.add("document.ready", snapshots.document(document, numbers))
    return DocumentStatus.READY


async def stalled_documents(lease_seconds: int) -> list[tuple[int, datetime | None]]:
    """Documents RUNNING on a worker that showed no sign of life within the lease time."""
    cutoff = datetime.now(UTC) - timedelta(seconds=lease_seconds)
    rows = await Document.filter(
        status=DocumentStatus.RUNNING, heartbeat_at__lt=cutoff
    ).values_list("id", "heartbeat_at")
    return [(document_id, heartbeat) for document_id, heartbeat in rows]


def visible_documents(viewer: Viewer) -> QuerySet[Document]:
    """Staff who read orders see every document; a customer, invoices of their own orders."""
    viewer.require_user()
    if viewer.is_customer:
        return Document.filter(kind=DocumentKind.INVOICE)
    viewer.require(Permission.ORDERS_READ)
    return Document.all()


def listed_on_order(viewer: Viewer, document: Document, order_id: int) -> bool:
    """Whether Order.documents shows it: every document to staff, and to the order's
    customer the invoices of that order alone (others may print orders of other customers)."""
    if viewer.is_staff:
        return True
    return document.kind is DocumentKind.INVOICE and document.order_ids == [order_id]


async def get_document(viewer: Viewer, document_id: int) -> Document | None:
    document = await visible_documents(viewer).filter(id=document_id).first()
    if document is None:
        return None
    if viewer.is_customer:
        own = await visible_orders(viewer).filter(id__in=document.order_ids).count()
        if own != len(document.order_ids):
            return None
    return document


async def open_document(viewer: Viewer, document_id: int) -> Document:
    """A ready document the viewer may see in full (its PDF is at document.storage_key)."""
    document = await get_document(viewer, document_id)
    if document is None:
        raise not_found("Document")
    if document.status is not DocumentStatus.READY:
        raise DomainError(
            ErrorCode.INVALID_STATUS_TRANSITION,
            f"The document is {document.status.value}, not READY.",
        )
    return document
