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

from app.carriers import carrier_name, tracking_url
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
from app.services.addresses import Address
from app.services.lifecycle import dues

Snapshot = dict[str, Any]


def _money(value: Decimal) -> str:
    return str(value)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def address(data: dict[str, Any]) -> Snapshot:
    """An address as the API writes it: camelCase parts, "" for a missing one."""
    a = Address.from_json(data)
    return {
        "firstName": a.first_name,
        "lastName": a.last_name,
        "company": a.company,
        "street1": a.street1,
        "street2": a.street2,
        "city": a.city,
        "state": a.state,
        "postalCode": a.postal_code,
        "country": a.country,
        "phone": a.phone,
    }


def order_ref(order: Order) -> Snapshot:
    return {"id": to_global_id("Order", order.id), "number": order.number}


def _shipment(shipment: Shipment, lines: list[ShipmentItem], order: Order | None) -> Snapshot:
    return {
        "id": to_global_id("Shipment", shipment.id),
        "order": order_ref(order) if order else None,
        "trackingNumber": shipment.tracking_number or None,
        "carrier": shipment.carrier or None,
        "carrierName": carrier_name(shipment.carrier, shipment.tracking_number) or None,
        "trackingUrl": tracking_url(shipment.tracking_number, shipment.carrier or None),
        "shippingMethod": shipment.shipping_method,
        "comments": shipment.comments,
        "createdAt": _time(shipment.created_at),
        "items": [{"sku": i.sku, "name": i.name, "quantity": i.quantity} for i in lines],
    }


def _order(order: Order, items: list[OrderItem], shipments: list[Snapshot]) -> Snapshot:
    """The order without staffNotes (R1 holds for every receiver of a webhook too)."""
    balance_due, refund_due = dues(
        order.status,
        order.total,
        order.amount_paid,
        order.amount_refunded,
        order.amount_refund_requested,
    )
    return {
        **order_ref(order),
        "version": order.version,
        "status": order.status.value,
        "email": order.email,
        "currency": order.currency,
        "subtotal": _money(order.subtotal),
        "shippingCost": _money(order.shipping_cost),
        "taxTotal": _money(order.tax_total),
        "total": _money(order.total),
        "shippingMethod": order.shipping_method,
        "customerComment": order.customer_comment,
        "trackingNumber": order.tracking_number or None,
        "carrier": order.carrier or None,
        "carrierName": carrier_name(order.carrier, order.tracking_number) or None,
        "trackingUrl": tracking_url(order.tracking_number, order.carrier or None),
        "billingAddress": address(order.billing_address),
        "shippingAddress": address(order.shipping_address),
        "payment": {
            "status": order.payment_status.value,
            "method": order.payment_method,
            "provider": order.payment_provider,
            "amountAuthorized": _money(order.amount_authorized),
            "amountPaid": _money(order.amount_paid),
            "amountRefunded": _money(order.amount_refunded),
            "refundRequested": _money(order.amount_refund_requested),
            "balanceDue": _money(balance_due),
            "refundDue": _money(refund_due),
        },
        "items": [
            {
                "id": to_global_id("OrderItem", i.id),
                "sku": i.sku,
                "name": i.name,
                "quantity": i.quantity,
                "unitPrice": _money(i.unit_price),
                "total": _money(i.total),
                "quantityShipped": i.quantity_shipped,
                "quantityReturned": i.quantity_returned,
            }
            for i in items
        ],
        "shipments": shipments,
        "createdAt": _time(order.created_at),
        "updatedAt": _time(order.updated_at),
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
            "id": to_global_id("Refund", r.id),
            "order": order_ref(r.order),
            "amount": _money(r.amount),
            "currency": r.currency,
            "restocked": r.restocked,
            "returnRequest": (
                to_global_id("Return", r.return_request_id) if r.return_request_id else None
            ),
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
            "id": to_global_id("PaymentTransaction", t.id),
            "order": order_ref(t.order),
            "kind": t.kind.value,
            "amount": _money(t.amount),
            "currency": t.currency,
            "provider": t.provider,
            "reference": t.reference,
            "method": t.method,
            "createdAt": _time(t.created_at),
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
