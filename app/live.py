"""Live updates across API processes: Redis pub/sub, one subscription per process.

The worker publishes (order events once dispatched, import progress after each set); every
API process keeps one Redis subscription and hands each message to the GraphQL
subscriptions it serves, through bounded queues: a subscriber too slow to keep up is
told so and ended rather than letting memory grow.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

import orjson
import structlog
from redis.exceptions import RedisError

from app import outage

log = structlog.get_logger("bitcart.live")

ORDER_EVENTS = "bitcart:order-events"
IMPORT_PROGRESS = "bitcart:import-progress"
CHANNELS = (ORDER_EVENTS, IMPORT_PROGRESS)
QUEUE_SIZE = 1000
RECONNECT_SECONDS = 1.0


def on_server(redis: Any, channel: str) -> str:
    """The channel's name on the Redis server. Pub/sub is one namespace for a whole server,
    whatever database a client selected: a store on database N (N > 0) publishes and listens
    on `<channel>:db<N>`, so two stores, or two test workers, sharing a server on different
    databases never hear each other. Database 0 keeps the plain name."""
    pool = getattr(redis, "connection_pool", None)
    db = int((getattr(pool, "connection_kwargs", None) or {}).get("db") or 0)
    return f"{channel}:db{db}" if db else channel


class Overrun(Exception):
    """The subscriber fell QUEUE_SIZE messages behind."""


class Hub:
    def __init__(self, redis: Any) -> None:
        self.redis = redis
        self.queues: dict[str, set[asyncio.Queue[dict[str, Any] | None]]] = defaultdict(set)
        self.task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()

    @asynccontextmanager
    async def listen(self, channel: str) -> AsyncIterator[asyncio.Queue[dict[str, Any] | None]]:
        """A queue of the channel's messages while the block runs (None: fallen behind)."""
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue(QUEUE_SIZE + 1)
        self.queues[channel].add(queue)
        if self.task is None or self.task.done():
            self.ready.clear()
            self.task = asyncio.create_task(self._run())
        try:
            # subscribed before the caller reads the current state, so nothing falls between
            with suppress(TimeoutError):
                await asyncio.wait_for(self.ready.wait(), 5)
            yield queue
        finally:
            self.queues[channel].discard(queue)

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        while True:
            try:
                await self._listen_once()
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                if outage.dependency_of(exc) == outage.REDIS:
                    outage.OUTAGES.noticed(outage.REDIS, exc)  # said once per outage
                else:
                    log.warning("live_updates_reconnecting", error=str(exc))
                self.ready.clear()
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _listen_once(self) -> None:
        pubsub = self.redis.pubsub()
        try:
            named = {on_server(self.redis, c): c for c in CHANNELS}
            await pubsub.subscribe(*named)
            self.ready.set()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5.0)
                if message is None or message.get("type") != "message":
                    continue
                channel = message["channel"]
                channel = channel.decode() if isinstance(channel, bytes) else channel
                try:
                    data = orjson.loads(message["data"])
                except orjson.JSONDecodeError:
                    continue
                self._hand_out(named.get(channel, channel), data)
        finally:
            with suppress(RedisError, OSError):
                await pubsub.aclose()

    def _hand_out(self, channel: str, data: dict[str, Any]) -> None:
        for queue in list(self.queues.get(channel, ())):
            if queue.qsize() >= QUEUE_SIZE:
                queue.put_nowait(None)  # the one slot kept for this
                self.queues[channel].discard(queue)
            else:
                queue.put_nowait(data)


async def publish(redis: Any, channel: str, messages: list[dict[str, Any]]) -> None:
    if redis is None or not messages:
        return
    async with redis.pipeline(transaction=False) as pipe:
        for message in messages:
            pipe.publish(on_server(redis, channel), orjson.dumps(message))
        await pipe.execute()


async def import_progressed(redis: Any, import_id: int) -> None:
    """Best effort: a subscriber also looks for itself every few seconds."""
    with suppress(RedisError, OSError):
        await publish(redis, IMPORT_PROGRESS, [{"id": import_id}])
