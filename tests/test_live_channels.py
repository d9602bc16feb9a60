"""Live updates on a shared Redis server: pub/sub ignores the database a client selected, so
a store's channels carry its database's number (app.live.on_server)."""

from __future__ import annotations

import asyncio
from typing import Any

import redis.asyncio as aioredis

from app import live
from app.settings import Settings


def clients(settings: Settings) -> tuple[Any, Any]:
    """The test run's own database and the one 8 above it (the other test worker's on a
    shared server: tests/conftest.py), never another person's."""
    url = settings.redis_url
    assert url is not None
    if url.startswith("unix://"):  # the embedded Valkey: all its databases are this run's
        path = url.removeprefix("unix://")
        return aioredis.Redis(unix_socket_path=path), aioredis.Redis(unix_socket_path=path, db=8)
    base, _, db = url.rpartition("/")
    other = (int(db or 0) + 8) % 16
    return aioredis.Redis.from_url(url), aioredis.Redis.from_url(f"{base}/{other}")


async def test_stores_on_two_databases_of_one_server_hear_only_their_own(
    settings_with_redis: Settings,
) -> None:
    first, second = clients(settings_with_redis)
    hubs = [live.Hub(first), live.Hub(second)]
    try:
        async with (
            hubs[0].listen(live.ORDER_EVENTS) as heard_first,
            hubs[1].listen(live.ORDER_EVENTS) as heard_second,
        ):
            await live.publish(first, live.ORDER_EVENTS, [{"id": 1}])
            assert await asyncio.wait_for(heard_first.get(), 5) == {"id": 1}
            await live.publish(second, live.ORDER_EVENTS, [{"id": 2}])
            assert await asyncio.wait_for(heard_second.get(), 5) == {"id": 2}
            assert heard_first.empty()  # the other database's update never came here
        names = {live.on_server(r, live.ORDER_EVENTS) for r in (first, second)}
        assert len(names) == 2
        assert names <= {
            "bitcart:order-events",
            *(f"bitcart:order-events:db{n}" for n in range(16)),
        }
    finally:
        for hub in hubs:
            await hub.close()
        await first.aclose()
        await second.aclose()
