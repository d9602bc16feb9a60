"""Bulk status changes: up to 100,000 orders moved by a worker in sets, each order under the
same rules as setStatus (stock included), each with its outcome.

The orders are chosen when the operation is asked for (ids, or a filter resolved then), so
progress has a total from the start. A set is worked out in memory and written with a few
set-based statements; an order that cannot move (not enough stock to take back) fails alone
with its reason. A set commits only while the worker's lease holds, and rows already decided
are never looked at again, so a worker stopped midway is resumed by the next without
applying any order twice, and the same operation run twice changes nothing more.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from tortoise import connections
from tortoise.expressions import F

from app.db import atomic, insert_rows, is_postgres
from app.models import (
    BulkOperation,
    BulkOperationRow,
    BulkOutcome,
    EventVisibility,
    ImportStatus,
    Order,
    OrderItem,
    OrderStatus,
    Product,
)
from app.services import jobs
from app.services.auth import Permission, Viewer, acting_as
from app.services.errors import DomainError, ErrorCode, not_found
from app.services.events import EVENT_COLUMNS, EventType, NewEvent, as_row, status_changed
from app.services.fulfilment import MAX_NOTE
from app.services.import_sets import LeaseLost, relax_commit
from app.services.leases import Lease, apply_uncut, held_while, stalled
from app.services.orders import OrderFilter, filtered_orders
from app.services.pagination import Page, PageRequest, paginate
from app.services.rules import RELEASING

BULK_JOB = "run_bulk_operation"
MAX_ORDERS = 100_000
SET_SIZE = 1000


@dataclass(frozen=True)
class BulkInput:
    status: OrderStatus
    order_ids: list[int] | None = None
    filter: OrderFilter | None = None
    note: str = ""


async def start(viewer: Viewer, data: BulkInput) -> BulkOperation:
    """Choose the orders now, queue the work, answer at once."""
    viewer.require(Permission.ORDERS_WRITE)
    if (data.order_ids is None) == (data.filter is None):
        raise DomainError(ErrorCode.INVALID_INPUT, "Give either orderIds or a filter.", ["input"])
    if len(data.note) > MAX_NOTE:
        raise DomainError(ErrorCode.INVALID_INPUT, f"At most {MAX_NOTE} characters.", ["note"])
    if data.order_ids is not None:
        wanted = list(dict.fromkeys(data.order_ids))
        if len(wanted) > MAX_ORDERS:
            raise DomainError(
                ErrorCode.LIMIT_REACHED, f"At most {MAX_ORDERS} orders at once.", ["orderIds"]
            )
        found = dict(await Order.filter(id__in=wanted).values_list("id", "number"))
        missing = [i for i in wanted if i not in found]
        if missing:
            raise not_found(f"{len(missing)} of the orders", ["orderIds"])
        chosen = [(i, found[i]) for i in wanted]
    else:
        assert data.filter is not None
        chosen = list(
            await filtered_orders(viewer, data.filter)
            .order_by("id")
            .limit(MAX_ORDERS + 1)
            .values_list("id", "number")
        )
        if len(chosen) > MAX_ORDERS:
            raise DomainError(
                ErrorCode.LIMIT_REACHED,
                f"The filter matches more than {MAX_ORDERS} orders; narrow it.",
                ["filter"],
            )
    operation = await BulkOperation.create(
        status=ImportStatus.QUEUED,
        target_status=data.status,
        note=data.note.strip(),
        total=len(chosen),
        created_by_id=viewer.user_id,
        acting_label=f"{viewer.label} (bulk)",
        acting_permissions=sorted(p.value for p in viewer.permissions),
    )
    await insert_rows(
        "bulk_operation_rows",
        ("operation_id", "order_id", "order_number", "outcome", "code", "message"),
        [(operation.id, i, n, BulkOutcome.PENDING.value, "", "") for i, n in chosen],
    )
    jobs.defer(BULK_JOB, operation.id, job_id=f"bulk-operation:{operation.id}")
    return operation


async def run(
    operation_id: int, set_size: int = SET_SIZE, lease_seconds: int = 30
) -> ImportStatus | None:
    """The worker's part; None when another worker holds the operation."""
    operation = await BulkOperation.get_or_none(id=operation_id)
    if operation is None:
        return None
    if operation.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return operation.status
    lease = Lease(BulkOperation, operation_id, uuid.uuid4().hex, timedelta(seconds=lease_seconds))
    if not await lease.claim():
        return None
    if operation.started_at is None:
        await BulkOperation.filter(id=operation_id).update(started_at=datetime.now(UTC))
    try:
        status: ImportStatus = await held_while(lease, _run(operation, set_size, lease))
        return status
    except LeaseLost:
        return None


async def _run(operation: BulkOperation, set_size: int, lease: Lease) -> ImportStatus:
    viewer = acting_as(operation)
    while True:
        rows: list[tuple[int, int]] = list(
            await BulkOperationRow.filter(operation_id=operation.id, outcome=BulkOutcome.PENDING)
            .order_by("id")
            .limit(set_size)
            .values_list("id", "order_id")
        )
        if not rows:
            break
        await apply_uncut(_apply_set(operation, rows, viewer, lease.owner))
    await BulkOperation.filter(id=operation.id).update(
        status=ImportStatus.SUCCEEDED, finished_at=datetime.now(UTC)
    )
    return ImportStatus.SUCCEEDED


@dataclass
class _Plan:
    """What a set does, worked out before anything is written."""

    outcomes: dict[int, tuple[BulkOutcome, str, str]] = field(default_factory=dict)
    moved: dict[bool, list[int]] = field(default_factory=lambda: defaultdict(list))
    stock: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    ledger: list[tuple[int, int, str, int]] = field(default_factory=list)
    events: list[tuple[int, NewEvent]] = field(default_factory=list)


@dataclass(frozen=True)
class _Order:
    id: int
    status: OrderStatus
    stock_released: bool


async def _apply_set(
    operation: BulkOperation, rows: list[tuple[int, int]], viewer: Viewer, lease: str
) -> None:
    """One set: (row id, order id) pairs, decided and written in one transaction."""
    async with atomic():
        await relax_commit()
        orders = await _lock_orders([order_id for _, order_id in rows])
        plan = await _plan(operation, rows, orders)
        await _write(operation, plan, viewer)
        await _record(operation.id, rows, plan, lease)


async def _lock_orders(order_ids: list[int]) -> dict[int, _Order]:
    """The set's orders, row-locked in id order (one array parameter on PostgreSQL)."""
    if is_postgres():
        found = await connections.get("default").execute_query_dict(
            "SELECT id, status, stock_released FROM orders WHERE id = ANY($1::int[]) "
            "ORDER BY id FOR UPDATE",
            [order_ids],
        )
        triples = [(r["id"], r["status"], r["stock_released"]) for r in found]
    else:
        triples = list(
            await Order.filter(id__in=order_ids).values_list("id", "status", "stock_released")
        )
    return {i: _Order(i, OrderStatus(s), bool(r)) for i, s, r in triples}


async def _lock_stock(product_ids: list[int]) -> dict[int, int]:
    """The products' stock, row-locked in id order until the set commits, so nothing takes
    the units between this read and the set's own update. (Tortoise drops FOR UPDATE from a
    values_list query, hence the SQL.)"""
    if not product_ids:
        return {}
    if is_postgres():
        found = await connections.get("default").execute_query_dict(
            "SELECT id, stock FROM products WHERE id = ANY($1::int[]) ORDER BY id FOR UPDATE",
            [product_ids],
        )
        return {r["id"]: r["stock"] for r in found}
    # SQLite: this process's transactions run one at a time (one connection, locked)
    return dict(await Product.filter(id__in=product_ids).values_list("id", "stock"))


async def _plan(
    operation: BulkOperation, rows: list[tuple[int, int]], orders: dict[int, _Order]
) -> _Plan:
    """setStatus for each order, decided in memory: entering CANCELLED, DECLINED or REFUNDED
    gives back the units still held, leaving them takes the units again, in order, while the
    locked stock lasts; an order whose units are not there fails alone."""
    target = operation.target_status
    plan = _Plan()
    changing = [
        orders[order_id]
        for _, order_id in rows
        if order_id in orders and orders[order_id].status != target
    ]
    moving_stock = [o.id for o in changing if (target in RELEASING) != o.stock_released]
    held: dict[int, list[tuple[int, str, int]]] = defaultdict(list)
    for order_id, product_id, sku, quantity, shipped in await OrderItem.filter(
        order_id__in=moving_stock, product_id__isnull=False
    ).values_list("order_id", "product_id", "sku", "quantity", "quantity_shipped"):
        if quantity > shipped:
            held[order_id].append((product_id, sku, quantity - shipped))
    products = {p for lines in held.values() for p, _, _ in lines}
    available = await _lock_stock(sorted(products))
    for row_id, order_id in rows:
        order = orders.get(order_id)
        if order is None:
            plan.outcomes[row_id] = (BulkOutcome.FAILED, "NOT_FOUND", "The order was deleted.")
            continue
        if order.status == target:
            plan.outcomes[row_id] = (BulkOutcome.UNCHANGED, "", f"Already {target.value}.")
            continue
        released = order.stock_released
        if target in RELEASING and not released:
            sign, released, reason = 1, True, "ORDER_RELEASED"
        elif target not in RELEASING and released:
            sign, released, reason = -1, False, "ORDER_REINSTATED"
        else:
            sign, reason = 0, ""
        lines = held.get(order.id, []) if sign else []
        short = next((sku for p, sku, q in lines if sign < 0 and available[p] < q), None)
        if short is not None:
            plan.outcomes[row_id] = (
                BulkOutcome.FAILED,
                ErrorCode.INSUFFICIENT_STOCK.value,
                f"Not enough stock of {short}.",
            )
            continue
        for product_id, _, quantity in lines:
            available[product_id] += sign * quantity
            plan.stock[product_id] += sign * quantity
            plan.ledger.append((product_id, sign * quantity, reason, order.id))
        plan.moved[released].append(order.id)
        plan.outcomes[row_id] = (BulkOutcome.SUCCEEDED, "", "")
        moved = status_changed(order.status, target, bulkOperationId=operation.id)
        plan.events.append((order.id, moved))
        if operation.note:
            note = NewEvent(
                EventType.STATUS_NOTE,
                operation.note,
                EventVisibility.STAFF,
                {"bulkOperationId": operation.id},
            )
            plan.events.append((order.id, note))
    return plan


async def _write(operation: BulkOperation, plan: _Plan, viewer: Viewer) -> None:
    """The set's changes in a few statements: orders by their new stock state, stock per
    product, the ledger and the events in one insert each."""
    now = datetime.now(UTC)
    for released, order_ids in plan.moved.items():
        await Order.filter(id__in=order_ids).update(
            status=operation.target_status,
            stock_released=released,
            status_manual=True,
            version=F("version") + 1,
            updated_at=now,
        )
    await _add_stock({p: d for p, d in plan.stock.items() if d})
    await insert_rows(
        "inventory_movements",
        ("product_id", "delta", "reason", "note", "order_id", "actor_id", "created_at"),
        [(p, d, reason, "", o, viewer.user_id, now) for p, d, reason, o in plan.ledger],
    )
    await insert_rows(
        "order_events",
        EVENT_COLUMNS,
        [as_row(order_id, viewer, event, now) for order_id, event in plan.events],
    )


async def _add_stock(deltas: dict[int, int]) -> None:
    """Stock changes of the set's products (locked by _plan): one UPDATE on PostgreSQL."""
    if not deltas:
        return
    ids = sorted(deltas)
    if is_postgres():
        await connections.get("default").execute_query(
            "UPDATE products SET stock = products.stock + v.d "
            "FROM unnest($1::int[], $2::int[]) AS v(id, d) WHERE products.id = v.id",
            [ids, [deltas[i] for i in ids]],
        )
        return
    for product_id in ids:
        await Product.filter(id=product_id).update(stock=F("stock") + deltas[product_id])


async def _record(operation_id: int, rows: list[tuple[int, int]], plan: _Plan, lease: str) -> None:
    """Outcomes and counters with the set's effects; LeaseLost (rolling all back) when the
    operation is no longer this worker's."""
    by_outcome: dict[tuple[BulkOutcome, str, str], list[int]] = defaultdict(list)
    for row_id, _ in rows:
        by_outcome[plan.outcomes[row_id]].append(row_id)
    for (outcome, code, message), ids in by_outcome.items():
        await BulkOperationRow.filter(id__in=ids).update(
            outcome=outcome, code=code, message=message
        )
    tally: dict[BulkOutcome, int] = defaultdict(int)
    for (outcome, _, _), ids in by_outcome.items():
        tally[outcome] += len(ids)
    moved = tally[BulkOutcome.SUCCEEDED] + tally[BulkOutcome.UNCHANGED]
    still_ours = await BulkOperation.filter(id=operation_id, lease=lease).update(
        heartbeat_at=datetime.now(UTC),
        processed=F("processed") + len(rows),
        succeeded=F("succeeded") + moved,
        failed=F("failed") + tally[BulkOutcome.FAILED],
    )
    if not still_ours:
        raise LeaseLost


async def stalled_operations(lease_seconds: int) -> list[tuple[int, datetime | None]]:
    return await stalled(BulkOperation, lease_seconds)


async def get_operation(viewer: Viewer, operation_id: int) -> BulkOperation | None:
    viewer.require_any(Permission.ORDERS_READ, Permission.ORDERS_WRITE)
    return await BulkOperation.get_or_none(id=operation_id)


async def list_rows(viewer: Viewer, operation_id: int, page: PageRequest) -> Page[BulkOperationRow]:
    viewer.require_any(Permission.ORDERS_READ, Permission.ORDERS_WRITE)
    return await paginate(BulkOperationRow.filter(operation_id=operation_id), page, "id")
