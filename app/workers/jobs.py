"""The job functions arq runs. Each takes ids, never ORM objects, and may run more than once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.db import atomic
from app.logs import logged_job, logged_sweep
from app.models import (
    BulkOperation,
    Document,
    DocumentStatus,
    Export,
    ImportStatus,
    TrackingImport,
)
from app.services import (
    bulk,
    documents,
    exports,
    idempotency,
    imports,
    maintenance,
    payments,
)
from app.services.jobs import Job, send

STALE_AFTER = timedelta(minutes=1)


@logged_job
async def purge_expired_tokens(ctx: dict[str, Any]) -> int:
    async with atomic():
        return await maintenance.purge_expired_tokens()


@logged_job
async def purge_notifications(ctx: dict[str, Any]) -> int:
    async with atomic():
        return await maintenance.purge_notifications()


@logged_job
async def purge_idempotency_keys(ctx: dict[str, Any]) -> int:
    async with atomic():
        return await idempotency.purge_expired()


@logged_job
async def cancel_unpaid_orders(ctx: dict[str, Any]) -> int:
    """Cancel orders unpaid for BITCART_UNPAID_ORDER_TTL, a set per transaction, so their
    stock goes back on sale. A second worker running it at once finds nothing left to do:
    each order is looked at again under its lock."""
    ttl = ctx["settings"].unpaid_order_ttl_seconds
    if ttl <= 0:
        return 0
    cancelled, more = 0, True
    while more:
        async with atomic():
            done, more = await payments.expire_unpaid(timedelta(seconds=ttl))
        cancelled += done
    return cancelled


@logged_job
async def render_document(ctx: dict[str, Any], document_id: int) -> str | None:
    status = await documents.render_document(
        document_id, ctx["settings"], ctx["renderer"], ctx["storage"]
    )
    return status.value if status else None


@logged_sweep
async def requeue_stale(ctx: dict[str, Any]) -> int:
    """Re-send jobs whose enqueue was lost (a crash right after the commit), and the work of
    a worker that died (SIGKILL, a lost machine): imports and documents RUNNING with no sign
    of life for the lease time. Job ids make this harmless when the job is in fact still
    queued; a stalled one gets a new id, past arq's hold on the dead worker's."""
    cutoff = datetime.now(UTC) - STALE_AFTER
    lease_seconds = ctx["settings"].worker_lease_seconds
    pending = await Document.filter(
        status=DocumentStatus.PENDING, created_at__lt=cutoff
    ).values_list("id", flat=True)
    queued = await TrackingImport.filter(
        status=ImportStatus.QUEUED, created_at__lt=cutoff
    ).values_list("id", flat=True)
    waiting = await BulkOperation.filter(
        status=ImportStatus.QUEUED, created_at__lt=cutoff
    ).values_list("id", flat=True)
    lost = [Job(documents.RENDER_JOB, (i,), f"document:{i}") for i in pending] + [
        Job(imports.IMPORT_JOB, (i,), f"tracking-import:{i}") for i in queued
    ]
    lost += [Job(bulk.BULK_JOB, (i,), f"bulk-operation:{i}") for i in waiting]
    unwritten = await Export.filter(status=ImportStatus.QUEUED, created_at__lt=cutoff).values_list(
        "id", flat=True
    )
    lost += [Job(exports.EXPORT_JOB, (i,), f"export:{i}") for i in unwritten]
    for export_id, heartbeat in await exports.stalled_exports(lease_seconds):
        lost.append(Job(exports.EXPORT_JOB, (export_id,), f"export:{export_id}:{_mark(heartbeat)}"))
    for operation_id, heartbeat in await bulk.stalled_operations(lease_seconds):
        lost.append(
            Job(bulk.BULK_JOB, (operation_id,), f"bulk-operation:{operation_id}:{_mark(heartbeat)}")
        )
    for import_id, heartbeat in await imports.stalled_imports(lease_seconds):
        lost.append(
            Job(imports.IMPORT_JOB, (import_id,), f"tracking-import:{import_id}:{_mark(heartbeat)}")
        )
    for document_id, heartbeat in await documents.stalled_documents(lease_seconds):
        lost.append(
            Job(documents.RENDER_JOB, (document_id,), f"document:{document_id}:{_mark(heartbeat)}")
        )
    await send(ctx["redis"], lost)
    return len(lost)


def _mark(heartbeat: datetime | None) -> str:
    """The stall a retry is for: one retry per stall, however often the sweep runs."""
    return str(int(heartbeat.timestamp() * 1000)) if heartbeat else "never"


@logged_job
async def run_bulk_operation(ctx: dict[str, Any], operation_id: int) -> str | None:
    status = await bulk.run(operation_id, lease_seconds=ctx["settings"].worker_lease_seconds)
    return status.value if status else None


@logged_job
async def run_export(ctx: dict[str, Any], export_id: int) -> str | None:
    lease_seconds = ctx["settings"].worker_lease_seconds
    status = await exports.run(export_id, ctx["storage"], lease_seconds)
    return status.value if status else None


@logged_job
async def run_tracking_import(ctx: dict[str, Any], import_id: int) -> str | None:
    settings = ctx["settings"]
    status = await imports.run_import(
        import_id,
        ctx["storage"],
        settings.import_set_size,
        settings.worker_lease_seconds,
        redis=ctx["redis"],
    )
    return status.value if status else None
