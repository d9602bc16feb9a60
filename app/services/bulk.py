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
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import F

from app.db import atomic, insert_rows
from app.models import (
    BulkOperation,
    BulkOperationRow,
    BulkOutcome,
    ImportStatus,
    Order,
    OrderStatus,
)
from app.services import jobs, status_plan
from app.services.auth import Permission, Viewer, acting_as
from app.services.errors import DomainError, ErrorCode, not_found
from app.services.fulfilment import check_note
from app.services.import_sets import LeaseLost, relax_commit
from app.services.leases import Lease, apply_uncut, held_while, stalled
from app.services.orders import OrderFilter, filtered_orders
from app.services.pagination import Page, PageRequest, paginate
from app.services.status_plan import Move, OrderState

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
    check_note(data.note)
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
    jobs.BULK_OPERATION.defer(operation.id)
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


Outcome = tuple[BulkOutcome, str, str]


async def _apply_set(
    operation: BulkOperation, rows: list[tuple[int, int]], viewer: Viewer, lease: str
) -> None:
    """One set: (row id, order id) pairs, decided by the status planner (setStatus's, for
    many orders) and written in one transaction."""
    async with atomic():
        await relax_commit()
        orders = await status_plan.lock_states([order_id for _, order_id in rows])
        outcomes, moves = _moves(operation, rows, orders)
        plan = await status_plan.plan(moves)
        await status_plan.write(plan, viewer)
        for row_id, order_id in rows:
            refusal = plan.refused.get(order_id) if row_id not in outcomes else None
            if refusal is not None:
                outcomes[row_id] = (BulkOutcome.FAILED, refusal.code.value, _message(refusal))
            outcomes.setdefault(row_id, (BulkOutcome.SUCCEEDED, "", ""))
        await _record(operation.id, rows, outcomes, lease)


def _message(refusal: DomainError) -> str:
    return refusal.issues[0].message if refusal.issues else refusal.code.value


def _moves(
    operation: BulkOperation, rows: list[tuple[int, int]], orders: dict[int, OrderState]
) -> tuple[dict[int, Outcome], list[Move]]:
    """Each row's move, or its outcome when there is none to make: the order was deleted,
    or has the status already."""
    target = operation.target_status
    outcomes: dict[int, Outcome] = {}
    moves: list[Move] = []
    data = {"bulkOperationId": operation.id}
    for row_id, order_id in rows:
        order = orders.get(order_id)
        if order is None:
            outcomes[row_id] = (BulkOutcome.FAILED, "NOT_FOUND", "The order was deleted.")
        elif order.status is target:
            outcomes[row_id] = (BulkOutcome.UNCHANGED, "", f"Already {target.value}.")
        else:
            moves.append(Move(order, target, by_staff=True, note=operation.note, data=data))
    return outcomes, moves


async def _record(
    operation_id: int, rows: list[tuple[int, int]], outcomes: dict[int, Outcome], lease: str
) -> None:
    """Outcomes and counters with the set's effects; LeaseLost (rolling all back) when the
    operation is no longer this worker's."""
    by_outcome: dict[tuple[BulkOutcome, str, str], list[int]] = defaultdict(list)
    for row_id, _ in rows:
        by_outcome[outcomes[row_id]].append(row_id)
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
