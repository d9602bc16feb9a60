"""One shape for every mutation: the service call in its own transaction, refusals as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.db import atomic
from app.schema.context import Info
from app.schema.errors import QueryError, UserError, user_errors
from app.services import jobs
from app.services.errors import DomainError
from app.services.ratelimit import RateLimited

T = TypeVar("T")


async def perform(
    info: Info, action: Callable[[], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run `action` in a transaction; a DomainError rolls it back and becomes `errors`.

    Jobs the action deferred are sent to the request's Redis only after the commit (every
    mutation goes through here, so any service may start deferring jobs).
    """
    try:
        with jobs.collecting() as deferred:
            async with atomic():
                result = await action()
    except RateLimited as exc:
        # not a problem with the input: a top-level error with extensions.retryAfter
        raise QueryError(exc) from None
    except DomainError as exc:
        return None, user_errors(exc)
    await jobs.send(info.context.redis, deferred)
    return result, []
