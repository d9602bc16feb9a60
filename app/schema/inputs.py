"""GraphQL inputs; each converts itself to the service's plain input (no rules here)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum

import strawberry

from app.schema.ids import from_global_id
from app.schema.types.accounts import Permission, Role
from app.schema.types.orders import OrderStatus, PaymentStatus
from app.schema.types.payments import TransactionKind
from app.schema.types.returns import ReturnAction, ReturnStatus
from app.services import (
    bulk,
    cancellation,
    catalog,
    import_sets,
    order_edits,
    orders,
    payments,
    quotes,
    refund_requests,
    refunds,
    returns,
    shipments,
    shipping,
)
from app.services.addresses import Address


@strawberry.input
class AddressInput:
    first_name: str
    last_name: str
    street1: str
    city: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, like US or DE.")
    company: str = ""
    street2: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""

    def to_address(self) -> Address:
        return Address(
            first_name=self.first_name,
            last_name=self.last_name,
            company=self.company,
            street1=self.street1,
            street2=self.street2,
            city=self.city,
            state=self.state,
            postal_code=self.postal_code,
            country=self.country,
            phone=self.phone,
        )


@strawberry.input
class OrderLineInput:
    sku: str
    quantity: int


@strawberry.input(
    description="What the buyer chose. status, amount and transactionId record a payment "
    "taken with the order (a phone order paid on the spot): PAYMENTS_WRITE only."
)
class PaymentInput:
    method: str = ""
    provider: str = ""
    transaction_id: str | None = strawberry.field(
        default=None, description="PAYMENTS_WRITE only: the provider's reference."
    )
    amount: Decimal | None = strawberry.field(
        default=None, description="PAYMENTS_WRITE only; defaults to the order total."
    )
    status: PaymentStatus | None = strawberry.field(
        default=None, description="PAYMENTS_WRITE only: PENDING, AUTHORIZED or PAID."
    )


@strawberry.input
class PlaceOrderInput:
    items: list[OrderLineInput]
    billing_address: AddressInput
    email: str | None = strawberry.field(
        default=None, description="Required for a guest; a signed-in customer's own is used."
    )
    shipping_address: AddressInput | None = strawberry.field(
        default=None, description="Defaults to the billing address."
    )
    shipping_method: str = strawberry.field(
        default="",
        description="A shipping method's code (any case); the cheapest that ships to the "
        "shipping address when not given.",
    )
    shipping_cost: Decimal | None = strawberry.field(
        default=None,
        description="Staff with ORDERS_WRITE only: overrides the method's price.",
    )
    payment: PaymentInput | None = None
    customer_comment: str = ""

    def to_service(self) -> orders.PlaceOrderInput:
        payment = self.payment or PaymentInput()
        return orders.PlaceOrderInput(
            items=[orders.LineInput(sku=i.sku, quantity=i.quantity) for i in self.items],
            billing_address=self.billing_address.to_address(),
            shipping_address=self.shipping_address.to_address() if self.shipping_address else None,
            email=self.email,
            shipping_method=self.shipping_method,
            shipping_cost=self.shipping_cost,
            payment=orders.PaymentInput(
                method=payment.method,
                provider=payment.provider,
                transaction_id=payment.transaction_id,
                amount=payment.amount,
                status=payment.status,
            ),
            customer_comment=self.customer_comment,
        )


@strawberry.input(description="A cart to price: what placeOrder would be given.")
class QuoteOrderInput:
    items: list[OrderLineInput]
    country: str = strawberry.field(description="Where it ships: ISO 3166-1 alpha-2.")
    shipping_method: str = strawberry.field(
        default="", description="A method's code; the cheapest that ships there if not given."
    )

    def to_service(self) -> quotes.QuoteInput:
        return quotes.QuoteInput(
            items=[orders.LineInput(sku=i.sku, quantity=i.quantity) for i in self.items],
            country=self.country,
            shipping_method=self.shipping_method,
        )


@strawberry.input
class UpdateOrderInput:
    billing_address: AddressInput | None = None
    shipping_address: AddressInput | None = None
    shipping_method: str | None = None
    customer_comment: str | None = None
    staff_notes: str | None = None
    expected_version: int | None = strawberry.field(
        default=None,
        description="The Order.version you edited; VERSION_CONFLICT if it has moved on.",
    )

    def to_service(self) -> orders.OrderChanges:
        return orders.OrderChanges(
            billing_address=self.billing_address.to_address() if self.billing_address else None,
            shipping_address=(
                self.shipping_address.to_address() if self.shipping_address else None
            ),
            shipping_method=self.shipping_method,
            customer_comment=self.customer_comment,
            staff_notes=self.staff_notes,
            expected_version=self.expected_version,
        )


@strawberry.enum
class OrderSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NUMBER = "number"
    TOTAL = "total"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.input
class OrderSortInput:
    field: OrderSortField = OrderSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class OrderFilterInput:
    status: list[OrderStatus] | None = None
    is_open: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    email: str | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Matches order number, email, names and tracking numbers.",
    )
    payment_status: list[PaymentStatus] | None = strawberry.field(
        default=None, description="Orders whose payment is in one of these states."
    )
    sku: str | None = strawberry.field(default=None, description="Orders with a line of this SKU.")
    shipping_country: str | None = strawberry.field(
        default=None, description="Orders shipping to this country (ISO 3166-1 alpha-2)."
    )

    def to_service(self) -> orders.OrderFilter:
        return orders.OrderFilter(
            statuses=list(self.status) if self.status else None,
            is_open=self.is_open,
            created_after=self.created_after,
            created_before=self.created_before,
            email=self.email,
            search=self.search,
            payment_statuses=list(self.payment_status) if self.payment_status else None,
            sku=self.sku,
            shipping_country=self.shipping_country,
        )


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    price: Decimal
    stock: int = 0


@strawberry.input(description="What to change; a field left out stays as it is.")
class UpdateProductInput:
    name: str | None = None
    price: Decimal | None = None
    active: bool | None = strawberry.field(
        default=None, description="False: no longer sold (placeOrder refuses it), kept listed."
    )

    def to_service(self) -> catalog.ProductChanges:
        return catalog.ProductChanges(name=self.name, price=self.price, active=self.active)


@strawberry.input
class RegisterCustomerInput:
    email: str
    password: str
    first_name: str = ""
    last_name: str = ""


@strawberry.input
class CreateStaffUserInput:
    email: str
    password: str = strawberry.field(description="8 to 256 characters; stored argon2-hashed.")
    role: Role
    first_name: str = ""
    last_name: str = ""


@strawberry.input
class CreateApiTokenInput:
    name: str
    permissions: list[Permission]
    expires_at: datetime | None = strawberry.field(
        default=None, description="When it stops working; never, if not given."
    )


@strawberry.input
class ShipItemInput:
    order_item_id: strawberry.ID
    quantity: int


@strawberry.input
class ShipOrderInput:
    items: list[ShipItemInput] | None = strawberry.field(
        default=None, description="Defaults to everything not yet shipped."
    )
    tracking_number: str | None = strawberry.field(
        default=None, description="Defaults to the order's tracking number (R4)."
    )
    carrier: str | None = None
    shipping_method: str | None = None
    comments: str = ""

    def to_service(self) -> shipments.ShipInput:
        return shipments.ShipInput(
            items=[
                shipments.ShipLine(
                    from_global_id("OrderItem", line.order_item_id, f"items.{i}.orderItemId"),
                    line.quantity,
                )
                for i, line in enumerate(self.items)
            ]
            if self.items is not None
            else None,
            tracking_number=self.tracking_number,
            carrier=self.carrier,
            shipping_method=self.shipping_method,
            comments=self.comments,
        )


@strawberry.input
class ShipmentFilterInput:
    order_id: strawberry.ID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    search: str | None = strawberry.field(
        default=None, description="Matches tracking number, order number and recipient name."
    )

    def to_service(self) -> shipments.ShipmentFilter:
        return shipments.ShipmentFilter(
            order_id=from_global_id("Order", self.order_id, "orderId") if self.order_id else None,
            created_after=self.created_after,
            created_before=self.created_before,
            search=self.search,
        )


@strawberry.input
class ReturnItemInput:
    order_item_id: strawberry.ID
    quantity: int
    reason: str = ""
    action: ReturnAction = ReturnAction.REFUND


@strawberry.input
class RequestReturnInput:
    order_id: strawberry.ID
    items: list[ReturnItemInput]
    customer_comment: str = ""

    def lines(self) -> list[returns.ReturnLine]:
        return [
            returns.ReturnLine(
                order_item_id=from_global_id(
                    "OrderItem", x.order_item_id, f"items.{i}.orderItemId"
                ),
                quantity=x.quantity,
                reason=x.reason,
                action=x.action,
            )
            for i, x in enumerate(self.items)
        ]


@strawberry.input
class RefundItemInput:
    order_item_id: strawberry.ID
    quantity: int


@strawberry.input
class RefundOrderInput:
    amount: Decimal
    items: list[RefundItemInput] = strawberry.field(default_factory=list)
    restock: bool = strawberry.field(
        default=False, description="Put the listed shipped items back in stock."
    )
    reason: str = ""
    return_id: strawberry.ID | None = strawberry.field(
        default=None, description="The received return this refund settles; it becomes REFUNDED."
    )

    def to_service(self) -> refunds.RefundInput:
        return refunds.RefundInput(
            amount=self.amount,
            items=[
                refunds.RefundLine(
                    from_global_id("OrderItem", x.order_item_id, f"items.{i}.orderItemId"),
                    x.quantity,
                )
                for i, x in enumerate(self.items)
            ],
            restock=self.restock,
            reason=self.reason,
            return_id=from_global_id("Return", self.return_id, "returnId")
            if self.return_id
            else None,
        )


@strawberry.input
class ReturnFilterInput:
    status: list[ReturnStatus] | None = None
    order_id: strawberry.ID | None = None

    def to_service(self) -> returns.ReturnFilter:
        return returns.ReturnFilter(
            statuses=list(self.status) if self.status else None,
            order_id=from_global_id("Order", self.order_id, "orderId") if self.order_id else None,
        )


@strawberry.input
class ImportOptionsInput:
    create_shipments: bool = strawberry.field(
        default=False, description="Also ship each order's unshipped items (like shipOrder)."
    )
    set_status: OrderStatus | None = strawberry.field(
        default=None, description="Also set this status on each order the row changed."
    )
    overwrite: bool = strawberry.field(
        default=False, description="Replace a different tracking number an order already has."
    )

    def to_service(self) -> import_sets.ImportOptions:
        return import_sets.ImportOptions(
            create_shipments=self.create_shipments,
            set_status=self.set_status,
            overwrite=self.overwrite,
        )


@strawberry.input
class RecordPaymentInput:
    kind: TransactionKind
    amount: Decimal | None = strawberry.field(
        default=None,
        description="Defaults to what is outstanding: the balance to pay (AUTHORIZATION, "
        "CAPTURE), the open authorization (VOID) or the refundable amount (REFUND).",
    )
    currency: str | None = strawberry.field(default=None, description="Must be the order's.")
    provider: str = strawberry.field(
        default="", description="Like stripe; defaults to the order's provider."
    )
    reference: str = strawberry.field(
        default="",
        description="The provider's id. (provider, kind, reference) identifies a "
        "transaction: recording it again returns it and changes nothing.",
    )
    method: str = ""
    refund_request_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="REFUND only: the refund request this refund performs (it becomes "
        "CONFIRMED). A REFUND naming none confirms the oldest pending request of its amount.",
    )

    def to_service(self) -> payments.PaymentRecord:
        return payments.PaymentRecord(
            kind=self.kind,
            amount=self.amount,
            currency=self.currency,
            provider=self.provider,
            reference=self.reference,
            method=self.method,
            refund_request_id=(
                from_global_id("RefundRequest", self.refund_request_id, "input.refundRequestId")
                if self.refund_request_id is not None
                else None
            ),
        )


@strawberry.input
class RequestRefundInput:
    amount: Decimal | None = strawberry.field(
        default=None,
        description="Defaults to what is due back (payment.refundDue); at most what was "
        "captured and is neither refunded nor asked for.",
    )
    reason: str = strawberry.field(default="", description="Staff only; never sent out.")
    return_id: strawberry.ID | None = strawberry.field(
        default=None, description="The return it settles: REFUNDED once confirmed."
    )

    def to_service(self) -> refund_requests.RefundAsk:
        return refund_requests.RefundAsk(
            amount=self.amount,
            reason=self.reason,
            return_id=(
                from_global_id("Return", self.return_id, "input.returnId")
                if self.return_id is not None
                else None
            ),
        )


strawberry.enum(cancellation.CancelReason, name="CancelReason")
CancelReason = cancellation.CancelReason


@strawberry.input
class CancelOrderInput:
    reason: CancelReason = strawberry.field(
        default=CancelReason.OTHER,
        description="Why; the customer reads CUSTOMER, INVENTORY and DECLINED, never FRAUD.",
    )
    restock: bool = strawberry.field(
        default=True,
        description="The unshipped units go back on sale; false writes them off (damaged, lost).",
    )
    refund: bool = strawberry.field(
        default=False,
        description="Ask the payment side to refund what was captured (REFUNDS_WRITE): a "
        "refund request, sent to it as a refund.requested webhook.",
    )
    refund_amount: Decimal | None = strawberry.field(
        default=None,
        description="With refund: how much; defaults to everything captured and not yet "
        "refunded or asked for (a cancelled order keeps nothing).",
    )
    notify_customer: bool = strawberry.field(
        default=False, description="Email the customer that the order is cancelled."
    )
    note: str = strawberry.field(default="", description="Staff only.")

    def to_service(self) -> cancellation.CancelInput:
        return cancellation.CancelInput(
            reason=self.reason,
            restock=self.restock,
            refund=self.refund,
            refund_amount=self.refund_amount,
            notify_customer=self.notify_customer,
            note=self.note,
        )


@strawberry.input
class CreateShippingMethodInput:
    code: str
    name: str
    price: Decimal
    currency: str | None = strawberry.field(default=None, description="The store's currency.")
    free_over: Decimal | None = strawberry.field(
        default=None, description="Free at or above this subtotal."
    )
    countries: list[str] = strawberry.field(
        default_factory=list, description="ISO 3166-1 alpha-2 codes; empty: everywhere."
    )
    active: bool = True

    def to_service(self) -> shipping.MethodInput:
        return shipping.MethodInput(
            code=self.code,
            name=self.name,
            price=self.price,
            currency=self.currency,
            free_over=self.free_over,
            countries=self.countries,
            active=self.active,
        )


@strawberry.input(description="Fields not given stay as they are; freeOver: null clears it.")
class UpdateShippingMethodInput:
    name: str | None = None
    price: Decimal | None = None
    free_over: Decimal | None = strawberry.UNSET
    countries: list[str] | None = None
    active: bool | None = None

    def to_service(self) -> shipping.MethodInput:
        return shipping.MethodInput(
            name=self.name,
            price=self.price,
            free_over=self.free_over if isinstance(self.free_over, Decimal) else None,
            clear_free_over=self.free_over is None,
            countries=self.countries,
            active=self.active,
        )


@strawberry.input
class EditAddLineInput:
    sku: str
    quantity: int
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the product's price."
    )


@strawberry.input
class EditChangeLineInput:
    order_item_id: strawberry.ID
    quantity: int | None = strawberry.field(
        default=None, description="Never below what was shipped."
    )
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Defaults to the price as sold."
    )


@strawberry.input(description="One change of an open order's lines, all or nothing.")
class EditOrderInput:
    expected_version: int | None = strawberry.field(
        default=None,
        description="The Order.version you edited; VERSION_CONFLICT if it has moved on.",
    )
    add: list[EditAddLineInput] = strawberry.field(default_factory=list)
    change: list[EditChangeLineInput] = strawberry.field(default_factory=list)
    remove: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Order item ids; a shipped line cannot be removed."
    )
    shipping_cost: Decimal | None = None
    note: str = strawberry.field(default="", description="For staff only, with the prices.")

    def to_service(self) -> order_edits.OrderEdit:
        return order_edits.OrderEdit(
            expected_version=self.expected_version,
            add=[order_edits.AddLine(a.sku, a.quantity, a.unit_price) for a in self.add],
            change=[
                order_edits.ChangeLine(
                    from_global_id("OrderItem", c.order_item_id, f"change.{i}.orderItemId"),
                    c.quantity,
                    c.unit_price,
                )
                for i, c in enumerate(self.change)
            ],
            remove=[
                from_global_id("OrderItem", r, f"remove.{i}") for i, r in enumerate(self.remove)
            ],
            shipping_cost=self.shipping_cost,
            note=self.note,
        )


@strawberry.input(description="Give orderIds or a filter (resolved when asked; at most 100,000).")
class BulkUpdateOrdersInput:
    status: OrderStatus
    order_ids: list[strawberry.ID] | None = None
    filter: OrderFilterInput | None = None
    note: str = strawberry.field(default="", description="A staff note on each moved order.")

    def to_service(self) -> bulk.BulkInput:
        return bulk.BulkInput(
            status=self.status,
            order_ids=[
                from_global_id("Order", i, f"orderIds.{n}") for n, i in enumerate(self.order_ids)
            ]
            if self.order_ids is not None
            else None,
            filter=self.filter.to_service() if self.filter else None,
            note=self.note,
        )
