"""orders(first: 50) with items over HTTP vs. a hand-built orjson floor on the same rows.

Both servers run under uvicorn in their own process, one after the other, on one seeded database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

QUERY = """{ orders(first: 50) { edges { node {
  id number status total currency email createdAt
  items { sku name quantity unitPrice total }
} } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(orders: int) -> str:
    """Create the orders in sets (bulk inserts) and return a staff token."""
    from tortoise import Tortoise

    from app.db import atomic, migrate_database, tortoise_config
    from app.models import Order, OrderItem, Product, Role
    from app.services.accounts import create_staff
    from app.services.auth import SYSTEM, issue_token
    from app.settings import get_settings

    settings = get_settings()
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with atomic():
            staff = await create_staff(SYSTEM, "bench@shop.test", "bench password", Role.ADMIN)
            token = await issue_token(staff, settings.secret_key)
            products = [
                Product(sku=f"SKU-{i}", name=f"Product {i}", price=Decimal("9.90"), stock=10**6)
                for i in range(50)
            ]
            await Product.bulk_create(products)
            address = {
                "first_name": "Ann",
                "last_name": "Bench",
                "street1": "1 Way",
                "city": "Town",
                "country": "US",
            }
            rows = [
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
                )
                for i in range(orders)
            ]
            await Order.bulk_create(rows, batch_size=500)
            ids = await Order.all().order_by("id").values_list("id", flat=True)
            conn = Tortoise.get_connection("default")
            await conn.execute_script("UPDATE orders SET number = id + 99")
            rng = random.Random(1)
            items = [
                OrderItem(
                    order_id=order_id,
                    sku=f"SKU-{k}",
                    name=f"Product {k}",
                    quantity=1,
                    unit_price=Decimal("9.90"),
                    total=Decimal("9.90"),
                )
                for order_id in ids
                for k in rng.sample(range(50), 3)
            ]
            await OrderItem.bulk_create(items, batch_size=1000)
        return token
    finally:
        await Tortoise.close_connections()


def floor_app() -> object:
    """The same page, fetched with the same driver, serialised by hand."""
    import orjson
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    from tortoise import Tortoise
    from tortoise.contrib.starlette import RegisterTortoise

    from app.db import tortoise_config
    from app.settings import get_settings

    async def page(request: object) -> Response:
        conn = Tortoise.get_connection("default")
        orders = await conn.execute_query_dict(
            "SELECT id, number, status, total, currency, email, created_at FROM orders "
            "ORDER BY created_at DESC, id DESC LIMIT 50"
        )
        ids = [o["id"] for o in orders]
        marks = ", ".join(
            ["?" if get_settings().is_sqlite else f"${i + 1}" for i in range(len(ids))]
        )
        items = await conn.execute_query_dict(
            f"SELECT order_id, sku, name, quantity, unit_price, total FROM order_items "
            f"WHERE order_id IN ({marks}) ORDER BY id",
            ids,
        )
        by_order: dict[int, list[dict[str, object]]] = {}
        for item in items:
            by_order.setdefault(item["order_id"], []).append(
                {
                    "sku": item["sku"],
                    "name": item["name"],
                    "quantity": item["quantity"],
                    "unitPrice": str(item["unit_price"]),
                    "total": str(item["total"]),
                }
            )
        edges = [
            {
                "node": {
                    "id": o["id"],
                    "number": o["number"],
                    "status": o["status"],
                    "total": str(o["total"]),
                    "currency": o["currency"],
                    "email": o["email"],
                    "createdAt": str(o["created_at"]),
                    "items": by_order.get(o["id"], []),
                }
            }
            for o in orders
        ]
        return Response(
            orjson.dumps({"data": {"orders": {"edges": edges}}}), media_type="application/json"
        )

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        async with RegisterTortoise(app, config=tortoise_config(get_settings())):
            yield

    return Starlette(routes=[Route("/graphql", page, methods=["POST"])], lifespan=lifespan)


def serve(kind: str, port: int) -> None:
    import uvicorn

    from app.main import create_app

    app = create_app() if kind == "api" else floor_app()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]


async def load(url: str, token: str, seconds: float, concurrency: int) -> tuple[float, int]:
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        first = await client.post("/graphql", json={"query": QUERY}, headers=headers)
        first.raise_for_status()
        size = len(first.json()["data"]["orders"]["edges"])
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                r = await client.post("/graphql", json={"query": QUERY}, headers=headers)
                r.raise_for_status()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - start), size


def measure(kind: str, token: str, seconds: float, concurrency: int) -> tuple[float, int]:
    port = _free_port()
    process = subprocess.Popen([sys.executable, __file__, "--serve", kind, "--port", str(port)])
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(url + "/graphql", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        return asyncio.run(load(url, token, seconds, concurrency))
    finally:
        process.terminate()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--serve", choices=["api", "floor"])
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    os.environ["BITCART_DATA_DIR"] = tempfile.mkdtemp(prefix="bitcart-bench-")
    os.environ.setdefault("SECRET_KEY", "bench")
    if os.environ.get("DATABASE_URL"):
        import asyncpg

        base = urlsplit(os.environ["DATABASE_URL"])

        async def fresh() -> None:
            conn = await asyncpg.connect(urlunsplit(base._replace(scheme="postgresql")))
            await conn.execute("DROP DATABASE IF EXISTS bitcart_bench WITH (FORCE)")
            await conn.execute("CREATE DATABASE bitcart_bench")
            await conn.close()

        asyncio.run(fresh())
        os.environ["DATABASE_URL"] = urlunsplit(base._replace(path="/bitcart_bench"))
    os.environ.pop("REDIS_URL", None)
    token = asyncio.run(seed(args.orders))
    print(
        f"database: {os.environ.get('DATABASE_URL', 'SQLite')}; {args.orders} orders, 3 items each;"
        f" {args.concurrency} concurrent clients, {args.seconds:.0f} s each"
    )
    floor, floor_size = measure("floor", token, args.seconds, args.concurrency)
    api, api_size = measure("api", token, args.seconds, args.concurrency)
    assert floor_size == api_size == 50
    print(f"floor (plain Starlette + orjson): {floor:8.1f} pages/s")
    print(f"orders(first: 50) over GraphQL:   {api:8.1f} pages/s")
    print(f"ratio api/floor: {api / floor:.2f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
