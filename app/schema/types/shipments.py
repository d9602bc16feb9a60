"""Shipments and the public tracking view."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from app import read_model
from app.models import Order as OrderModel
from app.models import OrderItem as OrderItemModel
from app.models import Shipment as ShipmentModel
from app.models import ShipmentItem as ShipmentItemModel
from app.schema.context import Info
from app.schema.cost import most
from app.services.orders import MAX_LINES
from app.services.shipments import MAX_SHIPMENTS

if TYPE_CHECKING:
    from app.schema.types.orders import Address, Order, OrderItem, OrderStatus

LazyOrder = Annotated["Order", strawberry.lazy("app.schema.types.orders")]
LazyOrderItem = Annotated["OrderItem", strawberry.lazy("app.schema.types.orders")]
LazyAddress = Annotated["Address", strawberry.lazy("app.schema.types.orders")]
LazyOrderStatus = Annotated["OrderStatus", strawberry.lazy("app.schema.types.orders")]


@strawberry.type
class ShipmentItem:
    sku: str
    name: str
    quantity: int
    _model: strawberry.Private[ShipmentItemModel]

    @strawberry.field
    async def order_item(self, info: Info) -> LazyOrderItem | None:
        from app.schema.types.orders import order_item_by_id

        return await order_item_by_id(info, self._model.order_item_id)


@strawberry.type(description="What left the store, when, to whom and where. Never changes.")
class Shipment:
    id: strawberry.ID
    created_at: datetime
    tracking_number: str | None
    carrier: str | None
    carrier_name: str | None = strawberry.field(
        description='The carrier as people name it: "UPS", "Royal Mail".'
    )
    tracking_url: str | None
    shipping_method: str
    comments: str
    _model: strawberry.Private[ShipmentModel]

    @classmethod
    def build(cls, shipment: ShipmentModel) -> Shipment:
        return cls(**read_model.SHIPMENT.values(shipment), _model=shipment)

    @strawberry.field(description="Who created it; customers see 'store'.")
    def created_by(self, info: Info) -> str:
        return read_model.SHIPMENT.read("createdBy", self._model, info.context)  # type: ignore[no-any-return]

    @strawberry.field(description="The shipping address as it was when the shipment was made.")
    def shipped_to(self) -> LazyAddress:
        from app.schema.types.orders import Address

        return Address.build(self._model.shipped_to)

    @strawberry.field(directives=[most(MAX_LINES)])
    async def items(self, info: Info) -> list[ShipmentItem]:
        rows = await info.context.loaders.items_by_shipment.load(self._model.id)
        return [
            ShipmentItem(**read_model.SHIPMENT_ITEM.values(r), _model=r) for r in rows[:MAX_LINES]
        ]

    @strawberry.field
    async def order(self, info: Info) -> LazyOrder:
        from app.schema.types.orders import Order

        order = await info.context.loaders.order.load(self._model.order_id)
        assert order is not None  # a shipment's order is deleted only with it
        return Order.build(order)


@strawberry.type
class TrackingItem:
    sku: str
    name: str
    quantity: int
    quantity_shipped: int


@strawberry.type
class TrackingShipment:
    created_at: datetime
    tracking_number: str | None
    carrier: str | None
    carrier_name: str | None = strawberry.field(
        description='The carrier as people name it: "UPS", "Royal Mail".'
    )
    tracking_url: str | None


@strawberry.type(description="The public view of an order: no prices, addresses or notes.")
class OrderTracking:
    number: int
    status: LazyOrderStatus
    created_at: datetime
    tracking_number: str | None
    carrier: str | None
    carrier_name: str | None = strawberry.field(
        description='The carrier as people name it: "UPS", "Royal Mail".'
    )
    tracking_url: str | None
    _model: strawberry.Private[OrderModel]

    @classmethod
    def build(cls, order: OrderModel) -> OrderTracking:
        assert order.number is not None
        return cls(**read_model.ORDER_TRACKING.values(order), _model=order)

    @strawberry.field(directives=[most(MAX_LINES)])
    async def items(self, info: Info) -> list[TrackingItem]:
        rows: list[OrderItemModel] = await info.context.loaders.items_by_order.load(self._model.id)
        rows = rows[:MAX_LINES]
        return [TrackingItem(**read_model.TRACKING_ITEM.values(r)) for r in rows]

    @strawberry.field(directives=[most(MAX_SHIPMENTS)])
    async def shipments(self, info: Info) -> list[TrackingShipment]:
        rows = await info.context.loaders.shipments_by_order.load(self._model.id)
        rows = rows[:MAX_SHIPMENTS]
        return [TrackingShipment(**read_model.TRACKING_SHIPMENT.values(s)) for s in rows]
