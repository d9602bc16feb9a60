"""Tortoise's asyncpg client, made to ride out connections that died while pooled.

A connection the database (or the network) dropped while it sat idle in the pool is only
found dead when a statement goes out on it. Then:

- a read outside a transaction is sent once more, on a fresh connection: nothing was
  written, so asking again is safe;
- every pooled connection is expired, so the next ones asked for are new (an outage that
  killed one killed its siblings too);
- a transaction whose BEGIN fails gives its connection back to the pool and leaves the
  task's connection context as it was (Tortoise 1.1.9 keeps both, which leaks the
  connection and points the task's next transaction at the dead one). Whether to run the
  whole transaction again is its owner's call (`app.schema.mutations.base.perform`).

The module's name has "asyncpg" in it on purpose: Tortoise's migration executor picks its
schema editor by the client's module name (`tortoise/migrations/executor.py`).
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import asyncpg
from tortoise.backends.asyncpg.client import AsyncpgDBClient, TransactionWrapper
from tortoise.backends.base.client import TransactionContext, TransactionContextPooled
from tortoise.connection import get_connections

from app.outage import is_dead_connection

_READS = ("SELECT", "WITH", "VALUES", "SHOW")


def _is_read(query: str) -> bool:
    start = query.lstrip().upper()
    return start.startswith(_READS) and " FOR UPDATE" not in start


async def keep_session(connection: asyncpg.Connection) -> None:
    """What the pool does to a connection given back, once asyncpg has rolled back any
    transaction left open on it: nothing more.

    asyncpg's default sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET
    ALL` each time: a round trip after every statement run outside a transaction, half
    the trips of a one-order read. The app leaves no session state to undo: its settings
    are `SET LOCAL`, its advisory locks `pg_advisory_xact_lock`, and it never LISTENs or
    holds a cursor past its transaction (tests/test_pooled_sessions.py keeps it so)."""


class RetryingClient(AsyncpgDBClient):
    """Reads are sent again once on a fresh connection when theirs was found dead; a
    connection goes back to the pool without a reset statement (keep_session)."""

    async def create_pool(self, **kwargs: Any) -> asyncpg.Pool:
        return await asyncpg.create_pool(None, reset=keep_session, **kwargs)

    async def execute_query(self, query: str, values: list[Any] | None = None) -> Any:
        try:
            return await super().execute_query(query, values)
        except Exception as exc:
            if not (_is_read(query) and is_dead_connection(exc)):
                raise
            await self.expire_pooled()
            return await super().execute_query(query, values)

    async def execute_query_dict(self, query: str, values: list[Any] | None = None) -> Any:
        try:
            return await super().execute_query_dict(query, values)
        except Exception as exc:
            if not (_is_read(query) and is_dead_connection(exc)):
                raise
            await self.expire_pooled()
            return await super().execute_query_dict(query, values)

    async def expire_pooled(self) -> None:
        """Every connection now in the pool is replaced when next asked for."""
        if self._pool is not None:
            await self._pool.expire_connections()

    def _in_transaction(self) -> TransactionContext:
        return _Transaction(TransactionWrapper(self), self._pool_init_lock)


class _Transaction(TransactionContextPooled):
    """Tortoise's pooled transaction, which also cleans up when BEGIN fails."""

    async def __aenter__(self) -> Any:
        await self.ensure_connection()
        parent = self.client._parent
        self.client._connection = await parent._pool.acquire()
        self.token = get_connections().set(self.connection_name, self.client)
        try:
            await self.client.begin()
        except BaseException as exc:
            get_connections().reset(self.token)
            with suppress(Exception):
                await parent._pool.release(self.client._connection)
            if is_dead_connection(exc) and isinstance(parent, RetryingClient):
                await parent.expire_pooled()
            raise
        return self.client


client_class = RetryingClient
