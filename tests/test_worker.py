"""A real arq worker, burst mode, on the embedded Valkey (or Redis in CI)."""

from __future__ import annotations

import asyncio
import contextvars
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import tortoise.context
from arq import create_pool
from tortoise.context import TortoiseContext

from app.db import tortoise_config
from app.models import ApiToken, BulkOperation, ImportStatus
from app.redis import redis_settings
from app.services.leases import Lease
from app.settings import Settings
from app.workers.settings import _shut_down, build_worker
from tests.conftest import Actors, GraphQLClient, run_jobs
from tests.factories import check_stall_sweep


async def test_purge_expired_tokens_job(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    assert settings_with_redis.redis_url
    login = """mutation {
      login(email: "alice@example.com", password: "correct horse battery") { token } }"""
    token = (await gql.data(login))["login"]["token"]
    me = "{ me { email } }"
    assert (await gql.data(me, token=token))["me"]["email"] == "alice@example.com"
    newest = await ApiToken.all().order_by("-id").first()
    assert newest is not None
    await ApiToken.filter(id=newest.id).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    # expired tokens are refused at once, and the job removes them
    assert (await gql.data(me, token=token))["me"] is None

    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    job = await pool.enqueue_job("purge_expired_tokens", _job_id=f"purge-test-{uuid.uuid4()}")
    assert job is not None
    worker = build_worker(
        settings_with_redis,
        own_database=False,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
        redis_pool=pool,
        cron_jobs=[],
    )
    await worker.main()
    assert await job.result(timeout=5) == 1
    await worker.close()
    assert not await ApiToken.filter(id=newest.id).exists()
    # staff session tokens of the suite are untouched
    assert (await gql.data(me, token=actors.admin.token))["me"]["email"] == actors.admin.email


async def test_a_job_lost_between_commit_and_enqueue_is_sent_again(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """A crash right after the commit loses the enqueue; the worker's sweep re-sends it."""
    from app.db import atomic
    from app.documents.render import Renderer
    from app.models import Document, DocumentKind, DocumentStatus, Order
    from app.services import documents, jobs
    from app.services.auth import SYSTEM
    from tests.factories import create_product, placed

    await create_product(gql, actors.admin.token, "A")
    await placed(gql, None, [("A", 1)])
    order = await Order.all().first()
    assert order is not None
    with jobs.collecting() as lost:
        async with atomic():
            document = await documents.request_documents(
                SYSTEM, [order.id], DocumentKind.PACKING_SLIP, settings_with_redis, Renderer()
            )
    assert [job.function for job in lost] == ["render_document"]  # never sent
    await Document.filter(id=document.id).update(
        created_at=datetime.now(UTC) - timedelta(minutes=5)
    )

    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    await pool.enqueue_job("requeue_stale", _job_id=f"sweep-{uuid.uuid4()}")
    for _ in range(2):  # the sweep, then the render it queued
        worker = build_worker(
            settings_with_redis,
            own_database=False,
            burst=True,
            poll_delay=0.01,
            handle_signals=False,
            cron_jobs=[],
        )
        await worker.main()
        await worker.close()
    await pool.aclose()
    rendered = await Document.get(id=document.id)
    assert rendered.status == DocumentStatus.READY
    assert rendered.page_count == 1


async def an_invoice_requested(gql: GraphQLClient, actors: Actors) -> Any:
    """An order and the invoice staff asked for (its render job queued): the Document row."""
    from app.models import Document
    from tests.factories import create_product, placed

    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    requested = await gql.data(
        """mutation($ids: [ID!]) { generateDocuments(kind: INVOICE, orderIds: $ids) {
             document { id } errors { code } } }""",
        {"ids": [order["id"]]},
        actors.admin.token,
    )
    assert requested["generateDocuments"]["errors"] == []
    return await Document.all().get()


async def test_a_document_left_running_by_a_dead_worker_is_rendered_again(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """The worker died mid-render (its arq job is held for the job timeout): once the
    document shows no sign of life for the lease time the sweep sends it under a new id."""
    from app.models import Document, DocumentStatus

    document = await an_invoice_requested(gql, actors)
    stale = datetime.now(UTC) - timedelta(seconds=settings_with_redis.worker_lease_seconds + 1)
    await Document.filter(id=document.id).update(status=DocumentStatus.RUNNING, heartbeat_at=stale)
    # the dead worker had taken the job: it is no longer queued
    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    await pool.delete("arq:queue", f"arq:job:document:{document.id}")
    await pool.enqueue_job("requeue_stale", _job_id=f"sweep-{uuid.uuid4()}")
    await pool.aclose()
    await run_jobs(settings_with_redis)  # the sweep
    await run_jobs(settings_with_redis)  # the render it queued
    assert (await Document.get(id=document.id)).status == DocumentStatus.READY


async def test_only_a_running_document_silent_for_the_lease_time_is_stalled(
    gql: GraphQLClient, actors: Actors
) -> None:
    from app.models import Document, DocumentStatus
    from app.services import documents

    document = await an_invoice_requested(gql, actors)
    await check_stall_sweep(
        Document,
        document.id,
        documents.stalled_documents,
        [DocumentStatus.READY, DocumentStatus.FAILED],
    )


async def test_the_sweep_never_queues_twice_a_job_that_is_still_queued(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """A job that only looks lost (its row is old, its job still waits) is re-sent under
    the same id, which Redis already holds: it runs once."""
    from app.models import Document, DocumentStatus
    from app.workers import jobs as worker_jobs

    document = await an_invoice_requested(gql, actors)
    await Document.filter(id=document.id).update(
        created_at=datetime.now(UTC) - timedelta(minutes=5)
    )
    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    try:
        queued = [job_id.decode() for job_id in await pool.zrange("arq:queue", 0, -1)]
        assert queued == [f"document:{document.id}"]
        sent = await worker_jobs.requeue_stale({"settings": settings_with_redis, "redis": pool})
        assert sent == 1
        again = [job_id.decode() for job_id in await pool.zrange("arq:queue", 0, -1)]
        assert again == queued
    finally:
        await pool.aclose()
    await run_jobs(settings_with_redis)
    assert (await Document.get(id=document.id)).status == DocumentStatus.READY


async def test_a_request_that_writes_events_wakes_the_dispatcher_once(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Committed timeline events push one wake-up for the idle dispatcher; many requests
    leave one waiting, never a growing list."""
    from app.services.jobs import WAKE_KEY
    from tests.factories import create_product, placed

    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    try:
        await pool.delete(WAKE_KEY)
        await create_product(gql, actors.admin.token, "A", stock=5)
        assert await pool.llen(WAKE_KEY) == 0  # no order event, nothing to tell
        await placed(gql, actors.customer.token, [("A", 1)])
        assert await pool.llen(WAKE_KEY) == 1
        for _ in range(3):
            await placed(gql, actors.customer.token, [("A", 1)])
        assert await pool.llen(WAKE_KEY) == 1
    finally:
        await pool.delete(WAKE_KEY)
        await pool.aclose()


async def test_a_job_carries_the_id_of_the_request_that_started_it(
    http: httpx.AsyncClient, gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """So the job's log lines can be found from the request's (X-Request-ID)."""
    from arq.jobs import Job

    from app.models import Document
    from tests.factories import create_product, placed

    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    response = await http.post(
        "/graphql",
        json={
            "query": """mutation($ids: [ID!]) { generateDocuments(kind: INVOICE, orderIds: $ids) {
                 document { id } errors { code } } }""",
            "variables": {"ids": [order["id"]]},
        },
        headers={"authorization": f"Bearer {actors.admin.token}", "x-request-id": "req-42.a"},
    )
    assert response.headers["x-request-id"] == "req-42.a"
    assert response.json()["data"]["generateDocuments"]["errors"] == []
    document = await Document.all().get()
    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    try:
        info = await Job(f"document:{document.id}", pool).info()
        assert info is not None
        assert info.kwargs == {"request_id": "req-42.a"}
    finally:
        await pool.aclose()
    await run_jobs(settings_with_redis)


async def test_every_collected_job_is_sent_whatever_its_place_beside_a_wake_up(
    settings_with_redis: Settings,
) -> None:
    from app.services import jobs
    from app.services.jobs import WAKE_KEY

    with jobs.collecting() as collected:
        jobs.announce()
        jobs.defer("purge_expired_tokens", job_id="purge-after-a-wake")
    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    try:
        await pool.delete(WAKE_KEY)
        await jobs.send(pool, collected)
        assert await pool.llen(WAKE_KEY) == 1
        queued = [job_id.decode() for job_id in await pool.zrange("arq:queue", 0, -1)]
        assert "purge-after-a-wake" in queued
    finally:
        await pool.delete(WAKE_KEY)
        await pool.aclose()
    await run_jobs(settings_with_redis)


async def test_the_sweep_never_queues_twice_an_export_that_is_still_queued(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    from app.models import Export
    from app.workers import jobs as worker_jobs

    started = await gql.data(
        "mutation { exportOrders(granularity: ORDER) { export { id } errors { code } } }",
        token=actors.admin.token,
    )
    assert started["exportOrders"]["errors"] == []
    export = await Export.all().get()
    await Export.filter(id=export.id).update(created_at=datetime.now(UTC) - timedelta(minutes=5))
    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    try:
        assert (
            await worker_jobs.requeue_stale({"settings": settings_with_redis, "redis": pool}) == 1
        )
        queued = [job_id.decode() for job_id in await pool.zrange("arq:queue", 0, -1)]
        assert queued == [f"export:{export.id}"]
    finally:
        await pool.aclose()
    await run_jobs(settings_with_redis)


async def test_a_stopping_worker_gives_back_a_lease_from_outside_the_orms_context(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """arq runs on_shutdown in a task of its own, where a worker process's ORM context is
    not set: a lease a cancelled job could not give back itself is still released there
    (it was a traceback, and the lease waited out its time)."""
    row = await BulkOperation.create(status=ImportStatus.QUEUED, target_status="CANCELLED")
    lease = Lease(BulkOperation, row.id, "stopping-worker", timedelta(seconds=60))
    assert await lease.claim()
    # the worker process's own ORM (it closes it on the way out), and arq's task, with none
    # of the worker's context variables
    orm = TortoiseContext()
    await orm.init(config=tortoise_config(app.state.settings))
    with monkeypatch.context() as process:
        # a worker process has no global fallback context (the tests' session has one)
        process.setattr(tortoise.context, "_global_context", None)
        stop = asyncio.get_running_loop().create_task(
            _shut_down({"tortoise": orm}), context=contextvars.Context()
        )
        await stop
    assert (await BulkOperation.get(id=row.id)).lease == ""
