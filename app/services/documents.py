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
    PaymentTransaction,
    Shipment,
    ShipmentItem,
)
from app.services import document_pages, jobs, outbox, snapshots
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.orders import OrderFilter, filtered_orders, visible_orders
from app.settings import Settings
from app.storage import Storage

MAX_ORDERS = 500
# Order.documents lists the newest of an order's documents.
LISTED_PER_ORDER = 10
REUSABLE = [DocumentStatus.PENDING, DocumentStatus.RUNNING, DocumentStatus.READY]


def _checksum(
    kind: DocumentKind,
    template: str,
    settings: Settings,
    orders: Sequence[tuple[int, int]],
    shipment_ids: Sequence[int] = (),
) -> str:
    """What a rendering depends on: template, store details, each order's version and the
    shipments it prints (a shipment never changes)."""
    payload = orjson.dumps(
        [
            kind.value,
            template,
            settings.store_name,
            settings.store_address,
            settings.store_email,
            settings.store_tax_id,
            settings.return_address,
            list(orders),
            list(shipment_ids),
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


async def shipments_to_print(viewer: Viewer, shipment_ids: list[int]) -> list[int]:
    """The orders of the shipments whose packing slips are asked for (staff only), in the
    shipments' print order."""
    viewer.require(Permission.DOCUMENTS_WRITE)
    unique = list(dict.fromkeys(shipment_ids))
    if not 1 <= len(unique) <= MAX_ORDERS:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Print 1 to {MAX_ORDERS} shipments at a time.",
            ["shipmentIds"],
        )
    found = dict(await Shipment.filter(id__in=unique).values_list("id", "order_id"))
    problems = Problems()
    for index, shipment_id in enumerate(shipment_ids):
        if shipment_id not in found:
            problems.add(["shipmentIds", str(index)], "Shipment not found.", ErrorCode.NOT_FOUND)
    problems.raise_if_any()
    return list(dict.fromkeys(found[i] for i in unique))


async def request_documents(
    viewer: Viewer,
    order_ids: list[int] | OrderFilter,
    kind: DocumentKind,
    settings: Settings,
    renderer: Renderer,
    shipment_ids: list[int] | None = None,
) -> Document:
    """One PDF for the orders (given, or picked by a filter), in print order, or with
    `shipment_ids` a packing slip per shipment: reused when nothing it shows has changed."""
    _may_request(viewer, kind)
    if shipment_ids is not None:
        if kind is not DocumentKind.PACKING_SLIP:
            raise DomainError(
                ErrorCode.INVALID_INPUT, "Shipments print as packing slips.", ["kind"]
            )
        order_ids = await shipments_to_print(viewer, shipment_ids)
        shipment_ids = list(dict.fromkeys(shipment_ids))
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
    checksum = _checksum(
        kind, template, settings, [(i, versions[i]) for i in unique], shipment_ids or ()
    )
    existing = await Document.filter(checksum=checksum, status__in=REUSABLE).order_by("-id").first()
    if existing is not None:
        return existing
    document = await Document.create(
        kind=kind,
        status=DocumentStatus.PENDING,
        order_ids=unique,
        shipment_ids=shipment_ids,
        checksum=checksum,
        created_by_id=viewer.user_id,
    )
    await DocumentOrder.bulk_create(
        [DocumentOrder(document_id=document.id, order_id=i) for i in unique]
    )
    jobs.RENDER_DOCUMENT.defer(
        document.id, queue=jobs.CUSTOMER_QUEUE if viewer.is_customer else None
    )
    return document


async def document_data(document: Document, settings: Settings, fonts: list[str]) -> dict[str, Any]:
    """Everything a template may show; staff notes are never in it (R9)."""
    orders = {o.id: o for o in await Order.filter(id__in=document.order_ids)}
    items = _grouped(await OrderItem.filter(order_id__in=list(orders)).order_by("id"))
    return_lines = (settings.return_address or settings.store_address).splitlines()
    data: dict[str, Any] = {
        "kind": document.kind.value,
        "fonts": fonts,
        "store": {
            "name": settings.store_name,
            "address": settings.store_address,
            "email": settings.store_email,
            "tax_id": settings.store_tax_id,
            "return_address": [line.strip() for line in return_lines if line.strip()],
        },
    }
    if document.kind is DocumentKind.INVOICE:
        moves = _grouped(await PaymentTransaction.filter(order_id__in=list(orders)).order_by("id"))
        pages = [
            document_pages.invoice(orders[i], items.get(i, []), moves.get(i, []))
            for i in document.order_ids
            if i in orders
        ]
    elif document.shipment_ids:
        pages = await _shipment_slips(document.shipment_ids, orders, items)
    else:
        pages = [
            document_pages.packing_slip(orders[i], items.get(i, []))
            for i in document.order_ids
            if i in orders
        ]
    return data | {"orders": pages}


def _grouped(rows: Sequence[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.order_id, []).append(row)
    return grouped


async def _shipment_slips(
    shipment_ids: list[int], orders: dict[int, Order], items: dict[int, list[OrderItem]]
) -> list[dict[str, Any]]:
    """A slip per shipment, in print order: what is in that box (a deleted shipment has
    none)."""
    found = {s.id: s for s in await Shipment.filter(id__in=shipment_ids)}
    lines: dict[int, list[ShipmentItem]] = {}
    for line in await ShipmentItem.filter(shipment_id__in=list(found)).order_by("id"):
        lines.setdefault(line.shipment_id, []).append(line)
    return [
        document_pages.shipment_slip(
            orders[found[i].order_id], items.get(found[i].order_id, []), found[i], lines.get(i, [])
        )
        for i in shipment_ids
        if i in found and found[i].order_id in orders
    ]


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
