"""When PostgreSQL or Redis is down: what counts as that, one log line when it goes and one
when it is back (not a traceback per request), and the 503 the API answers meanwhile.

A request that fails because a dependency is gone is the dependency's outage, not the
request's bug: it is answered 503 with Retry-After (SERVICE_UNAVAILABLE for GraphQL
clients), counted in `bitcart_dependency_failures_total`, and the process watches the
dependency until it answers again.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson
import structlog
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics

log = structlog.get_logger("bitcart.outage")

DATABASE = "database"
REDIS = "redis"
CODE = "SERVICE_UNAVAILABLE"
# what a client is told to wait; an outage the probe sees end is usually over within it
RETRY_AFTER_SECONDS = 2
# how often a process that saw a dependency go asks it again, at first and at most
PROBE_SECONDS = 0.25
PROBE_MAX_SECONDS = 2.0

_DATABASE_DOWN = (
    asyncpg.PostgresConnectionError,  # class 08: the connection failed or does not exist
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.TooManyConnectionsError,
)
_REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)


def dependency_of(error: BaseException | None) -> str | None:
    """DATABASE or REDIS when `error` (or what caused it) says that dependency is not
    answering; None for anything else, which stays an internal error."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        found = _one(error)
        if found is not None:
            return found
        original = getattr(error, "original_error", None)  # a GraphQLError's cause
        error = original if original is not None else error.__cause__ or error.__context__
    return None


def _one(error: BaseException) -> str | None:
    if isinstance(error, _REDIS_DOWN):
        return REDIS
    if isinstance(error, _DATABASE_DOWN):
        return DATABASE
    if isinstance(error, asyncpg.InterfaceError) and "closed" in str(error):
        return DATABASE  # "connection is closed", "pool is closed"
    if isinstance(error, OSError):  # a refused or reset socket: whose was it?
        for frame, _ in traceback.walk_tb(error.__traceback__):
            module = str(frame.f_globals.get("__name__", ""))
            if module.startswith("asyncpg"):
                return DATABASE
            if module.startswith("redis"):
                return REDIS
    return None


def is_dead_connection(error: BaseException) -> bool:
    """The database connection a statement went out on was found dead (closed while it sat
    in the pool, or refused): nothing it carried can have been applied."""
    return dependency_of(error) == DATABASE


Probe = Callable[[], Awaitable[object]]


class Outages:
    """Which dependencies this process has seen go, and since when. The first failure of an
    outage is logged (and every one counted); a probe then asks the dependency every
    moment until it answers, which is logged once with how long it was gone."""

    def __init__(self) -> None:
        self.down: dict[str, float] = {}
        self.probes: dict[str, Probe] = {}
        self._watchers: dict[str, asyncio.Task[None]] = {}

    def watch(self, dependency: str, probe: Probe) -> None:
        """How to ask `dependency` whether it is back (SELECT 1, PING)."""
        self.probes[dependency] = probe

    def noticed(self, dependency: str, error: BaseException | None = None) -> None:
        metrics.DEPENDENCY_FAILURES.labels(dependency).inc()
        if dependency in self.down:
            return
        self.down[dependency] = time.monotonic()
        log.warning("dependency_unavailable", dependency=dependency, error=describe(error))
        probe = self.probes.get(dependency)
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if probe is not None:
            self._watchers[dependency] = loop.create_task(self._until_back(dependency, probe))

    def is_down(self, dependency: str) -> bool:
        return dependency in self.down

    def recovered(self, dependency: str) -> None:
        since = self.down.pop(dependency, None)
        self._watchers.pop(dependency, None)
        if since is not None:
            seconds = round(time.monotonic() - since, 2)
            log.info("dependency_recovered", dependency=dependency, down_seconds=seconds)

    async def _until_back(self, dependency: str, probe: Probe) -> None:
        # a task of its own, started in some request's context: its line is nobody's
        structlog.contextvars.clear_contextvars()
        wait = PROBE_SECONDS
        while dependency in self.down:
            await asyncio.sleep(wait)
            if await _answers(probe):
                self.recovered(dependency)
                return
            wait = min(wait * 2, PROBE_MAX_SECONDS)

    async def close(self) -> None:
        for task in list(self._watchers.values()):
            task.cancel()
        self._watchers.clear()


async def _answers(probe: Probe) -> bool:
    """The probe succeeds within a second. It runs in a task of its own that the timeout
    never cuts off (the database client is not safe against that)."""
    task = asyncio.ensure_future(probe())
    try:
        await asyncio.wait_for(asyncio.shield(task), 1.0)
    except TimeoutError:
        task.add_done_callback(lambda t: t.cancelled() or t.exception())
        return False
    except Exception:  # still down, whatever it says
        return False
    return True


def describe(error: BaseException | None) -> str:
    if error is None:
        return ""
    return f"{type(error).__name__}: {error}"[:300]


OUTAGES = Outages()


def message_for(dependency: str) -> str:
    what = "The database" if dependency == DATABASE else "The job queue (Redis)"
    return f"{what} is not answering at the moment; try again in {RETRY_AFTER_SECONDS} seconds."


def graphql_error_body(dependency: str) -> dict[str, Any]:
    return {
        "errors": [
            {
                "message": message_for(dependency),
                "extensions": {"code": CODE, "retryAfter": RETRY_AFTER_SECONDS},
            }
        ]
    }


class Unavailable:
    """ASGI middleware: a failure because PostgreSQL or Redis is down, wherever it escapes
    from (the viewer's token look-up, a persisted query, a download), is a 503 with
    Retry-After and a GraphQL-shaped error, not a 500 with a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            dependency = dependency_of(exc)
            if dependency is None or started:
                raise
            OUTAGES.noticed(dependency, exc)
            await _answer_unavailable(dependency, scope, send)


_PAGE = (
    b"<!doctype html><html lang=en><meta charset=utf-8><title>Back in a moment</title>"
    b"<p>Order tracking is not answering at the moment. Please try again in a few seconds.</p>"
)


async def _answer_unavailable(dependency: str, scope: Scope, send: Send) -> None:
    """A GraphQL-shaped error for API clients; a short page for the tracking page's
    visitors (people, not programs)."""
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    if str(scope.get("path", "")).startswith("/track"):
        media, body = b"text/html; charset=utf-8", _PAGE
    else:
        media = (
            b"application/graphql-response+json"
            if b"application/graphql-response+json" in accept
            else b"application/json"
        )
        body = orjson.dumps(graphql_error_body(dependency))
    await send(
        {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", media),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class PoolFloorFilter(logging.Filter):
    """asyncpg's pool logs a traceback each time it fails to restore its floor of
    connections (1 s, 2 s, 4 s… apart) while the database is gone: that is the outage,
    noticed once, not a line each time."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not str(record.msg).startswith("Failed to restore the pool connection floor"):
            return True
        error = record.exc_info[1] if record.exc_info else None
        if dependency_of(error) != DATABASE:
            return True
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return True
        OUTAGES.noticed(DATABASE, error)
        return False
