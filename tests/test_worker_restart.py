"""A worker stopped in the middle of an import: the next worker finishes it, no row twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from decimal import Decimal
from typing import Any

import httpx

from app.models import ImportStatus, Order, OrderEvent, TrackingImport, TrackingImportRow
from app.schema.ids import from_global_id
from app.settings import Settings
from tests.conftest import Actors, run_jobs, upload
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
    env = {
        **os.environ,
        "REDIS_URL": settings_with_redis.redis_url,
        "BITCART_DATA_DIR": str(settings_with_redis.data_dir),
        "BITCART_IMPORT_SET_SIZE": "20",
    }
    worker = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "worker",
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(3000):
            row = await TrackingImport.get(id=import_id)
            if row.processed_rows > 0:
                break
            await asyncio.sleep(0.01)
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

    done = await TrackingImport.get(id=import_id)
    assert (done.status, done.processed_rows, done.updated) == (ImportStatus.SUCCEEDED, ROWS, ROWS)
    assert await TrackingImportRow.filter(tracking_import_id=import_id).count() == ROWS
    assert await OrderEvent.filter(type="TRACKING_NUMBER_SET").count() == ROWS
    assert await Order.filter(version=2).count() == ROWS
