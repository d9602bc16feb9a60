"""Idempotency keys: a retried call returns the first call's result and does nothing again.

A key is claimed inside the transaction of the call it guards, so the claim and the effect
commit together or not at all: a refused call (rolled back) leaves no key behind, and its
retry runs afresh. Two calls racing with one key meet on the table's unique index; the loser
waits for the winner's commit, then answers with the winner's result.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import orjson
from tortoise.exceptions import DoesNotExist, IntegrityError

from app.models import IdempotencyKey
from app.services.auth import Viewer
from app.services.errors import DomainError, ErrorCode

T = TypeVar("T")
LIFETIME = timedelta(hours=24)
MAX_KEY = 255


class Contended(Exception):
    """Another call claimed the key first; retry the transaction to read its result."""


def check_key(key: str) -> str:
    if not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"An idempotency key has 1 to {MAX_KEY} printable characters (a UUID is best).",
            ["idempotencyKey"],
        )
    return key


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value.normalize()) if value.is_finite() else str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def fingerprint(operation: str, request: Any) -> str:
    """A stable hash of an operation's input (Decimals by value: 5 and 5.00 are one input)."""
    encoded = orjson.dumps(
        [operation, request],
        default=_plain,
        option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
    )
    return hashlib.sha256(encoded).hexdigest()


def caller_of(viewer: Viewer, request_hash: str, client: str = "") -> str:
    """Keys are per caller: the token a call came with (an integration token's keys are not
    its issuer's, nor one sign-in's another's). A guest is known only by its address and
    what it sends, so its key counts only from the same client with the same input."""
    if viewer.token_id is not None:
        return f"token:{viewer.token_id}"
    if viewer.user_id is not None:  # a job or the command line acting as a user
        return f"user:{viewer.user_id}"
    return "guest:" + hashlib.sha256(f"{client}\n{request_hash}".encode()).hexdigest()


async def claim(
    viewer: Viewer,
    operation: str,
    key: str,
    request_hash: str,
    now: datetime | None = None,
    *,
    client: str = "",
) -> tuple[IdempotencyKey, bool]:
    """The key's row, and whether this call made it (False: a replay of a finished call).

    Call inside the transaction of the guarded action. Raises IDEMPOTENCY_KEY_REUSED for the
    same key with another input, and Contended when a concurrent call claimed it first.
    """
    now = now or datetime.now(UTC)
    caller = caller_of(viewer, request_hash, client)
    found = (
        await IdempotencyKey.filter(caller=caller, operation=operation, key=key)
        .select_for_update()
        .first()
    )
    if found is not None and found.expires_at <= now:
        await found.delete()
        found = None
    if found is not None:
        if found.request_hash != request_hash:
            raise DomainError(
                ErrorCode.IDEMPOTENCY_KEY_REUSED,
                f"This idempotency key was used for a different {operation} request in the "
                "last 24 hours. Use a new key for a new request.",
                ["idempotencyKey"],
            )
        return found, False
    try:
        row = await IdempotencyKey.create(
            caller=caller,
            operation=operation,
            key=key,
            request_hash=request_hash,
            result={},
            expires_at=now + LIFETIME,
        )
    except IntegrityError:
        raise Contended from None
    return row, True


async def replay(operation: str, load: Callable[[dict[str, int]], Awaitable[T]], first: Any) -> T:
    """The first call's answer, built again from the ids it kept. What it made may be gone
    since (a shipment deleted): that is said, with what to do, for the key's lifetime."""
    try:
        return await load(first)
    except DoesNotExist:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            f"What this key's {operation} made was deleted since; send a new key to do it again.",
            ["idempotencyKey"],
        ) from None


def check_unchanged(viewer: Viewer, first: Any, version: int, what: str) -> None:
    """A guest's replay shows no more than the first answer did: once the order has changed
    (staff moved it, a payment came), a guest, known by no token, is not shown it again."""
    if viewer.is_anonymous and first.get("version", version) != version:
        raise DomainError(
            ErrorCode.IDEMPOTENCY_KEY_REUSED,
            f"This key placed {what} earlier, which has changed since; a retry no longer "
            "shows it. Use a new key for a new order.",
            ["idempotencyKey"],
        )


async def complete(row: IdempotencyKey, result: dict[str, int]) -> None:
    """Keep the ids the first call answered with."""
    await IdempotencyKey.filter(id=row.id).update(result=result)


async def purge_expired(now: datetime | None = None) -> int:
    return await IdempotencyKey.filter(expires_at__lte=now or datetime.now(UTC)).delete()
