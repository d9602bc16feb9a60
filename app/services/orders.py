"""Placing, reading and editing orders."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from tortoise.expressions import F, Subquery
from tortoise.queryset import QuerySet

from app.db import require_transaction, select_rows
from app.models import (
    EventVisibility,
    Order,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Product,
    ShippingMethod,
    TransactionKind,
)
from app.services import buyer_limits, events, order_search, snapshots, transactions
from app.services import shipping as shipping_methods
from app.services.accounts import check_email
from app.services.addresses import Address, clean_address, search_words
from app.services.auth import Permission, Viewer
from app.services.buyer_limits import BuyerLimits
from app.services.catalog import StockLine, move_stock, normalise_sku
from app.services.errors import DomainError, ErrorCode, Problems, not_found
from app.services.events import EventType, NewEvent
from app.services.lifecycle import (
    PLACEABLE_PAYMENT,
    fulfillment_changes,
    is_editable,
    open_condition,
    placed_status,
)
from app.services.money import bounded_total, money, order_total, parse_money
from app.services.pagination import Page, PageRequest, paginate

MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_COMMENT = 2000
MAX_NOTES = 10_000
NUMBER_OFFSET = 99  # order number = id + 99, so the first order is number 100


@dataclass(frozen=True)
class LineInput:
    sku: str
    quantity: int


@dataclass(frozen=True)
class PaymentInput:
    """What the buyer chose (method, provider); status, amount and transaction id record a
    payment taken with the order, and only PAYMENTS_WRITE may give them (None = not given)."""

    method: str = ""
    provider: str = ""
    transaction_id: str | None = None
    amount: Decimal | None = None
    status: PaymentStatus | None = None


@dataclass(frozen=True)
class PlaceOrderInput:
    items: list[LineInput]
    billing_address: Address
    shipping_address: Address | None = None
    email: str | None = None
    shipping_method: str = ""
    # None: the method's price; a staff override otherwise
    shipping_cost: Decimal | None = None
    payment: PaymentInput = field(default_factory=PaymentInput)
    customer_comment: str = ""


@dataclass(frozen=True)
class OrderChanges:
    """Fields left None are not changed."""

    billing_address: Address | None = None
    shipping_address: Address | None = None
    shipping_method: str | None = None
    customer_comment: str | None = None
    staff_notes: str | None = None
    expected_version: int | None = None


class OrderSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NUMBER = "number"
    TOTAL = "total"


@dataclass(frozen=True)
class OrderFilter:
    statuses: list[OrderStatus] | None = None
    is_open: bool | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    email: str | None = None
    search: str | None = None
    payment_statuses: list[PaymentStatus] | None = None
    # orders with a line of this SKU
    sku: str | None = None
    shipping_country: str | None = None


def _checked_country(country: str) -> str:
    code = country.strip().upper()
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "A country is two letters (ISO 3166-1 alpha-2), e.g. GB.",
            ["filter", "shippingCountry"],
        )
    return code


def _checked_sku(sku: str) -> str:
    sku = normalise_sku(sku)
    if not 1 <= len(sku) <= 64:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "A SKU has 1 to 64 characters.", ["filter", "sku"]
        )
    return sku


def _check_text(problems: Problems, path: list[str], value: str, limit: int) -> str:
    if len(value) > limit:
        problems.add(path, f"At most {limit} characters.")
    return value.strip()


def _refuse_declared(problems: Problems, viewer: Viewer, data: PlaceOrderInput) -> None:
    """The server prices shipping and learns of payments from the payment side: only staff
    who may edit orders override the shipping cost, only PAYMENTS_WRITE records a payment."""
    if data.shipping_cost is not None and not (
        viewer.is_staff and viewer.can(Permission.ORDERS_WRITE)
    ):
        problems.add(
            ["shippingCost"],
            "The shipping cost comes from the shipping method; only staff override it.",
            ErrorCode.FORBIDDEN,
        )
    if viewer.can(Permission.PAYMENTS_WRITE):
        return
    payment = data.payment
    for name, value in (
        ("status", payment.status),
        ("amount", payment.amount),
        ("transactionId", payment.transaction_id),
    ):
        if value is not None:
            problems.add(
                ["payment", name],
                "Payments are recorded by the payment side (recordPayment); an order says "
                "only which method and provider the buyer chose.",
                ErrorCode.FORBIDDEN,
            )


@dataclass(frozen=True)
class _Placing:
    """A placeOrder input, checked: what the order is made of."""

    email: str
    lines: list[tuple[str, int]]
    billing: Address
    shipping: Address
    comment: str
    override: Decimal | None  # the shipping cost staff set, if any
    kind: TransactionKind | None  # the payment it is placed with, if any
    declared: Decimal | None  # that payment's amount, if given


def _check_placing(viewer: Viewer, data: PlaceOrderInput) -> _Placing:
    problems = Problems()
    _refuse_declared(problems, viewer, data)
    # a signed-in customer's own email; guests and staff (placing it for a customer) give one
    email = (
        viewer.email if viewer.is_customer else check_email(problems, ["email"], data.email or "")
    )
    lines = merge_lines(problems, data.items)
    billing = clean_address(problems, "billingAddress", data.billing_address)
    shipping = (
        clean_address(problems, "shippingAddress", data.shipping_address)
        if data.shipping_address is not None
        else billing
    )
    comment = _check_text(problems, ["customerComment"], data.customer_comment, MAX_COMMENT)
    override = None
    if data.shipping_cost is not None:
        override = parse_money(data.shipping_cost)
        if override is None:
            problems.add(["shippingCost"], "A non-negative amount with at most two decimals.")
    kind, declared = _check_payment(problems, data.payment)
    problems.raise_if_any()
    assert email is not None
    return _Placing(email, lines, billing, shipping, comment, override, kind, declared)


def _check_payment(
    problems: Problems, payment: PaymentInput
) -> tuple[TransactionKind | None, Decimal | None]:
    declared_status = payment.status or PaymentStatus.PENDING
    kind = PLACEABLE_PAYMENT.get(declared_status)
    if declared_status not in PLACEABLE_PAYMENT:
        problems.add(
            ["payment", "status"], "An order is placed with a PENDING, AUTHORIZED or PAID payment."
        )
    declared = parse_money(payment.amount) if payment.amount is not None else None
    if payment.amount is not None and (declared is None or declared <= 0):
        problems.add(["payment", "amount"], "A positive amount with at most two decimals.")
    for key, value in (("method", payment.method), ("provider", payment.provider)):
        _check_text(problems, ["payment", key], value, 50)
    _check_text(problems, ["payment", "transactionId"], payment.transaction_id or "", 255)
    return kind, declared


def _placed_payment(
    placing: _Placing, total: Decimal, currency: str
) -> list[tuple[TransactionKind, Decimal]]:
    """The transaction the order is placed with (none while PENDING or for nothing)."""
    if placing.kind is None:
        return []
    amount = placing.declared if placing.declared is not None else total
    if amount > total:
        raise DomainError(
            ErrorCode.PAYMENT_EXCEEDS_BALANCE,
            f"The payment is more than the order total ({total} {currency}).",
            ["payment", "amount"],
        )
    return [(placing.kind, amount)] if amount > 0 else []


async def place_order(
    viewer: Viewer,
    data: PlaceOrderInput,
    tax_rate: Decimal,
    currency: str,
    limits: BuyerLimits | None = None,
) -> Order:
    """Record an order and take its stock, all or nothing; the server prices it.

    Guests and customers buy, within `limits` (units a line, unpaid orders held); staff and
    integration tokens place orders for others, which takes stock as a sale does, so only
    with ORDERS_WRITE."""
    buyer = buyer_limits.is_buyer(viewer)
    if not buyer:
        viewer.require(Permission.ORDERS_WRITE)
    placing = _check_placing(viewer, data)
    if buyer and limits is not None:
        first_index: dict[str, int] = {}
        for index, item in enumerate(data.items):
            first_index.setdefault(normalise_sku(item.sku), index)
        buyer_limits.check_lines(limits, placing.lines, first_index)
        await buyer_limits.check_unpaid(viewer, limits)
    priced = await price_cart(
        placing.lines,
        placing.shipping.country,
        data.shipping_method,
        tax_rate,
        currency,
        placing.override,
    )
    moves = _placed_payment(placing, priced.total, currency)
    order = await _create_order(viewer, data.payment, placing, priced, currency, moves)
    await _take_lines(viewer, order, placing.lines, priced.products)
    for move_kind, amount in moves:
        await transactions.add(
            viewer,
            order,
            move_kind,
            amount,
            provider=data.payment.provider,
            reference=(data.payment.transaction_id or "").strip() or None,
            method=data.payment.method,
        )
    placed = {"status": order.status.value}
    await events.record(
        order.id,
        viewer,
        NewEvent(EventType.ORDER_PLACED, f"Order {order.number} placed.", data=placed),
    )
    if buyer and limits is not None:
        await buyer_limits.remember(limits, order.id)
    return order


async def _create_order(
    viewer: Viewer,
    payment: PaymentInput,
    placing: _Placing,
    priced: PricedCart,
    currency: str,
    moves: list[tuple[TransactionKind, Decimal]],
) -> Order:
    """The order row, numbered, in the status its payment gives it."""
    totals = transactions.summarise(priced.total, moves)
    order = await Order.create(
        status=placed_status(totals.covered),
        customer_id=viewer.user_id if viewer.is_customer else None,
        email=placing.email,
        billing_address=placing.billing.as_json(),
        shipping_address=placing.shipping.as_json(),
        shipping_country=placing.shipping.country,
        search_text=search_words(placing.billing, placing.shipping),
        shipping_method=priced.method.code,
        currency=currency,
        subtotal=priced.subtotal,
        shipping_cost=priced.shipping_cost,
        tax_total=priced.tax_total,
        total=priced.total,
        payment_method=payment.method.strip(),
        payment_provider=transactions.normalise_provider(payment.provider),
        payment_transaction_id=(payment.transaction_id or "").strip(),
        customer_comment=placing.comment,
        **totals.columns(),
    )
    order.number = order.id + NUMBER_OFFSET
    await Order.filter(id=order.id).update(number=order.number)
    return order


async def _take_lines(
    viewer: Viewer, order: Order, lines: list[tuple[str, int]], products: dict[str, Product]
) -> None:
    """The order's items, and their units taken from stock."""
    await OrderItem.bulk_create(
        [
            OrderItem(
                order_id=order.id,
                product_id=products[sku].id,
                sku=sku,
                name=products[sku].name,
                quantity=qty,
                unit_price=products[sku].price,
                total=money(products[sku].price * qty),
            )
            for sku, qty in lines
        ]
    )
    await move_stock(
        [StockLine(products[sku].id, sku, -qty) for sku, qty in lines],
        reason="ORDER_PLACED",
        order_id=order.id,
        actor_id=viewer.user_id,
    )


@dataclass(frozen=True)
class PricedCart:
    """A cart priced by the server: placeOrder charges it, quoteOrder shows it."""

    lines: list[tuple[str, int]]
    products: dict[str, Product]
    method: ShippingMethod
    subtotal: Decimal
    shipping_cost: Decimal
    tax_total: Decimal
    total: Decimal


async def price_cart(
    lines: list[tuple[str, int]],
    country: str,
    method_code: str,
    tax_rate: Decimal,
    currency: str,
    shipping_override: Decimal | None = None,
) -> PricedCart:
    """The lines at the products' prices, the shipping method (the one named, or the
    cheapest that ships to `country`) at its price for this subtotal, tax and total. A
    product no longer sold is refused (PRODUCT_INACTIVE), whoever asks."""
    products = {p.sku: p for p in await Product.filter(sku__in=[sku for sku, _ in lines])}
    problems = Problems()
    for index, (sku, _) in enumerate(lines):
        if sku not in products:
            problems.add(
                ["items", str(index), "sku"], f"No product has SKU {sku}.", ErrorCode.UNKNOWN_SKU
            )
        elif not products[sku].active:
            problems.add(
                ["items", str(index), "sku"], f"{sku} is not sold now.", ErrorCode.PRODUCT_INACTIVE
            )
    problems.raise_if_any()
    subtotal = money(sum((products[sku].price * qty for sku, qty in lines), Decimal(0)))
    method = await shipping_methods.choose(method_code, country, currency, ["shippingMethod"])
    shipping_cost = (
        shipping_override
        if shipping_override is not None
        else shipping_methods.price_for(method, subtotal)
    )
    tax_total, total = order_total(subtotal, shipping_cost, tax_rate)
    return PricedCart(
        lines=lines,
        products=products,
        method=method,
        subtotal=subtotal,
        shipping_cost=shipping_cost,
        tax_total=tax_total,
        total=total,
    )


def merge_lines(problems: Problems, items: list[LineInput]) -> list[tuple[str, int]]:
    """A cart's lines, one per SKU, within the bounds of an order."""
    if not 1 <= len(items) <= MAX_LINES:
        problems.add(["items"], f"An order has 1 to {MAX_LINES} lines.")
    merged: dict[str, int] = {}
    for index, item in enumerate(items[:MAX_LINES]):
        sku = normalise_sku(item.sku)
        if not 1 <= item.quantity <= MAX_QUANTITY:
            problems.add(["items", str(index), "quantity"], f"Quantity is 1 to {MAX_QUANTITY}.")
        if not 1 <= len(sku) <= 64:
            problems.add(["items", str(index), "sku"], "A SKU has 1 to 64 characters.")
        merged[sku] = merged.get(sku, 0) + item.quantity
    return list(merged.items())


def visible_orders(viewer: Viewer) -> QuerySet[Order]:
    """The orders this viewer may see at all; anything else answers NOT_FOUND."""
    customer_id = orders_scope(viewer)
    return Order.all() if customer_id is None else Order.filter(customer_id=customer_id)


def orders_scope(viewer: Viewer) -> int | None:
    """Whose orders the viewer may see: a customer's own (their id), or all (None) for
    staff who may read orders; anyone else is refused."""
    viewer.require_user()
    if viewer.is_customer:
        assert viewer.user_id is not None  # a signed-in customer
        return viewer.user_id
    viewer.require(Permission.ORDERS_READ)
    return None


async def get_order(
    viewer: Viewer, order_id: int | None = None, number: int | None = None
) -> Order | None:
    qs = _one_order(viewer, order_id, number)
    return None if qs is None else await qs.first()


async def get_order_row(
    viewer: Viewer, columns: Sequence[str], order_id: int | None = None, number: int | None = None
) -> Sequence[Any] | None:
    """As get_order, a row of `columns` (field names) instead of a model: one statement."""
    where: list[tuple[str, str, Any]] = []
    customer_id = orders_scope(viewer)
    if customer_id is not None:
        where.append(("customer_id", "=", customer_id))
    if order_id is not None:
        where.append(("id", "=", order_id))
    if number is not None:
        where.append(("number", "=", number))
    if order_id is None and number is None:
        return None
    rows = await select_rows(Order, columns, where, limit=1)
    return rows[0] if rows else None


def _one_order(viewer: Viewer, order_id: int | None, number: int | None) -> QuerySet[Order] | None:
    qs = visible_orders(viewer)
    if order_id is not None:
        qs = qs.filter(id=order_id)
    if number is not None:
        qs = qs.filter(number=number)
    if order_id is None and number is None:
        return None
    return qs


async def list_orders(
    viewer: Viewer,
    page: PageRequest,
    filters: OrderFilter,
    sort: OrderSort = OrderSort.CREATED_AT,
    descending: bool = True,
    columns: Sequence[str] | None = None,
) -> Page[Any]:
    """A page of the viewer's orders; with `columns`, rows of those fields (then the
    sort key and id) instead of models."""
    matched = None
    if filters.search and filters.search.strip():
        visible_orders(viewer)  # refused before anything is searched
        matched = await order_search.matches(viewer, filters.search)
    qs = filtered_orders(viewer, filters, matched)
    return await paginate(qs, page, sort.value, descending, columns)


def filtered_orders(
    viewer: Viewer, filters: OrderFilter, matched: list[int] | None = None
) -> QuerySet[Order]:
    """The viewer's orders matching the filter (unordered); `matched`, the orders the
    search found beforehand (order_search.matches)."""
    qs = visible_orders(viewer)
    if filters.statuses:
        qs = qs.filter(status__in=list(filters.statuses))
    if filters.is_open is not None:
        qs = qs.filter(open_condition(filters.is_open))
    if filters.created_after:
        qs = qs.filter(created_at__gte=filters.created_after)
    if filters.created_before:
        qs = qs.filter(created_at__lt=filters.created_before)
    if filters.email:
        qs = qs.filter(email=filters.email.strip().lower())
    if filters.payment_statuses:
        qs = qs.filter(payment_status__in=list(filters.payment_statuses))
    if filters.shipping_country is not None:
        qs = qs.filter(shipping_country=_checked_country(filters.shipping_country))
    if filters.sku is not None:
        lines = OrderItem.filter(sku=_checked_sku(filters.sku)).values("order_id")
        qs = qs.filter(id__in=Subquery(lines))
    if filters.search and filters.search.strip():
        qs = qs.filter(order_search.condition(viewer, filters.search, matched))
    return qs


@dataclass(frozen=True)
class _Checked:
    """An updateOrder input, checked (None: not changed)."""

    billing: Address | None
    shipping: Address | None
    method: str | None
    comment: str | None
    notes: str | None


def _check_changes(changes: OrderChanges) -> _Checked:
    problems = Problems()
    billing = (
        clean_address(problems, "billingAddress", changes.billing_address)
        if changes.billing_address
        else None
    )
    shipping = (
        clean_address(problems, "shippingAddress", changes.shipping_address)
        if changes.shipping_address
        else None
    )
    texts = []
    for name, value, limit in (
        ("shippingMethod", changes.shipping_method, 100),
        ("customerComment", changes.customer_comment, MAX_COMMENT),
        ("staffNotes", changes.staff_notes, MAX_NOTES),
    ):
        texts.append(None if value is None else _check_text(problems, [name], value, limit))
    problems.raise_if_any()
    return _Checked(billing, shipping, *texts)


async def update_order(viewer: Viewer, order_id: int, changes: OrderChanges) -> Order:
    """Edit an order's details; each change is an event, staff-note changes staff-only."""
    viewer.require(Permission.ORDERS_WRITE)
    checked = _check_changes(changes)
    order = await lock_order(order_id)
    check_version(order, changes.expected_version)
    updates: dict[str, Any] = {}
    new_events = _address_changes(order, checked, updates)
    if checked.method is not None:
        country = (checked.shipping or Address.from_json(order.shipping_address)).country
        repriced = await _reprice(order, checked.method, country)
        if repriced is not None:
            updates.update(repriced[0])
            new_events.append(repriced[1])
    new_events += _text_changes(order, checked, updates)
    if not new_events:
        return order
    await save_changes(order, updates)
    await events.record(order.id, viewer, *new_events)
    return order


def _address_changes(order: Order, checked: _Checked, updates: dict[str, Any]) -> list[NewEvent]:
    """The addresses' columns into `updates`; their events."""
    billing, shipping = checked.billing, checked.shipping
    found: list[NewEvent] = []
    if billing is not None and billing.as_json() != order.billing_address:
        updates["billing_address"] = billing.as_json()
        found.append(
            NewEvent(
                EventType.BILLING_ADDRESS_UPDATED,
                "Billing address updated.",
                data=_changed("billingAddress", order.billing_address, billing),
            )
        )
    if shipping is not None and shipping.as_json() != order.shipping_address:
        updates["shipping_address"] = shipping.as_json()
        updates["shipping_country"] = shipping.country
        found.append(
            NewEvent(
                EventType.SHIPPING_ADDRESS_UPDATED,
                "Shipping address updated.",
                data=_changed("shippingAddress", order.shipping_address, shipping),
            )
        )
    if billing is not None or shipping is not None:
        updates["search_text"] = search_words(
            billing or Address.from_json(order.billing_address),
            shipping or Address.from_json(order.shipping_address),
        )
    return found


def _text_changes(order: Order, checked: _Checked, updates: dict[str, Any]) -> list[NewEvent]:
    """The comment's and staff notes' columns into `updates`; their events."""
    found: list[NewEvent] = []
    comment, notes = checked.comment, checked.notes
    if comment is not None and comment != order.customer_comment:
        updates["customer_comment"] = comment
        found.append(
            NewEvent(
                EventType.COMMENT_UPDATED,
                "Order comment updated.",
                data={"customerComment": {"from": order.customer_comment, "to": comment}},
            )
        )
    if notes is not None and notes != order.staff_notes:
        updates["staff_notes"] = notes
        found.append(
            NewEvent(
                EventType.STAFF_NOTES_UPDATED,
                "Staff notes updated.",
                EventVisibility.STAFF,
                {"staffNotes": notes},
            )
        )
    return found


def _changed(name: str, before: dict[str, Any], after: Address) -> dict[str, Any]:
    """What an update changed, as the API names it: the field's value before and after
    (order.updated webhooks carry it as `change`; the customer sees their own addresses)."""
    return {name: {"from": snapshots.address(before), "to": snapshots.address(after.as_json())}}


async def _reprice(order: Order, code: str, country: str) -> tuple[dict[str, Any], NewEvent] | None:
    """Another shipping method, chosen as placeOrder chooses one (active, shipping to the
    order's country, in its currency), and the order priced by it: the new cost, total and
    payment amounts. None when it is the order's method already."""
    method = await shipping_methods.choose(code, country, order.currency, ["shippingMethod"])
    if method.code == order.shipping_method:
        return None
    if not is_editable(order.status, order.fulfillment_status):
        raise DomainError(
            ErrorCode.ORDER_NOT_EDITABLE,
            f"A {order.status.value} order is closed; it keeps the method it was sent with.",
            ["shippingMethod"],
        )
    cost = shipping_methods.price_for(method, order.subtotal)
    before = order.total
    order.total = bounded_total(order.subtotal, cost, order.tax_total)
    updates: dict[str, Any] = {
        "shipping_method": method.code,
        "shipping_cost": cost,
        "total": order.total,
        **(await transactions.totals_of(order)).columns(),
    }
    order.total = before  # the row changes with the rest of the update
    message = f"Shipping method set to {method.name}"
    if cost != order.shipping_cost:
        message += f"; shipping {order.shipping_cost} → {cost} {order.currency}"
    event = NewEvent(
        EventType.SHIPPING_METHOD_UPDATED,
        message + ".",
        data={
            "shippingMethod": {"from": order.shipping_method, "to": method.code},
            "shippingCost": {"from": str(order.shipping_cost), "to": str(cost)},
            "total": {"from": str(before), "to": str(updates["total"])},
        },
    )
    return updates, event


def check_version(order: Order, expected: int | None) -> None:
    """VERSION_CONFLICT when the editor's version of the order is not the current one."""
    if expected is not None and expected != order.version:
        raise DomainError(
            ErrorCode.VERSION_CONFLICT,
            f"The order was changed by someone else (version {order.version}, "
            f"you had {expected}). Reload it and apply your change again.",
            ["expectedVersion"],
        )


async def lock_order(order_id: int, field: str = "id") -> Order:
    """The order, locked for the rest of the transaction (a row lock on PostgreSQL; SQLite
    transactions are serialised by the database lock). Asserts there is one (app.db)."""
    require_transaction()
    order = await Order.filter(id=order_id).select_for_update().first()
    if order is None:
        raise not_found("Order", [field])
    return order


async def save_fulfillment(order: Order, lines: Iterable[tuple[int, int, int]]) -> None:
    """The derived fulfillment_status once the lines' (ordered, shipped, returned) units
    changed; derived, as payment_status, so the version stays."""
    changes = fulfillment_changes(order.fulfillment_status, lines)
    if changes:
        await Order.filter(id=order.id).update(**changes)
        order.fulfillment_status = changes["fulfillment_status"]


async def save_changes(order: Order, updates: dict[str, Any]) -> None:
    """Write changed fields and move the version on, so editors holding the old one conflict."""
    now = datetime.now(UTC)
    changed = await Order.filter(id=order.id, version=order.version).update(
        version=F("version") + 1, updated_at=now, **updates
    )
    if not changed:  # only reachable where the database has no row locks
        raise DomainError(ErrorCode.VERSION_CONFLICT, "The order was changed meanwhile.", ["id"])
    for name, value in updates.items():
        setattr(order, name, value)
    order.version += 1
    order.updated_at = now
