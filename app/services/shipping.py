"""Shipping methods: what a storefront offers at checkout, and what the server charges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from iso3166 import countries_by_alpha2
from tortoise.exceptions import IntegrityError

from app.models import ShippingMethod
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.money import parse_money

# A store offers a handful; the public list is bounded by this.
MAX_METHODS = 50
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")


@dataclass(frozen=True)
class MethodInput:
    """Fields left None are not changed (on create, name and price are required)."""

    code: str | None = None
    name: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    free_over: Decimal | None = None
    clear_free_over: bool = False
    countries: list[str] | None = None
    active: bool | None = None


def normalise_code(code: str) -> str:
    return code.strip().lower()


async def offered_methods(
    viewer: Viewer, country: str | None, include_inactive: bool
) -> list[ShippingMethod]:
    """What a storefront lists at checkout; staff who manage settings may see inactive ones."""
    if include_inactive:
        viewer.require(Permission.SETTINGS_WRITE)
    return await list_methods(country, active_only=not include_inactive)


async def list_methods(
    country: str | None = None, *, active_only: bool = True
) -> list[ShippingMethod]:
    """Methods in code order; with a country, those that ship there."""
    qs = ShippingMethod.all()
    if active_only:
        qs = qs.filter(active=True)
    methods = await qs.order_by("code").limit(MAX_METHODS)
    if country is None:
        return methods
    wanted = country.strip().upper()
    return [m for m in methods if ships_to(m, wanted)]


def ships_to(method: ShippingMethod, country: str) -> bool:
    return not method.countries or country in method.countries


def price_for(method: ShippingMethod, subtotal: Decimal) -> Decimal:
    """The method's price, or nothing at or above its free-over subtotal."""
    if method.free_over is not None and subtotal >= method.free_over:
        return Decimal("0.00")
    return method.price


async def choose(code: str, country: str, currency: str, field: list[str]) -> ShippingMethod:
    """The active method with this code (any case) that ships to `country` in `currency`;
    with no code, the cheapest such method. INVALID_SHIPPING_METHOD otherwise."""
    wanted = normalise_code(code)
    if not wanted:
        offered = [m for m in await list_methods(country) if m.currency == currency]
        if not offered:
            raise DomainError(
                ErrorCode.INVALID_SHIPPING_METHOD, f"No shipping method ships to {country}.", field
            )
        return min(offered, key=lambda m: (m.price, m.code))
    method = await ShippingMethod.get_or_none(code=wanted[:50])
    if method is None or not method.active:
        raise DomainError(
            ErrorCode.INVALID_SHIPPING_METHOD, f"No shipping method {code.strip()[:50]!r}.", field
        )
    if not ships_to(method, country):
        raise DomainError(
            ErrorCode.INVALID_SHIPPING_METHOD, f"{method.name} does not ship to {country}.", field
        )
    if method.currency != currency:
        raise DomainError(
            ErrorCode.INVALID_SHIPPING_METHOD,
            f"{method.name} is priced in {method.currency}, the order in {currency}.",
            field,
        )
    return method


def _clean(problems: Problems, data: MethodInput, store_currency: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if data.code is not None:
        code = normalise_code(data.code)
        if not _CODE.match(code):
            problems.add(
                ["code"], "1 to 50 letters, digits, '-' or '_', starting with a letter or digit."
            )
        values["code"] = code
    if data.name is not None:
        name = data.name.strip()
        if not 1 <= len(name) <= 100:
            problems.add(["name"], "A name has 1 to 100 characters.")
        values["name"] = name
    if data.price is not None:
        price = parse_money(data.price)
        if price is None:
            problems.add(["price"], "A non-negative amount with at most two decimals.")
        values["price"] = price
    if data.currency is not None:
        currency = data.currency.strip().upper()
        if currency != store_currency:
            problems.add(["currency"], f"The store sells in {store_currency}.")
        values["currency"] = currency
    if data.clear_free_over:
        values["free_over"] = None
    elif data.free_over is not None:
        free_over = parse_money(data.free_over)
        if free_over is None:
            problems.add(["freeOver"], "A non-negative amount with at most two decimals.")
        values["free_over"] = free_over
    if data.countries is not None:
        countries = sorted({c.strip().upper() for c in data.countries})
        if len(data.countries) > len(countries_by_alpha2):
            problems.add(["countries"], "Too many countries.")
        for index, country in enumerate(countries[: len(countries_by_alpha2)]):
            if country not in countries_by_alpha2:
                problems.add(
                    ["countries", str(index)],
                    "Use ISO 3166-1 alpha-2 country codes, like US or DE.",
                )
        values["countries"] = countries
    if data.active is not None:
        values["active"] = data.active
    return values


async def create_method(viewer: Viewer, data: MethodInput, store_currency: str) -> ShippingMethod:
    viewer.require(Permission.SETTINGS_WRITE)
    problems = Problems()
    if data.code is None:
        problems.add(["code"], "This is required.")
    if data.name is None:
        problems.add(["name"], "This is required.")
    if data.price is None:
        problems.add(["price"], "This is required.")
    values = _clean(problems, data, store_currency)
    problems.raise_if_any()
    values.setdefault("currency", store_currency)
    if await ShippingMethod.all().count() >= MAX_METHODS:
        raise DomainError(
            ErrorCode.LIMIT_REACHED, f"A store has at most {MAX_METHODS} shipping methods."
        )
    if await ShippingMethod.exists(code=values["code"]):
        raise DomainError(ErrorCode.DUPLICATE_CODE, f"{values['code']} exists already.", ["code"])
    try:
        return await ShippingMethod.create(**values)
    except IntegrityError:  # created meanwhile
        raise DomainError(
            ErrorCode.DUPLICATE_CODE, f"{values['code']} exists already.", ["code"]
        ) from None


async def update_method(
    viewer: Viewer, code: str, data: MethodInput, store_currency: str
) -> ShippingMethod:
    """Change a method; orders placed with it keep the cost they were charged."""
    viewer.require(Permission.SETTINGS_WRITE)
    problems = Problems()
    values = _clean(problems, data, store_currency)
    values.pop("code", None)  # a method's code never changes: orders refer to it
    problems.raise_if_any()
    method = await ShippingMethod.filter(code=normalise_code(code)[:50]).select_for_update().first()
    if method is None:
        raise not_found("Shipping method", ["code"])
    if values:
        await ShippingMethod.filter(id=method.id).update(**values)
        await method.refresh_from_db()
    return method
