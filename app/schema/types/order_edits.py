"""An order edit's preview: what editOrder would make of it, before it is saved."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.schema.cost import most
from app.schema.errors import UserError, error_list, user_errors
from app.schema.ids import to_global_id
from app.schema.types.orders import Payment
from app.services.order_edits import EditPreview, PreviewLine
from app.services.orders import MAX_LINES


@strawberry.type(description="A line as the edit would leave it.")
class OrderEditPreviewLine:
    order_item_id: strawberry.ID | None = strawberry.field(
        description="The order item; null for a line the edit adds."
    )
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    quantity_shipped: int
    currency: str

    @classmethod
    def build(cls, line: PreviewLine, currency: str) -> OrderEditPreviewLine:
        item_id = line.order_item_id
        return cls(
            order_item_id=None if item_id is None else to_global_id("OrderItem", item_id),
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            total=line.total,
            quantity_shipped=line.quantity_shipped,
            currency=currency,
        )


@strawberry.type(description="Units the edit would take that are not in stock now.")
class StockShortfall:
    sku: str
    wanted: int = strawberry.field(description="Units the edit would take from stock.")
    in_stock: int


@strawberry.type(
    description="What editOrder would make of an edit now, worked out by editOrder's own "
    "code. Nothing is saved, no stock is taken and no event is recorded."
)
class OrderEditPreview:
    version: int = strawberry.field(
        description="The order's version this preview was made from: send it as "
        "expectedVersion to save exactly this."
    )
    lines: list[OrderEditPreviewLine] = strawberry.field(directives=[most(MAX_LINES)])
    subtotal: Decimal
    shipping_cost: Decimal
    tax_total: Decimal
    total: Decimal
    total_before: Decimal = strawberry.field(description="The order's total now.")
    currency: str
    payment: Payment = strawberry.field(
        description="The payment summary after the edit: its status, balanceDue (what to "
        "collect) and refundDue (what to pay back)."
    )
    stock_shortfalls: list[StockShortfall] = strawberry.field(
        description="Lines the edit would need more stock for; editOrder answers "
        "INSUFFICIENT_STOCK while there are any.",
        directives=[most(MAX_LINES)],
    )

    @classmethod
    def build(cls, preview: EditPreview) -> OrderEditPreview:
        order = preview.order
        return cls(
            version=order.version,
            lines=[OrderEditPreviewLine.build(line, order.currency) for line in preview.lines],
            subtotal=order.subtotal,
            shipping_cost=order.shipping_cost,
            tax_total=order.tax_total,
            total=order.total,
            total_before=preview.total_before,
            currency=order.currency,
            payment=Payment.build(order),
            stock_shortfalls=[
                StockShortfall(sku=s.sku, wanted=s.wanted, in_stock=s.in_stock)
                for s in preview.shortfalls
            ],
        )


@strawberry.type(
    description="errors are what editOrder would answer now. With INSUFFICIENT_STOCK alone "
    "the preview is given too (with its stockShortfalls); with any other, preview is null."
)
class PreviewOrderEditPayload:
    preview: OrderEditPreview | None = None
    errors: list[UserError] = error_list()

    @classmethod
    def of(cls, preview: EditPreview) -> PreviewOrderEditPayload:
        errors = user_errors(preview.refusal) if preview.refusal else []
        return cls(preview=OrderEditPreview.build(preview), errors=errors)
