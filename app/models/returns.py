"""Return requests and refunds."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields
from tortoise.models import Model

from app.models.orders import Order, OrderItem


class ReturnStatus(StrEnum):
    PENDING = "PENDING"
    AUTHORIZED = "AUTHORIZED"
    RECEIVED = "RECEIVED"
    REPAIRED = "REPAIRED"
    REFUNDED = "REFUNDED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"


class ReturnAction(StrEnum):
    REFUND = "REFUND"
    REPLACE = "REPLACE"
    REPAIR = "REPAIR"
    STORE_CREDIT = "STORE_CREDIT"


class Return(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="returns", on_delete=fields.CASCADE, db_index=True
    )
    status = fields.CharEnumField(ReturnStatus, max_length=16, db_index=True)
    customer_comment = fields.TextField(default="")
    staff_notes = fields.TextField(default="")
    # True once the received units went back into stock; never twice.
    restocked = fields.BooleanField(default=False)
    created_by_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    order_id: int

    class Meta:
        table = "returns"


class ReturnItem(Model):
    id = fields.IntField(primary_key=True)
    return_request: fields.ForeignKeyRelation[Return] = fields.ForeignKeyField(
        "models.Return", related_name="items", on_delete=fields.CASCADE, db_index=True
    )
    order_item: fields.ForeignKeyRelation[OrderItem] = fields.ForeignKeyField(
        "models.OrderItem", related_name="return_items", on_delete=fields.CASCADE, db_index=True
    )
    quantity = fields.IntField()
    reason = fields.CharField(max_length=500, default="")
    action = fields.CharEnumField(ReturnAction, max_length=16, default=ReturnAction.REFUND)

    return_request_id: int
    order_item_id: int

    class Meta:
        table = "return_items"


class RefundRequestStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"


class RefundRequest(Model):
    """Staff asking the payment side to pay money back: sent to it as a refund.requested
    webhook, performed at the provider, and confirmed by recordPayment(kind: REFUND)."""

    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="refund_requests", on_delete=fields.CASCADE, db_index=True
    )
    return_request: fields.ForeignKeyNullableRelation[Return] = fields.ForeignKeyField(
        "models.Return",
        related_name="refund_requests",
        null=True,
        on_delete=fields.SET_NULL,
        db_index=True,
    )
    status = fields.CharEnumField(RefundRequestStatus, max_length=16)
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    currency = fields.CharField(max_length=3)
    # staff-only, like a refund's reason
    reason = fields.TextField(default="")
    # the refund that confirmed it (set with CONFIRMED)
    refund_id = fields.IntField(null=True)
    created_by_id = fields.IntField(null=True)
    created_by = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    # when it was confirmed or cancelled
    settled_at = fields.DatetimeField(null=True)

    order_id: int
    return_request_id: int | None

    class Meta:
        table = "refund_requests"


class Refund(Model):
    # What the merchant refunded at their payment provider, recorded exactly.
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="refunds", on_delete=fields.CASCADE, db_index=True
    )
    return_request: fields.ForeignKeyNullableRelation[Return] = fields.ForeignKeyField(
        "models.Return", related_name="refunds", null=True, on_delete=fields.SET_NULL, db_index=True
    )
    amount = fields.DecimalField(max_digits=12, decimal_places=2)
    currency = fields.CharField(max_length=3)
    reason = fields.TextField(default="")
    # [{"order_item_id": int, "quantity": int}]
    items = fields.JSONField(default=list)
    restocked = fields.BooleanField(default=False)
    created_by_id = fields.IntField(null=True)
    created_by = fields.CharField(max_length=300, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    order_id: int
    return_request_id: int | None

    class Meta:
        table = "refunds"
