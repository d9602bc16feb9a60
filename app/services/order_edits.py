"""Editing what was ordered: lines added, changed and removed as one change, all or nothing;
and notes on an order's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.models import EventVisibility, Order, OrderItem, Product
from app.services import events, transactions
from app.services.auth import Permission, Viewer
from app.services.catalog import StockLine, move_stock, normalise_sku
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.events import EventType, NewEvent
from app.services.money import money, order_total, parse_money
from app.services.orders import (
    MAX_LINES,
    MAX_QUANTITY,
    check_version,
    lock_order,
    save_changes,
    visible_orders,
)
from app.services.rules import CLOSED_STATUSES

MAX_NOTE = 2000


@dataclass(frozen=True)
class AddLine:
    sku: str
    quantity: int
    unit_price: Decimal | None = None  # None: the product's price


@dataclass(frozen=True)
class ChangeLine:
    order_item_id: int
    quantity: int | None = None  # None: unchanged
    unit_price: Decimal | None = None  # None: the price as sold


@dataclass(frozen=True)
class OrderEdit:
    expected_version: int | None = None
    add: list[AddLine] = field(default_factory=list)
    change: list[ChangeLine] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)
    shipping_cost: Decimal | None = None
    note: str = ""


@dataclass
class _Line:
    """A line as the edit leaves it."""

    item: OrderItem | None  # None: added by this edit
    product_id: int | None
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


def _check(problems: Problems, edit: OrderEdit) -> None:
    if not (edit.add or edit.change or edit.remove or edit.shipping_cost is not None):
        problems.add(["input"], "Nothing to change: give add, change, remove or shippingCost.")
    if len(edit.add) + len(edit.change) + len(edit.remove) > 3 * MAX_LINES:
        problems.add(["input"], f"At most {3 * MAX_LINES} line changes in one edit.")
    for index, add in enumerate(edit.add[:MAX_LINES]):
        where = ["add", str(index)]
        if not 1 <= add.quantity <= MAX_QUANTITY:
            problems.add([*where, "quantity"], f"Quantity is 1 to {MAX_QUANTITY}.")
        if add.unit_price is not None and parse_money(add.unit_price) is None:
            problems.add([*where, "unitPrice"], "A non-negative amount with two decimals.")
        if not 1 <= len(normalise_sku(add.sku)) <= 64:
            problems.add([*where, "sku"], "A SKU has 1 to 64 characters.")
    for index, change in enumerate(edit.change[: 2 * MAX_LINES]):
        where = ["change", str(index)]
        if change.quantity is not None and not 1 <= change.quantity <= MAX_QUANTITY:
            problems.add(
                [*where, "quantity"],
                f"Quantity is 1 to {MAX_QUANTITY}; remove a line to drop it.",
            )
        if change.unit_price is not None and parse_money(change.unit_price) is None:
            problems.add([*where, "unitPrice"], "A non-negative amount with two decimals.")
    if edit.shipping_cost is not None and parse_money(edit.shipping_cost) is None:
        problems.add(["shippingCost"], "A non-negative amount with at most two decimals.")
    if len(edit.note) > MAX_NOTE:
        problems.add(["note"], f"At most {MAX_NOTE} characters.")
    touched = [c.order_item_id for c in edit.change] + list(edit.remove)
    if len(touched) != len(set(touched)):
        problems.add(["change"], "Each line is changed or removed once per edit.")


async def edit_order(viewer: Viewer, order_id: int, edit: OrderEdit, tax_rate: Decimal) -> Order:
    """Apply an edit of the lines, prices and shipping cost of an open order.

    Stock follows through the ledger (more units taken, fewer released; none while the
    order's stock is released); totals, tax and the payment summary are recomputed; one
    PUBLIC event says what changed and a STAFF one carries the prices and the note.
    """
    viewer.require(Permission.ORDERS_WRITE)
    problems = Problems()
    _check(problems, edit)
    problems.raise_if_any()

    order = await lock_order(order_id, "orderId")
    check_version(order, edit.expected_version)
    if order.status in CLOSED_STATUSES:
        raise DomainError(
            ErrorCode.ORDER_NOT_EDITABLE,
            f"A {order.status.value} order is closed; only open orders are edited.",
            ["orderId"],
        )
    items = {i.id: i for i in await OrderItem.filter(order_id=order.id).order_by("id")}
    lines = {
        i.id: _Line(i, i.product_id, i.sku, i.name, i.quantity, i.unit_price)
        for i in items.values()
    }
    summary: list[str] = []
    prices: list[str] = []
    removed: list[_Line] = []
    for index, item_id in enumerate(edit.remove):
        line = lines.pop(item_id, None)
        if line is None:
            problems.add(["remove", str(index)], "Not a line of this order.", ErrorCode.NOT_FOUND)
        elif line.item is not None and line.item.quantity_shipped > 0:
            problems.add(
                ["remove", str(index)],
                f"{line.sku} has shipped units; a shipped line stays.",
                ErrorCode.QUANTITY_BELOW_SHIPPED,
            )
        else:
            removed.append(line)
    for index, change in enumerate(edit.change):
        where = ["change", str(index)]
        line = lines.get(change.order_item_id)
        if line is None or line.item is None:
            problems.add([*where, "orderItemId"], "Not a line of this order.", ErrorCode.NOT_FOUND)
            continue
        if change.quantity is not None and change.quantity < line.item.quantity_shipped:
            problems.add(
                [*where, "quantity"],
                f"{line.item.quantity_shipped} unit(s) of {line.sku} have shipped; "
                "a line never drops below what was shipped.",
                ErrorCode.QUANTITY_BELOW_SHIPPED,
            )
            continue
        if change.quantity is not None and change.quantity != line.quantity:
            summary.append(f"{line.name}: {line.quantity} → {change.quantity}")
            line.quantity = change.quantity
        price = parse_money(change.unit_price) if change.unit_price is not None else None
        if price is not None and price != line.unit_price:
            prices.append(f"{line.sku} {line.unit_price} → {price}")
            line.unit_price = price
    added = await _added_lines(problems, edit.add, lines)
    problems.raise_if_any()
    if len(lines) + len(added) > MAX_LINES:
        raise DomainError(
            ErrorCode.LIMIT_REACHED, f"An order has at most {MAX_LINES} lines.", ["add"]
        )
    if not lines and not added:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "An order keeps at least one line; cancel it instead.",
            ["remove"],
        )

    # priced before anything is written: a total past the money columns changes nothing
    final = [*lines.values(), *added]
    subtotal = money(sum((line.unit_price * line.quantity for line in final), Decimal(0)))
    shipping = order.shipping_cost
    if edit.shipping_cost is not None:
        given = parse_money(edit.shipping_cost)
        assert given is not None  # checked by _check
        shipping = given
    tax_total, new_total = order_total(subtotal, shipping, tax_rate)
    await _move_stock(viewer, order, items, lines, added, removed)
    summary = _swaps(removed, added) + summary
    for line in added:
        prices.append(f"{line.sku} at {line.unit_price}")
    if shipping != order.shipping_cost:
        prices.append(f"shipping {order.shipping_cost} → {shipping}")
    await OrderItem.filter(id__in=[line.item.id for line in removed if line.item]).delete()
    for line in lines.values():
        assert line.item is not None
        total = money(line.unit_price * line.quantity)
        if (line.quantity, line.unit_price, total) != (
            line.item.quantity,
            line.item.unit_price,
            line.item.total,
        ):
            await OrderItem.filter(id=line.item.id).update(
                quantity=line.quantity, unit_price=line.unit_price, total=total
            )
    if added:
        await OrderItem.bulk_create(
            [
                OrderItem(
                    order_id=order.id,
                    product_id=line.product_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    total=money(line.unit_price * line.quantity),
                )
                for line in added
            ]
        )
    before_total = order.total
    updates: dict[str, Any] = {
        "subtotal": subtotal,
        "shipping_cost": shipping,
        "tax_total": tax_total,
        "total": new_total,
    }
    order.total = updates["total"]
    updates.update((await transactions.totals_of(order)).columns())
    order.total = before_total
    await save_changes(order, updates)

    public = ", ".join(summary) or "Prices updated."
    new_events = [
        NewEvent(
            EventType.ORDER_EDITED,
            f"Order edited: {public}",
            data={"total": str(order.total), "currency": order.currency},
        ),
        NewEvent(
            EventType.ORDER_EDIT_DETAILS,
            edit.note.strip() or "Order edited.",
            EventVisibility.STAFF,
            {
                "prices": prices,
                "totalBefore": str(before_total),
                "totalAfter": str(order.total),
                "note": edit.note.strip(),
            },
        ),
    ]
    await events.record(order.id, viewer, *new_events)
    return order


async def _added_lines(
    problems: Problems, adds: list[AddLine], lines: dict[int, _Line]
) -> list[_Line]:
    skus = [normalise_sku(a.sku) for a in adds]
    products = {p.sku: p for p in await Product.filter(sku__in=skus)}
    on_order = {line.sku for line in lines.values()}
    added: list[_Line] = []
    for index, (add, sku) in enumerate(zip(adds, skus, strict=True)):
        where = ["add", str(index), "sku"]
        product = products.get(sku)
        if product is None:
            problems.add(where, f"No product has SKU {sku}.", ErrorCode.UNKNOWN_SKU)
            continue
        if sku in on_order:
            problems.add(where, f"{sku} is a line of this order already: change its quantity.")
            continue
        on_order.add(sku)
        price = parse_money(add.unit_price) if add.unit_price is not None else product.price
        assert price is not None  # a unit price that is no amount was refused by _check
        added.append(_Line(None, product.id, sku, product.name, add.quantity, price))
    return added


async def _move_stock(
    viewer: Viewer,
    order: Order,
    items: dict[int, OrderItem],
    lines: dict[int, _Line],
    added: list[_Line],
    removed: list[_Line],
) -> None:
    """Take more units, give back fewer; nothing while the order's stock is released (the
    units the order holds are worked out from its lines when it is reinstated)."""
    if order.stock_released:
        return
    moves: list[StockLine] = []
    for line in lines.values():
        item = items[line.item.id] if line.item else None
        if item is not None and item.product_id is not None and line.quantity != item.quantity:
            moves.append(StockLine(item.product_id, item.sku, item.quantity - line.quantity))
    for line in added:
        if line.product_id is not None:
            moves.append(StockLine(line.product_id, line.sku, -line.quantity))
    for line in removed:
        if line.product_id is not None and line.item is not None:
            held = line.item.quantity - line.item.quantity_shipped
            moves.append(StockLine(line.product_id, line.sku, held))
    await move_stock(moves, reason="ORDER_EDITED", order_id=order.id, actor_id=viewer.user_id)


def _swaps(removed: list[_Line], added: list[_Line]) -> list[str]:
    """A line swapped for another of the same quantity reads 'Tee M → Tee L'; the rest one
    part each: '2 x Mug added' (with a multiplication sign), 'Tee M removed'."""
    parts: list[str] = []
    left = list(added)
    for line in removed:
        twin = next((a for a in left if a.quantity == line.quantity), None)
        if twin is not None:
            left.remove(twin)
            parts.append(f"{line.name} → {twin.name}")
        else:
            parts.append(f"{line.name} removed")
    parts += [f"{a.quantity} × {a.name} added" for a in left]  # noqa: RUF001
    return parts


async def add_note(
    viewer: Viewer, order_id: int, message: str, visibility: EventVisibility | None
) -> Order:
    """A note on the timeline. Staff write STAFF (the default) or PUBLIC notes; a customer
    writes on their own order, always PUBLIC: a message to the store."""
    text = message.strip()
    if not 1 <= len(text) <= MAX_NOTE:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"A note has 1 to {MAX_NOTE} characters.", ["message"]
        )
    if viewer.is_customer:
        if visibility is EventVisibility.STAFF:
            raise DomainError(
                ErrorCode.FORBIDDEN, "A customer's note is a PUBLIC message.", ["visibility"]
            )
        order = await visible_orders(viewer).filter(id=order_id).first()
        if order is None:
            raise not_found("Order", ["orderId"])
        chosen = EventVisibility.PUBLIC
    else:
        viewer.require_any(
            Permission.ORDERS_WRITE, Permission.SHIPMENTS_WRITE, Permission.RETURNS_WRITE
        )
        found = await Order.get_or_none(id=order_id)
        if found is None:
            raise not_found("Order", ["orderId"])
        order = found
        chosen = visibility or EventVisibility.STAFF
    await events.record(order.id, viewer, NewEvent(EventType.NOTE, text, chosen))
    return order
