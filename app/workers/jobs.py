"""The job functions arq runs. Each takes ids, never ORM objects, and may run more than once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.db import atomic
from app.logs import logged_job, logged_sweep
from app.services import (
    bulk,
    documents,
    exports,
    idempotency,
    imports,
    maintenance,
    payments,
)
from app.services.jobs import (
    BULK_OPERATION,
    EXPORT,
    KINDS,
    RENDER_DOCUMENT,
    TRACKING_IMPORT,
    Job,
    send,
)

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
    lost: list[Job] = []
    for kind in KINDS:
        waiting = kind.model.filter(status=kind.waiting, created_at__lt=cutoff)
        ids: list[Any] = list(await waiting.values_list("id", flat=True))
        lost += [kind.job(i) for i in ids]
    stalled = {
        EXPORT: exports.stalled_exports,
        BULK_OPERATION: bulk.stalled_operations,
        TRACKING_IMPORT: imports.stalled_imports,
        RENDER_DOCUMENT: documents.stalled_documents,
    }
    for kind, find in stalled.items():
        lost += [kind.retry(i, heartbeat) for i, heartbeat in await find(lease_seconds)]
    await send(ctx["redis"], lost)
    return len(lost)


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
