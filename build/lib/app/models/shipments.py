"""Shipments: what left the store, when, to whom and where. Never edited after creation."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from app.models.orders import Order, OrderItem


class Shipment(Model):
    id = fields.IntField(primary_key=True)
    order: fields.ForeignKeyRelation[Order] = fields.ForeignKeyField(
        "models.Order", related_name="shipments", on_delete=fields.CASCADE, db_index=True
    )
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    created_by_id = fields.IntField(null=True)
    created_by = fields.CharField(max_length=300, default="")
    # A snapshot of the order's shipping address when the shipment was made.
    shipped_to = fields.JSONField()
    # Lower-cased recipient names and company, for search.
    search_text = fields.TextField(default="")
    # Copied from the order (or given) when created; no action ever changes it.
    tracking_number = fields.CharField(max_length=50, default="", db_index=True)
    carrier = fields.CharField(max_length=50, default="")
    shipping_method = fields.CharField(max_length=100, default="")
    comments = fields.TextField(default="")

    order_id: int

    class Meta:
        table = "shipments"


class ShipmentItem(Model):
    id = fields.IntField(primary_key=True)
    shipment: fields.ForeignKeyRelation[Shipment] = fields.ForeignKeyField(
        "models.Shipment", related_name="items", on_delete=fields.CASCADE, db_index=True
    )
    order_item: fields.ForeignKeyRelation[OrderItem] = fields.ForeignKeyField(
        "models.OrderItem", related_name="shipment_items", on_delete=fields.CASCADE, db_index=True
    )
    sku = fields.CharField(max_length=64)
    name = fields.CharField(max_length=255)
    quantity = fields.IntField()

    shipment_id: int
    order_item_id: int

    class Meta:
        table = "shipment_items"
