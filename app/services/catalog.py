"""Products and stock; every stock change goes through the inventory ledger."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q
from tortoise.queryset import QuerySet

from app.models import InventoryMovement, OrderItem, Product
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.money import parse_money
from app.services.pagination import Page, PageRequest, paginate

MAX_STOCK = 1_000_000_000


@dataclass(frozen=True)
class StockLine:
    product_id: int
    sku: str
    quantity: int


def item_lines(pairs: Iterable[tuple[OrderItem, int]]) -> list[StockLine]:
    """Stock lines for order items (items whose product was deleted have none)."""
    return [
        StockLine(item.product_id, item.sku, quantity)
        for item, quantity in pairs
        if item.product_id is not None
    ]


def normalise_sku(sku: str) -> str:
    return sku.strip()


@dataclass(frozen=True)
class ProductChanges:
    """What updateProduct changes; None leaves it as it is."""

    name: str | None = None
    price: Decimal | str | None = None
    active: bool | None = None


def _check_name(problems: Problems, field: list[str], name: str) -> str:
    if not 1 <= len(name.strip()) <= 255:
        problems.add(field, "A name has 1 to 255 characters.")
    return name.strip()


def _check_price(problems: Problems, field: list[str], price: Decimal | str) -> Decimal | None:
    amount = parse_money(price)
    if amount is None:
        # (at most money.MAX_AMOUNT, what the column holds)
        problems.add(field, "A price is a non-negative amount with at most two decimals.")
    return amount


async def create_product(
    viewer: Viewer, sku: str, name: str, price: Decimal | str, stock: int
) -> Product:
    """Add a product; its starting stock is the ledger's first row."""
    viewer.require(Permission.ORDERS_WRITE)
    problems = Problems()
    sku = normalise_sku(sku)
    if not 1 <= len(sku) <= 64:
        problems.add(["sku"], "A SKU has 1 to 64 characters.")
    _check_name(problems, ["name"], name)
    amount = _check_price(problems, ["price"], price)
    if not 0 <= stock <= MAX_STOCK:
        problems.add(["stock"], f"Stock is between 0 and {MAX_STOCK}.")
    problems.raise_if_any()
    if await Product.exists(sku=sku):
        raise DomainError(ErrorCode.DUPLICATE_SKU, f"SKU {sku} exists already.", ["sku"])
    try:
        product = await Product.create(sku=sku, name=name.strip(), price=amount, stock=stock)
    except IntegrityError as exc:
        raise DomainError(ErrorCode.DUPLICATE_SKU, f"SKU {sku} exists already.", ["sku"]) from exc
    if stock:
        await InventoryMovement.create(
            product=product, delta=stock, reason="INITIAL", actor_id=viewer.user_id
        )
    return product


async def update_product(
    viewer: Viewer, product_id: int | None, sku: str | None, changes: ProductChanges
) -> Product:
    """Rename, reprice, stop or resume selling a product (by id or SKU). Orders keep the
    names and prices they were placed with; stock changes only through adjust_stock."""
    viewer.require(Permission.ORDERS_WRITE)
    problems = Problems()
    if (product_id is None) == (sku is None):
        problems.add(["id"], "Give the product's id or its SKU.")
    updates: dict[str, object] = {}
    if changes.name is not None:
        updates["name"] = _check_name(problems, ["input", "name"], changes.name)
    if changes.price is not None:
        updates["price"] = _check_price(problems, ["input", "price"], changes.price)
    if changes.active is not None:
        updates["active"] = changes.active
    if not updates:
        problems.add(["input"], "Give a name, a price or active to change.")
    problems.raise_if_any()
    found = Product.filter(id=product_id) if sku is None else Product.filter(sku=normalise_sku(sku))
    product = await found.select_for_update().first()
    if product is None:
        if sku is not None:
            raise DomainError(ErrorCode.UNKNOWN_SKU, f"No product has SKU {sku}.", ["sku"])
        raise not_found("Product", ["id"])
    await Product.filter(id=product.id).update(**updates)
    product.update_from_dict(updates)
    return product


async def adjust_stock(viewer: Viewer, sku: str, delta: int, reason: str) -> Product:
    """A manual correction (a stock count, damage); stock never goes below zero."""
    viewer.require(Permission.ORDERS_WRITE)
    problems = Problems()
    if delta == 0 or abs(delta) > MAX_STOCK:
        problems.add(["delta"], "The change is a non-zero whole number of units.")
    if len(reason) > 255:
        problems.add(["reason"], "At most 255 characters.")
    problems.raise_if_any()
    product = await Product.get_or_none(sku=normalise_sku(sku))
    if product is None:
        raise DomainError(ErrorCode.UNKNOWN_SKU, f"No product has SKU {sku}.", ["sku"])
    await move_stock(
        [StockLine(product.id, product.sku, delta)],
        reason="ADJUSTMENT",
        note=reason.strip(),
        actor_id=viewer.user_id,
        field="delta",
    )
    await product.refresh_from_db(fields=["stock"])
    return product


def net_lines(lines: Sequence[StockLine]) -> dict[int, StockLine]:
    """The lines summed per product (lines of 0 units left out)."""
    totals: dict[int, StockLine] = {}
    for line in lines:
        if line.quantity == 0:
            continue
        seen = totals.get(line.product_id)
        qty = line.quantity + (seen.quantity if seen else 0)
        totals[line.product_id] = StockLine(line.product_id, line.sku, qty)
    return totals


def stock_refusal(line: StockLine, field: str = "items") -> DomainError:
    """move_stock's answer when a product's row does not take the line."""
    if line.quantity < 0:
        return DomainError(
            ErrorCode.INSUFFICIENT_STOCK, f"Not enough stock of {line.sku}.", [field]
        )
    return DomainError(
        ErrorCode.INVALID_INPUT, f"Stock of {line.sku} would pass {MAX_STOCK} units.", [field]
    )


async def move_stock(
    lines: Sequence[StockLine],
    *,
    reason: str,
    order_id: int | None = None,
    actor_id: int | None = None,
    note: str = "",
    field: str = "items",
) -> None:
    """Apply signed quantities atomically; a deduction that would go negative, or an
    addition past MAX_STOCK, refuses all (the stock column holds no more, on any database).

    Rows are updated in product-id order so concurrent orders cannot deadlock.
    """
    totals = net_lines(lines)
    for product_id in sorted(totals):
        line = totals[product_id]
        query = Product.filter(id=product_id)
        if line.quantity < 0:
            query = query.filter(stock__gte=-line.quantity)
        else:
            query = query.filter(stock__lte=MAX_STOCK - line.quantity)
        changed = await query.update(stock=F("stock") + line.quantity)
        if not changed:
            raise stock_refusal(line, field)
    if totals:
        await InventoryMovement.bulk_create(
            [
                InventoryMovement(
                    product_id=line.product_id,
                    delta=line.quantity,
                    reason=reason,
                    order_id=order_id,
                    actor_id=actor_id,
                    note=note,
                )
                for line in totals.values()
            ]
        )


@dataclass(frozen=True)
class Shortfall:
    """A deduction move_stock would refuse now: more units wanted than are in stock."""

    sku: str
    wanted: int
    in_stock: int


async def stock_check(
    lines: Sequence[StockLine], field: str = "items"
) -> tuple[DomainError | None, list[Shortfall]]:
    """What move_stock would answer if it ran now (None: it would move every line), and each
    deduction short of stock, in the order it meets them. Reads stock, changes nothing."""
    totals = net_lines(lines)
    if not totals:
        return None, []
    stock = dict(await Product.filter(id__in=list(totals)).values_list("id", "stock"))
    refusal: DomainError | None = None
    short: list[Shortfall] = []
    for product_id in sorted(totals):
        line = totals[product_id]
        held = stock.get(product_id)
        # move_stock's conditions, on the stock read now (a missing row takes nothing)
        if line.quantity < 0:
            takes = held is not None and held >= -line.quantity
        else:
            takes = held is not None and held <= MAX_STOCK - line.quantity
        if takes:
            continue
        refusal = refusal or stock_refusal(line, field)
        if line.quantity < 0:
            short.append(Shortfall(line.sku, -line.quantity, held or 0))
    return refusal, short


def visible_products(viewer: Viewer) -> QuerySet[Product]:
    """Staff see every product; storefronts (guests and customers) those on sale."""
    return Product.all() if viewer.is_staff else Product.filter(active=True)


async def get_product(viewer: Viewer, sku: str) -> Product | None:
    return await visible_products(viewer).filter(sku=normalise_sku(sku)).first()


async def list_products(
    viewer: Viewer,
    page: PageRequest,
    search: str | None,
    active: bool | None = None,
    columns: Sequence[str] | None = None,
) -> Page[Any]:
    """A page of the products the viewer may see, for everyone: a storefront's catalog (the
    products on sale), and for staff every product, or those `active` is. With `columns`,
    rows of those fields instead of models (see `paginate`)."""
    qs = visible_products(viewer)
    if active is not None:
        qs = qs.filter(active=active)
    if search:
        term = search.strip()[:100]
        qs = qs.filter(Q(sku__icontains=term) | Q(name__icontains=term))
    return await paginate(qs, page, "id", columns=columns)
