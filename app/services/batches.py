"""Batch reads behind the GraphQL DataLoaders: one query for a whole page of parents.

Callers have already checked that the viewer may see the parent rows.
"""

from __future__ import annotations

from app.models import (
    Document,
    DocumentOrder,
    EventVisibility,
    Order,
    OrderEvent,
    OrderItem,
    PaymentTransaction,
    Refund,
    RefundRequest,
    Return,
    ReturnItem,
    Shipment,
    ShipmentItem,
    User,
)


async def items_of_orders(order_ids: list[int]) -> list[OrderItem]:
    return await OrderItem.filter(order_id__in=order_ids).order_by("id")


async def users(ids: list[int]) -> list[User]:
    return await User.filter(id__in=ids)


async def all_events_of_orders(order_ids: list[int]) -> list[OrderEvent]:
    return await OrderEvent.filter(order_id__in=order_ids).order_by("id")


async def public_events_of_orders(order_ids: list[int]) -> list[OrderEvent]:
    return await OrderEvent.filter(
        order_id__in=order_ids, visibility=EventVisibility.PUBLIC
    ).order_by("id")


async def shipments_of_orders(order_ids: list[int]) -> list[Shipment]:
    return await Shipment.filter(order_id__in=order_ids).order_by("id")


async def items_of_shipments(shipment_ids: list[int]) -> list[ShipmentItem]:
    return await ShipmentItem.filter(shipment_id__in=shipment_ids).order_by("id")


async def orders(ids: list[int]) -> list[Order]:
    return await Order.filter(id__in=ids)


async def order_items(ids: list[int]) -> list[OrderItem]:
    return await OrderItem.filter(id__in=ids)


async def returns_of_orders(order_ids: list[int]) -> list[Return]:
    return await Return.filter(order_id__in=order_ids).order_by("id")


async def items_of_returns(return_ids: list[int]) -> list[ReturnItem]:
    return await ReturnItem.filter(return_request_id__in=return_ids).order_by("id")


async def refunds_of_orders(order_ids: list[int]) -> list[Refund]:
    return await Refund.filter(order_id__in=order_ids).order_by("id")


async def refund_requests_of_orders(order_ids: list[int]) -> list[RefundRequest]:
    return await RefundRequest.filter(order_id__in=order_ids).order_by("id")


async def refund_requests_of_refunds(refund_ids: list[int]) -> list[RefundRequest]:
    return await RefundRequest.filter(refund_id__in=refund_ids)


async def transactions_of_orders(order_ids: list[int]) -> list[PaymentTransaction]:
    return await PaymentTransaction.filter(order_id__in=order_ids).order_by("id")


async def documents_of_orders(order_ids: list[int]) -> list[tuple[int, Document]]:
    links = (
        await DocumentOrder.filter(order_id__in=order_ids).select_related("document").order_by("id")
    )
    return [(link.order_id, link.document) for link in links]
