"""What an idempotency key costs a checkout, and what a retry costs.

In one process, through the whole HTTP and GraphQL stack (an in-process ASGI client), N guest
orders are placed and each captured by recordPayment: without keys (the floor), with a new
key per call, and then every keyed call again with its key (retries, answered from the key).
Reported: checkouts per second and the ratio to the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import scratch_environment

PLACE = """mutation($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) { order { id } errors { code } } }"""
PAY = """mutation($id: ID!, $key: String) {
  recordPayment(orderId: $id, input: {kind: CAPTURE}, idempotencyKey: $key) {
    transaction { id } errors { code } } }"""
ORDER = {
    "email": "bench@example.com",
    "items": [{"sku": "BENCH-1", "quantity": 1}, {"sku": "BENCH-2", "quantity": 2}],
    "billingAddress": {
        "firstName": "Ada",
        "lastName": "Lovelace",
        "street1": "12 St James's Square",
        "city": "London",
        "country": "GB",
    },
}


async def main(orders: int) -> None:
    import httpx

    from app.db import atomic, migrate_database
    from app.main import create_app
    from app.models import Role
    from app.redis import with_embedded_valkey
    from app.services import accounts, catalog
    from app.services.auth import SYSTEM, issue_token
    from app.settings import get_settings

    settings, valkey = with_embedded_valkey(get_settings())
    await migrate_database(settings)
    app = create_app(settings)
    try:
        async with app.router.lifespan_context(app):
            async with atomic():
                staff = await accounts.create_staff(
                    SYSTEM, "bench@shop.test", "bench-password", Role.ADMIN
                )
                token = await issue_token(staff, settings.secret_key)
                for sku in ("BENCH-1", "BENCH-2"):
                    await catalog.create_product(SYSTEM, sku, sku, "10.00", 10 * orders)
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
                auth = {"Authorization": f"Bearer {token}"}

                async def call(query: str, variables: dict[str, Any], headers: Any) -> Any:
                    response = await http.post(
                        "/graphql", json={"query": query, "variables": variables}, headers=headers
                    )
                    payload = next(iter(response.json()["data"].values()))
                    assert payload["errors"] == [], payload["errors"]
                    return payload

                async def checkout(keys: tuple[str, str] | None) -> None:
                    place_key, pay_key = keys or (None, None)
                    placed = await call(PLACE, {"input": ORDER, "key": place_key}, {})
                    order_id = placed["order"]["id"]
                    await call(PAY, {"id": order_id, "key": pay_key}, auth)

                async def timed(keys: list[tuple[str, str] | None]) -> float:
                    start = time.perf_counter()
                    for pair in keys:
                        await checkout(pair)
                    return len(keys) / (time.perf_counter() - start)

                await timed([None] * 20)  # warm up
                floor = await timed([None] * orders)
                keys = [(str(uuid.uuid4()), str(uuid.uuid4())) for _ in range(orders)]
                keyed = await timed(list(keys))
                retried = await timed(list(keys))
    finally:
        if valkey is not None:
            valkey.stop()
    database = "PostgreSQL" if not settings.is_sqlite else "SQLite"
    print(f"{orders} checkouts (placeOrder + recordPayment) on {database}, one client")
    print(f"  no keys (floor)   {floor:8.1f} /s")
    print(f"  new keys          {keyed:8.1f} /s   ratio {keyed / floor:.2f}")
    print(f"  retries (replays) {retried:8.1f} /s   ratio {retried / floor:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    args = parser.parse_args()
    scratch_environment("bitcart_bench_checkout")
    os.environ["BITCART_GUEST_ORDER_RATE_LIMIT"] = "100000000"
    asyncio.run(main(args.orders))
