"""The Tortoise configuration, shared by the API, the worker, the CLI and the tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from tortoise import connections
from tortoise.backends.base.client import TransactionContext
from tortoise.transactions import in_transaction

from app.settings import Settings


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": settings.database_url},
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


# The largest value an INTEGER column (ids, order numbers) holds on every database.
MAX_ID = 2**31 - 1


def atomic() -> TransactionContext:
    """The transaction a request or job wraps around one service call."""
    return in_transaction("default")


async def migrate_database(settings: Settings) -> None:
    """Bring the database schema up to date (creates the SQLite file if needed)."""
    from tortoise import Tortoise
    from tortoise.migrations.api import migrate

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        await migrate(config=tortoise_config(settings))
    finally:
        await Tortoise.close_connections()


def is_postgres() -> bool:
    return bool(connections.get("default").capabilities.dialect == "postgres")


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
