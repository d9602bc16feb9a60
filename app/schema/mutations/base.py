"""One shape for every mutation: the service call in its own transaction, refusals as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import strawberry

from app import metrics
from app.db import atomic
from app.models import Order
from app.schema.context import Info
from app.schema.errors import QueryError, UserError, user_errors
from app.services import idempotency, jobs
from app.services.errors import DomainError
from app.services.ratelimit import RateLimited

T = TypeVar("T")
# A claim lost to a concurrent call is retried once that call is done; more than a few
# losses in a row means something else is wrong.
CLAIM_ATTEMPTS = 5


IdempotencyKey = Annotated[
    str | None,
    strawberry.argument(
        description="Makes a retry safe: the same key (a random UUID) from the same caller "
        "within 24 hours returns the first call's result and does nothing again."
    ),
]


async def load_order(ids: dict[str, int]) -> Order:
    return await Order.get(id=ids["order"])


@dataclass(frozen=True)
class Once(Generic[T]):
    """How a mutation with an idempotency key keeps its result: `dump` gives the ids of
    what it answered with, `load` builds the same answer from them on a retry."""

    operation: str
    key: str | None
    request: Any
    dump: Callable[[T], dict[str, int]]
    load: Callable[[dict[str, int]], Awaitable[T]]


async def perform(
    info: Info, action: Callable[[], Awaitable[T]], once: Once[Any] | None = None
) -> tuple[T | None, list[UserError]]:
    """Run `action` in a transaction; a DomainError rolls it back and becomes `errors`.

    Jobs the action deferred are sent to the request's Redis only after the commit (every
    mutation goes through here, so any service may start deferring jobs). With an
    idempotency key, a call the same caller made before returns that call's result instead.
    """
    try:
        with jobs.collecting() as deferred:
            if once is None or once.key is None:
                async with atomic():
                    result = await action()
            else:
                result = await _once(info, action, once)
    except RateLimited as exc:
        # not a problem with the input: a top-level error with extensions.retryAfter
        raise QueryError(exc) from None
    except DomainError as exc:
        for issue in exc.issues:
            metrics.GRAPHQL_ERRORS.labels(issue.code.value, "payload").inc()
        return None, user_errors(exc)
    await jobs.send(info.context.redis, deferred)
    return result, []


async def _once(info: Info, action: Callable[[], Awaitable[T]], once: Once[Any]) -> T:
    assert once.key is not None
    key = idempotency.check_key(once.key)
    request_hash = idempotency.fingerprint(once.operation, once.request)
    viewer = info.context.viewer
    client = info.context.client_address if viewer.is_anonymous else ""
    for _ in range(CLAIM_ATTEMPTS):
        try:
            async with atomic():
                row, first = await idempotency.claim(
                    viewer, once.operation, key, request_hash, client=client
                )
                if not first:
                    replayed: T = await idempotency.replay(once.operation, once.load, row.result)
                    return replayed
                result = await action()
                await idempotency.complete(row, once.dump(result))
                return result
        except idempotency.Contended:
            # the other call has committed by now (the unique index made us wait for it)
            continue
    raise RuntimeError(f"idempotency key {key!r} stayed contended")
