"""arq settings for `bitcart-orders worker` and for the worker that `serve` runs in-process."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
from contextlib import nullcontext, suppress
from dataclasses import replace
from typing import Any

from arq import create_pool, cron
from arq.connections import log_redis_info
from arq.utils import poll
from arq.worker import Worker
from redis.exceptions import RedisError
from tortoise import Tortoise, connections

from app import outage
from app.db import tortoise_config
from app.documents.render import Renderer
from app.redis import redis_settings
from app.services import leases
from app.services.jobs import CUSTOMER_QUEUE
from app.settings import Settings
from app.storage import storage_from
from app.workers import jobs
from app.workers.notifier import Notifier

FUNCTIONS: list[Any] = [
    jobs.purge_expired_tokens,
    jobs.purge_idempotency_keys,
    jobs.purge_notifications,
    jobs.cancel_unpaid_orders,
    jobs.render_document,
    jobs.run_tracking_import,
    jobs.run_bulk_operation,
    jobs.run_export,
    jobs.requeue_stale,
]
CUSTOMER_FUNCTIONS: list[Any] = [jobs.render_document]


def cron_jobs(settings: Settings) -> list[Any]:
    """The sweep runs a few times per lease, so stalled work moves on soon after its lease
    runs out (30 s by default: taken over within about 40 s of the last sign of life)."""
    step = max(1, min(30, settings.worker_lease_seconds // 3))
    return [
        cron(jobs.purge_expired_tokens, minute={7}, run_at_startup=False),
        cron(jobs.purge_idempotency_keys, minute={37}, run_at_startup=False),
        cron(jobs.purge_notifications, minute={47}, run_at_startup=False),
        # every five minutes: an order is let go within five minutes of its time running out
        cron(jobs.cancel_unpaid_orders, minute=set(range(2, 60, 5)), run_at_startup=True),
        cron(jobs.requeue_stale, second=set(range(0, 60, step)), run_at_startup=True),
    ]


# A worker records a sign of life this often, under a key of its host's own (a container's
# hostname), which expires a little later: `bitcart-orders worker --check` reads it.
HEALTH_INTERVAL_SECONDS = 15


def health_key() -> str:
    name = os.environ.get("BITCART_WORKER_NAME") or socket.gethostname()
    return f"bitcart:worker-health:{name}"


async def worker_is_healthy(settings: Settings) -> bool:
    assert settings.redis_url is not None
    redis = await create_pool(redis_settings(settings.redis_url))
    try:
        return bool(await redis.exists(health_key()))
    finally:
        await redis.aclose()


log = logging.getLogger("arq.worker")
# waits between attempts while Redis is gone: from a quarter of a second up to five
BACKOFF_FIRST = 0.25
BACKOFF_MOST = 5.0


class ResilientWorker(Worker):
    """An arq worker that rides out Redis going away (killed, restarted, unreachable): it
    connects with backoff until Redis answers, and a poll that fails for want of Redis is
    noticed once per outage and tried again with backoff, instead of ending the process.
    A burst worker (tests) is arq's own."""

    async def main(self) -> None:
        if self.burst:
            await super().main()
            return
        await self._connect()
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        wait = BACKOFF_FIRST
        async for _ in poll(self.poll_delay_s):
            self._forget_jobs_lost_in_an_outage()
            try:
                await self._poll_iteration()
            except Exception as exc:
                dependency = outage.dependency_of(exc)
                if dependency is None:
                    raise
                outage.OUTAGES.noticed(dependency, exc)
                await asyncio.sleep(wait)
                wait = min(wait * 2, BACKOFF_MOST)
            else:
                wait = BACKOFF_FIRST
                if outage.OUTAGES.is_down(outage.REDIS):  # a poll went through: it is back
                    outage.OUTAGES.recovered(outage.REDIS)

    def _forget_jobs_lost_in_an_outage(self) -> None:
        """A job whose bookkeeping in Redis failed in an outage ended with that error, which
        arq raises at the next poll, long after the outage, as if it were a new one. Its
        work is in the database, and arq runs it again if it never finished."""
        for job_id, task in list(self.tasks.items()):
            lost = task.done() and not task.cancelled() and task.exception() is not None
            if lost and outage.dependency_of(task.exception()) is not None:
                del self.tasks[job_id]

    async def _connect(self) -> None:
        wait = BACKOFF_FIRST
        while self._pool is None:
            assert self.redis_settings is not None
            try:
                self._pool = await create_pool(
                    replace(self.redis_settings, conn_retries=0),
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
            except (RedisError, OSError) as exc:
                outage.OUTAGES.noticed(outage.REDIS, exc)
                await asyncio.sleep(wait)
                wait = min(wait * 2, BACKOFF_MOST)
        outage.OUTAGES.watch(outage.REDIS, self.pool.ping)
        log.info(
            "Starting worker for %d functions: %s", len(self.functions), ", ".join(self.functions)
        )
        with suppress(RedisError, OSError):
            await log_redis_info(self.pool, log.info)

    async def close(self) -> None:
        """arq's close, which also finishes when Redis is gone (the ORM and the notifier
        are still closed on the way out)."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if not self._pool:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        with suppress(RedisError, OSError):
            await self.pool.delete(self.health_check_key)
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        with suppress(RedisError, OSError):
            await self.pool.aclose(close_connection_pool=True)
        self._pool = None


def build_worker(settings: Settings, *, own_database: bool, **overrides: Any) -> Worker:
    """A worker; with own_database it opens and closes the ORM itself (a separate process).

    Beside the main queue it serves the customers' queue, one job at a time, in a second
    arq worker in the same process: staff jobs never wait behind customers'.
    """
    assert settings.redis_url is not None
    redis_url = settings.redis_url

    async def prepare(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["renderer"] = Renderer(settings.template_dir, settings.font_dirs)
        ctx["storage"] = storage_from(settings.storage_url, settings.data_dir)

    async def startup(ctx: dict[str, Any]) -> None:
        await prepare(ctx)
        if own_database:
            # Keep the context Tortoise.init returns and close through it (see STACK-NOTES).
            ctx["tortoise"] = await Tortoise.init(config=tortoise_config(settings))
        outage.OUTAGES.watch(outage.DATABASE, _database_answers)
        # started after the ORM, so its task shares the ORM's context
        customers = ResilientWorker(
            functions=CUSTOMER_FUNCTIONS,
            queue_name=CUSTOMER_QUEUE,
            redis_settings=redis_settings(redis_url),
            max_jobs=1,
            job_timeout=600,
            keep_result=3600,
            on_startup=prepare,
            handle_signals=False,
            burst=bool(overrides.get("burst")),
            poll_delay=overrides.get("poll_delay", 0.5),
        )
        ctx["customer_worker"] = customers
        ctx["customer_task"] = asyncio.create_task(customers.async_run())
        if not overrides.get("burst"):  # a burst worker (tests) runs its queue and stops
            ctx["notifier"] = Notifier(settings, ctx["redis"])
            ctx["notifier"].start()

    options: dict[str, Any] = {
        "functions": FUNCTIONS,
        "cron_jobs": cron_jobs(settings),
        "redis_settings": redis_settings(settings.redis_url),
        "max_jobs": 4,
        "job_timeout": 600,
        "keep_result": 3600,
        "on_startup": startup,
        "on_shutdown": _shut_down,
        "health_check_interval": HEALTH_INTERVAL_SECONDS,
        "health_check_key": health_key(),
    }
    options.update(overrides)
    return ResilientWorker(**options)


async def _shut_down(ctx: dict[str, Any]) -> None:
    """Stop the notifier and the customers' worker and give back held leases. arq runs this
    in a task of its own, outside the ORM's context: a worker that opened the ORM itself
    enters its context here (a lease left by a cancelled job was released with no ORM at
    all, a traceback at every such stop). The connections are closed whatever failed before:
    an open SQLite connection's thread keeps the process from exiting."""
    tortoise_ctx = ctx.get("tortoise")
    try:
        with tortoise_ctx if tortoise_ctx is not None else nullcontext():
            await _stop_parts(ctx)
    finally:
        if tortoise_ctx is not None:
            await tortoise_ctx.close_connections()


async def _stop_parts(ctx: dict[str, Any]) -> None:
    """The notifier, then the customers' worker (its jobs cancelled), then what leases the
    cancelled jobs of both could not release themselves."""
    if "notifier" in ctx:
        await ctx["notifier"].stop()
    task: asyncio.Task[None] | None = ctx.get("customer_task")
    if task is not None:
        if not task.done() and not ctx["customer_worker"].burst:
            task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        await ctx["customer_worker"].close()
    await leases.release_held_leases()


async def _database_answers() -> None:
    await connections.get("default").execute_query("SELECT 1")
