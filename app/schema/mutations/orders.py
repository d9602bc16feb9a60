"""Placing and editing orders."""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.models import Order as OrderModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list, user_errors
from app.schema.ids import from_global_id
from app.schema.inputs import EditOrderInput, PlaceOrderInput, UpdateOrderInput
from app.schema.mutations.base import IdempotencyKey, Once, load_order, perform
from app.schema.types.orders import EventVisibility, Order
from app.schema.types.payments import PaymentWarning, warning_list
from app.services import idempotency, order_edits, orders
from app.services.buyer_limits import BuyerLimits
from app.services.errors import DomainError, ErrorCode
from app.services.refund_requests import payment_warnings


@strawberry.type
class OrderPayload:
    order: Order | None = None
    errors: list[UserError] = error_list()
    warnings: list[PaymentWarning] = warning_list()

    @classmethod
    def of(
        cls, order: OrderModel | None, errors: list[UserError], *, warn: bool = False
    ) -> OrderPayload:
        """With `warn`, what a cancelled order still holds of the customer's money."""
        return cls(
            order=Order.build(order) if order else None,
            errors=errors,
            warnings=[PaymentWarning.build(w) for w in payment_warnings(order)]
            if warn and order
            else [],
        )


@strawberry.type
class OrderMutations:
    @strawberry.mutation(
        description="Place an order as a customer or a guest; takes stock. The server prices "
        "it, shipping included."
    )
    async def place_order(
        self, info: Info, input: PlaceOrderInput, idempotency_key: IdempotencyKey = None
    ) -> OrderPayload:
        context = info.context
        viewer, settings = context.viewer, context.settings
        data = input.to_service()

        context.orders_placed += 1
        another = context.orders_placed > 1  # thirty aliases would hold thirty orders' stock

        async def place() -> OrderModel:
            if another:
                raise DomainError(
                    ErrorCode.LIMIT_REACHED,
                    "One placeOrder a request: send each order on its own.",
                )
            if viewer.is_anonymous:
                await context.throttle("guest-order", settings.guest_order_rate_limit, 60)
            limits = BuyerLimits(
                units_per_line=settings.max_units_per_line,
                unpaid_per_customer=settings.max_unpaid_orders_per_customer,
                unpaid_per_address=settings.max_unpaid_orders_per_address,
                client=context.client_address,
                redis=context.redis,
                window_seconds=settings.unpaid_order_ttl_seconds,
            )
            return await orders.place_order(
                viewer, data, settings.tax_rate, settings.currency, limits
            )

        async def replay(first: dict[str, int]) -> OrderModel:
            order = await load_order(first)
            idempotency.check_unchanged(viewer, first, order.version, f"order {order.number}")
            return order

        once = Once("placeOrder", idempotency_key, data, _placed_ids, replay)
        order, errors = await perform(info, place, once)
        if order is not None:
            info.context.placed_order_ids.add(order.id)
        return OrderPayload.of(order, errors)

    @strawberry.mutation(
        description="Edit addresses, shipping method, comment and staff notes (ORDERS_WRITE)."
    )
    async def update_order(
        self, info: Info, id: strawberry.ID, input: UpdateOrderInput
    ) -> OrderPayload:
        viewer = info.context.viewer
        try:
            order_id = from_global_id("Order", id)
        except DomainError as exc:
            return OrderPayload(errors=user_errors(exc))
        changes = input.to_service()
        order, errors = await perform(info, lambda: orders.update_order(viewer, order_id, changes))
        return OrderPayload.of(order, errors)

    @strawberry.mutation(
        description="Change an open order's lines, prices and shipping cost in one edit "
        "(ORDERS_WRITE): stock follows, totals are recomputed, and payment.balanceDue or "
        "refundDue says what to collect or pay back."
    )
    async def edit_order(
        self,
        info: Info,
        order_id: strawberry.ID,
        input: EditOrderInput,
        idempotency_key: IdempotencyKey = None,
    ) -> OrderPayload:
        context = info.context

        async def action() -> OrderModel:
            return await order_edits.edit_order(
                context.viewer,
                from_global_id("Order", order_id, "orderId"),
                input.to_service(),
                context.settings.tax_rate,
            )

        once = Once("editOrder", idempotency_key, [order_id, input], _order_ids, load_order)
        order, errors = await perform(info, action, once)
        return OrderPayload.of(order, errors)

    @strawberry.mutation(
        description="A note on the order's timeline. Staff write STAFF (the default) or "
        "PUBLIC notes, and email a PUBLIC one to the customer with notifyCustomer; a "
        "customer writes on their own order, always PUBLIC."
    )
    async def add_order_note(
        self,
        info: Info,
        order_id: strawberry.ID,
        message: str,
        visibility: EventVisibility | None = None,
        notify_customer: Annotated[
            bool,
            strawberry.argument(
                description="Staff: email the note to the customer (a PUBLIC note)."
            ),
        ] = False,
    ) -> OrderPayload:
        context = info.context
        viewer = context.viewer

        async def action() -> OrderModel:
            if viewer.is_customer:  # a message to the store, not a way to flood it
                await context.throttle(
                    "customer-note",
                    context.settings.customer_note_rate_limit,
                    60,
                    key=f"user:{viewer.user_id}",
                )
            return await order_edits.add_note(
                viewer,
                from_global_id("Order", order_id, "orderId"),
                message,
                visibility,
                notify_customer,
            )

        order, errors = await perform(info, action)
        return OrderPayload.of(order, errors)


def _placed_ids(order: OrderModel) -> dict[str, int]:
    """The order and the version the first answer showed (a guest's replay shows no more)."""
    return {"order": order.id, "version": order.version}


def _order_ids(order: OrderModel) -> dict[str, int]:
    return {"order": order.id}
