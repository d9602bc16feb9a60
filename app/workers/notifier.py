"""The worker's three loops that tell the world: the outbox dispatcher, webhook delivery and
customer email. Each runs in every worker process (they share the work through claims in
the database), wakes when there is news and otherwise looks once a second."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import suppress
from typing import Any

import structlog
from redis.exceptions import RedisError

from app import outage
from app.services import emails, jobs, outbox, webhook_delivery
from app.settings import Settings

log = structlog.get_logger("bitcart.notifier")

IDLE_SECONDS = 1.0


class Notifier:
    def __init__(self, settings: Settings, redis: Any) -> None:
        self.settings = settings
        self.redis = redis
        self.client = webhook_delivery.http_client(settings)
        self.deliveries = asyncio.Event()
        self.emails = asyncio.Event()
        self.tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self.tasks = [
            asyncio.create_task(self._loop("dispatch", self.dispatch_once, self._wait_for_news)),
            asyncio.create_task(
                self._loop("webhooks", self.deliver_once, lambda: _wait(self.deliveries))
            ),
            asyncio.create_task(self._loop("emails", self.email_once, lambda: _wait(self.emails))),
        ]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            with suppress(asyncio.CancelledError):
                await task
        await self.client.aclose()

    async def dispatch_once(self) -> int:
        done = await outbox.dispatch(self.settings)
        if done.live:
            try:
                await outbox.publish(self.redis, done)
            except (RedisError, OSError) as exc:  # live updates are best effort
                if outage.dependency_of(exc) == outage.REDIS:
                    outage.OUTAGES.noticed(outage.REDIS, exc)
                else:
                    log.warning("live_update_lost", error=str(exc), events=done.events)
        if done.deliveries:
            self.deliveries.set()
        if done.emails:
            self.emails.set()
        return done.events + done.deliveries

    async def deliver_once(self) -> int:
        return await webhook_delivery.deliver_due(self.client, self.settings)

    async def email_once(self) -> int:
        return await emails.send_due(self.settings)

    async def _wait_for_news(self) -> None:
        """Until a request says it wrote events, or a second has passed."""
        try:
            await self.redis.blpop([jobs.WAKE_KEY], timeout=IDLE_SECONDS)
        except (RedisError, OSError):
            await asyncio.sleep(IDLE_SECONDS)

    async def _loop(
        self,
        name: str,
        step: Callable[[], Coroutine[Any, Any, int]],
        idle: Callable[[], Awaitable[None]],
    ) -> None:
        while True:
            # a step runs in a task of its own that a stop waits for rather than cuts off
            # (a transaction cancelled on its way in leaves its connection locked)
            work = asyncio.create_task(step())
            try:
                worked = await asyncio.shield(work)
            except asyncio.CancelledError:
                await asyncio.wait([work])
                raise
            except Exception as exc:  # a bad moment: note it, wait, carry on
                dependency = outage.dependency_of(exc)
                if dependency is None:
                    log.exception("notifier_step_failed", loop=name)
                else:  # the database is gone: its outage, said once, not every second
                    outage.OUTAGES.noticed(dependency, exc)
                worked = 0
                await asyncio.sleep(IDLE_SECONDS)
            if not worked:
                await idle()


async def _wait(event: asyncio.Event) -> None:
    with suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), IDLE_SECONDS)
    event.clear()
