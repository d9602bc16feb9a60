"""bulkUpdateOrders: orders per second, next to a set-based floor, in the same run.

N orders of 3 lines each are cancelled. The floor does the same in one transaction, rolled
back afterwards: one UPDATE of the orders, one UPDATE of the products' stock, and one INSERT
of the ledger rows from the order lines. The measured run is the worker's own code,
`bulk.run`, in sets as it runs in production (outcomes, events, ledger and counters
included), after `bulk.start` chose the orders. PostgreSQL:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/bulk_update.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import rolled_back_seconds, scratch_environment, seed_orders

FLOOR = [
    """UPDATE orders SET status = 'CANCELLED', stock_released = true, status_manual = true,
       version = version + 1, updated_at = now() WHERE id = ANY($1::int[])""",
    """UPDATE products p SET stock = p.stock + s.units FROM (
         SELECT product_id, sum(quantity - quantity_shipped) AS units FROM order_items
         WHERE order_id = ANY($1::int[]) GROUP BY product_id) s WHERE p.id = s.product_id""",
    """INSERT INTO inventory_movements (product_id, delta, reason, note, order_id, actor_id,
         created_at)
       SELECT product_id, quantity - quantity_shipped, 'ORDER_RELEASED', '', order_id, NULL, now()
       FROM order_items WHERE order_id = ANY($1::int[])""",
]


async def main(count: int, set_size: int) -> None:
    from tortoise import Tortoise, connections

    from app.db import atomic, migrate_database, tortoise_config
    from app.models import OrderStatus
    from app.services import bulk, jobs
    from app.services.auth import SYSTEM
    from app.services.orders import OrderFilter
    from app.settings import get_settings

    settings = get_settings()
    if settings.is_sqlite:
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        ids = await seed_orders(count)
        await connections.get("default").execute_script("ANALYZE")

        floor = count / await rolled_back_seconds(FLOOR, [ids])

        start = time.perf_counter()
        with jobs.collecting():  # the job is run below, not sent
            async with atomic():
                operation = await bulk.start(
                    SYSTEM,
                    bulk.BulkInput(status=OrderStatus.CANCELLED, filter=OrderFilter()),
                )
        queued = time.perf_counter() - start
        start = time.perf_counter()
        status = await bulk.run(operation.id, set_size=set_size)
        worked = time.perf_counter() - start
        assert status is not None
        assert status.value == "SUCCEEDED", status
        rate = count / (queued + worked)
    finally:
        await Tortoise.close_connections()
    print(f"bulkUpdateOrders to CANCELLED, {count} orders of 3 lines, sets of {set_size}")
    print(f"  floor (3 set-based statements)  {floor:10.0f} orders/s")
    print(
        f"  bulkUpdateOrders                {rate:10.0f} orders/s   ratio {rate / floor:.2f}"
        f"   (choosing {queued:.1f} s, worker {worked:.1f} s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--set-size", type=int, default=1000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    scratch_environment("bitcart_bench_bulk")
    asyncio.run(main(args.orders, args.set_size))
