"""Products."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app.models import Product as ProductModel
from app.schema.ids import to_global_id


@strawberry.type
class Product:
    id: strawberry.ID
    sku: str
    name: str
    price: Decimal
    currency: str
    stock: int
    active: bool = strawberry.field(description="False: no longer sold.")

    @classmethod
    def build(cls, product: ProductModel, currency: str) -> Product:
        return cls(
            id=to_global_id("Product", product.id),
            sku=product.sku,
            name=product.name,
            price=product.price,
            currency=currency,
            stock=product.stock,
            active=product.active,
        )
