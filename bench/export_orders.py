"""exportOrders: rows per second next to PostgreSQL's own COPY of the same columns, and the
worker's peak memory, in the same run.

N orders are made with one INSERT ... SELECT generate_series (no Python objects). The floor
is `COPY (SELECT ...) TO STDOUT` (CSV) of the order columns into a file; the measured run is the
worker's own `exports.run`. Peak memory (max RSS) is read before and after each run: a flat
export adds nothing that grows with N.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/export_orders.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import scratch_environment

SEED = """
INSERT INTO orders (number, version, status, email, billing_address, shipping_address,
  search_text, shipping_method, currency, subtotal, shipping_cost, tax_total, total,
  payment_method, payment_provider, payment_transaction_id, payment_status, amount_authorized,
  amount_paid, amount_refunded, customer_comment, staff_notes, tracking_number, carrier,
  stock_released, status_manual, created_at, updated_at)
SELECT 99 + g, 1, 'AWAITING_FULFILLMENT', 'c' || g || '@example.com',
  jsonb_build_object('first_name', 'Ann', 'last_name', 'Bench' || g, 'company', '',
                     'country', 'US'),
  '{}'::jsonb, '', 'standard', 'USD', 29.70, 5.00, 0, 34.70, 'card', 'stripe', '', 'PAID', 0,
  34.70, 0, '', 'secret', '1Z' || g, 'ups', false, false, now(), now()
FROM generate_series(1, $1) AS g
"""
FLOOR = """SELECT number, created_at, status, email,
  trim((billing_address->>'first_name') || ' ' || (billing_address->>'last_name')),
  billing_address->>'company', billing_address->>'country', shipping_method, currency,
  subtotal, shipping_cost, tax_total, total, payment_status, amount_paid, amount_refunded,
  tracking_number, carrier FROM orders ORDER BY id"""


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main(count: int, rounds: int) -> None:
    from tortoise import Tortoise, connections

    from app.db import atomic, migrate_database, tortoise_config
    from app.models import ExportGranularity
    from app.services import exports, jobs
    from app.services.auth import SYSTEM
    from app.services.orders import OrderFilter
    from app.settings import get_settings
    from app.storage import LocalStorage

    settings = get_settings()
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    folder = Path(tempfile.mkdtemp(prefix="bench-export-"))
    try:
        conn = connections.get("default")
        await conn.execute_query(SEED, [count])
        await conn.execute_script("ANALYZE")
        before = max_rss_mb()
        storage = LocalStorage(folder)
        floors: list[float] = []
        rates: list[float] = []
        for _ in range(rounds):  # interleaved: each ratio compares runs made one after the other
            start = time.perf_counter()
            async with conn.acquire_connection() as raw:
                await raw.copy_from_query(
                    FLOOR, output=str(folder / "floor.csv"), format="csv", header=True
                )
            floors.append(count / (time.perf_counter() - start))

            with jobs.collecting():  # the job is run below, not sent
                async with atomic():
                    export = await exports.start(SYSTEM, OrderFilter(), ExportGranularity.ORDER)
            start = time.perf_counter()
            status = await exports.run(export.id, storage)
            rates.append(count / (time.perf_counter() - start))
            assert status is not None
            assert status.value == "SUCCEEDED"
        grew = max_rss_mb() - before
        size = (folder / "exports" / f"{export.id}.csv").stat().st_size
    finally:
        await Tortoise.close_connections()
    ratios = [rate / floor for rate, floor in zip(rates, floors, strict=True)]
    print(f"exportOrders (ORDER rows), {count} orders, a {size / 1e6:.0f} MB file, {rounds} rounds")
    print(f"  floor (COPY ... TO STDOUT)  {statistics.median(floors):10.0f} rows/s (median)")
    print(f"  exportOrders                {statistics.median(rates):10.0f} rows/s (median)")
    print(
        f"  ratio, median of rounds     {statistics.median(ratios):.2f}"
        f"   (rounds: {', '.join(f'{r:.2f}' for r in ratios)})"
    )
    print(f"  peak memory grew by {grew:.0f} MB during the exports")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    scratch_environment("bitcart_bench_export")
    asyncio.run(main(args.orders, args.rounds))
