"""Order exports: the orders a filter matches, as a CSV written by a worker.

The worker reads the orders in keyset sets by id and writes each set as it comes, so memory
stays flat whatever the number of orders. Cells are made safe for spreadsheets (a leading
= + - @ is neutralised) and staff notes are never exported.
"""

from __future__ import annotations

import asyncio
import csv
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, TextIO, cast

from tortoise import connections

from app import read_model
from app.db import is_postgres
from app.models import Export, ExportGranularity, ImportStatus, Order, OrderItem
from app.models.orders import OrderStatus, PaymentStatus
from app.read_model import address_part
from app.services import jobs
from app.services.auth import Permission, Viewer, acting_as
from app.services.csv_files import safe_cell
from app.services.errors import DomainError, ErrorCode, not_found
from app.services.leases import Lease, held_while, stalled
from app.services.orders import OrderFilter, filtered_orders
from app.storage import Storage, scratch_file

SET_SIZE = 5000

# The columns, in order (documented in docs/back-office.md, "Exports"). An order's and its
# payment's are read-model fields (app/read_model.py), picked as webhooks pick theirs, so a
# staff-only field cannot be exported (R1); the addresses' are their parts.
_HEAD = (("order_number", "number"), ("created_at", "createdAt"), ("status", "status"))
_EMAIL = (("email", "email"),)
_AMOUNTS = (
    ("shipping_method", "shippingMethod"),
    ("currency", "currency"),
    ("subtotal", "subtotal"),
    ("shipping_cost", "shippingCost"),
    ("tax_total", "taxTotal"),
    ("total", "total"),
)
_PAID = (
    ("payment_status", "status"),
    ("amount_paid", "amountPaid"),
    ("amount_refunded", "amountRefunded"),
)
_TRACKING = (("tracking_number", "trackingNumber"), ("carrier", "carrier"))
_ITEM = (
    ("sku", "sku"),
    ("name", "name"),
    ("quantity", "quantity"),
    ("unit_price", "unitPrice"),
    ("line_total", "total"),
    ("quantity_shipped", "quantityShipped"),
    ("quantity_returned", "quantityReturned"),
)
HEAD = read_model.ORDER.pick(*(name for _, name in _HEAD + _EMAIL))
AMOUNTS = read_model.ORDER.pick(*(name for _, name in _AMOUNTS))
PAID = read_model.PAYMENT.pick(*(name for _, name in _PAID))
TRACKING = read_model.ORDER.pick(*(name for _, name in _TRACKING))
_CURRENCY = (("currency", "currency"),)
ITEM_HEAD = read_model.ORDER.pick(*(name for _, name in _HEAD + _EMAIL + _CURRENCY))
ITEM = read_model.ORDER_ITEM.pick(*(name for _, name in _ITEM))
# The shipping address, a column per part (the name in one), after the billing columns.
SHIPPING_PARTS = (
    "company",
    "street1",
    "street2",
    "city",
    "state",
    "postal_code",
    "country",
    "phone",
)
SHIPPING_COLUMNS = ("shipping_name", *(f"shipping_{part}" for part in SHIPPING_PARTS))
ORDER_COLUMNS = (
    *(column for column, _ in _HEAD + _EMAIL),
    "billing_name",
    "billing_company",
    "billing_country",
    *SHIPPING_COLUMNS,
    *(column for column, _ in _AMOUNTS + _PAID + _TRACKING),
)
ITEM_COLUMNS = (*(column for column, _ in _HEAD + _EMAIL + _CURRENCY + _ITEM),)
# what the rows are read with: the picked fields' columns and the addresses
ORDER_FIELDS = tuple(
    dict.fromkeys(
        [
            "id",
            *(c for p in (HEAD, AMOUNTS, PAID, TRACKING) for _, f in p.fields for c in f.columns),
            "billing_address",
            "shipping_address",
        ]
    )
)
ITEM_FIELDS = tuple(dict.fromkeys(c for _, f in ITEM.fields for c in f.columns))


def _filter_json(chosen: OrderFilter) -> dict[str, Any]:
    return {
        "statuses": [s.value for s in chosen.statuses] if chosen.statuses else None,
        "is_open": chosen.is_open,
        "created_after": chosen.created_after.isoformat() if chosen.created_after else None,
        "created_before": chosen.created_before.isoformat() if chosen.created_before else None,
        "email": chosen.email,
        "search": chosen.search,
        "payment_statuses": (
            [s.value for s in chosen.payment_statuses] if chosen.payment_statuses else None
        ),
        "sku": chosen.sku,
        "shipping_country": chosen.shipping_country,
    }


def _filter_from(data: dict[str, Any]) -> OrderFilter:
    def when(value: str | None) -> datetime | None:
        return datetime.fromisoformat(value) if value else None

    return OrderFilter(
        statuses=[OrderStatus(s) for s in data["statuses"]] if data.get("statuses") else None,
        is_open=data.get("is_open"),
        created_after=when(data.get("created_after")),
        created_before=when(data.get("created_before")),
        email=data.get("email"),
        search=data.get("search"),
        payment_statuses=(
            [PaymentStatus(s) for s in data["payment_statuses"]]
            if data.get("payment_statuses")
            else None
        ),
        sku=data.get("sku"),
        shipping_country=data.get("shipping_country"),
    )


async def start(
    viewer: Viewer,
    chosen: OrderFilter,
    granularity: ExportGranularity,
    byte_order_mark: bool = False,
) -> Export:
    """Queue an export of what the filter matches (as the worker finds it); answer at once.
    With `byte_order_mark` the file starts with one, which Excel on Windows needs to read
    UTF-8 (without it, "José Núñez" shows as "JosÃ© NÃºÃ±ez")."""
    viewer.require(Permission.ORDERS_READ)
    filtered_orders(viewer, chosen)  # a filter that is not valid is refused now, not by the job
    export = await Export.create(
        status=ImportStatus.QUEUED,
        granularity=granularity,
        byte_order_mark=byte_order_mark,
        order_filter=_filter_json(chosen),
        created_by_id=viewer.user_id,
        acting_label=f"{viewer.label} (export)",
        acting_permissions=sorted(p.value for p in viewer.permissions),
    )
    jobs.EXPORT.defer(export.id)
    return export


async def run(export_id: int, storage: Storage, lease_seconds: int = 30) -> ImportStatus | None:
    """The worker's part: the whole file is written again if a worker died halfway."""
    export = await Export.get_or_none(id=export_id)
    if export is None:
        return None
    if export.status in (ImportStatus.SUCCEEDED, ImportStatus.FAILED):
        return export.status
    lease = Lease(Export, export_id, uuid.uuid4().hex, timedelta(seconds=lease_seconds))
    if not await lease.claim():
        return None
    await Export.filter(id=export_id).update(started_at=datetime.now(UTC))
    status: ImportStatus = await held_while(lease, _write(export, storage))
    return status


async def _write(export: Export, storage: Storage) -> ImportStatus:
    key = f"exports/{export.id}.csv"
    temporary = scratch_file(".csv")  # written on this host, then stored (S3 or the folder)
    items = export.granularity is ExportGranularity.ITEM
    count = 0
    try:
        with temporary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            if export.byte_order_mark:
                handle.write("\ufeff")
            writer.writerow(ITEM_COLUMNS if items else ORDER_COLUMNS)
            handle.flush()
            if is_postgres():
                count = await _copy_sets(export, items, handle)
            else:
                async for rows in _sets(export, items):
                    await asyncio.to_thread(_write_rows, writer, handle, rows)
                    count += len(rows)
        await asyncio.to_thread(storage.save_file, key, temporary)
    except Exception as exc:
        temporary.unlink(missing_ok=True)
        await Export.filter(id=export.id).update(
            status=ImportStatus.FAILED,
            error=f"The export could not be written ({type(exc).__name__}).",
            finished_at=datetime.now(UTC),
        )
        raise
    await Export.filter(id=export.id).update(
        status=ImportStatus.SUCCEEDED,
        storage_key=key,
        row_count=count,
        finished_at=datetime.now(UTC),
    )
    return ImportStatus.SUCCEEDED


def _write_rows(writer: Any, handle: TextIO, rows: list[list[object]]) -> None:
    writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    handle.flush()


def _safe(column: str) -> str:
    """The SQL of csv_files.safe_cell: a leading = + - @ tab or CR gets a ', and an empty
    text is written as nothing (as the csv module writes it). The first character is
    compared as a number (ascii(): its code point, 0 for an empty text): six text
    comparisons a cell, under the database's collation, cost much of the COPY's time."""
    return (
        f"CASE WHEN ascii({column}) IN (61, 43, 45, 64, 9, 13) "
        f"THEN chr(39) || {column} ELSE NULLIF({column}, '') END"
    )


_CREATED = "to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
_BILLING = "coalesce(o.billing_address->>'{0}', '')"
_NAME = f"trim({_BILLING.format('first_name')} || ' ' || {_BILLING.format('last_name')})"
_SHIPPING = "coalesce(o.shipping_address->>'{0}', '')"
_SHIP_NAME = f"trim({_SHIPPING.format('first_name')} || ' ' || {_SHIPPING.format('last_name')})"
_SHIP_CELLS = ", ".join(
    [_safe(_SHIP_NAME), *(_safe(_SHIPPING.format(part)) for part in SHIPPING_PARTS)]
)
_ORDER_SQL = f"""SELECT o.number, {_CREATED}, o.status, {_safe("o.email")}, {_safe(_NAME)},
  {_safe(_BILLING.format("company"))}, {_safe(_BILLING.format("country"))}, {_SHIP_CELLS},
  {_safe("o.shipping_method")}, o.currency, o.subtotal, o.shipping_cost, o.tax_total, o.total,
  o.payment_status, o.amount_paid, o.amount_refunded, {_safe("o.tracking_number")},
  {_safe("o.carrier")}
FROM orders o {{where}} ORDER BY o.id"""  # noqa: S608 - no input in it
_ITEM_SQL = f"""SELECT o.number, {_CREATED}, o.status, {_safe("o.email")}, o.currency,
  {_safe("i.sku")}, {_safe("i.name")}, i.quantity, i.unit_price, i.total, i.quantity_shipped,
  i.quantity_returned
FROM orders o JOIN order_items i ON i.order_id = o.id {{where}}
ORDER BY o.id, i.id"""  # noqa: S608 - no input in it


async def _copy_sets(export: Export, items: bool, handle: TextIO) -> int:
    """On PostgreSQL the database writes the rows itself, in one COPY ... TO STDOUT (the same
    cells as the csv module path) straight into the file: one statement, one snapshot, no
    order id passing through Python. The filter goes in as the list's own query, with its
    values as parameters; with nothing to filter on there is no condition at all."""
    viewer = acting_as(export)
    matching = filtered_orders(viewer, _filter_from(export.order_filter)).only("id")
    matching._choose_db_if_not_chosen()
    matching._make_query()
    subquery, params = matching.query.get_parameterized_sql()
    unfiltered = Order.all().only("id").sql()
    where = "" if subquery == unfiltered and not params else f"WHERE o.id IN ({subquery})"
    query = (_ITEM_SQL if items else _ORDER_SQL).format(where=where)
    async with connections.get("default").acquire_connection() as raw:
        status = await raw.copy_from_query(query, *params, output=handle.buffer, format="csv")
    return int(status.split()[-1])


async def _id_sets(export: Export, size: int) -> Any:
    """The ids the export's filter matches, a set at a time, by keyset."""
    viewer = acting_as(export)
    chosen = _filter_from(export.order_filter)
    after = 0
    while True:
        ids = cast(
            list[int],
            await filtered_orders(viewer, chosen)
            .filter(id__gt=after)
            .order_by("id")
            .limit(size)
            .values_list("id", flat=True),
        )
        if not ids:
            return
        after = ids[-1]
        yield ids


async def _sets(export: Export, items: bool) -> Any:
    """The export's rows, a set of orders at a time, in order-id order (the ids by keyset,
    as for COPY)."""
    async for order_ids in _id_sets(export, SET_SIZE):
        orders = await Order.filter(id__in=order_ids).order_by("id").values(*ORDER_FIELDS)
        if items:
            yield await _item_rows(orders)
        else:
            yield [_order_row(order) for order in orders]


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _full_name(address: dict[str, Any]) -> str:
    return f"{address.get('first_name', '')} {address.get('last_name', '')}".strip()


class _Row(dict[str, Any]):
    """A row read with `values()`, as the read model reads a model: by attribute."""

    __getattr__ = dict.__getitem__


def _cell(value: Any) -> object:
    if isinstance(value, datetime):
        return _when(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _cells(picked: read_model.Picked, row: Any) -> list[object]:
    return [_cell(f.value(row)) for _, f in picked.fields]


def _order_row(order: dict[str, Any]) -> list[object]:
    row = _Row(order)
    billing = order["billing_address"] or {}
    shipping = order["shipping_address"] or {}
    return [
        *_cells(HEAD, row),
        _full_name(billing),
        address_part(billing, "company"),
        address_part(billing, "country"),
        _full_name(shipping),
        *(address_part(shipping, part) for part in SHIPPING_PARTS),
        *_cells(AMOUNTS, row),
        *_cells(PAID, row),
        *_cells(TRACKING, row),
    ]


async def _item_rows(orders: list[dict[str, Any]]) -> list[list[object]]:
    lines: dict[int, list[list[object]]] = defaultdict(list)
    for row in (
        await OrderItem.filter(order_id__in=[o["id"] for o in orders])
        .order_by("id")
        .values("order_id", *ITEM_FIELDS)
    ):
        lines[row["order_id"]].append(_cells(ITEM, _Row(row)))
    return [
        [*_cells(ITEM_HEAD, _Row(order)), *line] for order in orders for line in lines[order["id"]]
    ]


async def get_export(viewer: Viewer, export_id: int) -> Export | None:
    viewer.require(Permission.ORDERS_READ)
    return await Export.get_or_none(id=export_id)


async def open_export(viewer: Viewer, export_id: int) -> Export:
    """A finished export, for any ORDERS_READ holder (its requester included)."""
    export = await get_export(viewer, export_id)
    if export is None:
        raise not_found("Export")
    if export.status is not ImportStatus.SUCCEEDED:
        raise DomainError(ErrorCode.NOT_FOUND, f"The export is {export.status.value}, not ready.")
    return export


async def stalled_exports(lease_seconds: int) -> list[tuple[int, datetime | None]]:
    return await stalled(Export, lease_seconds)
