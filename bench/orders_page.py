"""orders(first: 50) with items over HTTP vs. a hand-built orjson floor on the same rows.

Both servers run under uvicorn in their own process, one after the other, on one seeded database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

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
    from app.models import Role
    from app.services.accounts import create_staff
    from app.services.auth import SYSTEM, issue_token
    from app.settings import get_settings
    from bench.common import seed_orders

    settings = get_settings()
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with atomic():
            staff = await create_staff(SYSTEM, "bench@shop.test", "bench password", Role.ADMIN)
            token = await issue_token(staff, settings.secret_key)
            await seed_orders(orders)
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
    from bench.common import scratch_environment

    scratch_environment("bitcart_bench")
    token = asyncio.run(seed(args.orders))
    print(
        f"database: {os.environ.get('DATABASE_URL') or 'SQLite'}; {args.orders} orders,"
        f" 3 items each; {args.concurrency} concurrent clients, {args.seconds:.0f} s each"
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
