"""Products."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from app import read_model
from app.models import Product as ProductModel
from app.schema.cost import most
from app.schema.permissions import guards
from app.services.money import money
from app.services.orders import MAX_LINES
from app.services.quotes import Quote
from app.services.shipping import MAX_METHODS


@strawberry.type(
    description="A product. Everyone may read the products on sale (active); staff all of "
    "them, and how many are in stock."
)
class Product:
    id: strawberry.ID
    sku: str
    name: str
    price: Decimal
    currency: str
    active: bool = strawberry.field(
        description="False: no longer sold (placeOrder refuses it); storefronts see active "
        "products only."
    )
    in_stock: bool = strawberry.field(description="At least one unit can be ordered.")
    _stock: strawberry.Private[int]

    @classmethod
    def build(cls, product: ProductModel, currency: str) -> Product:
        return cls(**read_model.PRODUCT.values(product), currency=currency, _stock=product.stock)

    @strawberry.field(
        permission_classes=guards(read_model.PRODUCT.fields["stock"]),
        description="Units in stock. Staff only: null with a FORBIDDEN error for anyone else.",
    )
    def stock(self) -> int | None:
        return self._stock


@strawberry.type(description="A line of a quote, priced as placeOrder prices it.")
class QuoteLine:
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    in_stock: bool = strawberry.field(
        description="Enough units for this quantity now (placeOrder takes them, or answers "
        "INSUFFICIENT_STOCK)."
    )


@strawberry.type(description="A shipping method that ships this cart there, at its price.")
class QuotedShippingMethod:
    code: str
    name: str
    price: Decimal = strawberry.field(description="For this cart: 0.00 at or above freeOver.")
    currency: str


@strawberry.type(
    description="A cart priced by the same code as placeOrder: lines, the shipping methods "
    "that ship there, the one chosen, tax and total. Nothing is written; no stock is taken."
)
class OrderQuote:
    lines: list[QuoteLine] = strawberry.field(directives=[most(MAX_LINES)])
    subtotal: Decimal
    shipping_methods: list[QuotedShippingMethod] = strawberry.field(directives=[most(MAX_METHODS)])
    shipping_method: str = strawberry.field(
        description="The chosen method's code: the one asked for, else the cheapest."
    )
    shipping_cost: Decimal
    tax_total: Decimal
    total: Decimal
    currency: str

    @classmethod
    def build(cls, quote: Quote, currency: str) -> OrderQuote:
        cart = quote.cart
        return cls(
            lines=[
                QuoteLine(
                    sku=sku,
                    name=cart.products[sku].name,
                    quantity=qty,
                    unit_price=cart.products[sku].price,
                    total=money(cart.products[sku].price * qty),
                    in_stock=quote.in_stock[sku],
                )
                for sku, qty in cart.lines
            ],
            subtotal=cart.subtotal,
            shipping_methods=[
                QuotedShippingMethod(
                    code=m.method.code, name=m.method.name, price=m.price, currency=currency
                )
                for m in quote.methods
            ],
            shipping_method=cart.method.code,
            shipping_cost=cart.shipping_cost,
            tax_total=cart.tax_total,
            total=cart.total,
            currency=currency,
        )
