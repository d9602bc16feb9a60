"""Entities as staff see them, without a word of staff-only text: the `data` of webhook
events. Field names are the GraphQL API's (camelCase, global ids, money as strings), so a
receiver reads a webhook the way it reads a query. Everything is loaded in sets: one call
builds the snapshots of a whole set of events in a few queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from app import read_model
from app.global_ids import encode as to_global_id
from app.models import (
    Document,
    Order,
    OrderItem,
    PaymentTransaction,
    Refund,
    RefundRequest,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    TrackingImport,
    TransactionKind,
)
from app.read_model import ADDRESS_PARTS, address_part

Snapshot = dict[str, Any]


def _money(value: Decimal) -> str:
    return str(value)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def address(data: dict[str, Any]) -> Snapshot:
    """An address as the API writes it: camelCase parts, "" for a missing one."""
    return {name: address_part(data, key) for name, key in ADDRESS_PARTS.items()}


# What a webhook tells of each, picked from the read model (app/read_model.py), which
# refuses a staff-only field (R1 holds for every receiver of a webhook too) or one made
# per viewer.
ORDER_REF = read_model.ORDER.pick("id", "number")
ORDER_HEAD = read_model.ORDER.pick(
    "version",
    "status",
    "email",
    "currency",
    "subtotal",
    "shippingCost",
    "taxTotal",
    "total",
    "shippingMethod",
    "customerComment",
    "trackingNumber",
    "carrier",
    "carrierName",
    "trackingUrl",
)
ORDER_TIMES = read_model.ORDER.pick("createdAt", "updatedAt")
PAYMENT = read_model.PAYMENT.pick(
    "status",
    "method",
    "provider",
    "amountAuthorized",
    "amountPaid",
    "amountRefunded",
    "refundRequested",
    "balanceDue",
    "refundDue",
)
ORDER_ITEM = read_model.ORDER_ITEM.pick(
    "id", "sku", "name", "quantity", "unitPrice", "total", "quantityShipped", "quantityReturned"
)
SHIPMENT_ID = read_model.SHIPMENT.pick("id")
SHIPMENT = read_model.SHIPMENT.pick(
    "trackingNumber",
    "carrier",
    "carrierName",
    "trackingUrl",
    "shippingMethod",
    "comments",
    "createdAt",
)
SHIPMENT_ITEM = read_model.SHIPMENT_ITEM.pick("sku", "name", "quantity")
TRANSACTION_ID = read_model.TRANSACTION.pick("id")
TRANSACTION = read_model.TRANSACTION.pick(
    "kind", "amount", "currency", "provider", "reference", "method", "createdAt"
)
REFUND_ID = read_model.REFUND.pick("id")
REFUND = read_model.REFUND.pick("amount", "currency", "restocked")


def order_ref(order: Order) -> Snapshot:
    return ORDER_REF.snapshot(order)


def _shipment(shipment: Shipment, lines: list[ShipmentItem], order: Order | None) -> Snapshot:
    return {
        **SHIPMENT_ID.snapshot(shipment),
        "order": order_ref(order) if order else None,
        **SHIPMENT.snapshot(shipment),
        "items": [SHIPMENT_ITEM.snapshot(i) for i in lines],
    }


def _order(order: Order, items: list[OrderItem], shipments: list[Snapshot]) -> Snapshot:
    """The order as the read model makes it, without staffNotes (R1)."""
    return {
        **order_ref(order),
        **ORDER_HEAD.snapshot(order),
        "billingAddress": address(order.billing_address),
        "shippingAddress": address(order.shipping_address),
        "payment": PAYMENT.snapshot(order),
        "items": [ORDER_ITEM.snapshot(i) for i in items],
        "shipments": shipments,
        **ORDER_TIMES.snapshot(order),
    }


class OrderSnapshots:
    """Order snapshots loaded once for a whole dispatch, whoever asks for them (webhook
    bodies, emails): each order is loaded at most once."""

    def __init__(self) -> None:
        self.known: dict[int, Snapshot] = {}
        self.asked: set[int] = set()

    async def of(self, order_ids: set[int]) -> dict[int, Snapshot]:
        missing = order_ids - self.asked
        if missing:
            self.known.update(await orders(missing))
            self.asked |= missing
        return self.known


def _grouped(rows: Iterable[Any], key: str) -> dict[int, list[Any]]:
    groups: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        groups[getattr(row, key)].append(row)
    return groups


async def orders(order_ids: set[int]) -> dict[int, Snapshot]:
    """Orders with their items and shipments: four queries however many."""
    if not order_ids:
        return {}
    found = {o.id: o for o in await Order.filter(id__in=order_ids)}
    items = _grouped(await OrderItem.filter(order_id__in=order_ids).order_by("id"), "order_id")
    shipped = await shipments_of_orders(set(found), found)
    return {
        order_id: _order(order, items.get(order_id, []), shipped.get(order_id, []))
        for order_id, order in found.items()
    }


async def shipments_of_orders(
    order_ids: set[int], orders_by_id: dict[int, Order]
) -> dict[int, list[Snapshot]]:
    rows = await Shipment.filter(order_id__in=order_ids).order_by("id")
    lines = _grouped(
        await ShipmentItem.filter(shipment_id__in=[s.id for s in rows]).order_by("id"),
        "shipment_id",
    )
    grouped: dict[int, list[Snapshot]] = defaultdict(list)
    for s in rows:
        order_id: int = s.order_id
        grouped[order_id].append(_shipment(s, lines.get(s.id, []), orders_by_id.get(order_id)))
    return grouped


async def shipments(shipment_ids: set[int]) -> dict[int, Snapshot]:
    if not shipment_ids:
        return {}
    rows = await Shipment.filter(id__in=shipment_ids).select_related("order")
    lines = _grouped(
        await ShipmentItem.filter(shipment_id__in=shipment_ids).order_by("id"), "shipment_id"
    )
    return {s.id: _shipment(s, lines.get(s.id, []), s.order) for s in rows}


async def returns(return_ids: set[int]) -> dict[int, Snapshot]:
    """Return requests with the customer's reasons, without the staff's notes."""
    if not return_ids:
        return {}
    rows = await Return.filter(id__in=return_ids).select_related("order")
    lines = _grouped(
        await ReturnItem.filter(return_request_id__in=return_ids)
        .select_related("order_item")
        .order_by("id"),
        "return_request_id",
    )
    return {
        r.id: {
            "id": to_global_id("Return", r.id),
            "order": order_ref(r.order),
            "status": r.status.value,
            "customerComment": r.customer_comment,
            "items": [
                {
                    "orderItem": to_global_id("OrderItem", line.order_item.id),
                    "sku": line.order_item.sku,
                    "quantity": line.quantity,
                    "reason": line.reason,
                    "action": line.action.value,
                }
                for line in lines.get(r.id, [])
            ],
            "createdAt": _time(r.created_at),
            "updatedAt": _time(r.updated_at),
        }
        for r in rows
    }


async def refunds(refund_ids: set[int]) -> dict[int, Snapshot]:
    """Refunds without their reason, which is staff-only."""
    if not refund_ids:
        return {}
    rows = await Refund.filter(id__in=refund_ids).select_related("order")
    asked = dict(
        await RefundRequest.filter(refund_id__in=refund_ids).values_list("refund_id", "id")
    )
    return {
        r.id: {
            **REFUND_ID.snapshot(r),
            "order": order_ref(r.order),
            **REFUND.snapshot(r),
            # the return it settles: `returnId` as the API names such links; `returnRequest`
            # is the same id under its first name, kept for receivers that read it
            "returnId": global_id("Return", r.return_request_id),
            "returnRequest": global_id("Return", r.return_request_id),
            "refundRequestId": global_id("RefundRequest", asked.get(r.id)),
            "createdAt": _time(r.created_at),
        }
        for r in rows
    }


async def refund_requests(request_ids: set[int]) -> dict[int, Snapshot]:
    """Refund requests without their reason (staff-only), with the order's captures: what
    the payment side needs to refund them at the provider."""
    if not request_ids:
        return {}
    rows = await RefundRequest.filter(id__in=request_ids).select_related("order")
    captures = _grouped(
        await PaymentTransaction.filter(
            order_id__in={r.order_id for r in rows}, kind=TransactionKind.CAPTURE
        ).order_by("id"),
        "order_id",
    )
    return {
        r.id: {
            "id": to_global_id("RefundRequest", r.id),
            "order": order_ref(r.order),
            "status": r.status.value,
            "amount": _money(r.amount),
            "currency": r.currency,
            "payment": {
                "provider": r.order.payment_provider,
                "method": r.order.payment_method,
                "captures": [
                    {
                        "id": to_global_id("PaymentTransaction", t.id),
                        "provider": t.provider,
                        "reference": t.reference,
                        "amount": _money(t.amount),
                    }
                    for t in captures.get(r.order_id, [])
                ],
            },
            # RefundRequest.returnId and .refundId as the API names them; `returnRequest` and
            # `refund` are the same ids under their first names, kept for receivers
            "returnId": global_id("Return", r.return_request_id),
            "refundId": global_id("Refund", r.refund_id),
            "returnRequest": global_id("Return", r.return_request_id),
            "refund": global_id("Refund", r.refund_id),
            "createdAt": _time(r.created_at),
            "settledAt": _time(r.settled_at),
        }
        for r in rows
    }


async def transactions(transaction_ids: set[int]) -> dict[int, Snapshot]:
    if not transaction_ids:
        return {}
    rows = await PaymentTransaction.filter(id__in=transaction_ids).select_related("order")
    return {
        t.id: {
            **TRANSACTION_ID.snapshot(t),
            "order": order_ref(t.order),
            **TRANSACTION.snapshot(t),
        }
        for t in rows
    }


def tracking_import(row: TrackingImport) -> Snapshot:
    return {
        "id": to_global_id("TrackingImport", row.id),
        "status": row.status.value,
        "filename": row.filename,
        "totalRows": row.total_rows,
        "processedRows": row.processed_rows,
        "updated": row.updated,
        "shipped": row.shipped,
        "unchanged": row.unchanged,
        "skipped": row.skipped,
        "failed": row.failed,
        "resultUrl": f"/imports/{row.id}/result.csv",
        "createdAt": _time(row.created_at),
        "finishedAt": _time(row.finished_at),
    }


def document(row: Document, order_numbers: list[int]) -> Snapshot:
    return {
        "id": to_global_id("Document", row.id),
        "kind": row.kind.value,
        "status": row.status.value,
        "orderNumbers": order_numbers,
        "pageCount": row.page_count,
        "url": f"/documents/{row.id}",
        "createdAt": _time(row.created_at),
        "finishedAt": _time(row.finished_at),
    }


def global_id(type_name: str, pk: Any) -> str | None:
    return to_global_id(type_name, pk) if isinstance(pk, int) else None
