"""Payments as the payment side reports them, and the shipping methods a store offers."""

from __future__ import annotations

import strawberry

from app.models import Order as OrderModel
from app.models import PaymentTransaction as PaymentTransactionModel
from app.models import ShippingMethod as ShippingMethodModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list, user_errors
from app.schema.ids import from_global_id
from app.schema.inputs import (
    CreateShippingMethodInput,
    RecordPaymentInput,
    UpdateShippingMethodInput,
)
from app.schema.mutations.base import IdempotencyKey, Once, perform
from app.schema.types.orders import Order
from app.schema.types.payments import PaymentTransaction, ShippingMethod
from app.services import payments, shipping
from app.services.errors import DomainError


@strawberry.type
class RecordPaymentPayload:
    transaction: PaymentTransaction | None = None
    order: Order | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class ShippingMethodPayload:
    shipping_method: ShippingMethod | None = None
    errors: list[UserError] = error_list()

    @classmethod
    def of(
        cls, method: ShippingMethodModel | None, errors: list[UserError]
    ) -> ShippingMethodPayload:
        return cls(shipping_method=ShippingMethod.build(method) if method else None, errors=errors)


Recorded = tuple[PaymentTransactionModel, OrderModel]


async def _load_recorded(ids: dict[str, int]) -> Recorded:
    return (
        await PaymentTransactionModel.get(id=ids["transaction"]),
        await OrderModel.get(id=ids["order"]),
    )


@strawberry.type
class PaymentMutations:
    @strawberry.mutation(
        description="Record what the payment side did (PAYMENTS_WRITE): an authorization, "
        "capture, void or refund. A payment covering the order moves it from PENDING or "
        "AWAITING_PAYMENT to AWAITING_FULFILLMENT."
    )
    async def record_payment(
        self,
        info: Info,
        order_id: strawberry.ID,
        input: RecordPaymentInput,
        idempotency_key: IdempotencyKey = None,
    ) -> RecordPaymentPayload:
        viewer = info.context.viewer
        try:
            data = input.to_service()
        except DomainError as exc:  # a refundRequestId that is not one
            return RecordPaymentPayload(errors=user_errors(exc))

        async def action() -> Recorded:
            return await payments.record_payment(
                viewer, from_global_id("Order", order_id, "orderId"), data
            )

        once = Once(
            "recordPayment",
            idempotency_key,
            [order_id, data],
            lambda r: {"transaction": r[0].id, "order": r[1].id},
            _load_recorded,
        )
        result, errors = await perform(info, action, once)
        if result is None:
            return RecordPaymentPayload(errors=errors)
        transaction, order = result
        return RecordPaymentPayload(
            transaction=PaymentTransaction.build(transaction, info.context),
            order=Order.build(order),
        )

    @strawberry.mutation(description="Offer a new shipping method (SETTINGS_WRITE).")
    async def create_shipping_method(
        self, info: Info, input: CreateShippingMethodInput
    ) -> ShippingMethodPayload:
        context = info.context
        method, errors = await perform(
            info,
            lambda: shipping.create_method(
                context.viewer, input.to_service(), context.settings.currency
            ),
        )
        return ShippingMethodPayload.of(method, errors)

    @strawberry.mutation(
        description="Change a shipping method (SETTINGS_WRITE); placed orders keep their cost."
    )
    async def update_shipping_method(
        self, info: Info, code: str, input: UpdateShippingMethodInput
    ) -> ShippingMethodPayload:
        context = info.context
        method, errors = await perform(
            info,
            lambda: shipping.update_method(
                context.viewer, code, input.to_service(), context.settings.currency
            ),
        )
        return ShippingMethodPayload.of(method, errors)
