"""Structured logs: JSON lines with BITCART_LOG_FORMAT=json (compose sets it), readable
lines otherwise. Every line of a request carries its request id, and so do the lines of the
jobs it started. Tokens, passwords and staff notes are never logged."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import structlog
from arq import Retry
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import metrics, outage
from app.outage import PoolFloorFilter

REQUEST_ID_HEADER = "x-request-id"
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

log = structlog.get_logger("bitcart")


def configure(json_lines: bool, level: str = "INFO") -> None:
    """Send structlog's and the standard library's records (uvicorn, arq) through one
    renderer, with a UTC timestamp, the level and whatever the context bound."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # Tracebacks are rendered plain, without the frames' locals: rich's rendering (the
    # console default) printed locals, which can hold tokens and passwords, and took about a
    # second for a database client's traceback, with the event loop stalled meanwhile.
    rendering: list[Any] = (
        [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
        if json_lines
        else [
            structlog.dev.ConsoleRenderer(
                colors=False, exception_formatter=structlog.dev.plain_traceback
            )
        ]
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *rendering],
    )
    handler = logging.StreamHandler()
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "arq"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    # httpx writes a line per request it sends (each webhook delivery, with its URL, which
    # may carry a receiver's token): the delivery's outcome is kept and counted instead
    logging.getLogger("httpx").setLevel(logging.WARNING)
    _add_filter("arq.worker", ArqJobLines())
    _add_filter("asyncpg.pool", PoolFloorFilter())
    # one line per request comes from RequestLog below, with more in it
    logging.getLogger("uvicorn.access").disabled = True


_SECRET_PARAMETER = re.compile(r"(?i)^(password|pass|secret|token|sslpassword)$")


def redact_url(url: str | None) -> str:
    """A database, Redis or SMTP URL fit to print: its password (in the user part or a
    query parameter) shown as ***."""
    if not url:
        return ""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    secret_query = any(_SECRET_PARAMETER.match(key) for key, _ in pairs)
    if parts.password is None and not secret_query:
        return url
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.partition(':')[0]}:***@{host}"
    query = "&".join(
        f"{key}=***" if _SECRET_PARAMETER.match(key) else f"{key}={value}" if value else key
        for key, value in pairs
    )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _add_filter(logger: str, new: logging.Filter) -> None:
    found = logging.getLogger(logger)
    for old in [f for f in found.filters if type(f) is type(new)]:
        found.removeFilter(old)
    found.addFilter(new)


# arq's own lines when a job starts, ends and is retried (arq/worker.py, 0.28): each job's
# `job` line below says the same and more, so these are dropped (a sweep every ten seconds
# made two of them each time, most of a quiet worker's log; a retry is a dependency's
# outage, which is said once), and its health line, written every 15 s whenever a sweep ran
# (the same counts are in Redis under the worker's health key)
_ARQ_JOB_LINES = {
    "%6.2fs → %s(%s)%s",
    "%6.2fs ← %s ● %s",
    "%6.2fs ↻ %s retrying job in %0.2fs",
    "recording health: %s",
}


class ArqJobLines(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.levelno == logging.INFO and record.msg in _ARQ_JOB_LINES)


def new_request_id(given: str | None) -> str:
    """The caller's X-Request-ID when it is a sane one, else a new one."""
    if given and _GIVEN_ID.match(given):
        return given
    return uuid.uuid4().hex


CLIENT_CLOSED_REQUEST = 499


class RequestLog:
    """ASGI middleware: a request id (accepted or made, echoed back as X-Request-ID) bound
    to every log line of the request, and one line when it ends: method, path, status,
    duration, and what the GraphQL layer bound (operation, viewer kind, cost)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = new_request_id(given)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID_HEADER.encode(), request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            # the client hung up before sending its whole request: nobody to answer, and
            # nothing wrong here (one line, as nginx's 499, instead of a traceback)
            status = CLIENT_CLOSED_REQUEST
        finally:
            seconds = time.perf_counter() - started
            bound = structlog.contextvars.get_contextvars()
            operation = bound.get("root") or _route(scope, status)
            internal = "INTERNAL_SERVER_ERROR" in (bound.get("graphql_errors") or ())
            outcome = (
                "disconnected"
                if status == CLIENT_CLOSED_REQUEST
                else "error"
                if status >= 500 or internal
                else "refused"
                if status >= 400 or bound.get("graphql_errors")
                else "ok"
            )
            metrics.REQUESTS.labels(operation, outcome).inc()
            metrics.REQUEST_SECONDS.labels(operation).observe(seconds)
            log.info(
                "request",
                method=scope.get("method"),
                path=logged_path(str(scope.get("path"))),
                status=status,
                duration_ms=round(seconds * 1000, 1),
            )
            structlog.contextvars.clear_contextvars()


def logged_path(path: str) -> str:
    """The path as logged: a tracking link's token opens the order's page to whoever has
    it, so it is never written down."""
    if path.startswith("/track/"):
        return "/track/{token}"
    return path


def _route(scope: Scope, status: int) -> str:
    """A bounded name for a request that was not a GraphQL operation: ids become {id}, and
    paths nothing answers are one name."""
    path = str(scope.get("path"))
    if path.startswith("/track/"):
        return f"{scope.get('method')} /track/{{token}}"
    if status == 404 and path not in _KNOWN:
        return "not_found"
    return f"{scope.get('method')} {re.sub(r'/[0-9]+', '/{id}', path)}"


_KNOWN = {"/graphql", "/healthz", "/readyz", "/metrics", "/track"}


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


def logged_job(function: F) -> F:
    """A job function that logs one line when it ends (its name, id, outcome and duration),
    with the request id of the request that started it on every line it writes."""
    return _logged(function, quiet_when_idle=False)


def logged_sweep(function: F) -> F:
    """A periodic job (a sweep every few seconds) that logs its line only when it found
    something to do (a result other than 0) or failed: an idle sweep says nothing."""
    return _logged(function, quiet_when_idle=True)


def _logged(function: F, *, quiet_when_idle: bool) -> F:
    @wraps(function)
    async def run(ctx: dict[str, Any], *args: Any, request_id: str = "", **kwargs: Any) -> Any:
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            job=function.__name__, job_id=ctx.get("job_id"), request_id=request_id or None
        )
        started = time.perf_counter()
        outcome = "failed"
        result = None
        try:
            result = await function(ctx, *args, **kwargs)
            outcome = "done"
            return result
        except asyncio.CancelledError:
            outcome = "stopped"
            raise
        except Exception as exc:
            dependency = outage.dependency_of(exc)
            if dependency is None:
                raise
            # the database or Redis is gone for a moment: the outage is noticed once, and
            # the job (which may run more than once) is run again shortly
            outage.OUTAGES.noticed(dependency, exc)
            outcome = "retrying"
            raise Retry(defer=outage.RETRY_AFTER_SECONDS) from exc
        finally:
            seconds = time.perf_counter() - started
            metrics.JOBS.labels(function.__name__, outcome).inc()
            metrics.JOB_SECONDS.labels(function.__name__).observe(seconds)
            idle = quiet_when_idle and outcome == "done" and not result
            # a retry is the outage's, which is said once (app.outage), not once a job
            if not idle and outcome != "retrying":
                log.info("job", outcome=outcome, duration_ms=round(seconds * 1000, 1))
            structlog.contextvars.clear_contextvars()

    return run  # type: ignore[return-value]
