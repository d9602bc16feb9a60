"""One shape for every mutation: the service call in its own transaction, refusals as data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from app.db import atomic
from app.schema.errors import UserError, user_errors
from app.services.errors import DomainError

T = TypeVar("T")


async def perform(action: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Run `action` in a transaction; a DomainError rolls it back and becomes `errors`."""
    try:
        async with atomic():
            return await action(), []
    except DomainError as exc:
        return None, user_errors(exc)
