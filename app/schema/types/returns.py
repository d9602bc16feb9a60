"""Return requests and refunds."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from app import read_model
from app.models import Refund as RefundModel
from app.models import RefundRequest as RefundRequestModel
from app.models import RefundRequestStatus as RefundRequestStatusModel
from app.models import Return as ReturnModel
from app.models import ReturnAction as ReturnActionModel
from app.models import ReturnItem as ReturnItemModel
from app.models import ReturnStatus as ReturnStatusModel
from app.schema.context import Info
from app.schema.cost import most
from app.schema.ids import to_global_id
from app.schema.permissions import StaffOnly, guards
from app.services import returns
from app.services.orders import MAX_LINES

if TYPE_CHECKING:
    from app.schema.types.orders import Order, OrderItem

strawberry.enum(ReturnStatusModel, name="ReturnStatus")
strawberry.enum(ReturnActionModel, name="ReturnAction")
ReturnStatus = ReturnStatusModel
strawberry.enum(RefundRequestStatusModel, name="RefundRequestStatus")
RefundRequestStatus = RefundRequestStatusModel
ReturnAction = ReturnActionModel
LazyOrder = Annotated["Order", strawberry.lazy("app.schema.types.orders")]
LazyOrderItem = Annotated["OrderItem", strawberry.lazy("app.schema.types.orders")]


async def _order_item(info: Info, order_item_id: int) -> LazyOrderItem | None:
    from app.schema.types.orders import order_item_by_id

    return await order_item_by_id(info, order_item_id)


@strawberry.type
class ReturnItem:
    quantity: int
    reason: str
    action: ReturnAction
    _order_item_id: strawberry.Private[int]

    @strawberry.field
    async def order_item(self, info: Info) -> LazyOrderItem | None:
        return await _order_item(info, self._order_item_id)


@strawberry.type
class RefundItem:
    quantity: int
    _order_item_id: strawberry.Private[int]

    @strawberry.field
    async def order_item(self, info: Info) -> LazyOrderItem | None:
        return await _order_item(info, self._order_item_id)


@strawberry.type(description="Money paid back, as the merchant recorded it.")
class Refund:
    id: strawberry.ID
    amount: Decimal
    currency: str
    created_at: datetime
    restocked: bool
    items: list[RefundItem] = strawberry.field(directives=[most(MAX_LINES)])
    _model: strawberry.Private[RefundModel]

    @classmethod
    def build(cls, refund: RefundModel) -> Refund:
        return cls(
            **read_model.REFUND.values(refund),
            items=[
                RefundItem(quantity=x["quantity"], _order_item_id=x["order_item_id"])
                for x in refund.items
            ],
            _model=refund,
        )

    @strawberry.field(
        permission_classes=guards(read_model.REFUND.fields["reason"]), description="Staff only."
    )
    def reason(self) -> str | None:
        return read_model.REFUND.read("reason", self._model)  # type: ignore[no-any-return]

    @strawberry.field(description="Who recorded it; customers see 'store'.")
    def created_by(self, info: Info) -> str:
        return read_model.REFUND.read("createdBy", self._model, info.context)  # type: ignore[no-any-return]

    @strawberry.field(description="The refund request it confirmed, if any.")
    async def refund_request_id(self, info: Info) -> strawberry.ID | None:
        request = await info.context.loaders.refund_request_by_refund.load(self._model.id)
        return to_global_id("RefundRequest", request.id) if request else None


@strawberry.type(
    description="Staff asking the payment side to pay money back: PENDING until the payment "
    "side confirms it with recordPayment(kind: REFUND, refundRequestId)."
)
class RefundRequest:
    id: strawberry.ID
    status: RefundRequestStatus
    amount: Decimal
    currency: str
    created_at: datetime
    settled_at: datetime | None = strawberry.field(description="When confirmed or withdrawn.")
    refund_id: strawberry.ID | None = strawberry.field(description="The refund that confirmed it.")
    return_id: strawberry.ID | None = strawberry.field(description="The return it settles.")
    _model: strawberry.Private[RefundRequestModel]

    @classmethod
    def build(cls, row: RefundRequestModel) -> RefundRequest:
        return cls(
            id=to_global_id("RefundRequest", row.id),
            status=row.status,
            amount=row.amount,
            currency=row.currency,
            created_at=row.created_at,
            settled_at=row.settled_at,
            refund_id=to_global_id("Refund", row.refund_id) if row.refund_id else None,
            return_id=(
                to_global_id("Return", row.return_request_id) if row.return_request_id else None
            ),
            _model=row,
        )

    @strawberry.field(permission_classes=[StaffOnly], description="Staff only.")
    def reason(self) -> str | None:
        return self._model.reason

    @strawberry.field(description="Who asked; customers see 'store'.")
    def created_by(self, info: Info) -> str:
        return self._model.created_by if info.context.viewer.is_staff else "store"


@strawberry.type(name="Return", description="A customer's request to send items back.")
class ReturnRequest:
    id: strawberry.ID
    status: ReturnStatus
    customer_comment: str
    created_at: datetime
    updated_at: datetime
    restocked: bool
    _model: strawberry.Private[ReturnModel]

    @classmethod
    def build(cls, request: ReturnModel) -> ReturnRequest:
        return cls(
            id=to_global_id("Return", request.id),
            status=request.status,
            customer_comment=request.customer_comment,
            created_at=request.created_at,
            updated_at=request.updated_at,
            restocked=request.restocked,
            _model=request,
        )

    @strawberry.field(
        permission_classes=[StaffOnly],
        description="Staff only (R1): null with a FORBIDDEN error for anyone else.",
    )
    def staff_notes(self) -> str | None:
        return self._model.staff_notes

    @strawberry.field(
        description="The statuses setReturnStatus would move it to for this viewer.",
        directives=[most(len(ReturnStatusModel))],
    )
    def next_statuses(self, info: Info) -> list[ReturnStatus]:
        return returns.next_statuses(info.context.viewer, self._model.status)

    @strawberry.field(directives=[most(MAX_LINES)])
    async def items(self, info: Info) -> list[ReturnItem]:
        rows: list[ReturnItemModel] = await info.context.loaders.items_by_return.load(
            self._model.id
        )
        rows = rows[:MAX_LINES]
        return [
            ReturnItem(
                quantity=r.quantity,
                reason=r.reason,
                action=r.action,
                _order_item_id=r.order_item_id,
            )
            for r in rows
        ]

    @strawberry.field
    async def order(self, info: Info) -> LazyOrder:
        from app.schema.types.orders import Order

        order = await info.context.loaders.order.load(self._model.order_id)
        assert order is not None
        return Order.build(order)

    @strawberry.field(description="The refund that settled this return, if any.")
    async def refund(self, info: Info) -> Refund | None:
        refunds = await info.context.loaders.refunds_by_order.load(self._model.order_id)
        linked = [r for r in refunds if r.return_request_id == self._model.id]
        return Refund.build(linked[-1]) if linked else None
