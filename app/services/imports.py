"""Bulk tracking-number import: each row has the effect of addTracking (and of shipOrder and
setStatus when asked), worked through in sets of rows.

R8: a bad row never stops or undoes the good ones, every row gets an outcome, the same file
twice changes nothing the second time, and a job killed halfway resumes after the last
committed set without applying any row twice.
"""

from __future__ import annotations

import asyncio
import csv
import os
from collections.abc import Generator, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from tortoise import connections
from tortoise.expressions import F

from app.carriers import InvalidTrackingNumber, resolve
from app.db import atomic, insert_rows, is_postgres
from app.models import (
    ImportStatus,
    Order,
    OrderStatus,
    RowOutcome,
    TrackingImport,
    TrackingImportRow,
    UserKind,
)
from app.services import csv_files, jobs
from app.services.auth import Permission, Viewer
from app.services.errors import DomainError, ErrorCode, not_found
from app.services.events import actor_kind
from app.services.fulfilment import add_tracking, set_status
from app.services.pagination import Page, PageRequest, paginate
from app.services.shipments import NOT_SHIPPABLE, ShipInput, ship_order
from app.settings import Settings
from app.storage import Storage

IMPORT_JOB = "run_tracking_import"
CHUNK = 2000
COLUMNS = {
    "order": {
        "order",
        "orderid",
        "ordernumber",
        "orderno",
        "ordernum",
        "order#",
        "ordernr",
        "orderreference",
        "orderref",
        "reference",
    },
    "tracking": {
        "tracking",
        "trackingnumber",
        "trackingno",
        "trackingid",
        "trackingcode",
        "trackingnr",
        "trackno",
        "tracknumber",
        "awb",
        "waybill",
        "consignmentnumber",
    },
    "carrier": {
        "carrier",
        "shippingprovider",
        "provider",
        "shippingcarrier",
        "courier",
        "shippingcompany",
        "shipper",
        "carriername",
        "service",
    },
}


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
    outcome: RowOutcome | None = None
    code: str | None = None
    message: str = ""

    def fail(self, code: ErrorCode | str, message: str) -> None:
        self.outcome, self.code, self.message = RowOutcome.FAILED, str(code), message[:500]


@dataclass
class Tally:
    counts: dict[RowOutcome, int] = field(default_factory=lambda: dict.fromkeys(RowOutcome, 0))

    def add(self, rows: list[Row]) -> None:
        for row in rows:
            assert row.outcome is not None
            self.counts[row.outcome] += 1


async def start_import(
    viewer: Viewer,
    filename: str,
    data: bytes,
    options: ImportOptions,
    settings: Settings,
    storage: Storage,
) -> TrackingImport:
    """Store the upload and queue the work; the import is returned at once."""
    viewer.require(Permission.IMPORTS_WRITE)
    if options.create_shipments:
        viewer.require(Permission.SHIPMENTS_WRITE)
    if options.set_status is not None:
        viewer.require(Permission.ORDERS_WRITE)
    if len(data) > settings.max_upload_bytes:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"The file is larger than {settings.max_upload_bytes // (1024 * 1024)} MB.",
            ["file"],
        )
    if not data.strip():
        raise DomainError(ErrorCode.INVALID_INPUT, "The file is empty.", ["file"])
    name = os.path.basename(filename.replace("\\", "/"))[:255] or "upload.csv"
    tracking_import = await TrackingImport.create(
        status=ImportStatus.QUEUED,
        filename=name,
        storage_key="",
        size_bytes=len(data),
        create_shipments=options.create_shipments,
        set_status=options.set_status.value if options.set_status else None,
        overwrite=options.overwrite,
        created_by_id=viewer.user_id,
        acting_label=f"{viewer.label} (import)",
        acting_permissions=sorted(p.value for p in viewer.permissions),
    )
    key = f"imports/{tracking_import.id}.csv"
    await asyncio.to_thread(storage.save, key, data)
    await TrackingImport.filter(id=tracking_import.id).update(storage_key=key)
    tracking_import.storage_key = key
    jobs.defer(IMPORT_JOB, tracking_import.id, job_id=f"tracking-import:{tracking_import.id}")
    return tracking_import


def _acting_viewer(tracking_import: TrackingImport) -> Viewer:
    return Viewer(
        user_id=tracking_import.created_by_id,
        kind=UserKind.STAFF,
        email=tracking_import.acting_label,
        permissions=frozenset(Permission(p) for p in tracking_import.acting_permissions),
    )


class RowReader:
    """The stored CSV, read a set of rows at a time: memory stays bounded by the set size."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.encoding = "utf-8-sig"
        self.delimiter = ","
        self.positions: dict[str, int] = {}

    def check(self) -> str | None:
        """Find encoding, delimiter and columns; the reason the file can't be read, or None."""
        self.encoding = csv_files.detect_encoding(self.path)
        with csv_files.open_text(self.path, self.encoding) as text:
            first = text.readline()
        self.delimiter = csv_files.sniff_delimiter(first)
        try:
            header = next(csv_files.records([first], self.delimiter), [])
        except csv.Error as exc:
            return f"The file is not a readable CSV file ({exc}); export it as CSV."
        keys = [csv_files.header_key(h) for h in header]
        for column, names in COLUMNS.items():
            for index, key in enumerate(keys):
                if key in names and column not in self.positions:
                    self.positions[column] = index
        if "order" not in self.positions or "tracking" not in self.positions:
            return (
                "No header with an order number column and a tracking number column was found "
                "(for example 'Order Number' and 'Tracking Number')."
            )
        return None

    def rows(self) -> Generator[Row, None, None]:
        """Data rows in file order (blank lines are not rows); `line` counts the header as 1."""
        with csv_files.open_text(self.path, self.encoding) as text:
            records = csv_files.records(text, self.delimiter)
            next(records, None)
            for index, record in enumerate(records):
                if any(cell.strip() for cell in record):
                    order, tracking, carrier = (
                        _cell(record, self.positions.get(c))
                        for c in ("order", "tracking", "carrier")
                    )
                    yield Row(index + 2, order, tracking, carrier)

    def count(self) -> int:
        return sum(1 for _ in self.rows())


def _next_set(rows: Iterator[Row], after_line: int) -> list[Row]:
    """The next CHUNK rows past `after_line`, checked (runs in a thread)."""
    batch: list[Row] = []
    for row in rows:
        if row.line <= after_line:
            continue
        _validate(row)
        batch.append(row)
        if len(batch) >= CHUNK:
            break
    return batch


async def run_import(import_id: int, storage: Storage) -> ImportStatus | None:
    """The worker's part; safe to run again after a crash (it resumes after the last set)."""
    tracking_import = await TrackingImport.get_or_none(id=import_id)
    if tracking_import is None:
        return None
    if tracking_import.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return tracking_import.status
    await TrackingImport.filter(id=import_id).update(
        status=ImportStatus.RUNNING, started_at=tracking_import.started_at or datetime.now(UTC)
    )
    reader = RowReader(storage.path(tracking_import.storage_key))
    problem = await asyncio.to_thread(reader.check)
    if problem is not None:
        await _finish(import_id, ImportStatus.FAILED, problem)
        return ImportStatus.FAILED
    total = await asyncio.to_thread(reader.count)
    await TrackingImport.filter(id=import_id).update(total_rows=total)
    done = await TrackingImportRow.filter(tracking_import_id=import_id).order_by("-line").first()
    already = done.line if done else 0
    options = ImportOptions(
        create_shipments=tracking_import.create_shipments,
        set_status=OrderStatus(tracking_import.set_status) if tracking_import.set_status else None,
        overwrite=tracking_import.overwrite,
    )
    viewer = _acting_viewer(tracking_import)
    rows = reader.rows()
    # Read and check the next set in a thread while the database works on this one.
    upcoming = asyncio.create_task(asyncio.to_thread(_next_set, rows, already))
    try:
        while batch := await upcoming:
            upcoming = asyncio.create_task(asyncio.to_thread(_next_set, rows, already))
            await _process_chunk(import_id, batch, options, viewer)
    except csv.Error as exc:
        await _finish(import_id, ImportStatus.FAILED, f"The file stops being readable CSV: {exc}.")
        return ImportStatus.FAILED
    finally:
        with suppress(Exception):
            await upcoming  # the reader thread must be done before the file is closed
        rows.close()
    await _finish(import_id, ImportStatus.SUCCEEDED, "")
    return ImportStatus.SUCCEEDED


def _cell(record: list[str], position: int | None) -> str:
    return record[position].strip() if position is not None and position < len(record) else ""


async def _finish(import_id: int, status: ImportStatus, error: str) -> None:
    await TrackingImport.filter(id=import_id).update(
        status=status, error=error, finished_at=datetime.now(UTC)
    )


def _validate(row: Row) -> None:
    digits = row.order_raw.lstrip("#").strip()
    if not digits:
        row.fail(ErrorCode.INVALID_INPUT, "The order number is missing.")
        return
    if not digits.isdigit() or len(digits) > 12:
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


async def _process_chunk(
    import_id: int, rows: list[Row], options: ImportOptions, viewer: Viewer
) -> None:
    """Apply one set of checked rows and record their outcomes, all in one transaction."""
    one_by_one = options.create_shipments or options.set_status is not None
    apply = _apply_one_by_one if one_by_one else _apply_as_set
    try:
        async with atomic():
            await _relax_commit()
            await apply(rows, options, viewer)
            await _record(import_id, rows)
    except Exception:
        # Something unexpected in the set: isolate it, each row in its own transaction.
        for original in rows:
            row = Row(
                original.line, original.order_raw, original.tracking_raw, original.carrier_raw
            )
            _validate(row)
            try:
                async with atomic():
                    await apply([row], options, viewer)
                    await _record(import_id, [row])
            except Exception as exc:  # a row that still fails is recorded as failed
                row.fail("INTERNAL_ERROR", f"This row could not be applied ({type(exc).__name__}).")
                async with atomic():
                    await _record(import_id, [row])


async def _relax_commit() -> None:
    """Each set's effects and outcomes commit together, and a re-run resumes after the last
    committed set; so a set need not wait for its WAL flush (PostgreSQL only)."""
    if is_postgres():
        await connections.get("default").execute_script("SET LOCAL synchronous_commit TO OFF")


def _decide(row: Row, current: str, overwrite: bool) -> RowOutcome:
    if current == row.tracking:
        return RowOutcome.UNCHANGED
    if current and not overwrite:
        row.code = "TRACKING_EXISTS"
        row.message = f"The order has tracking number {current}; overwrite is off."
        return RowOutcome.SKIPPED
    return RowOutcome.UPDATED


async def _apply_as_set(rows: list[Row], options: ImportOptions, viewer: Viewer) -> None:
    """addTracking for a whole set: one locking read, one UPDATE, one INSERT of events."""
    numbers = sorted({row.number for row in rows if row.outcome is None and row.number is not None})
    found = await _lock_orders_by_number(numbers)
    final: dict[int, tuple[str, str]] = {}
    events: list[tuple[Any, ...]] = []
    now = datetime.now(UTC)
    for row in rows:
        if row.outcome is not None:
            continue
        order = found.get(row.number) if row.number is not None else None
        if order is None:
            row.fail(ErrorCode.NOT_FOUND, f"Order {row.number} not found.")
            continue
        order_id, tracking = order
        current = final[order_id][0] if order_id in final else tracking
        row.outcome = _decide(row, current, options.overwrite)
        if row.outcome is RowOutcome.UPDATED:
            final[order_id] = (row.tracking, row.carrier or "")
            events.append(_tracking_event(order_id, row, viewer, now))
    if final:
        await _update_tracking(final)
        await insert_rows("order_events", EVENT_COLUMNS, events)


EVENT_COLUMNS = (
    "order_id",
    "type",
    "visibility",
    "actor_id",
    "actor_kind",
    "actor",
    "message",
    "data",
    "created_at",
)


def _tracking_event(order_id: int, row: Row, viewer: Viewer, now: datetime) -> tuple[Any, ...]:
    message = (
        f"Tracking number {row.tracking}" + (f" ({row.carrier})" if row.carrier else "") + " added."
    )
    data = {"trackingNumber": row.tracking, "carrier": row.carrier, "importLine": row.line}
    return (
        order_id,
        "TRACKING_NUMBER_SET",
        "PUBLIC",
        viewer.user_id,
        actor_kind(viewer),
        viewer.label,
        message,
        orjson.dumps(data).decode(),
        now,
    )


async def _lock_orders_by_number(numbers: list[int]) -> dict[int, tuple[int, str]]:
    """number -> (id, tracking number) for the set's orders, row-locked in id order."""
    if not numbers:
        return {}
    if is_postgres():
        # one array parameter: far cheaper to plan than an IN list of thousands
        rows = await connections.get("default").execute_query_dict(
            "SELECT id, number, tracking_number FROM orders WHERE number = ANY($1::int[]) "
            "ORDER BY id FOR UPDATE",
            [numbers],
        )
        return {r["number"]: (r["id"], r["tracking_number"]) for r in rows}
    return {
        number: (order_id, tracking)
        for order_id, number, tracking in await Order.filter(number__in=numbers).values_list(
            "id", "number", "tracking_number"
        )
    }


async def _update_tracking(final: dict[int, tuple[str, str]]) -> None:
    """One UPDATE for every order the set changes: arrays unnested on PostgreSQL, a VALUES
    list on SQLite (3.33+ for UPDATE ... FROM)."""
    conn = connections.get("default")
    now = datetime.now(UTC)
    ids = list(final)
    numbers = [final[i][0] for i in ids]
    carriers = [final[i][1] for i in ids]
    assignments = (
        "tracking_number = v.t, carrier = v.c, version = version + 1, updated_at = {stamp}"
    )
    if is_postgres():
        await conn.execute_query(
            "UPDATE orders SET "  # noqa: S608 - placeholders only
            + assignments.format(stamp="$4")
            + " FROM unnest($1::int[], $2::text[], $3::text[]) AS v(id, t, c)"
            " WHERE orders.id = v.id",
            [ids, numbers, carriers, now],
        )
        return
    values = ", ".join(["(?, ?, ?)"] * len(ids))
    params: list[Any] = [x for triple in zip(ids, numbers, carriers, strict=True) for x in triple]
    await conn.execute_query(
        f"WITH v(id, t, c) AS (VALUES {values}) UPDATE orders SET "  # noqa: S608
        + assignments.format(stamp="?")
        + " FROM v WHERE orders.id = v.id",
        [*params, now.isoformat(sep=" ")],
    )


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
            row.fail(exc.code, exc.issues[0].message)


async def _apply_row(order: Order, row: Row, options: ImportOptions, viewer: Viewer) -> None:
    row.outcome = _decide(row, order.tracking_number, options.overwrite)
    if row.outcome is RowOutcome.SKIPPED:
        return
    if options.create_shipments and order.status in NOT_SHIPPABLE:
        raise DomainError(
            ErrorCode.ORDER_NOT_SHIPPABLE, f"A {order.status.value} order cannot be shipped."
        )
    if row.outcome is RowOutcome.UPDATED:
        await add_tracking(viewer, order.id, row.tracking, row.carrier)
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


async def _record(import_id: int, rows: list[Row]) -> None:
    """The rows' outcomes and the running counters, in the same transaction as their effects."""
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
    tally = Tally()
    tally.add(rows)
    await TrackingImport.filter(id=import_id).update(
        processed_rows=F("processed_rows") + len(rows),
        updated=F("updated") + tally.counts[RowOutcome.UPDATED],
        shipped=F("shipped") + tally.counts[RowOutcome.SHIPPED],
        unchanged=F("unchanged") + tally.counts[RowOutcome.UNCHANGED],
        skipped=F("skipped") + tally.counts[RowOutcome.SKIPPED],
        failed=F("failed") + tally.counts[RowOutcome.FAILED],
    )


def _require_reader(viewer: Viewer) -> None:
    viewer.require_user()
    if not (viewer.can(Permission.IMPORTS_WRITE) or viewer.can(Permission.ORDERS_READ)):
        viewer.require(Permission.IMPORTS_WRITE)


async def get_import(viewer: Viewer, import_id: int) -> TrackingImport | None:
    _require_reader(viewer)
    return await TrackingImport.get_or_none(id=import_id)


async def list_imports(viewer: Viewer, page: PageRequest) -> Page[TrackingImport]:
    _require_reader(viewer)
    return await paginate(TrackingImport.all(), page, "created_at", descending=True)


async def list_rows(
    viewer: Viewer, import_id: int, page: PageRequest, outcome: RowOutcome | None
) -> Page[TrackingImportRow]:
    _require_reader(viewer)
    qs = TrackingImportRow.filter(tracking_import_id=import_id)
    if outcome is not None:
        qs = qs.filter(outcome=outcome)
    return await paginate(qs, page, "id")


async def result_csv(viewer: Viewer, import_id: int) -> tuple[TrackingImport, str]:
    """Every row with its outcome, with spreadsheet formulas neutralised."""
    tracking_import = await get_import(viewer, import_id)
    if tracking_import is None:
        raise not_found("Import")
    rows = (
        await TrackingImportRow.filter(tracking_import_id=import_id)
        .order_by("line")
        .values_list(
            "line", "order_number", "tracking_number", "carrier", "outcome", "code", "message"
        )
    )
    header = ["line", "order_number", "tracking_number", "carrier", "outcome", "code", "message"]
    return tracking_import, await asyncio.to_thread(csv_files.write_csv, header, rows)
