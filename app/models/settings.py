"""Store settings kept as data: the shipping methods a storefront offers."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class ShippingMethod(Model):
    id = fields.IntField(primary_key=True)
    # lower-case; placeOrder matches it case-insensitively
    code = fields.CharField(max_length=50, unique=True)
    name = fields.CharField(max_length=100)
    price = fields.DecimalField(max_digits=12, decimal_places=2)
    currency = fields.CharField(max_length=3)
    # free at or above this subtotal; None = never free
    free_over = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    # ISO 3166-1 alpha-2 codes; empty = everywhere
    countries = fields.JSONField(default=list)
    active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "shipping_methods"
