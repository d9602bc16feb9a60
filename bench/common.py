"""Shared set-up for the benchmarks: a scratch data folder and database, seeded in sets."""

from __future__ import annotations

import asyncio
import atexit
import os
import tempfile
from decimal import Decimal
from urllib.parse import urlsplit, urlunsplit


def scratch_environment(name: str) -> None:
    """A new data folder; with DATABASE_URL, a fresh database `name_<pid>` beside the one
    named (two benches at once on one server must not drop each other's), dropped at exit."""
    os.environ["BITCART_DATA_DIR"] = tempfile.mkdtemp(prefix=f"{name}-")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.pop("REDIS_URL", None)
    if not os.environ.get("DATABASE_URL"):
        return
    import asyncpg

    base = urlsplit(os.environ["DATABASE_URL"])
    name = f"{name}_{os.getpid()}"

    async def fresh() -> None:
        conn = await asyncpg.connect(urlunsplit(base._replace(scheme="postgresql")))
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {name}")
        await conn.close()

    async def drop() -> None:
        conn = await asyncpg.connect(urlunsplit(base._replace(scheme="postgresql")))
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.close()

    asyncio.run(fresh())
    atexit.register(lambda: asyncio.run(drop()))
    os.environ["DATABASE_URL"] = urlunsplit(base._replace(path=f"/{name}"))


async def seed_orders(count: int, items_per_order: int = 3) -> list[int]:
    """Orders numbered from 100 with a few items each, inserted in sets. Returns their ids."""
    from app.models import Order, OrderItem, Product

    await Product.bulk_create(
        [
            Product(sku=f"SKU-{i}", name=f"Product {i}", price=Decimal("9.90"), stock=10**6)
            for i in range(50)
        ]
    )
    address = {
        "first_name": "Ann",
        "last_name": "Bench",
        "street1": "1 Way",
        "city": "Town",
        "postal_code": "12345",
        "country": "US",
    }
    await Order.bulk_create(
        [
            Order(
                status="AWAITING_FULFILLMENT",
                email=f"c{i}@example.com",
                billing_address=address,
                shipping_address=address,
                currency="USD",
                subtotal=Decimal("29.70"),
                shipping_cost=Decimal("5.00"),
                tax_total=Decimal("0.00"),
                total=Decimal("34.70"),
                payment_status="PAID",
                amount_paid=Decimal("34.70"),
                amount_refunded=Decimal("0.00"),
                payment_method="card",
                customer_comment="Please leave at the door",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    from tortoise import connections

    await connections.get("default").execute_script("UPDATE orders SET number = id + 99")
    ids: list[int] = await Order.all().order_by("id").values_list("id", flat=True)
    await OrderItem.bulk_create(
        [
            OrderItem(
                order_id=order_id,
                product_id=k + 1,
                sku=f"SKU-{k}",
                name=f"Product {k}",
                quantity=1,
                unit_price=Decimal("9.90"),
                total=Decimal("9.90"),
            )
            for order_id in ids
            for k in range(items_per_order)
        ],
        batch_size=2000,
    )
    return ids


class _RolledBack(Exception):
    pass


async def rolled_back_seconds(statements: list[str], params: list[object] | None = None) -> float:
    """Seconds the statements take together in one transaction, rolled back afterwards: a
    floor that leaves the data as it found it."""
    import time

    from tortoise import connections

    from app.db import atomic

    start = time.perf_counter()
    try:
        async with atomic():
            conn = connections.get("default")
            for statement in statements:
                await conn.execute_query(statement, params)
            raise _RolledBack
    except _RolledBack:
        pass
    return time.perf_counter() - start
