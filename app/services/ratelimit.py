"""Rate limits in Redis, shared by every API process: GCRA (the generic cell rate algorithm).

`limit` attempts per `period` are allowed, all at once if need be, and then one more each
`period / limit`: a sliding bound, so no burst fits across a window boundary. One key per
bucket and client holds the theoretical arrival time; Redis's own clock decides, so every
process agrees (a test may set `clock` instead, so a slow run cannot refill a bucket).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from app.services.errors import DomainError, ErrorCode

PREFIX = "bitcart:rl:"

# KEYS[1] the key; ARGV[1] the interval between attempts, ARGV[2] the period (both in µs),
# ARGV[3] the time now in µs, or empty for Redis's clock. Returns 0 when allowed, else the
# µs to wait. The key is kept for a period: by then any bucket has refilled.
_GCRA = """
local now = tonumber(ARGV[3])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000000 + tonumber(time[2])
end
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local new_tat = tat + interval
local wait = new_tat - period - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', math.ceil(period / 1000) + 1)
return 0
"""

# Microseconds now, when something other than Redis's clock should decide (tests).
clock: Callable[[], int] | None = None


class RateLimited(DomainError):
    """Too many attempts; `retry_after` says how many seconds until the next is allowed."""

    def __init__(self, retry_after: int) -> None:
        unit = "second" if retry_after == 1 else "seconds"
        super().__init__(
            ErrorCode.RATE_LIMITED, f"Too many attempts; try again in {retry_after} {unit}."
        )
        self.retry_after = retry_after


async def hit(redis: Any, bucket: str, client: str, limit: int, period_seconds: int) -> None:
    """Count one attempt; RateLimited when it is over `limit` per `period_seconds`."""
    if redis is None or limit <= 0:
        return
    period = period_seconds * 1_000_000
    now = "" if clock is None else str(clock())
    wait = await redis.eval(_GCRA, 1, f"{PREFIX}{bucket}:{client}", period // limit, period, now)
    if int(wait) > 0:
        raise RateLimited(max(1, math.ceil(int(wait) / 1_000_000)))
