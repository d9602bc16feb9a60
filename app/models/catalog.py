"""Products and the inventory ledger that explains every stock figure."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class Product(Model):
    id = fields.IntField(primary_key=True)
    sku = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=255)
    price = fields.DecimalField(max_digits=12, decimal_places=2)
    stock = fields.IntField(default=0)
    # False: no longer sold (placeOrder refuses it) but kept, with its ledger, for old orders;
    # storefronts (guests and customers) list active products only.
    active = fields.BooleanField(default=True, db_default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "products"


class InventoryMovement(Model):
    # One stock change. stock == sum(delta) over a product's movements, always.

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name="movements", on_delete=fields.RESTRICT, db_index=True
    )
    delta = fields.IntField()
    reason = fields.CharField(max_length=32)
    note = fields.CharField(max_length=255, default="")
    order_id = fields.IntField(null=True, db_index=True)
    actor_id = fields.IntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    product_id: int

    class Meta:
        table = "inventory_movements"
