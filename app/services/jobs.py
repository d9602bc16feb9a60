"""Jobs are enqueued only after the transaction that created their rows commits.

A service calls `defer(...)` inside the transaction; the caller that owns the transaction
(`perform` for GraphQL) sends the collected jobs once it has committed, and drops them on a
rollback. A job lost between commit and enqueue (a crash) is re-sent by the worker's sweep.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog
from tortoise.models import Model

from app.models import BulkOperation, Document, DocumentStatus, Export, ImportStatus, TrackingImport

# Jobs customers start wait here, apart from the staff's, so staff work never queues
# behind theirs (a worker serves this queue beside the main one, one job at a time).
CUSTOMER_QUEUE = "bitcart:queue:customers"
# A request that wrote timeline events pushes here once it commits, so an idle dispatcher
# (app.services.outbox) fans them out at once instead of at its next look.
WAKE_KEY = "bitcart:outbox:wake"


@dataclass(frozen=True)
class Job:
    function: str
    args: tuple[Any, ...]
    job_id: str
    queue: str | None = None


@dataclass(frozen=True)
class Kind:
    """A kind of background work with a row of its own (a document, an import, a bulk
    operation, an export): the worker function that runs it, the id its job carries, and
    the row's status while it waits for that job. The one place these are spelled: services
    defer through it, the worker's sweep re-sends through it."""

    function: str
    prefix: str
    model: type[Model]
    waiting: str

    def job_id(self, row_id: int) -> str:
        return f"{self.prefix}:{row_id}"

    def retry(self, row_id: int, heartbeat: datetime | None) -> Job:
        """The job again for a stalled row: one retry per stall (the heartbeat it stalled
        at), past arq's hold on the dead worker's job id."""
        mark = str(int(heartbeat.timestamp() * 1000)) if heartbeat else "never"
        return Job(self.function, (row_id,), f"{self.job_id(row_id)}:{mark}")

    def job(self, row_id: int) -> Job:
        return Job(self.function, (row_id,), self.job_id(row_id))

    def defer(self, row_id: int, queue: str | None = None) -> None:
        defer(self.function, row_id, job_id=self.job_id(row_id), queue=queue)


RENDER_DOCUMENT = Kind("render_document", "document", Document, DocumentStatus.PENDING)
TRACKING_IMPORT = Kind(
    "run_tracking_import", "tracking-import", TrackingImport, ImportStatus.QUEUED
)
BULK_OPERATION = Kind("run_bulk_operation", "bulk-operation", BulkOperation, ImportStatus.QUEUED)
EXPORT = Kind("run_export", "export", Export, ImportStatus.QUEUED)
KINDS = (RENDER_DOCUMENT, TRACKING_IMPORT, BULK_OPERATION, EXPORT)


_collected: ContextVar[list[Job] | None] = ContextVar("bitcart_deferred_jobs", default=None)


def defer(function: str, *args: Any, job_id: str, queue: str | None = None) -> None:
    """Ask for a job once the current transaction commits (ids as arguments, never objects)."""
    collected = _collected.get()
    if collected is None:
        raise RuntimeError("defer() outside collecting(): nothing would send the job")
    collected.append(Job(function, args, job_id, queue))


_WAKE = Job("wake the outbox dispatcher", (), "")


def announce() -> None:
    """Events were written in this transaction: wake the dispatcher once it commits. Outside
    a request (a worker's own sets) there is nobody to wake: the dispatcher looks anyway."""
    collected = _collected.get()
    if collected is not None and _WAKE not in collected:
        collected.append(_WAKE)


@contextmanager
def collecting() -> Iterator[list[Job]]:
    jobs: list[Job] = []
    token = _collected.set(jobs)
    try:
        yield jobs
    finally:
        _collected.reset(token)


async def send(redis: Any, jobs: list[Job]) -> None:
    """Enqueue; a job id that is already queued (or recently done) is not queued twice."""
    if jobs and redis is None:
        raise RuntimeError("No Redis configured to send jobs to")
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    for job in jobs:
        if job is _WAKE:
            await wake(redis)
            continue
        options: dict[str, Any] = {"_job_id": job.job_id}
        if job.queue:
            options["_queue_name"] = job.queue
        if request_id:  # the job's log lines carry the id of the request that started it
            options["request_id"] = request_id
        await redis.enqueue_job(job.function, *job.args, **options)


async def wake(redis: Any) -> None:
    async with redis.pipeline(transaction=False) as pipe:
        pipe.lpush(WAKE_KEY, 1)
        pipe.ltrim(WAKE_KEY, 0, 0)
        await pipe.execute()
