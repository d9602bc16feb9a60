"""One set of import rows: checked, applied together and recorded with their outcomes.

Plain tracking rows are applied as a set (one locking read, one UPDATE, COPY of events and
outcomes); rows that also ship or change status go through the services, each in a savepoint.
Either way a set's effects and its outcomes commit together, so a re-run resumes cleanly.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise import connections
from tortoise.expressions import F

from app.carriers import InvalidTrackingNumber, resolve
from app.db import MAX_ID, atomic, insert_rows, is_postgres
from app.models import Order, OrderStatus, RowOutcome, TrackingImport
from app.services import tracking_plan
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode
from app.services.fulfilment import set_status
from app.services.lifecycle import ships_from
from app.services.orders import lock_order
from app.services.shipments import ShipInput, ship_order


@dataclass(frozen=True)
class ImportOptions:
    create_shipments: bool = False
    set_status: OrderStatus | None = None
    overwrite: bool = False


@dataclass
class Row:
    line: int
    order_raw: str
    tracking_raw: str
    carrier_raw: str
    number: int | None = None
    tracking: str = ""
    carrier: str | None = None
    # why the CSV reader could not read the row, if it could not
    unreadable: str = ""
    # with overwrite: a later line of the file that sets the same order's number
    superseded_by: int | None = None
    outcome: RowOutcome | None = None
    code: str | None = None
    message: str = ""

    def fail(self, code: ErrorCode | str, message: str) -> None:
        self.outcome, self.code, self.message = RowOutcome.FAILED, str(code), message[:500]


def check_row(row: Row) -> None:
    if row.unreadable:
        row.fail(ErrorCode.INVALID_INPUT, row.unreadable)
        return
    digits = row.order_raw.lstrip("#").strip()
    if not digits:
        row.fail(ErrorCode.INVALID_INPUT, "The order number is missing.")
        return
    if not digits.isascii() or not digits.isdigit() or not 0 < int(digits) <= MAX_ID:
        row.fail(ErrorCode.INVALID_INPUT, f"{row.order_raw[:40]!r} is not an order number.")
        return
    row.number = int(digits)
    if not row.tracking_raw:
        row.fail(ErrorCode.INVALID_TRACKING_NUMBER, "The tracking number is missing.")
        return
    try:
        tracking = resolve(row.tracking_raw, row.carrier_raw or None)
    except InvalidTrackingNumber as exc:
        row.fail(ErrorCode.INVALID_TRACKING_NUMBER, str(exc))
        return
    row.tracking, row.carrier = tracking.number, tracking.carrier
    if row.superseded_by is not None:
        supersede(row, row.superseded_by)


def supersede(row: Row, line: int) -> None:
    """With overwrite, the file's last line for an order decides it, so that a second run of
    the same file changes nothing; earlier lines for that order are skipped."""
    row.superseded_by = line
    row.outcome, row.code = RowOutcome.SKIPPED, "SUPERSEDED"
    row.message = f"Line {line} sets this order's tracking number."


class LeaseLost(Exception):
    """Another worker took the import over: this one stops without committing more."""


async def process_set(
    import_id: int, rows: list[Row], options: ImportOptions, viewer: Viewer, lease: str
) -> None:
    """Apply one set of checked rows and record their outcomes, all in one transaction,
    which commits only while `lease` still holds the import."""
    one_by_one = options.create_shipments or options.set_status is not None
    apply = _apply_one_by_one if one_by_one else _apply_as_set
    try:
        async with atomic():
            await relax_commit()
            await apply(rows, options, viewer)
            await _record(import_id, rows, lease)
    except LeaseLost:
        raise
    except Exception:
        # Something unexpected in the set: isolate it, each row in its own transaction.
        for original in rows:
            row = Row(
                original.line,
                original.order_raw,
                original.tracking_raw,
                original.carrier_raw,
                unreadable=original.unreadable,
                superseded_by=original.superseded_by,
            )
            check_row(row)
            try:
                async with atomic():
                    await apply([row], options, viewer)
                    await _record(import_id, [row], lease)
            except LeaseLost:
                raise
            except Exception as exc:  # a row that still fails is recorded as failed
                row.fail("INTERNAL_ERROR", f"This row could not be applied ({type(exc).__name__}).")
                async with atomic():
                    await _record(import_id, [row], lease)


async def relax_commit() -> None:
    """Each set's effects and outcomes commit together, and a re-run resumes after the last
    committed set; so a set need not wait for its WAL flush (PostgreSQL only)."""
    if is_postgres():
        await connections.get("default").execute_script("SET LOCAL synchronous_commit TO OFF")


def _decide(row: Row, decision: tracking_plan.Decision, current: str, viewer: Viewer) -> None:
    """A row's outcome from the tracking planner's decision."""
    if decision is tracking_plan.Decision.SAME:
        row.outcome = RowOutcome.UNCHANGED
    elif decision is tracking_plan.Decision.KEPT:
        row.outcome, row.code = RowOutcome.SKIPPED, "TRACKING_EXISTS"
        # a message never shows what the importer's permissions would not
        shown = f" {current}" if viewer.can(Permission.ORDERS_READ) else ""
        row.message = f"The order has a tracking number{shown}; overwrite is off."
    else:
        row.outcome = RowOutcome.UPDATED


def _ask(order_id: int, row: Row) -> tracking_plan.Ask:
    return tracking_plan.Ask(order_id, row.tracking, row.carrier or "", {"importLine": row.line})


def _refusal(viewer: Viewer, exc: DomainError) -> str:
    """A service's refusal, as the importer may see it: services describe the order
    (its status, its items), which an importer without ORDERS_READ may not read."""
    if viewer.can(Permission.ORDERS_READ):
        return exc.issues[0].message
    return f"The order refused this change ({exc.code.value})."


async def _apply_as_set(rows: list[Row], options: ImportOptions, viewer: Viewer) -> None:
    """addTracking for a whole set, by the same planner: one locking read, one UPDATE, one
    INSERT of events."""
    numbers = sorted({row.number for row in rows if row.outcome is None and row.number is not None})
    found = await _lock_orders_by_number(numbers)
    asked: list[Row] = []
    for row in rows:
        if row.outcome is None and (row.number is None or row.number not in found):
            row.fail(ErrorCode.NOT_FOUND, f"Order {row.number} not found.")
        elif row.outcome is None:
            asked.append(row)
    current = {order_id: (number, carrier) for order_id, number, carrier in found.values()}
    asks = [_ask(found[row.number][0], row) for row in asked if row.number is not None]
    plan = tracking_plan.plan(viewer, current, asks, overwrite=options.overwrite, importing=True)
    for row, (decision, was) in zip(asked, plan.decisions, strict=True):
        _decide(row, decision, was, viewer)
    await tracking_plan.write(viewer, plan)


async def _lock_orders_by_number(numbers: list[int]) -> dict[int, tuple[int, str, str]]:
    """number -> (id, tracking number, carrier) for the set's orders, row-locked in id
    order."""
    if not numbers:
        return {}
    if is_postgres():
        # one array parameter: far cheaper to plan than an IN list of thousands
        rows = await connections.get("default").execute_query_dict(
            "SELECT id, number, tracking_number, carrier FROM orders "
            "WHERE number = ANY($1::int[]) ORDER BY id FOR UPDATE",
            [numbers],
        )
        return {r["number"]: (r["id"], r["tracking_number"], r["carrier"]) for r in rows}
    return {
        number: (order_id, tracking, carrier)
        for order_id, number, tracking, carrier in await Order.filter(
            number__in=numbers
        ).values_list("id", "number", "tracking_number", "carrier")
    }


async def _apply_one_by_one(rows: list[Row], options: ImportOptions, viewer: Viewer) -> None:
    """Rows that also ship or change status go through the services, each in a savepoint."""
    for row in rows:
        if row.outcome is not None:
            continue
        assert row.number is not None
        order = await Order.get_or_none(number=row.number)
        if order is None:
            row.fail(ErrorCode.NOT_FOUND, f"Order {row.number} not found.")
            continue
        try:
            async with atomic():
                await _apply_row(order, row, options, viewer)
        except DomainError as exc:
            row.fail(exc.code, _refusal(viewer, exc))


async def _apply_row(order: Order, row: Row, options: ImportOptions, viewer: Viewer) -> None:
    order = await lock_order(order.id)
    current = {order.id: (order.tracking_number, order.carrier)}
    plan = tracking_plan.plan(
        viewer, current, [_ask(order.id, row)], overwrite=options.overwrite, importing=True
    )
    [(decision, was)] = plan.decisions
    _decide(row, decision, was, viewer)
    if row.outcome is RowOutcome.SKIPPED:
        return
    if options.create_shipments and not ships_from(order.status):
        raise DomainError(
            ErrorCode.ORDER_NOT_SHIPPABLE, f"A {order.status.value} order cannot be shipped."
        )
    await tracking_plan.write(viewer, plan)
    if options.create_shipments:
        try:
            await ship_order(
                viewer, order.id, ShipInput(tracking_number=row.tracking, carrier=row.carrier)
            )
            row.outcome = RowOutcome.SHIPPED
        except DomainError as exc:
            if exc.code is not ErrorCode.NOTHING_TO_SHIP:
                raise
    if options.set_status is not None and row.outcome is not RowOutcome.UNCHANGED:
        await set_status(viewer, order.id, options.set_status)


ROW_COLUMNS = (
    "tracking_import_id",
    "line",
    "order_number",
    "tracking_number",
    "carrier",
    "outcome",
    "code",
    "message",
)


async def _record(import_id: int, rows: list[Row], lease: str) -> None:
    """The rows' outcomes and the running counters, in the same transaction as their effects;
    LeaseLost (rolling it all back) when the import is no longer this worker's."""
    await insert_rows(
        "tracking_import_rows",
        ROW_COLUMNS,
        [
            (
                import_id,
                row.line,
                row.order_raw[:100],
                row.tracking_raw[:100],
                row.carrier_raw[:100],
                row.outcome,
                row.code,
                row.message,
            )
            for row in rows
        ],
    )
    tally = Counter(row.outcome for row in rows)
    still_ours = await TrackingImport.filter(id=import_id, lease=lease).update(
        heartbeat_at=datetime.now(UTC),
        processed_rows=F("processed_rows") + len(rows),
        updated=F("updated") + tally[RowOutcome.UPDATED],
        shipped=F("shipped") + tally[RowOutcome.SHIPPED],
        unchanged=F("unchanged") + tally[RowOutcome.UNCHANGED],
        skipped=F("skipped") + tally[RowOutcome.SKIPPED],
        failed=F("failed") + tally[RowOutcome.FAILED],
    )
    if not still_ours:
        raise LeaseLost(f"Import {import_id} was taken over by another worker.")
