"""Return requests and refunds."""

from __future__ import annotations

import strawberry

from app.models import Order as OrderModel
from app.models import Refund as RefundModel
from app.models import Return as ReturnModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id
from app.schema.inputs import RefundOrderInput, RequestReturnInput
from app.schema.mutations.base import IdempotencyKey, Once, perform
from app.schema.types.orders import Order
from app.schema.types.returns import Refund, ReturnRequest, ReturnStatus
from app.services import refunds, returns


@strawberry.type
class ReturnPayload:
    return_request: ReturnRequest | None = None
    errors: list[UserError] = error_list()

    @classmethod
    def of(cls, request: ReturnModel | None, errors: list[UserError]) -> ReturnPayload:
        return cls(return_request=ReturnRequest.build(request) if request else None, errors=errors)


@strawberry.type
class RefundPayload:
    refund: Refund | None = None
    order: Order | None = None
    errors: list[UserError] = error_list()


async def _load_refund(ids: dict[str, int]) -> tuple[RefundModel, OrderModel]:
    return await RefundModel.get(id=ids["refund"]), await OrderModel.get(id=ids["order"])


async def _load_return(ids: dict[str, int]) -> ReturnModel:
    return await ReturnModel.get(id=ids["return"])


@strawberry.type
class ReturnMutations:
    @strawberry.mutation(
        description="Ask to return shipped items: customers for their own orders, or staff."
    )
    async def request_return(
        self, info: Info, input: RequestReturnInput, idempotency_key: IdempotencyKey = None
    ) -> ReturnPayload:
        viewer = info.context.viewer

        async def action() -> ReturnModel:
            return await returns.request_return(
                viewer,
                from_global_id("Order", input.order_id, "orderId"),
                input.lines(),
                input.customer_comment,
            )

        once = Once(
            "requestReturn",
            idempotency_key,
            input,
            lambda r: {"return": r.id},
            _load_return,
        )
        request, errors = await perform(info, action, once)
        return ReturnPayload.of(request, errors)

    @strawberry.mutation(
        description="Move a return on (RETURNS_WRITE); a customer may cancel a PENDING one. "
        "RECEIVED with restock puts the units back in stock."
    )
    async def set_return_status(
        self,
        info: Info,
        id: strawberry.ID,
        status: ReturnStatus,
        note: str = "",
        restock: bool = False,
    ) -> ReturnPayload:
        viewer = info.context.viewer
        request, errors = await perform(
            info,
            lambda: returns.set_return_status(
                viewer, from_global_id("Return", id), status, note, restock
            ),
        )
        return ReturnPayload.of(request, errors)

    @strawberry.mutation(
        description="Record a refund made at the provider (REFUNDS_WRITE): a REFUND "
        "transaction of at most what was captured and not yet refunded."
    )
    async def refund_order(
        self,
        info: Info,
        order_id: strawberry.ID,
        input: RefundOrderInput,
        idempotency_key: IdempotencyKey = None,
    ) -> RefundPayload:
        viewer = info.context.viewer

        async def action() -> tuple[RefundModel, OrderModel]:
            return await refunds.refund_order(
                viewer, from_global_id("Order", order_id, "orderId"), input.to_service()
            )

        once = Once(
            "refundOrder",
            idempotency_key,
            [order_id, input],
            lambda r: {"refund": r[0].id, "order": r[1].id},
            _load_refund,
        )
        result, errors = await perform(info, action, once)
        if result is None:
            return RefundPayload(errors=errors)
        refund, order = result
        return RefundPayload(refund=Refund.build(refund), order=Order.build(order))
