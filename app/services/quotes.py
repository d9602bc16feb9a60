"""Quotes: a cart priced as placeOrder would price it (the same code), with every shipping
method that ships there and its price for this cart; nothing is written and no stock is
taken. For everyone: a storefront shows a total without copying the store's rules."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from iso3166 import countries_by_alpha2

from app.models import ShippingMethod
from app.services import buyer_limits, shipping
from app.services.auth import Viewer
from app.services.buyer_limits import BuyerLimits
from app.services.catalog import normalise_sku
from app.services.errors import Problems
from app.services.orders import LineInput, PricedCart, merge_lines, price_cart


@dataclass(frozen=True)
class QuoteInput:
    items: list[LineInput]
    country: str
    shipping_method: str = ""


@dataclass(frozen=True)
class QuotedMethod:
    method: ShippingMethod
    price: Decimal  # for this cart (free over its threshold)


@dataclass(frozen=True)
class Quote:
    cart: PricedCart
    # per SKU: enough units for the quantity asked (never how many there are)
    in_stock: dict[str, bool]
    methods: list[QuotedMethod]


async def quote_order(
    viewer: Viewer, data: QuoteInput, tax_rate: Decimal, currency: str, limits: BuyerLimits
) -> Quote:
    """What placeOrder would charge for this cart, shipped to `country`, bounded alike (a
    buyer's units a line too)."""
    problems = Problems()
    lines = merge_lines(problems, data.items)
    country = data.country.strip().upper()
    if country not in countries_by_alpha2:
        problems.add(["country"], "Use an ISO 3166-1 alpha-2 country code, like US or DE.")
    problems.raise_if_any()
    if buyer_limits.is_buyer(viewer):
        first_index: dict[str, int] = {}
        for index, item in enumerate(data.items):
            first_index.setdefault(normalise_sku(item.sku), index)
        buyer_limits.check_lines(limits, lines, first_index)
    cart = await price_cart(lines, country, data.shipping_method, tax_rate, currency)
    offered = [m for m in await shipping.list_methods(country) if m.currency == currency]
    return Quote(
        cart=cart,
        in_stock={sku: cart.products[sku].stock >= qty for sku, qty in lines},
        methods=[QuotedMethod(m, shipping.price_for(m, cart.subtotal)) for m in offered],
    )
