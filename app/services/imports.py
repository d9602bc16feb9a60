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
import uuid
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tortoise.expressions import F

from app import live
from app.db import atomic
from app.metrics import IMPORT_ROWS
from app.models import (
    ImportStatus,
    OrderStatus,
    RowOutcome,
    TrackingImport,
    TrackingImportRow,
)
from app.services import csv_files, import_sets, jobs, leases, outbox, snapshots
from app.services.auth import Permission, Viewer, acting_as
from app.services.errors import DomainError, ErrorCode, not_found
from app.services.import_sets import ImportOptions, Row, check_row, supersede
from app.services.leases import Lease, apply_uncut, held_while
from app.services.pagination import Page, PageRequest, paginate
from app.settings import Settings
from app.storage import Storage, local_file

SET_SIZE = 2000
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


def readable_size(size: int) -> str:
    """A limit as a person reads it: 10 MB, 9.8 KB or 500 bytes (1 KB = 1024 bytes)."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{round(size / scale, 1):g} {unit}"
    return f"{size} bytes"


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
            f"The file is larger than {readable_size(settings.max_upload_bytes)}.",
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
    jobs.TRACKING_IMPORT.defer(tracking_import.id)
    return tracking_import


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
            line = 1
            while True:
                line += 1
                try:
                    record = next(records)
                except StopIteration:
                    return
                except csv.Error as exc:
                    # R8: a row that can't be read fails alone; the reader goes on after it
                    yield Row(line, "", "", "", unreadable=f"This row is not readable CSV ({exc}).")
                    continue
                if any(cell.strip() for cell in record):
                    order, tracking, carrier = (
                        _cell(record, self.positions.get(c))
                        for c in ("order", "tracking", "carrier")
                    )
                    yield Row(line, order, tracking, carrier)

    def count_lines(self) -> int:
        """Non-blank lines after the header: the number of rows, unless a quoted cell spans
        lines. Fast (no CSV parsing), so progress can show a total from the start."""
        with self.path.open("rb") as handle:
            return max(0, sum(1 for line in handle if line.strip()) - 1)


def last_lines(rows: Iterator[Row]) -> dict[int, int]:
    """Per order number, the last line that validly sets its tracking number (a thread)."""
    last: dict[int, int] = {}
    for row in rows:
        check_row(row)
        if row.outcome is None and row.number is not None:
            last[row.number] = row.line
    return last


def _next_set(
    rows: Iterator[Row], after_line: int, size: int, last: dict[int, int] | None = None
) -> list[Row]:
    """The next `size` rows past `after_line`, checked (runs in a thread)."""
    batch: list[Row] = []
    for row in rows:
        if row.line <= after_line:
            continue
        check_row(row)
        if last and row.outcome is None and row.number is not None:
            final = last.get(row.number, row.line)
            if final > row.line:
                supersede(row, final)
        batch.append(row)
        if len(batch) >= size:
            break
    return batch


async def run_import(
    import_id: int,
    storage: Storage,
    set_size: int = SET_SIZE,
    lease_seconds: int = 30,
    redis: Any = None,
) -> ImportStatus | None:
    """The worker's part; safe to run again after a crash (it resumes after the last set).

    The worker holds a lease on the import and renews it while it works; every set commits
    only while the lease is still its own, so a worker taking over a stalled import (see
    `stalled_imports`) never applies a row twice. None: another worker holds it.
    """
    tracking_import = await TrackingImport.get_or_none(id=import_id)
    if tracking_import is None:
        return None
    if tracking_import.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return tracking_import.status
    lease = Lease(TrackingImport, import_id, uuid.uuid4().hex, timedelta(seconds=lease_seconds))
    if not await lease.claim():
        return None
    if tracking_import.started_at is None:
        await TrackingImport.filter(id=import_id).update(started_at=datetime.now(UTC))
    try:
        status: ImportStatus = await held_while(
            lease, _run(tracking_import, storage, set_size, lease, redis)
        )
        await live.import_progressed(redis, import_id)
        return status
    except import_sets.LeaseLost:
        return None


async def _run(
    tracking_import: TrackingImport, storage: Storage, set_size: int, lease: Lease, redis: Any
) -> ImportStatus:
    """The file is read from this host: the stored file itself, or a copy from S3."""
    async with local_file(storage, tracking_import.storage_key) as path:
        return await _run_file(tracking_import, path, set_size, lease, redis)


async def _run_file(
    tracking_import: TrackingImport, path: Path, set_size: int, lease: Lease, redis: Any
) -> ImportStatus:
    import_id = tracking_import.id
    reader = RowReader(path)
    problem = await asyncio.to_thread(reader.check)
    if problem is not None:
        await _finish(import_id, ImportStatus.FAILED, problem)
        return ImportStatus.FAILED
    # Count the lines in a thread beside the work; the total appears as soon as it is known.
    counting = asyncio.create_task(_record_total(import_id, reader))
    done = await TrackingImportRow.filter(tracking_import_id=import_id).order_by("-line").first()
    already = done.line if done else 0
    options = ImportOptions(
        create_shipments=tracking_import.create_shipments,
        set_status=OrderStatus(tracking_import.set_status) if tracking_import.set_status else None,
        overwrite=tracking_import.overwrite,
    )
    viewer = acting_as(tracking_import)
    last = await asyncio.to_thread(last_lines, reader.rows()) if options.overwrite else None
    rows = reader.rows()
    # Read and check the next set in a thread while the database works on this one.
    upcoming = asyncio.create_task(asyncio.to_thread(_next_set, rows, already, set_size, last))
    try:
        while batch := await upcoming:
            upcoming = asyncio.create_task(
                asyncio.to_thread(_next_set, rows, already, set_size, last)
            )
            await apply_uncut(
                import_sets.process_set(import_id, batch, options, viewer, lease.owner)
            )
            for outcome, applied in Counter(row.outcome for row in batch).items():
                IMPORT_ROWS.labels(outcome.value if outcome else "UNKNOWN").inc(applied)
            await live.import_progressed(redis, import_id)
    finally:
        with suppress(Exception):
            await upcoming  # the reader thread must be done before the file is closed
        rows.close()
        with suppress(Exception):
            await counting
    # exact once done: every row has its outcome
    await TrackingImport.filter(id=import_id).update(total_rows=F("processed_rows"))
    await _finish(import_id, ImportStatus.SUCCEEDED, "")
    return ImportStatus.SUCCEEDED


async def stalled_imports(lease_seconds: int) -> list[tuple[int, datetime | None]]:
    """Running imports whose worker showed no sign of life within the lease time."""
    return await leases.stalled(TrackingImport, lease_seconds)


async def _record_total(import_id: int, reader: RowReader) -> None:
    total = await asyncio.to_thread(reader.count_lines)
    await TrackingImport.filter(id=import_id).update(total_rows=total)


def _cell(record: list[str], position: int | None) -> str:
    return record[position].strip() if position is not None and position < len(record) else ""


async def _finish(import_id: int, status: ImportStatus, error: str) -> None:
    """The import's outcome and its import.finished event, together and once."""
    async with atomic():
        finished = (
            await TrackingImport.filter(id=import_id)
            .exclude(status__in=(ImportStatus.SUCCEEDED, ImportStatus.FAILED))
            .update(status=status, error=error, finished_at=datetime.now(UTC))
        )
        if finished:
            row = await TrackingImport.get(id=import_id)
            await outbox.add("import.finished", snapshots.tracking_import(row))


def _require_reader(viewer: Viewer) -> None:
    viewer.require_any(Permission.IMPORTS_WRITE, Permission.ORDERS_READ)


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
