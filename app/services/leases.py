"""A worker's hold on a long job's row (a tracking import, a bulk operation): claimed,
renewed by a heartbeat, released. A job whose heartbeat stops is taken over by the next
worker; every set the holder commits checks the lease is still its own."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from tortoise.expressions import Q
from tortoise.models import Model

from app.db import atomic, is_postgres
from app.models import DeliveryStatus
from app.models.imports import WorkerJob

ACTIVE = ("QUEUED", "RUNNING")
# How long a job that ends waits for its lease's release; after that the lease runs out.
RELEASE_WAIT_SECONDS = 10.0


@dataclass(frozen=True)
class Lease:
    model: type[WorkerJob]
    row_id: int
    owner: str
    duration: timedelta

    async def claim(self) -> bool:
        """Take the row when nobody holds it, or when its holder stopped renewing."""
        now = datetime.now(UTC)
        free = Q(lease="") | Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - self.duration)
        claimed = await self.model.filter(
            Q(id=self.row_id), Q(status__in=list(ACTIVE)), free
        ).update(lease=self.owner, heartbeat_at=now, status="RUNNING")
        if claimed:
            _held.add(self)
        return bool(claimed)

    async def keep_alive(self) -> None:
        """Renew the heartbeat a few times per lease, while the job runs."""
        while True:
            await asyncio.sleep(self.duration.total_seconds() / 5)
            await self.model.filter(id=self.row_id, lease=self.owner).update(
                heartbeat_at=datetime.now(UTC)
            )

    async def release(self) -> None:
        await self.model.filter(id=self.row_id, lease=self.owner).update(lease="")
        _held.discard(self)


# Leases this process holds, so a worker shutting down can release them all (see below).
_held: set[Lease] = set()


async def release_held_leases() -> None:
    """On a worker's shutdown, after its jobs were cancelled: whatever a cancelled job could
    not release itself is released here, so the next worker starts at once."""
    for lease in list(_held):
        await lease.release()


async def stalled(model: type[WorkerJob], lease_seconds: int) -> list[tuple[int, datetime | None]]:
    """Running rows whose worker showed no sign of life within the lease time."""
    cutoff = datetime.now(UTC) - timedelta(seconds=lease_seconds)
    rows = await model.filter(
        Q(status="RUNNING"),
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff),
    ).values_list("id", "heartbeat_at")
    return [(row_id, heartbeat) for row_id, heartbeat in rows]


async def apply_uncut(work: Coroutine[Any, Any, None]) -> None:
    """Run a set's transaction in a task of its own that a stop never cuts off: a job
    cancelled (SIGTERM) mid-set waits for the set to commit or roll back, then stops. (Tortoise
    leaves its connection locked when a task is cancelled while entering a transaction.)"""
    applying = asyncio.create_task(work)
    try:
        await asyncio.shield(applying)
    except asyncio.CancelledError:
        await asyncio.wait([applying])
        raise


async def held_while(lease: Lease, work: Coroutine[Any, Any, Any]) -> Any:
    """Run `work` with the lease renewed; release it afterwards, even when stopped."""
    heartbeat = asyncio.create_task(lease.keep_alive())
    try:
        return await work
    finally:
        heartbeat.cancel()
        with suppress(asyncio.CancelledError):
            await heartbeat
        # Stopped (SIGTERM, a cancelled job) or done: the next worker need not wait. Sets run
        # in tasks of their own (apply_uncut), so no transaction is open in this one.
        release = asyncio.create_task(lease.release())
        with suppress(TimeoutError):  # never hold a stopping worker: the lease runs out anyway
            await asyncio.wait_for(asyncio.shield(release), timeout=RELEASE_WAIT_SECONDS)


async def claim_due(model: type[Model], limit: int, hold_seconds: float) -> list[int]:
    """Up to `limit` rows of `model` (a webhook delivery, an email) whose next attempt is
    due, claimed for `hold_seconds` by pushing that attempt past it in the same transaction:
    another worker leaves them alone meanwhile, and takes them up if this one dies."""
    now = datetime.now(UTC)
    async with atomic():
        due = model.filter(
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRYING), next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if is_postgres():
            due = due.select_for_update(skip_locked=True)
        ids = cast(list[int], await due.limit(limit).values_list("id", flat=True))
        if ids:
            await model.filter(id__in=ids).update(
                next_attempt_at=now + timedelta(seconds=hold_seconds)
            )
    return ids
