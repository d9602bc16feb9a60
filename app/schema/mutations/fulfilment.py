"""Status, tracking numbers and shipments."""

from __future__ import annotations

import strawberry

from app.models import Order as OrderModel
from app.models import Shipment as ShipmentModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id, to_global_id
from app.schema.inputs import ShipOrderInput
from app.schema.mutations.base import IdempotencyKey, Once, perform
from app.schema.mutations.orders import OrderPayload
from app.schema.types.orders import Order, OrderStatus
from app.schema.types.shipments import Shipment
from app.services import fulfilment, shipments


@strawberry.type
class ShipOrderPayload:
    shipment: Shipment | None = None
    order: Order | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class DeleteShipmentPayload:
    order: Order | None = None
    deleted_shipment_id: strawberry.ID | None = None
    errors: list[UserError] = error_list()


async def _load_shipped(ids: dict[str, int]) -> tuple[ShipmentModel, OrderModel]:
    return await ShipmentModel.get(id=ids["shipment"]), await OrderModel.get(id=ids["order"])


@strawberry.type
class FulfilmentMutations:
    @strawberry.mutation(
        description="Set any status (ORDERS_WRITE); stock follows. SHIPPED creates no shipment. "
        "A cancelled, declined or refunded order that still holds captured money answers "
        "with warnings saying what is left to refund."
    )
    async def set_status(
        self, info: Info, order_id: strawberry.ID, status: OrderStatus, note: str = ""
    ) -> OrderPayload:
        viewer = info.context.viewer
        order, errors = await perform(
            info,
            lambda: fulfilment.set_status(
                viewer, from_global_id("Order", order_id, "orderId"), status, note
            ),
        )
        return OrderPayload.of(order, errors, warn=True)

    @strawberry.mutation(
        description="Set the order's tracking number. Shipments keep the number they have."
    )
    async def add_tracking(
        self, info: Info, order_id: strawberry.ID, tracking_number: str, carrier: str | None = None
    ) -> OrderPayload:
        viewer = info.context.viewer

        async def action() -> OrderModel:
            order = await fulfilment.add_tracking(
                viewer, from_global_id("Order", order_id, "orderId"), tracking_number, carrier
            )
            return order

        order, errors = await perform(info, action)
        return OrderPayload.of(order, errors)

    @strawberry.mutation(description="Ship items (SHIPMENTS_WRITE): all unshipped by default.")
    async def ship_order(
        self,
        info: Info,
        order_id: strawberry.ID,
        input: ShipOrderInput | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> ShipOrderPayload:
        viewer = info.context.viewer
        given = input or ShipOrderInput()

        async def action() -> tuple[ShipmentModel, OrderModel]:
            return await shipments.ship_order(
                viewer, from_global_id("Order", order_id, "orderId"), given.to_service()
            )

        once = Once(
            "shipOrder",
            idempotency_key,
            [order_id, given],
            lambda r: {"shipment": r[0].id, "order": r[1].id},
            _load_shipped,
        )
        result, errors = await perform(info, action, once)
        if result is None:
            return ShipOrderPayload(errors=errors)
        shipment, order = result
        return ShipOrderPayload(shipment=Shipment.build(shipment), order=Order.build(order))

    @strawberry.mutation(description="Delete a shipment; the order stays exactly as it is.")
    async def delete_shipment(self, info: Info, id: strawberry.ID) -> DeleteShipmentPayload:
        viewer = info.context.viewer
        order, errors = await perform(
            info, lambda: shipments.delete_shipment(viewer, from_global_id("Shipment", id))
        )
        if order is None:
            return DeleteShipmentPayload(errors=errors)
        return DeleteShipmentPayload(
            order=Order.build(order),
            deleted_shipment_id=to_global_id("Shipment", from_global_id("Shipment", id)),
        )
