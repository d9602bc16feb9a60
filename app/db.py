"""The Tortoise configuration, shared by the API, the worker, the CLI and the tests."""

from __future__ import annotations

from typing import Any

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
