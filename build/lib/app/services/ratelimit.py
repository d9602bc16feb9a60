"""Fixed-window rate limits in Redis, shared by every API process."""

from __future__ import annotations

import time
from typing import Any

from app.services.errors import DomainError, ErrorCode

PREFIX = "bitcart:rl:"


async def hit(redis: Any, bucket: str, client: str, limit: int, window_seconds: int) -> None:
    """Count one attempt; RATE_LIMITED once `limit` attempts fall in the current window."""
    if redis is None:
        return
    window = int(time.time()) // window_seconds
    key = f"{PREFIX}{bucket}:{client}:{window}"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_seconds + 1)
        count, _ = await pipe.execute()
    if count > limit:
        raise DomainError(
            ErrorCode.RATE_LIMITED,
            f"Too many attempts; try again in {window_seconds} seconds.",
        )
