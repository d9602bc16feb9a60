"""Automatic persisted queries (Apollo's protocol), with a registry in Redis.

A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the query; an
unknown hash answers PersistedQueryNotFound, and the client sends the query once with its
hash, which registers it for every API process. From then on the hash alone will do, also
as a GET, so a storefront's and the tracking page's reads can be cached by HTTP caches.
Only queries that pass validation are registered.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

KEY = "bitcart:apq:"
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


async def query_for(redis: Any, digest: str, query: str | None) -> tuple[str, bool]:
    """The query to run, and whether to register it once it has passed validation."""
    if query is None:
        if redis is None:
            raise NOT_FOUND
        stored = await redis.getex(KEY + digest, ex=KEEP_SECONDS)
        if stored is None:
            raise NOT_FOUND
        return stored.decode() if isinstance(stored, bytes) else str(stored), False
    if hashlib.sha256(query.encode()).hexdigest() != digest:
        raise Refused("PERSISTED_QUERY_HASH_MISMATCH", "provided sha does not match query")
    return query, len(query) <= MAX_QUERY and redis is not None


async def register(redis: Any, digest: str, query: str) -> None:
    await redis.set(KEY + digest, query, ex=KEEP_SECONDS)
