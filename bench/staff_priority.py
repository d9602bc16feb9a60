"""How long a staff packing slip waits when customers have queued many invoices.

Three runs of the real worker (both queues) on the same data: the staff slip alone (the
floor), behind N customer invoices all in the main queue (as before customers had a queue of
their own), and behind N invoices in the customers' queue (as generateDocuments queues them
now). Reported: seconds until the slip is READY, and floor / time as the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import scratch_environment, seed_orders


async def main(customers: int) -> None:
    from arq import create_pool
    from tortoise import Tortoise

    from app.db import migrate_database, tortoise_config
    from app.models import Document, DocumentKind, DocumentStatus
    from app.redis import redis_settings, with_embedded_valkey
    from app.services.jobs import CUSTOMER_QUEUE, RENDER_DOCUMENT
    from app.settings import get_settings
    from app.workers.settings import build_worker

    settings, valkey = with_embedded_valkey(get_settings())
    assert settings.redis_url
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    pool = await create_pool(redis_settings(settings.redis_url))
    try:
        ids = await seed_orders(customers + 1)

        async def run(waiting: int, queue: str | None) -> float:
            await Document.all().delete()
            for n in range(waiting):
                document = await Document.create(
                    kind=DocumentKind.INVOICE,
                    status=DocumentStatus.PENDING,
                    order_ids=[ids[n]],
                    checksum=f"c{n}",
                )
                options = {"_queue_name": queue} if queue else {}
                await pool.enqueue_job(
                    RENDER_DOCUMENT.function, document.id, _job_id=f"bench:{document.id}", **options
                )
            slip = await Document.create(
                kind=DocumentKind.PACKING_SLIP,
                status=DocumentStatus.PENDING,
                order_ids=[ids[-1]],
                checksum="staff",
            )
            await pool.enqueue_job(RENDER_DOCUMENT.function, slip.id, _job_id=f"bench:{slip.id}")
            start = time.perf_counter()
            worker = build_worker(
                settings, own_database=False, burst=True, handle_signals=False, cron_jobs=[]
            )
            task = asyncio.create_task(worker.main())
            while (await Document.get(id=slip.id)).status is not DocumentStatus.READY:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            waited = time.perf_counter() - start
            await task
            await worker.close()
            return waited

        floor = await run(0, None)
        shared = await run(customers, None)
        apart = await run(customers, CUSTOMER_QUEUE)
        print(f"staff slip alone (floor): {floor:.3f} s")
        for label, seconds in (("the main queue", shared), ("their own queue", apart)):
            print(
                f"behind {customers} invoices in {label}: {seconds:.3f} s"
                f"  ratio {floor / seconds:.2f}"
            )
    finally:
        await pool.aclose()
        await Tortoise.close_connections()
        if valkey is not None:
            valkey.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=150)
    args = parser.parse_args()
    scratch_environment("bitcart_bench_priority")
    asyncio.run(main(args.customers))
