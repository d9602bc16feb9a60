"""Editing what was ordered: lines added, changed and removed as one change, all or nothing;
and notes on an order's timeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.models import EventVisibility, Order, OrderItem, Product
from app.services import events, transactions
from app.services.auth import Permission, Viewer
from app.services.catalog import Shortfall, StockLine, move_stock, normalise_sku, stock_check
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.events import EventType, NewEvent
from app.services.lifecycle import fulfillment_of, is_editable
from app.services.money import money, order_total, parse_money
from app.services.orders import (
    MAX_LINES,
    MAX_QUANTITY,
    check_version,
    lock_order,
    save_changes,
    visible_orders,
)

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

    @property
    def total(self) -> Decimal:
        return money(self.unit_price * self.quantity)


@dataclass
class _Plan:
    """What an edit does to an order, worked out before anything is written: edit_order
    writes it, preview_edit shows it."""

    order: Order
    kept: dict[int, _Line]  # the order's lines the edit keeps, by item id
    added: list[_Line]
    removed: list[_Line]
    summary: list[str]  # what changed, for everyone
    prices: list[str]  # the price changes, for staff
    stock: list[StockLine]  # units taken (negative) and given back
    subtotal: Decimal
    shipping: Decimal
    tax_total: Decimal
    total: Decimal
    payment: transactions.Totals  # the payment summary against the new total

    def order_columns(self) -> dict[str, Any]:
        """The order's columns as the edit leaves them."""
        return {
            "subtotal": self.subtotal,
            "shipping_cost": self.shipping,
            "tax_total": self.tax_total,
            "total": self.total,
            "fulfillment_status": fulfillment_of(
                (
                    line.quantity,
                    line.item.quantity_shipped if line.item else 0,
                    line.item.quantity_returned if line.item else 0,
                )
                for line in [*self.kept.values(), *self.added]
            ),
            **self.payment.columns(),
        }


def _check(problems: Problems, edit: OrderEdit) -> None:
    if not (edit.add or edit.change or edit.remove or edit.shipping_cost is not None):
        problems.add(["input"], "Nothing to change: give add, change, remove or shippingCost.")
    if len(edit.add) + len(edit.change) + len(edit.remove) > 3 * MAX_LINES:
        problems.add(["input"], f"At most {3 * MAX_LINES} line changes in one edit.")
    _check_adds(problems, edit.add[:MAX_LINES])
    _check_changes(problems, edit.change[: 2 * MAX_LINES])
    if edit.shipping_cost is not None and parse_money(edit.shipping_cost) is None:
        problems.add(["shippingCost"], "A non-negative amount with at most two decimals.")
    if len(edit.note) > MAX_NOTE:
        problems.add(["note"], f"At most {MAX_NOTE} characters.")
    touched = [c.order_item_id for c in edit.change] + list(edit.remove)
    if len(touched) != len(set(touched)):
        problems.add(["change"], "Each line is changed or removed once per edit.")


def _check_adds(problems: Problems, adds: list[AddLine]) -> None:
    for index, add in enumerate(adds):
        where = ["add", str(index)]
        if not 1 <= add.quantity <= MAX_QUANTITY:
            problems.add([*where, "quantity"], f"Quantity is 1 to {MAX_QUANTITY}.")
        if add.unit_price is not None and parse_money(add.unit_price) is None:
            problems.add([*where, "unitPrice"], "A non-negative amount with two decimals.")
        if not 1 <= len(normalise_sku(add.sku)) <= 64:
            problems.add([*where, "sku"], "A SKU has 1 to 64 characters.")


def _check_changes(problems: Problems, changes: list[ChangeLine]) -> None:
    for index, change in enumerate(changes):
        where = ["change", str(index)]
        if change.quantity is not None and not 1 <= change.quantity <= MAX_QUANTITY:
            problems.add(
                [*where, "quantity"],
                f"Quantity is 1 to {MAX_QUANTITY}; remove a line to drop it.",
            )
        if change.unit_price is not None and parse_money(change.unit_price) is None:
            problems.add([*where, "unitPrice"], "A non-negative amount with two decimals.")


async def edit_order(viewer: Viewer, order_id: int, edit: OrderEdit, tax_rate: Decimal) -> Order:
    """Apply an edit of the lines, prices and shipping cost of an open order.

    Stock follows through the ledger (more units taken, fewer released; none while the
    order's stock is released); totals, tax and the payment summary are recomputed; one
    PUBLIC event says what changed and a STAFF one carries the prices and the note.
    """
    plan = await _plan(viewer, order_id, edit, tax_rate, lock=True)
    order = plan.order
    await move_stock(plan.stock, reason="ORDER_EDITED", order_id=order.id, actor_id=viewer.user_id)
    await _write_lines(plan)
    before_total = order.total
    await save_changes(order, plan.order_columns())
    await events.record(order.id, viewer, *_edit_events(plan, edit, before_total))
    return order


@dataclass(frozen=True)
class PreviewLine:
    order_item_id: int | None  # None: a line the edit adds
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    quantity_shipped: int


@dataclass(frozen=True)
class EditPreview:
    """What edit_order would make of an edit now. `order` is the order with the amounts and
    payment summary the edit gives it, in memory only (never saved)."""

    order: Order
    total_before: Decimal
    lines: list[PreviewLine]
    shortfalls: list[Shortfall]
    refusal: DomainError | None  # edit_order's answer while stock is short, else None


async def preview_edit(
    viewer: Viewer, order_id: int, edit: OrderEdit, tax_rate: Decimal
) -> EditPreview:
    """What edit_order would do with this edit, worked out by its own plan: nothing is
    written, no stock taken, no event recorded, and no lock held.

    Anything edit_order would refuse is raised as it would raise it, except a shortage of
    stock: that is the preview's `refusal`, with the amounts the edit would give.
    """
    plan = await _plan(viewer, order_id, edit, tax_rate, lock=False)
    refusal, short = await stock_check(plan.stock)
    if refusal is not None and refusal.code is not ErrorCode.INSUFFICIENT_STOCK:
        raise refusal  # the rare refusal that is no shortage: no figures, as edit_order
    order = plan.order
    total_before = order.total
    for name, value in plan.order_columns().items():
        setattr(order, name, value)
    lines = [
        PreviewLine(
            line.item.id if line.item else None,
            line.sku,
            line.name,
            line.quantity,
            line.unit_price,
            line.total,
            line.item.quantity_shipped if line.item else 0,
        )
        for line in [*plan.kept.values(), *plan.added]
    ]
    return EditPreview(order, total_before, lines, short, refusal)


async def _plan(
    viewer: Viewer, order_id: int, edit: OrderEdit, tax_rate: Decimal, *, lock: bool
) -> _Plan:
    """Check the edit against the order and work out its lines, stock, amounts and words;
    with `lock`, the order stays locked for the caller's transaction."""
    viewer.require(Permission.ORDERS_WRITE)
    problems = Problems()
    _check(problems, edit)
    problems.raise_if_any()

    order = await (lock_order(order_id, "orderId") if lock else _read_order(order_id))
    check_version(order, edit.expected_version)
    if not is_editable(order.status, order.fulfillment_status):
        raise DomainError(
            ErrorCode.ORDER_NOT_EDITABLE,
            f"A {order.status.value} order is closed; only open orders are edited.",
            ["orderId"],
        )
    lines = {
        i.id: _Line(i, i.product_id, i.sku, i.name, i.quantity, i.unit_price)
        for i in await OrderItem.filter(order_id=order.id).order_by("id")
    }
    removed = _removed_lines(problems, edit.remove, lines)
    summary, prices = _changed_lines(problems, edit.change, lines)
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
    prices += [f"{line.sku} at {line.unit_price}" for line in added]
    return await _priced(
        order, lines, added, removed, _swaps(removed, added) + summary, prices, edit, tax_rate
    )


async def _read_order(order_id: int) -> Order:
    """The order as lock_order finds it, without the lock: a preview holds none."""
    order = await Order.filter(id=order_id).first()
    if order is None:
        raise not_found("Order", ["orderId"])
    return order


def _removed_lines(problems: Problems, remove: list[int], lines: dict[int, _Line]) -> list[_Line]:
    removed: list[_Line] = []
    for index, item_id in enumerate(remove):
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
    return removed


def _changed_lines(
    problems: Problems, changes: list[ChangeLine], lines: dict[int, _Line]
) -> tuple[list[str], list[str]]:
    """Apply the changes to the lines; the words for the summary and for the prices."""
    summary: list[str] = []
    prices: list[str] = []
    for index, change in enumerate(changes):
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
    return summary, prices


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


async def _priced(
    order: Order,
    kept: dict[int, _Line],
    added: list[_Line],
    removed: list[_Line],
    summary: list[str],
    prices: list[str],
    edit: OrderEdit,
    tax_rate: Decimal,
) -> _Plan:
    """The plan with its amounts: subtotal, tax and total again, and the payment summary
    against the new total."""
    final = [*kept.values(), *added]
    subtotal = money(sum((line.unit_price * line.quantity for line in final), Decimal(0)))
    shipping = order.shipping_cost
    if edit.shipping_cost is not None:
        given = parse_money(edit.shipping_cost)
        assert given is not None  # checked by _check
        shipping = given
        if shipping != order.shipping_cost:
            prices.append(f"shipping {order.shipping_cost} → {shipping}")
    # priced before anything is written: a total past the money columns changes nothing
    tax_total, total = order_total(subtotal, shipping, tax_rate)
    return _Plan(
        order=order,
        kept=kept,
        added=added,
        removed=removed,
        summary=summary,
        prices=prices,
        stock=_stock_moves(order, kept, added, removed),
        subtotal=subtotal,
        shipping=shipping,
        tax_total=tax_total,
        total=total,
        payment=await transactions.totals_of(order, total),
    )


def _stock_moves(
    order: Order, kept: dict[int, _Line], added: list[_Line], removed: list[_Line]
) -> list[StockLine]:
    """Take more units, give back fewer; nothing while the order's stock is released (the
    units the order holds are worked out from its lines when it is reinstated)."""
    if order.stock_released:
        return []
    moves: list[StockLine] = []
    for line in kept.values():
        item = line.item
        if item is not None and item.product_id is not None and line.quantity != item.quantity:
            moves.append(StockLine(item.product_id, item.sku, item.quantity - line.quantity))
    for line in added:
        if line.product_id is not None:
            moves.append(StockLine(line.product_id, line.sku, -line.quantity))
    for line in removed:
        if line.product_id is not None and line.item is not None:
            held = line.item.quantity - line.item.quantity_shipped
            moves.append(StockLine(line.product_id, line.sku, held))
    return moves


async def _write_lines(plan: _Plan) -> None:
    """The order's lines as planned: removed ones deleted, changed ones updated, new ones
    created."""
    await OrderItem.filter(id__in=[line.item.id for line in plan.removed if line.item]).delete()
    for line in plan.kept.values():
        assert line.item is not None
        item = line.item
        if (line.quantity, line.unit_price, line.total) != (
            item.quantity,
            item.unit_price,
            item.total,
        ):
            await OrderItem.filter(id=item.id).update(
                quantity=line.quantity, unit_price=line.unit_price, total=line.total
            )
    if plan.added:
        await OrderItem.bulk_create(
            [
                OrderItem(
                    order_id=plan.order.id,
                    product_id=line.product_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    total=line.total,
                )
                for line in plan.added
            ]
        )


def _edit_events(plan: _Plan, edit: OrderEdit, before_total: Decimal) -> list[NewEvent]:
    """One PUBLIC summary of what changed; the prices, totals and note for staff."""
    order = plan.order
    public = ", ".join(plan.summary) or "Prices updated."
    return [
        NewEvent(
            EventType.ORDER_EDITED,
            f"Order edited: {public}",
            data={
                "total": str(order.total),
                "totalBefore": str(before_total),
                "currency": order.currency,
            },
        ),
        NewEvent(
            EventType.ORDER_EDIT_DETAILS,
            edit.note.strip() or "Order edited.",
            EventVisibility.STAFF,
            {
                "prices": plan.prices,
                "totalBefore": str(before_total),
                "totalAfter": str(order.total),
                "note": edit.note.strip(),
            },
        ),
    ]


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
    viewer: Viewer,
    order_id: int,
    message: str,
    visibility: EventVisibility | None,
    notify_customer: bool = False,
) -> Order:
    """A note on the timeline. Staff write STAFF (the default) or PUBLIC notes, and with
    `notify_customer` a PUBLIC one (the default then) is emailed to the customer; a
    customer writes on their own order, always PUBLIC: a message to the store."""
    text = message.strip()
    if not 1 <= len(text) <= MAX_NOTE:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"A note has 1 to {MAX_NOTE} characters.", ["message"]
        )
    if notify_customer and (viewer.is_customer or visibility is EventVisibility.STAFF):
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Only a PUBLIC note from the store is emailed to the customer.",
            ["notifyCustomer"],
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
        chosen = visibility or (
            EventVisibility.PUBLIC if notify_customer else EventVisibility.STAFF
        )
    data = {"notifyCustomer": True} if notify_customer else {}
    await events.record(order.id, viewer, NewEvent(EventType.NOTE, text, chosen, data))
    return order
