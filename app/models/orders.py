"""Orders, their items and their append-only event log."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.accounts import User


class OrderStatus(StrEnum):
    INCOMPLETE = "INCOMPLETE"
    PENDING = "PENDING"
    AWAITING_PAYMENT = "AWAITING_PAYMENT"
    AWAITING_FULFILLMENT = "AWAITING_FULFILLMENT"
    AWAITING_SHIPMENT = "AWAITING_SHIPMENT"
    AWAITING_PICKUP = "AWAITING_PICKUP"
    PARTIALLY_SHIPPED = "PARTIALLY_SHIPPED"
    SHIPPED = "SHIPPED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    DECLINED = "DECLINED"
    REFUNDED = "REFUNDED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    DISPUTED = "DISPUTED"
    MANUAL_VERIFICATION_REQUIRED = "MANUAL_VERIFICATION_REQUIRED"
    RETURNED = "RETURNED"


class PaymentStatus(StrEnum):
    """Derived from the order's payment transactions, never set directly."""

    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    VOIDED = "VOIDED"


class FulfillmentStatus(StrEnum):
    """Derived from the order's lines (shipped and returned units), never set directly."""

    UNFULFILLED = "UNFULFILLED"
    PARTIALLY_FULFILLED = "PARTIALLY_FULFILLED"
    FULFILLED = "FULFILLED"
    PARTIALLY_RETURNED = "PARTIALLY_RETURNED"
    RETURNED = "RETURNED"


class TransactionKind(StrEnum):
    AUTHORIZATION = "AUTHORIZATION"
    CAPTURE = "CAPTURE"
    VOID = "VOID"
    REFUND = "REFUND"


class EventVisibility(StrEnum):
    PUBLIC = "PUBLIC"
    STAFF = "STAFF"


class Order(Model):
    id = fields.IntField(primary_key=True)
    # Assigned right after insert as id + 99: unique and starting at 100 on every database.
    number = fields.IntField(unique=True, null=True)
    version = fields.IntField(default=1)
    status = fields.CharEnumField(OrderStatus, max_length=32, db_index=True)
    customer: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="orders", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    email = fields.CharField(max_length=254, db_index=True)
    billing_address = fields.JSONField()
    shipping_address = fields.JSONField()
    # Lower-cased names, company and email from both addresses, for search.
    search_text = fields.TextField(default="")
    # The shipping address's country, as its own column so the order list filters by it
    # with an index (written with the address by place_order and update_order).
    shipping_country = fields.CharField(max_length=2, default="", db_default="")
    shipping_method = fields.CharField(max_length=100, default="")
    currency = fields.CharField(max_length=3)
    subtotal = fields.DecimalField(max_digits=12, decimal_places=2)
    shipping_cost = fields.DecimalField(max_digits=12, decimal_places=2)
    tax_total = fields.DecimalField(max_digits=12, decimal_places=2)
    total = fields.DecimalField(max_digits=12, decimal_places=2)
    payment_method = fields.CharField(max_length=50, default="")
    payment_provider = fields.CharField(max_length=50, default="")
    payment_transaction_id = fields.CharField(max_length=255, default="")
    # A summary of the payment_transactions rows, rewritten from their sums on every change.
    payment_status = fields.CharEnumField(PaymentStatus, max_length=32)
    amount_authorized = fields.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00")
    )
    amount_paid = fields.DecimalField(max_digits=12, decimal_places=2)
    amount_refunded = fields.DecimalField(max_digits=12, decimal_places=2)
    # The sum of the order's PENDING refund requests (asked of the payment side, not yet
    # confirmed), rewritten with them.
    amount_refund_requested = fields.DecimalField(
        max_digits=12, decimal_places=2, default=Decimal("0.00"), db_default=Decimal("0.00")
    )
    # A summary of the order_items' shipped and returned units (lifecycle.fulfillment_of),
    # rewritten with them.
    fulfillment_status = fields.CharEnumField(
        FulfillmentStatus,
        max_length=32,
        default=FulfillmentStatus.UNFULFILLED,
        db_default="UNFULFILLED",
    )
    customer_comment = fields.TextField(default="")
    staff_notes = fields.TextField(default="")
    tracking_number = fields.CharField(max_length=50, default="", db_index=True)
    carrier = fields.CharField(max_length=50, default="")
    # True while the order's unshipped quantities are back in stock (cancelled and the like).
    stock_released = fields.BooleanField(default=False)
    # True while the status is one staff set by hand (setStatus): payments and the unpaid-order
    # sweep never move such an order.
    status_manual = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    customer_id: int | None

    class Meta:
        table = "orders"


class OrderItem(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="items", on_delete=fields.CASCADE, db_index=True
    )
    product_id = fields.IntField(null=True)
    sku = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    quantity = fields.IntField()
    unit_price = fields.DecimalField(max_digits=12, decimal_places=2)
    total = fields.DecimalField(max_digits=12, decimal_places=2)
    quantity_shipped = fields.IntField(default=0)
    # Units that came back (a received return).
    quantity_returned = fields.IntField(default=0)
    # Shipped units put back into stock (a received return or a refund with restock).
    quantity_restocked = fields.IntField(default=0)

    order_id: int

    class Meta:
        table = "order_items"


class OrderEvent(Model):
    # Append-only timeline entry; customers see PUBLIC entries only.

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="events", on_delete=fields.CASCADE, db_index=True
    )
    type = fields.CharField(max_length=64)
    visibility = fields.CharEnumField(EventVisibility, max_length=8)
    actor_id = fields.IntField(null=True)
    # GUEST, CUSTOMER, STAFF or SYSTEM: customers see "the store", not a staff member's name.
    actor_kind = fields.CharField(max_length=16, default="SYSTEM")
    actor = fields.CharField(max_length=300, default="")
    message = fields.TextField(default="")
    data = fields.JSONField(default=dict)
    created_at = fields.DatetimeField(auto_now_add=True)
    # False until the worker has fanned the event out (webhooks, emails, live updates):
    # the timeline is its own outbox, written in the transaction of the change.
    dispatched = fields.BooleanField(default=False, db_default=False)

    order_id: int

    class Meta:
        table = "order_events"


class PaymentTransaction(Model):
    # One movement of money, as the payment side reported it. The order's amounts are sums.

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="transactions", on_delete=fields.CASCADE, db_index=True
    )
    kind = fields.CharEnumField(TransactionKind, max_length=16)
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    currency = fields.CharField(max_length=3)
    provider = fields.CharField(max_length=50, default="")
    # The provider's id for it; (provider, kind, reference) is unique when given.
    reference = fields.CharField(max_length=255, null=True)
    method = fields.CharField(max_length=50, default="")
    actor_id = fields.IntField(null=True)
    actor_kind = fields.CharField(max_length=16, default="SYSTEM")
    actor = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    order_id: int

    class Meta:
        table = "payment_transactions"
        unique_together = (("provider", "kind", "reference"),)
