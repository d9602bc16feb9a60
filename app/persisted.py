"""Automatic persisted queries (Apollo's protocol), with a registry in Redis.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query; an
unknown hash answers PersistedQueryNotFound, and the client sends the query once with its
hash, which registers it for every API process. From then on the hash alone will do, also
as a GET, so a storefront's and the tracking page's reads can be cached by HTTP caches.
Only queries that pass validation are registered.

The registry is bounded, as it shares Redis with rate limits and queues: a guest registers
queries of at most BITCART_APQ_GUEST_MAX_QUERY_BYTES, at most BITCART_APQ_GUEST_RATE_LIMIT a
minute per address (past either, the query is answered but not kept), and all registered
queries together take at most BITCART_APQ_MAX_TOTAL_BYTES: past that, the least recently
used are forgotten (a client whose query was forgotten just sends it again).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from app import outage
from app.services.ratelimit import RateLimited

KEY = "bitcart:apq:"
# the registry's bookkeeping (names no sha256 digest can have): each digest by last use,
# each digest's size, their total, and the counter that orders uses
INDEX = KEY + "_index"
SIZES = KEY + "_sizes"
TOTAL = KEY + "_bytes"
CLOCK = KEY + "_clock"
# a registered query is forgotten after this long unused (every use renews it)
KEEP_SECONDS = 30 * 24 * 3600
MAX_QUERY = 100_000
_HASH = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Refused(Exception):
    code: str
    message: str


NOT_FOUND = Refused("PERSISTED_QUERY_NOT_FOUND", "PersistedQueryNotFound")


def requested_hash(extensions: dict[str, Any] | None) -> str | None:
    """The sha256Hash asked for, or None when the request does not use the protocol."""
    asked = (extensions or {}).get("persistedQuery")
    if asked is None:
        return None
    if not isinstance(asked, dict) or asked.get("version") != 1:
        raise Refused("PERSISTED_QUERY_NOT_SUPPORTED", "Only persistedQuery version 1 is known.")
    digest = asked.get("sha256Hash")
    if not isinstance(digest, str) or not _HASH.fullmatch(digest):
        raise Refused("BAD_REQUEST", "sha256Hash must be 64 lower-case hex digits.")
    return digest


# KEYS: the entry, INDEX, CLOCK; ARGV: the digest, seconds to keep. The query, renewed and
# marked as just used; nil when unknown.
_USE = """
local query = redis.call('GETEX', KEYS[1], 'EX', ARGV[2])
if query then redis.call('ZADD', KEYS[2], 'XX', redis.call('INCR', KEYS[3]), ARGV[1]) end
return query
"""

# KEYS: the entry, INDEX, SIZES, TOTAL, CLOCK; ARGV: the digest, the query, seconds to keep,
# the byte budget, the entries' key prefix. Registers (or renews) the query, then forgets
# the least recently used until all of them fit the budget. Returns how many it forgot.
_REGISTER = """
local digest, query, ttl, budget = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
redis.call('SET', KEYS[1], query, 'EX', ttl)
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[5]), digest)
local before = tonumber(redis.call('HGET', KEYS[3], digest) or '0')
redis.call('HSET', KEYS[3], digest, string.len(query))
local total = redis.call('INCRBY', KEYS[4], string.len(query) - before)
local forgotten = 0
while total > budget do
  local oldest = redis.call('ZPOPMIN', KEYS[2])
  if #oldest == 0 then break end
  local size = tonumber(redis.call('HGET', KEYS[3], oldest[1]) or '0')
  redis.call('HDEL', KEYS[3], oldest[1])
  redis.call('DEL', ARGV[5] .. oldest[1])
  total = redis.call('DECRBY', KEYS[4], size)
  forgotten = forgotten + 1
end
return forgotten
"""


async def use(redis: Any, digest: str) -> str | None:
    """The query registered under `digest`, renewed and marked as just used (so the least
    recently used are forgotten first); None when unknown. The one way to read the
    registry, for the standard path and the fast lane alike."""
    stored = await redis.eval(_USE, 3, KEY + digest, INDEX, CLOCK, digest, KEEP_SECONDS)
    if stored is None:
        return None
    return stored.decode() if isinstance(stored, bytes) else str(stored)


async def query_for(redis: Any, digest: str, query: str | None) -> tuple[str, bool]:
    """The query to run, and whether to register it once it has passed validation."""
    if query is None:
        stored = None if redis is None else await use(redis, digest)
        if stored is None:
            raise NOT_FOUND
        return stored, False
    if hashlib.sha256(query.encode()).hexdigest() != digest:
        raise Refused("PERSISTED_QUERY_HASH_MISMATCH", "provided sha does not match query")
    return query, len(query) <= MAX_QUERY and redis is not None


async def register(redis: Any, digest: str, query: str, budget: int) -> int:
    """Keep `query` under `digest`; returns how many older queries were forgotten for it."""
    keys = (KEY + digest, INDEX, SIZES, TOTAL, CLOCK)
    forgotten = await redis.eval(
        _REGISTER, len(keys), *keys, digest, query, KEEP_SECONDS, budget, KEY
    )
    return int(forgotten)


async def register_bounded(context: Any, digest: str, query: str) -> bool:
    """Register a query that passed validation, within the bounds (see the module's text);
    whether it was kept. A registry that cannot be reached only means it is not kept."""
    settings = context.settings
    if len(query.encode()) > settings.apq_max_total_bytes:
        return False
    try:
        if context.viewer.is_anonymous:
            if len(query.encode()) > settings.apq_guest_max_query_bytes:
                return False
            await context.throttle("apq-register", settings.apq_guest_rate_limit, 60)
        await register(context.redis, digest, query, settings.apq_max_total_bytes)
    except RateLimited:
        return False
    except Exception as exc:
        dependency = outage.dependency_of(exc)
        if dependency is None:
            raise
        outage.OUTAGES.noticed(dependency, exc)
        return False
    return True
