"""The Tortoise configuration, shared by the API, the worker, the CLI and the tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, cast

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient, TransactionContext
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.settings import Settings


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(settings.database_url)},
        "apps": {
            "models": {
                "models": ["app.models"],
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


def _connection(url: str) -> str | dict[str, Any]:
    """PostgreSQL through our asyncpg client, which rides out connections that died while
    pooled (app/asyncpg_client.py); anything else as Tortoise reads the URL."""
    expanded = expand_db_url(url)
    if expanded["engine"] != "tortoise.backends.asyncpg":
        return url
    return {**expanded, "engine": "app.asyncpg_client"}


# The largest value an INTEGER column (ids, order numbers) holds on every database.
MAX_ID = 2**31 - 1


def fits_id(value: int) -> bool:
    """Whether a row can have this id or order number: one that cannot is unknown, and
    never reaches a query (PostgreSQL refuses to compare an INTEGER column with it)."""
    return 0 < value <= MAX_ID


def atomic() -> TransactionContext:
    """The transaction a request or job wraps around one service call."""
    return in_transaction("default")


class OutsideTransaction(RuntimeError):
    """A service that writes under locks was called without a transaction around it."""


def in_a_transaction() -> bool:
    """Whether this task runs inside atomic() (the connection is a transaction's)."""
    return isinstance(connections.get("default"), TransactionalDBClient)


def require_transaction() -> None:
    """What a service that locks rows asserts: its lock lasts until the caller's atomic()
    ends; without one it would end with the statement, and the rule it guards with it."""
    if not in_a_transaction():
        raise OutsideTransaction("This must run inside atomic() (app.db).")


async def expire_pooled_connections() -> None:
    """After a connection was found dead, the pool's others are made anew when next asked
    for (PostgreSQL through app.asyncpg_client; nothing to do on SQLite)."""
    expire = getattr(connections.get("default"), "expire_pooled", None)
    if expire is not None:
        await expire()


async def migrate_database(settings: Settings) -> list[str]:
    """Bring the database schema up to date (creates the SQLite file if needed); the names
    of the migrations it applied, in order."""
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    applied: list[str] = []

    def progress(event: str, app_label: str, name: str) -> None:
        if event == "apply_done":
            applied.append(name)

    try:
        await migrate(config=tortoise_config(settings), progress=progress)
    finally:
        await Tortoise.close_connections()
    return applied


def is_postgres() -> bool:
    return bool(connections.get("default").capabilities.dialect == "postgres")


async def select_rows(
    model: type[Model],
    columns: Sequence[str],
    where: Sequence[tuple[str, str, Any]],
    *,
    by_id: bool = False,
    limit: int | None = None,
) -> list[Sequence[Any]]:
    """Rows of a model's `columns` (field names) without building models: each value as
    the model would hold it. `where` is (field, "=" or "in", value), all of them true."""
    db = model._meta.db
    postgres = db.capabilities.dialect == "postgres"
    values: list[Any] = []
    shape: list[tuple[str, str, int]] = []
    for name, op, value in where:
        if op == "in" and not postgres:
            values.extend(value)
            shape.append((name, op, len(value)))
        else:
            values.append(value)
            shape.append((name, op, 1))
    sql, converters = _statement(
        model, tuple(columns), tuple(shape), by_id, limit, db.executor_class.__name__
    )
    _, raw = await db.execute_query(sql, values)
    if not converters:
        # the driver's rows (asyncpg's Record, sqlite3's Row) are indexed alike
        return cast(list[Sequence[Any]], list(raw))
    rows: list[Sequence[Any]] = []
    for r in raw:
        row = list(r)
        for i, convert in converters:
            row[i] = convert(row[i])
        rows.append(row)
    return rows


async def listed_rows(query: Any, model: type[Model], fields: Sequence[str]) -> list[Sequence[Any]]:
    """The rows of a `values_list(*fields)` query built by Tortoise (its filters, order and
    keyset), each value as the model would hold it: converted as select_rows converts,
    once per column kind, where Tortoise resolves a converter for every value."""
    query._choose_db_if_not_chosen()
    query._make_query()
    db = query._db
    _, raw = await db.execute_query(*query.query.get_parameterized_sql())
    how = _python_values(model, db.executor_class.__name__)
    converters = [
        (i, convert)
        for i, name in enumerate(fields)
        if (convert := how[db_column(model, name)]) is not None
    ]
    if not converters:
        return [tuple(r) for r in raw]
    rows: list[Sequence[Any]] = []
    for r in raw:
        row = list(r)
        for i, convert in converters:
            row[i] = convert(row[i])
        rows.append(row)
    return rows


@lru_cache(maxsize=512)
def _statement(
    model: type[Model],
    columns: tuple[str, ...],
    shape: tuple[tuple[str, str, int], ...],
    by_id: bool,
    limit: int | None,
    executor: str,
) -> tuple[str, list[tuple[int, Callable[[Any], Any]]]]:
    """select_rows' SQL and the columns to convert, made once per shape of query (the
    driver is in the key: placeholders and conversions are its)."""
    postgres = model._meta.db.capabilities.dialect == "postgres"
    conditions: list[str] = []
    at = 0
    for name, op, count in shape:
        column = f'"{db_column(model, name)}"'
        if postgres:
            at += 1
            conditions.append(f"{column} = ANY(${at})" if op == "in" else f"{column} = ${at}")
        elif op == "in":
            conditions.append(f"{column} IN ({', '.join('?' * count)})")
        else:
            conditions.append(f"{column} = ?")
    names = ", ".join(f'"{db_column(model, c)}"' for c in columns)
    sql = f'SELECT {names} FROM "{model._meta.db_table}" WHERE {" AND ".join(conditions)}'  # noqa: S608 - names and marks only
    if by_id:
        sql += ' ORDER BY "id"'
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    how = _python_values(model, executor)
    converting = [(i, how[db_column(model, c)]) for i, c in enumerate(columns)]
    return sql, [(i, convert) for i, convert in converting if convert is not None]


def db_column(model: type[Model], name: str) -> str:
    found = model._meta.fields_map[name]
    return found.source_field or found.model_field_name


def python_value(model: type[Model], name: str) -> Callable[[Any], Any] | None:
    """How Tortoise turns the database's value of a field into the model's (None: as it
    is), as `Model._init_from_db` does; which depends on the database's driver."""
    db = model._meta.db
    return _python_values(model, db.executor_class.__name__).get(db_column(model, name))


@cache
def _python_values(model: type[Model], executor: str) -> dict[str, Callable[[Any], Any] | None]:
    meta = model._meta
    how: dict[str, Callable[[Any], Any] | None] = {}
    for key, _, _ in meta.db_native_fields:
        how[key] = None
    for key, _, f in meta.db_default_fields:
        how[key] = _typed(f.field_type)
    for key, _, f in meta.db_complex_fields:
        how[key] = f.to_python_value
    return how


def _typed(field_type: Any) -> Callable[[Any], Any]:
    return lambda value: value if value is None else field_type(value)


async def insert_rows(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Bulk INSERT without building a model per row: COPY on PostgreSQL (on the current
    transaction's connection), multi-row VALUES on SQLite within its parameter limit."""
    if not rows:
        return
    conn = connections.get("default")
    if is_postgres():
        async with conn.acquire_connection() as raw:
            await raw.copy_records_to_table(table, records=rows, columns=list(columns))
        return
    names = ", ".join(f'"{name}"' for name in columns)
    width = len(columns)
    per_statement = max(1, 30_000 // width)
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        groups = ", ".join(["(" + ", ".join("?" * width) + ")"] * len(chunk))
        params = [_sqlite_value(v) for row in chunk for v in row]
        await conn.execute_query(
            f'INSERT INTO "{table}" ({names}) VALUES {groups}',  # noqa: S608
            params,
        )


def _sqlite_value(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, datetime) else value
