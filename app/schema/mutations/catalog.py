"""Products and stock corrections."""

from __future__ import annotations

import strawberry

from app.models import Product as ProductModel
from app.schema.context import Info
from app.schema.errors import UserError, error_list
from app.schema.ids import from_global_id
from app.schema.inputs import CreateProductInput, UpdateProductInput
from app.schema.mutations.base import perform
from app.schema.types.catalog import Product
from app.services import catalog


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[UserError] = error_list()


@strawberry.type
class CatalogMutations:
    @strawberry.mutation
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        viewer = info.context.viewer
        product, errors = await perform(
            info,
            lambda: catalog.create_product(viewer, input.sku, input.name, input.price, input.stock),
        )
        currency = info.context.settings.currency
        return ProductPayload(
            product=Product.build(product, currency) if product else None, errors=errors
        )

    @strawberry.mutation(
        description="Change a product's name, price or whether it is sold, by id or SKU "
        "(ORDERS_WRITE, as createProduct). Placed orders keep their names and prices."
    )
    async def update_product(
        self,
        info: Info,
        input: UpdateProductInput,
        id: strawberry.ID | None = None,
        sku: str | None = None,
    ) -> ProductPayload:
        viewer = info.context.viewer

        async def update() -> ProductModel:
            product_id = from_global_id("Product", id) if id is not None else None
            return await catalog.update_product(viewer, product_id, sku, input.to_service())

        product, errors = await perform(info, update)
        currency = info.context.settings.currency
        return ProductPayload(
            product=Product.build(product, currency) if product else None, errors=errors
        )

    @strawberry.mutation(description="Correct stock by a signed number of units, with a reason.")
    async def adjust_stock(self, info: Info, sku: str, delta: int, reason: str) -> ProductPayload:
        viewer = info.context.viewer
        product, errors = await perform(
            info, lambda: catalog.adjust_stock(viewer, sku, delta, reason)
        )
        currency = info.context.settings.currency
        return ProductPayload(
            product=Product.build(product, currency) if product else None, errors=errors
        )
