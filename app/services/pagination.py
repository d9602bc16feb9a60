"""Keyset (cursor) pagination over any queryset, stable under inserts."""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, TypeVar

import orjson
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.queryset import QuerySet

from app.db import MAX_ID, fits_id, listed_rows
from app.services.errors import DomainError, ErrorCode
from app.services.money import MAX_AMOUNT

M = TypeVar("M", bound=Model)

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class PageRequest:
    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


@dataclass
class Page(Generic[M]):
    items: list[M]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    count: Callable[[], Awaitable[int]]


def _encode(value: Any, pk: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    elif isinstance(value, Decimal):
        value = str(value)
    return base64.urlsafe_b64encode(orjson.dumps([value, pk])).decode()


def _decode(cursor: str, parse: Callable[[Any], Any], field: str) -> tuple[Any, int]:
    try:
        value, pk = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(pk, int) or not fits_id(pk):
            raise TypeError(pk)
        return parse(value), pk
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise DomainError(ErrorCode.INVALID_INPUT, "That cursor is not valid.", [field]) from exc


def _integer(value: Any) -> int:
    """An INTEGER column's value (an order number): what no row holds is no cursor's."""
    if not isinstance(value, int) or not -(2**31) <= value <= MAX_ID:
        raise TypeError(value)
    return value


def _amount(value: Any) -> Decimal:
    amount = Decimal(value)
    if not amount.is_finite() or abs(amount) > MAX_AMOUNT:
        raise ValueError(value)
    return amount


def _parser(sample_field: str) -> Callable[[Any], Any]:
    if sample_field.endswith("_at"):
        return datetime.fromisoformat
    if sample_field in {"total", "price", "subtotal"}:
        return _amount
    return _integer


def _after(key: str, value: Any, pk: int, descending: bool) -> Q:
    op = "lt" if descending else "gt"
    past_pk: dict[str, Any] = {f"id__{op}": pk}
    if key == "id":
        return Q(**past_pk)
    past_value: dict[str, Any] = {f"{key}__{op}": value}
    return Q(**past_value) | Q(**{key: value}, **past_pk)


def check_page_size(request: PageRequest) -> int:
    size = request.first if request.first is not None else request.last
    if request.first is not None and request.last is not None:
        raise DomainError(ErrorCode.INVALID_INPUT, "Give first or last, not both.", ["first"])
    if size is None:
        return DEFAULT_PAGE_SIZE
    if not 0 <= size <= MAX_PAGE_SIZE:
        name = "first" if request.first is not None else "last"
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"{name} must be between 0 and {MAX_PAGE_SIZE}.", [name]
        )
    return size


async def paginate(
    queryset: QuerySet[M],
    request: PageRequest,
    key: str = "id",
    descending: bool = False,
    columns: Sequence[str] | None = None,
) -> Page[Any]:
    """One query for the page (plus one for count, only if asked). With `columns`, the
    page's items are rows of those fields (then the key and id, if not among them), not
    models."""
    size = check_page_size(request)
    parse = _parser(key)
    backwards = request.last is not None or (request.before is not None and request.first is None)
    qs = queryset
    if request.after:
        value, pk = _decode(request.after, parse, "after")
        qs = qs.filter(_after(key, value, pk, descending))
    if request.before:
        value, pk = _decode(request.before, parse, "before")
        qs = qs.filter(_after(key, value, pk, not descending))
    scan_descending = descending != backwards
    prefix = "-" if scan_descending else ""
    ordering = [f"{prefix}{key}"] + ([f"{prefix}id"] if key != "id" else [])
    ordered = qs.order_by(*ordering).limit(size + 1)
    fields = [
        *(columns or ()),
        *(c for c in dict.fromkeys((key, "id")) if c not in (columns or ())),
    ]
    rows: list[Any] = []
    if size:
        if columns is None:
            rows = list(await ordered)
        else:
            rows = await listed_rows(ordered.values_list(*fields), queryset.model, fields)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    if columns is None:
        cursors = [_encode(getattr(row, key), row.pk) for row in rows]
    else:
        at_key, at_id = fields.index(key), fields.index("id")
        cursors = [_encode(row[at_key], row[at_id]) for row in rows]

    async def count() -> int:
        return await queryset.count()

    return Page(
        items=rows,
        cursors=cursors,
        has_next_page=more if not backwards else request.before is not None,
        has_previous_page=more if backwards else request.after is not None,
        count=count,
    )


def page_in_memory(rows: list[M], first: int | None, after: str | None) -> Page[M]:
    """Page an already loaded, id-ordered list (a batch-loaded child list) forwards: such a
    list takes `first` and `after` only."""
    size = check_page_size(PageRequest(first=first))
    start = 0
    if after:
        _, pk = _decode(after, int, "after")
        start = next((i for i, row in enumerate(rows) if row.pk > pk), len(rows))
    window = rows[start:]
    chosen = window[:size]
    has_next, has_previous = len(window) > size, start > 0
    total = len(rows)

    async def count() -> int:
        return total

    return Page(
        items=chosen,
        cursors=[_encode(row.pk, row.pk) for row in chosen],
        has_next_page=has_next,
        has_previous_page=has_previous,
        count=count,
    )
