"""The one planner of status changes, for one order or many.

A status change is planned for a set of locked orders (a single order is the set of one):
which orders move, the stock each gives back or takes again (entering CANCELLED, DECLINED or
REFUNDED gives back the units still held, leaving them takes the units again while the
locked stock lasts), the ledger rows, the order columns and the events. setStatus,
cancelOrder, bulkUpdateOrders, the payments' and shipments' automatic moves and the
unpaid-order sweep all plan here; `write` applies a set's plan in a few set-based statements,
`apply_one` a single order's (its columns saved with the caller's, so the version moves once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise import connections
from tortoise.expressions import F

from app.db import insert_rows, is_postgres, require_transaction
from app.models import (
    EventVisibility,
    Order,
    OrderItem,
    OrderStatus,
    PaymentStatus,
    Product,
)
from app.services import events
from app.services.auth import Viewer
from app.services.catalog import MAX_STOCK, StockLine, stock_refusal
from app.services.errors import DomainError
from app.services.events import EventType, NewEvent, status_changed
from app.services.lifecycle import RELEASING, Facts, Transition, Trigger, transition


@dataclass(frozen=True)
class OrderState:
    """What planning needs of a locked order."""

    id: int
    status: OrderStatus
    stock_released: bool
    status_manual: bool = False
    payment_status: PaymentStatus = PaymentStatus.PENDING

    @classmethod
    def of(cls, order: Order) -> OrderState:
        return cls(
            order.id,
            order.status,
            order.stock_released,
            order.status_manual,
            order.payment_status,
        )


@dataclass(frozen=True)
class Move:
    """One order asked to go `to`: by staff (`by_staff`, a status payments then leave alone)
    or on its own (a lifecycle transition, whose cause the event tells). `note` goes on the
    timeline for staff; `data` is added to the events."""

    order: OrderState
    to: OrderStatus
    by_staff: bool
    cause: str = ""
    tail: str = ""
    reason: str = ""
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def automatic(cls, order: OrderState, row: Transition, **words: str) -> Move:
        """The move a lifecycle transition makes, its cause filled in with `words`."""
        return cls(order, row.to, False, row.cause.format(**words), row.tail, reason=row.reason)


@dataclass
class StatusPlan:
    """What a set of moves does, worked out before anything is written."""

    refused: dict[int, DomainError] = field(default_factory=dict)
    columns: dict[int, dict[str, Any]] = field(default_factory=dict)
    stock: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    ledger: list[tuple[int, int, str, int]] = field(default_factory=list)
    events: list[tuple[int, NewEvent]] = field(default_factory=list)

    def events_of(self, order_id: int) -> list[NewEvent]:
        return [event for i, event in self.events if i == order_id]


async def lock_states(order_ids: Sequence[int]) -> dict[int, OrderState]:
    """The orders, row-locked in id order (one array parameter on PostgreSQL)."""
    require_transaction()
    columns = (
        "id",
        "status",
        "stock_released",
        "status_manual",
        "payment_status",
    )
    if is_postgres():
        found = await connections.get("default").execute_query_dict(
            f"SELECT {', '.join(columns)} FROM orders "  # noqa: S608 - names only
            "WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE",
            [list(order_ids)],
        )
        rows = [tuple(r[c] for c in columns) for r in found]
    else:
        # SQLite: this process's transactions run one at a time (one connection, locked)
        rows = list(await Order.filter(id__in=list(order_ids)).values_list(*columns))
    return {
        r[0]: OrderState(
            r[0],
            OrderStatus(r[1]),
            bool(r[2]),
            bool(r[3]),
            PaymentStatus(r[4]),
        )
        for r in rows
    }


async def _lock_stock(product_ids: list[int]) -> dict[int, int]:
    """The products' stock, row-locked in id order until the transaction ends, so nothing
    takes the units between this read and the plan's own update. (Tortoise drops FOR UPDATE
    from a values_list query, hence the SQL.)"""
    if not product_ids:
        return {}
    if is_postgres():
        found = await connections.get("default").execute_query_dict(
            "SELECT id, stock FROM products WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE",
            [product_ids],
        )
        return {r["id"]: r["stock"] for r in found}
    return dict(await Product.filter(id__in=product_ids).values_list("id", "stock"))


def _stock_sign(move: Move) -> int:
    """+1: the order gives its held units back; -1: it takes them again; 0: neither."""
    entering = move.to in RELEASING
    if entering and not move.order.stock_released:
        return 1
    if not entering and move.order.stock_released:
        return -1
    return 0


async def _held(moves: Sequence[Move]) -> dict[int, dict[int, tuple[str, int]]]:
    """Per order whose stock moves: product -> (sku, units held), in one query."""
    moving = [m.order.id for m in moves if _stock_sign(m)]
    held: dict[int, dict[int, tuple[str, int]]] = defaultdict(dict)
    if not moving:
        return held
    for order_id, product_id, sku, quantity, shipped in await OrderItem.filter(
        order_id__in=moving, product_id__isnull=False
    ).values_list("order_id", "product_id", "sku", "quantity", "quantity_shipped"):
        if quantity > shipped:
            _, before = held[order_id].get(product_id, (sku, 0))
            held[order_id][product_id] = (sku, before + quantity - shipped)
    return held


def _refusal(
    lines: dict[int, tuple[str, int]], sign: int, available: dict[int, int]
) -> DomainError | None:
    """Why the stock cannot follow the move, as move_stock says it (catalog.stock_refusal)."""
    for product_id, (sku, units) in sorted(lines.items()):
        short = sign < 0 and available[product_id] < units
        if short or (sign > 0 and available[product_id] + units > MAX_STOCK):
            return stock_refusal(StockLine(product_id, sku, sign * units))
    return None


async def plan(moves: Sequence[Move]) -> StatusPlan:
    """Plan the moves in order: each order's stock, columns and events; an order whose stock
    cannot follow is refused alone (plan.refused) and changes nothing."""
    result = StatusPlan()
    held = await _held(moves)
    available = await _lock_stock(sorted({p for lines in held.values() for p in lines}))
    for move in moves:
        order, sign = move.order, _stock_sign(move)
        lines = held.get(order.id, {}) if sign else {}
        refusal = _refusal(lines, sign, available)
        if refusal is not None:
            result.refused[order.id] = refusal
            continue
        reason = "ORDER_RELEASED" if sign > 0 else "ORDER_REINSTATED"
        for product_id, (_, units) in sorted(lines.items()):
            available[product_id] += sign * units
            result.stock[product_id] += sign * units
            result.ledger.append((product_id, sign * units, reason, order.id))
        result.columns[order.id] = _columns(move, sign)
        result.events += [(order.id, e) for e in _events(move)]
    return result


def _columns(move: Move, sign: int) -> dict[str, Any]:
    order = move.order
    columns: dict[str, Any] = {}
    if move.to is not order.status:
        columns.update(status=move.to, status_manual=move.by_staff)
    elif move.by_staff and not order.status_manual:
        columns["status_manual"] = True
    if sign:
        columns["stock_released"] = sign > 0
    return columns


def _events(move: Move) -> list[NewEvent]:
    found: list[NewEvent] = []
    if move.to is not move.order.status:
        extra = {"reason": move.reason} if move.reason else {}
        found.append(
            status_changed(
                move.order.status,
                move.to,
                cause=move.cause,
                tail=move.tail,
                **extra,
                **move.data,
            )
        )
    if move.note.strip():
        found.append(
            NewEvent(EventType.STATUS_NOTE, move.note.strip(), EventVisibility.STAFF, move.data)
        )
    return found


async def write_stock(result: StatusPlan, viewer: Viewer, now: datetime) -> None:
    """The plan's stock per product (one UPDATE on PostgreSQL) and its ledger rows."""
    deltas = {p: d for p, d in result.stock.items() if d}
    if deltas:
        ids = sorted(deltas)
        if is_postgres():
            await connections.get("default").execute_query(
                "UPDATE products SET stock = products.stock + v.d "
                "FROM unnest($1::int[], $2::int[]) AS v(id, d) WHERE products.id = v.id",
                [ids, [deltas[i] for i in ids]],
            )
        else:
            for product_id in ids:
                await Product.filter(id=product_id).update(stock=F("stock") + deltas[product_id])
    await insert_rows(
        "inventory_movements",
        ("product_id", "delta", "reason", "note", "order_id", "actor_id", "created_at"),
        [(p, d, reason, "", o, viewer.user_id, now) for p, d, reason, o in result.ledger],
    )


async def write(result: StatusPlan, viewer: Viewer) -> None:
    """A set's plan in a few statements: orders grouped by their new columns, stock per
    product, the ledger and the events in one insert each. Orders whose columns stay as they
    were are not touched."""
    require_transaction()
    now = datetime.now(UTC)
    groups: dict[tuple[tuple[str, Any], ...], list[int]] = defaultdict(list)
    for order_id, columns in result.columns.items():
        if columns:
            groups[tuple(sorted(columns.items()))].append(order_id)
    for columns_key, order_ids in groups.items():
        await Order.filter(id__in=order_ids).update(
            **dict(columns_key), version=F("version") + 1, updated_at=now
        )
    await write_stock(result, viewer, now)
    await events.record_set(viewer, result.events, now)


async def apply_one(
    viewer: Viewer, order: Order, move: Move
) -> tuple[dict[str, Any], list[NewEvent]]:
    """One locked order's move: its stock is written now; its columns and events are the
    caller's to save (with its own, so the version moves once) and record. Raises what
    the plan refused."""
    require_transaction()
    result = await plan([move])
    refusal = result.refused.get(order.id)
    if refusal is not None:
        raise refusal
    await write_stock(result, viewer, datetime.now(UTC))
    return result.columns[order.id], result.events_of(order.id)


async def follow(
    viewer: Viewer, order: Order, trigger: Trigger, facts: Facts, **words: str
) -> tuple[dict[str, Any], list[NewEvent]]:
    """The automatic move the lifecycle makes of a locked order on `trigger` (none: nothing
    to save), applied as apply_one applies a move."""
    row = transition(trigger, facts)
    if row is None:
        return {}, []
    return await apply_one(viewer, order, Move.automatic(OrderState.of(order), row, **words))
