"""Cancelling orders and asking the payment side for refunds."""

from __future__ import annotations

import strawberry

from app.models import Order as OrderModel
from app.models import RefundRequest as RefundRequestModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id
from app.schema.inputs import CancelOrderInput, RequestRefundInput
from app.schema.mutations.base import IdempotencyKey, Once, perform
from app.schema.types.orders import Order
from app.schema.types.payments import PaymentWarning, warning_list
from app.schema.types.returns import RefundRequest
from app.services import cancellation, refund_requests
from app.services.refund_requests import payment_warnings


@strawberry.type
class CancelOrderPayload:
    order: Order | None = None
    refund_request: RefundRequest | None = strawberry.field(
        default=None, description="The refund asked of the payment side, if any."
    )
    warnings: list[PaymentWarning] = warning_list()
    errors: list[UserError] = error_list()


@strawberry.type
class RefundRequestPayload:
    refund_request: RefundRequest | None = None
    order: Order | None = None
    errors: list[UserError] = error_list()


Asked = tuple[RefundRequestModel, OrderModel]


async def _load_cancelled(ids: dict[str, int]) -> cancellation.Cancelled:
    order = await OrderModel.get(id=ids["order"])
    request = await RefundRequestModel.get_or_none(id=ids.get("refundRequest", 0))
    return cancellation.Cancelled(order, request, payment_warnings(order))


async def _load_asked(ids: dict[str, int]) -> Asked:
    return (
        await RefundRequestModel.get(id=ids["refundRequest"]),
        await OrderModel.get(id=ids["order"]),
    )


def _asked_payload(result: Asked | None, errors: list[UserError]) -> RefundRequestPayload:
    if result is None:
        return RefundRequestPayload(errors=errors)
    request, order = result
    return RefundRequestPayload(
        refund_request=RefundRequest.build(request), order=Order.build(order)
    )


@strawberry.type
class CancellationMutations:
    @strawberry.mutation(
        description="Cancel an open order in one step (ORDERS_WRITE): the unshipped units go "
        "back on sale (or are written off), with refund (REFUNDS_WRITE) the payment side is "
        "asked to refund what was captured, and with notifyCustomer the customer is emailed."
    )
    async def cancel_order(
        self,
        info: Info,
        order_id: strawberry.ID,
        input: CancelOrderInput | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> CancelOrderPayload:
        viewer = info.context.viewer
        given = input or CancelOrderInput()

        async def action() -> cancellation.Cancelled:
            return await cancellation.cancel_order(
                viewer, from_global_id("Order", order_id, "orderId"), given.to_service()
            )

        once = Once(
            "cancelOrder",
            idempotency_key,
            [order_id, given],
            lambda c: (
                {"order": c.order.id}
                | ({"refundRequest": c.refund_request.id} if c.refund_request else {})
            ),
            _load_cancelled,
        )
        done, errors = await perform(info, action, once)
        if done is None:
            return CancelOrderPayload(errors=errors)
        return CancelOrderPayload(
            order=Order.build(done.order),
            refund_request=RefundRequest.build(done.refund_request)
            if done.refund_request
            else None,
            warnings=[PaymentWarning.build(w) for w in done.warnings],
        )

    @strawberry.mutation(
        description="Ask the payment side to refund (REFUNDS_WRITE): a PENDING refund "
        "request, sent as a refund.requested webhook; the payment side performs it and "
        "confirms it with recordPayment(kind: REFUND, refundRequestId)."
    )
    async def request_refund(
        self,
        info: Info,
        order_id: strawberry.ID,
        input: RequestRefundInput | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> RefundRequestPayload:
        viewer = info.context.viewer
        given = input or RequestRefundInput()

        async def action() -> Asked:
            return await refund_requests.request_refund(
                viewer, from_global_id("Order", order_id, "orderId"), given.to_service()
            )

        once = Once(
            "requestRefund",
            idempotency_key,
            [order_id, given],
            lambda r: {"refundRequest": r[0].id, "order": r[1].id},
            _load_asked,
        )
        result, errors = await perform(info, action, once)
        return _asked_payload(result, errors)

    @strawberry.mutation(
        description="Withdraw a PENDING refund request (REFUNDS_WRITE): staff changed their "
        "mind, or the provider refused it."
    )
    async def cancel_refund_request(self, info: Info, id: strawberry.ID) -> RefundRequestPayload:
        viewer = info.context.viewer
        result, errors = await perform(
            info,
            lambda: refund_requests.cancel_request(viewer, from_global_id("RefundRequest", id)),
        )
        return _asked_payload(result, errors)
