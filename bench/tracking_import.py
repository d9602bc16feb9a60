"""Tracking-number import: rows per second vs. a floor of COPY + one UPDATE ... FROM.

Needs PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres (a scratch database
`bitcart_bench_import` is made beside it). Ours: the worker's `run_import` on an uploaded CSV
(parse, check every tracking number, lock, update, record every row's outcome and an event per
change). Floor, in the same run on the same rows: COPY into a temporary table and one
`UPDATE orders ... FROM` it, with no checks, outcomes or events.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import scratch_environment, seed_orders


async def main(rows: int) -> None:
    import asyncpg
    from tortoise import Tortoise, connections

    from app.db import migrate_database, tortoise_config
    from app.models import ImportStatus, Order, TrackingImport
    from app.services.auth import SYSTEM
    from app.services.import_sets import ImportOptions
    from app.services.imports import run_import, start_import
    from app.services.jobs import collecting
    from app.settings import get_settings
    from app.storage import LocalStorage

    settings = get_settings()
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    storage = LocalStorage(settings.data_dir)
    try:
        ids = await seed_orders(rows, items_per_order=1)
        numbers = [i + 99 for i in ids]
        lines = [f"{n},ACME{n:010d},acme" for n in numbers]
        csv = ("Order Number,Tracking Number,Carrier\n" + "\n".join(lines) + "\n").encode()

        with collecting():
            tracking_import = await start_import(
                SYSTEM, "bench.csv", csv, ImportOptions(), settings, storage
            )
        start = time.perf_counter()
        status = await run_import(tracking_import.id, storage)
        ours_seconds = time.perf_counter() - start
        assert status is ImportStatus.SUCCEEDED
        done = await TrackingImport.get(id=tracking_import.id)
        assert done.updated == rows, (done.updated, done.failed, done.skipped)

        await connections.get("default").execute_script(
            "UPDATE orders SET tracking_number = '', carrier = ''"
        )
        url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
        conn = await asyncpg.connect(url)
        try:
            records = [(n, f"ACME{n:010d}", "acme") for n in numbers]
            start = time.perf_counter()
            async with conn.transaction():
                await conn.execute(
                    "CREATE TEMP TABLE incoming (number int, tracking text, carrier text) "
                    "ON COMMIT DROP"
                )
                await conn.copy_records_to_table("incoming", records=records)
                await conn.execute(
                    "UPDATE orders SET tracking_number = i.tracking, carrier = i.carrier "
                    "FROM incoming i WHERE orders.number = i.number"
                )
            floor_seconds = time.perf_counter() - start
        finally:
            await conn.close()
        assert await Order.filter(tracking_number="").count() == 0
    finally:
        await Tortoise.close_connections()
    print(f"{rows} rows on {settings.database_url.split('@')[-1]}")
    print(f"floor (COPY + UPDATE ... FROM):      {rows / floor_seconds:9.0f} rows/s")
    print(f"run_import (checked, recorded, logged): {rows / ours_seconds:9.0f} rows/s")
    print(f"ratio ours/floor: {floor_seconds / ours_seconds:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (see the docstring).")
    scratch_environment("bitcart_bench_import")
    asyncio.run(main(args.rows))
