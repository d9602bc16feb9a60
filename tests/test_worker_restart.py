"""A worker stopped in the middle of an import (SIGTERM) or killed (SIGKILL): the next worker
finishes it, no row twice."""

from __future__ import annotations

import asyncio
import signal
import time
from decimal import Decimal
from typing import Any

import httpx

from app.models import ImportStatus, Order, OrderEvent, TrackingImport, TrackingImportRow
from app.schema.ids import from_global_id
from app.settings import Settings
from tests.conftest import Actors, run_jobs, upload
from tests.processes import start_worker
from tests.test_imports import IMPORT

ROWS = 3000


async def _orders(count: int) -> list[int]:
    address = {"first_name": "A", "last_name": "B", "street1": "s", "city": "c", "country": "US"}
    money = Decimal("1.00")
    await Order.bulk_create(
        [
            Order(
                status="AWAITING_FULFILLMENT",
                email=f"o{i}@example.com",
                billing_address=address,
                shipping_address=address,
                currency="USD",
                subtotal=money,
                shipping_cost=money,
                tax_total=money,
                total=money,
                payment_status="PAID",
                amount_paid=money,
                amount_refunded=money,
                number=1000 + i,
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    return [1000 + i for i in range(count)]


async def test_a_stopped_worker_leaves_the_import_to_the_next_one(
    http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings, app: Any
) -> None:
    numbers = await _orders(ROWS)
    csv = "order,tracking,carrier\n" + "".join(f"{n},ACME{n:08d},acme\n" for n in numbers)
    body = await upload(http, IMPORT, {}, csv.encode(), actors.admin.token)
    import_id = from_global_id(
        "TrackingImport", body["data"]["importTracking"]["trackingImport"]["id"]
    )
    assert settings_with_redis.redis_url
    worker = await start_worker(settings_with_redis)
    try:
        await wait_for_progress(import_id)
        worker.send_signal(signal.SIGTERM)  # what `docker compose stop` sends
        assert await asyncio.wait_for(worker.wait(), 60) == 0
    finally:
        if worker.returncode is None:
            worker.kill()
            await worker.wait()
    stopped = await TrackingImport.get(id=import_id)
    assert stopped.status == ImportStatus.RUNNING
    assert 0 < stopped.processed_rows < ROWS

    await run_jobs(settings_with_redis)  # arq hands the interrupted job to the next worker
    await assert_every_row_applied_once(import_id)


async def wait_for_progress(import_id: int) -> None:
    for _ in range(3000):
        row = await TrackingImport.get(id=import_id)
        if row.processed_rows > 0:
            return
        await asyncio.sleep(0.01)


async def assert_every_row_applied_once(import_id: int) -> None:
    done = await TrackingImport.get(id=import_id)
    assert (done.status, done.processed_rows, done.updated) == (ImportStatus.SUCCEEDED, ROWS, ROWS)
    assert await TrackingImportRow.filter(tracking_import_id=import_id).count() == ROWS
    lines = await TrackingImportRow.filter(tracking_import_id=import_id).values_list(
        "line", flat=True
    )
    assert sorted(lines) == list(range(2, ROWS + 2))
    assert await OrderEvent.filter(type="TRACKING_NUMBER_SET").count() == ROWS
    assert await Order.filter(version=2).count() == ROWS


async def test_a_killed_worker_is_taken_over_once_its_lease_runs_out(
    http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings, app: Any
) -> None:
    """SIGKILL leaves no chance to hand the job back: arq would hold it for its job timeout
    (ten minutes). The import's lease runs out instead, and the next worker's sweep sends it
    again; the sets committed before the kill are not applied twice."""
    numbers = await _orders(ROWS)
    csv = "order,tracking,carrier\n" + "".join(f"{n},ACME{n:08d},acme\n" for n in numbers)
    body = await upload(http, IMPORT, {}, csv.encode(), actors.admin.token)
    import_id = from_global_id(
        "TrackingImport", body["data"]["importTracking"]["trackingImport"]["id"]
    )
    lease = {"BITCART_WORKER_LEASE_SECONDS": "3"}
    first = await start_worker(settings_with_redis, **lease)
    try:
        await wait_for_progress(import_id)
    finally:
        first.kill()
        await first.wait()
    killed = await TrackingImport.get(id=import_id)
    assert killed.status == ImportStatus.RUNNING
    assert 0 < killed.processed_rows < ROWS
    assert killed.lease != ""  # still held by the dead worker
    second = await start_worker(settings_with_redis, **lease)
    started = time.monotonic()
    try:
        while (await TrackingImport.get(id=import_id)).status is not ImportStatus.SUCCEEDED:
            assert time.monotonic() - started < 60, "not taken over within 60 seconds"
            await asyncio.sleep(0.1)
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 60)
    await assert_every_row_applied_once(import_id)
