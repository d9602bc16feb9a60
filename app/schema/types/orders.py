"""Orders as GraphQL sees them: plain fields made once by the read model (app/read_model.py),
per-viewer and staff-only ones read through it, relations through loaders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from app import read_model
from app.models import EventVisibility as EventVisibilityModel
from app.models import FulfillmentStatus as FulfillmentStatusModel
from app.models import Order as OrderModel
from app.models import OrderEvent as OrderEventModel
from app.models import OrderItem as OrderItemModel
from app.models import OrderStatus as OrderStatusModel
from app.models import PaymentStatus as PaymentStatusModel
from app.schema.context import Info
from app.schema.cost import PAGED, most
from app.schema.errors import guarded
from app.schema.pagination import Connection, connection
from app.schema.permissions import guards
from app.schema.types.accounts import Customer
from app.schema.types.documents import Document
from app.schema.types.payments import PaymentTransaction
from app.schema.types.returns import Refund, RefundRequest, ReturnRequest
from app.schema.types.shipments import Shipment
from app.services import documents
from app.services.orders import MAX_LINES
from app.services.pagination import page_in_memory
from app.services.refund_requests import MAX_REQUESTS
from app.services.refunds import MAX_REFUNDS
from app.services.returns import MAX_RETURNS
from app.services.shipments import MAX_SHIPMENTS
from app.services.transactions import MAX_TRANSACTIONS

strawberry.enum(OrderStatusModel, name="OrderStatus")
strawberry.enum(PaymentStatusModel, name="PaymentStatus")
strawberry.enum(
    FulfillmentStatusModel,
    name="FulfillmentStatus",
    description="What was shipped and returned, derived from the order's items.",
)
strawberry.enum(EventVisibilityModel, name="EventVisibility")
OrderStatus = OrderStatusModel
PaymentStatus = PaymentStatusModel
FulfillmentStatus = FulfillmentStatusModel
EventVisibility = EventVisibilityModel


@strawberry.type
class Address:
    first_name: str
    last_name: str
    company: str
    street1: str
    street2: str
    city: str
    state: str
    postal_code: str
    country: str
    phone: str

    @classmethod
    def build(cls, data: dict[str, str]) -> Address:
        return cls(**read_model.address_values(data))


@strawberry.type(
    description="The order's payment: amounts and status are sums over its transactions."
)
class Payment:
    method: str
    provider: str
    transaction_id: str = strawberry.field(
        description="The provider's reference of the latest authorization or capture."
    )
    status: PaymentStatus
    amount_authorized: Decimal = strawberry.field(
        description="Authorized and neither captured nor voided yet."
    )
    amount_paid: Decimal = strawberry.field(description="Captured.")
    amount_refunded: Decimal
    currency: str
    refund_requested: Decimal = strawberry.field(
        description="Asked of the payment side by pending refund requests, not yet refunded."
    )
    balance_due: Decimal = strawberry.field(
        description="What is left to collect: total - paid, when positive (else 0); 0 for "
        "a cancelled, declined or refunded order."
    )
    refund_due: Decimal = strawberry.field(
        description="What to pay back and not yet asked for: paid - refunded - requested - "
        "total, when positive (else 0); after an edit lowered the total, say. A cancelled, "
        "declined or refunded order keeps nothing, so all it was paid is due."
    )
    _order_id: strawberry.Private[int]

    @classmethod
    def build(cls, order: OrderModel) -> Payment:
        """From the order's columns (an edit's preview gives an unsaved order)."""
        return cls(**read_model.PAYMENT.values(order), _order_id=order.id)

    @strawberry.field(
        description=f"Oldest first (at most {MAX_TRANSACTIONS}).",
        directives=[most(MAX_TRANSACTIONS)],
    )
    async def transactions(self, info: Info) -> list[PaymentTransaction]:
        rows = await info.context.loaders.transactions_by_order.load(self._order_id)
        return [PaymentTransaction.build(row, info.context) for row in rows[:MAX_TRANSACTIONS]]


@strawberry.type
class OrderItem:
    id: strawberry.ID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    quantity_shipped: int
    quantity_returned: int
    quantity_restocked: int
    currency: str = strawberry.field(description="Of unitPrice and total: the order's.")

    @classmethod
    def build(cls, item: OrderItemModel, currency: str) -> OrderItem:
        return cls(**read_model.ORDER_ITEM.values(item, parent=_Currency(currency)))


@dataclass(frozen=True, slots=True)
class _Currency:
    """An item's parent as its `^currency` column reads it: the order's currency."""

    currency: str


@strawberry.type
class OrderEvent:
    id: strawberry.ID
    type: str
    created_at: datetime
    actor: str
    message: str
    visibility: EventVisibility
    data: JSON
    _order_id: strawberry.Private[int]
    # the order when the caller has it already (its timeline, a live event's row)
    _order: strawberry.Private[OrderModel | None]

    @classmethod
    def build(
        cls, event: OrderEventModel, reader: read_model.Reader, order: OrderModel | None = None
    ) -> OrderEvent:
        return cls(**read_model.EVENT.values(event, reader), _order_id=event.order_id, _order=order)

    @strawberry.field(
        description="The order it happened to: whoever sees the event sees its order, "
        "with the order's own field rules (staffNotes stays staff-only, R1)."
    )
    async def order(self, info: Info) -> Order:
        order = self._order or await info.context.loaders.order.load(self._order_id)
        assert order is not None  # an event is deleted only with its order
        return Order.build(order)


@strawberry.type
class Order:
    id: strawberry.ID
    number: int
    version: int
    status: OrderStatus
    is_open: bool = strawberry.field(
        description="Not in a closed status and with units left to ship (a partly refunded "
        "order whose items all shipped is not open)."
    )
    fulfillment_status: FulfillmentStatus = strawberry.field(
        description="Derived from the items: what was shipped and what came back."
    )
    created_at: datetime
    updated_at: datetime
    email: str
    subtotal: Decimal
    shipping_cost: Decimal
    tax_total: Decimal
    total: Decimal
    currency: str
    shipping_method: str
    customer_comment: str
    tracking_number: str | None
    carrier: str | None
    carrier_name: str | None = strawberry.field(
        description='The carrier as people name it: "UPS", "Royal Mail".'
    )
    tracking_url: str | None
    _model: strawberry.Private[OrderModel]

    @classmethod
    def build(cls, order: OrderModel) -> Order:
        """Its plain fields as the read model makes them (app/read_model.py)."""
        assert order.number is not None
        return cls(**read_model.ORDER.values(order), _model=order)

    # Nested objects are built only when a query selects them.
    @strawberry.field
    def payment(self) -> Payment:
        return Payment.build(self._model)

    @strawberry.field
    def billing_address(self) -> Address:
        return Address.build(self._model.billing_address)

    @strawberry.field
    def shipping_address(self) -> Address:
        return Address.build(self._model.shipping_address)

    @strawberry.field(
        permission_classes=guards(read_model.ORDER.fields["staffNotes"]),
        description="Staff only (R1): null with a FORBIDDEN error for anyone else.",
    )
    def staff_notes(self) -> str | None:
        return read_model.ORDER.read("staffNotes", self._model)  # type: ignore[no-any-return]

    @strawberry.field(
        description="For the tracking link a store emails: orderTracking(token: ...). "
        "Seen by staff and by the order's customer."
    )
    def tracking_token(self, info: Info) -> str | None:
        return read_model.ORDER.read("trackingToken", self._model, info.context)  # type: ignore[no-any-return]

    @strawberry.field(
        description=f"Shipments made from this order, oldest first (at most {MAX_SHIPMENTS}).",
        directives=[most(MAX_SHIPMENTS)],
    )
    async def shipments(self, info: Info) -> list[Shipment]:
        rows = await info.context.loaders.shipments_by_order.load(self._model.id)
        return [Shipment.build(row) for row in rows[:MAX_SHIPMENTS]]

    @strawberry.field(
        description=f"Return requests for this order, oldest first (at most {MAX_RETURNS}).",
        directives=[most(MAX_RETURNS)],
    )
    async def returns(self, info: Info) -> list[ReturnRequest]:
        rows = await info.context.loaders.returns_by_order.load(self._model.id)
        return [ReturnRequest.build(row) for row in rows[:MAX_RETURNS]]

    @strawberry.field(
        description=f"Refunds recorded for this order, oldest first (at most {MAX_REFUNDS}).",
        directives=[most(MAX_REFUNDS)],
    )
    async def refunds(self, info: Info) -> list[Refund]:
        rows = await info.context.loaders.refunds_by_order.load(self._model.id)
        return [Refund.build(row) for row in rows[:MAX_REFUNDS]]

    @strawberry.field(
        description="Refunds asked of the payment side, oldest first (at most "
        f"{MAX_REQUESTS}): PENDING until it confirms them.",
        directives=[most(MAX_REQUESTS)],
    )
    async def refund_requests(self, info: Info) -> list[RefundRequest]:
        rows = await info.context.loaders.refund_requests_by_order.load(self._model.id)
        return [RefundRequest.build(row) for row in rows[:MAX_REQUESTS]]

    @strawberry.field(
        description="Invoices and packing slips that print this order, newest first "
        f"(the latest {documents.LISTED_PER_ORDER}).",
        directives=[most(documents.LISTED_PER_ORDER)],
    )
    async def documents(self, info: Info) -> list[Document]:
        pairs = await info.context.loaders.documents_by_order.load(self._model.id)
        viewer = info.context.viewer
        listed = [
            Document.build(document)
            for _, document in pairs
            if documents.listed_on_order(viewer, document, self._model.id)
        ]
        return listed[::-1][: documents.LISTED_PER_ORDER]

    @strawberry.field(directives=[most(MAX_LINES)])
    async def items(self, info: Info) -> list[OrderItem]:
        rows = await info.context.loaders.items_by_order.load(self._model.id)
        return [OrderItem.build(row, self._model.currency) for row in rows[:MAX_LINES]]

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        if self._model.customer_id is None:
            return None
        user = await info.context.loaders.user.load(self._model.customer_id)
        return Customer.build(user) if user else None

    @strawberry.field(
        description="The timeline; customers see PUBLIC entries only.", directives=[PAGED]
    )
    async def events(
        self,
        info: Info,
        first: Annotated[int | None, strawberry.argument(description="At most 100.")] = None,
        after: str | None = None,
    ) -> Connection[OrderEvent]:
        loaders = info.context.loaders
        all_of_it = read_model.sees_private_events(info.context)
        rows = await (loaders.all_events if all_of_it else loaders.public_events).load(
            self._model.id
        )
        page = guarded(lambda: page_in_memory(rows, first, after))
        return connection(page, lambda e: OrderEvent.build(e, info.context, self._model))


async def order_item_by_id(info: Info, order_item_id: int) -> OrderItem | None:
    """An order item with its order's currency (both batch-loaded)."""
    item = await info.context.loaders.order_item.load(order_item_id)
    if item is None:
        return None
    order = await info.context.loaders.order.load(item.order_id)
    return OrderItem.build(item, order.currency if order else info.context.settings.currency)
