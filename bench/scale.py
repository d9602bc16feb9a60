"""Pages and search at 10,000 and at 1,000,000 orders: does a read stay as fast as the
store grows?

Orders are bulk-loaded with COPY (names, emails, statuses and tracking numbers vary; a
fifth of the orders have a shipment). For each size, through the whole GraphQL stack
in-process, as staff: the first page of `orders(first: 50)`, page 200 (its cursor found
by walking there once), a status filter (`SHIPPED`, newest first), the second page sorted
by total, and a search for one customer's name; p50 and p99 of 50 runs each. PostgreSQL only:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/scale.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
import orjson

from bench.common import scratch_environment

PAGE = """query($after: String, $filter: OrderFilterInput, $sort: OrderSortInput) {
  orders(first: 50, after: $after, filter: $filter, sort: $sort) {
    edges { node { id number status total email createdAt trackingNumber } }
    pageInfo { endCursor hasNextPage }
  }
}"""
STATUSES = ["AWAITING_FULFILLMENT", "SHIPPED", "COMPLETED", "CANCELLED", "PARTIALLY_SHIPPED"]
FIRST = ["Ann", "Bob", "Cleo", "Dev", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jun"]
LAST = ["Smith", "Ng", "Okafor", "Berg", "Rossi", "Kim", "Silva", "Dubois", "Novak", "Sato"]


def _word(i: int) -> str:
    """A surname of six letters, different for every order, spread like real names are
    (no prefix every row shares, which no index could narrow down)."""
    n = (i * 2_654_435_761) % 26**6
    letters = []
    for _ in range(6):
        n, at = divmod(n, 26)
        letters.append(chr(ord("a") + at))
    return "".join(letters)


def _order_row(i: int, start: datetime) -> tuple[Any, ...]:
    first, last = FIRST[i % 10], LAST[(i // 10) % 10]
    unique = _word(i)  # one customer's own surname: the search looks for one of these
    address = {"first_name": first, "last_name": f"{last}-{unique}", "city": "Town"}
    status = STATUSES[i % 5]
    shipped = status in ("SHIPPED", "COMPLETED", "PARTIALLY_SHIPPED")
    money = Decimal("34.70")
    when = start + timedelta(seconds=i * 30)
    return (
        i + 100,
        1,
        status,
        f"{first.lower()}.{unique}@example.com",
        orjson.dumps(address).decode(),
        orjson.dumps(address).decode(),
        f"{first} {last}-{unique} {first}.{unique}@example.com".lower(),
        "standard",
        "USD",
        money,
        Decimal("0.00"),
        Decimal("0.00"),
        money,
        "card",
        "",
        "",
        "PAID",
        Decimal("0.00"),
        money,
        Decimal("0.00"),
        "",
        "",
        f"1Z{i:016d}" if shipped else "",
        "ups" if shipped else "",
        False,
        False,
        when,
        when,
    )


COLUMNS = [
    "number", "version", "status", "email", "billing_address", "shipping_address",
    "search_text", "shipping_method", "currency", "subtotal", "shipping_cost", "tax_total",
    "total", "payment_method", "payment_provider", "payment_transaction_id", "payment_status",
    "amount_authorized", "amount_paid", "amount_refunded", "customer_comment", "staff_notes",
    "tracking_number", "carrier", "stock_released", "status_manual", "created_at", "updated_at",
]  # fmt: skip


async def load(count: int) -> None:
    from tortoise import connections

    conn = connections.get("default")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    async with conn.acquire_connection() as raw:
        for begin in range(0, count, 100_000):
            rows = [_order_row(i, start) for i in range(begin, min(count, begin + 100_000))]
            await raw.copy_records_to_table("orders", records=rows, columns=COLUMNS)
        await raw.execute(
            """INSERT INTO shipments (order_id, created_at, shipped_to, search_text,
                 tracking_number, carrier, shipping_method, comments, created_by)
               SELECT id, created_at, '{}', '', '1Z' || lpad((number - 100)::text, 16, '0'),
                 'ups', 'standard', '', '' FROM orders WHERE id % 5 = 2"""
        )
        # as autovacuum would soon after a bulk load: statistics, and the trigram indexes'
        # pending lists merged (a GIN index reads its whole pending list on every search)
        await raw.execute("VACUUM ANALYZE")


def _ms(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


async def measure(client: httpx.AsyncClient, token: str, count: int) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}

    async def page(variables: dict[str, Any]) -> dict[str, Any]:
        answer = await client.post(
            "/graphql", json={"query": PAGE, "variables": variables}, headers=headers
        )
        body = answer.json()
        assert "errors" not in body, body
        result: dict[str, Any] = body["data"]["orders"]
        return result

    cursor = None
    for _ in range(199):  # walk to page 200 once
        cursor = (await page({"after": cursor}))["pageInfo"]["endCursor"]
    by_total = (await page({"sort": {"field": "TOTAL", "direction": "ASC"}}))["pageInfo"][
        "endCursor"
    ]
    target = count // 2
    name = _word(target)
    cases = {
        "first page": {},
        "page 200": {"after": cursor},
        "status SHIPPED": {"filter": {"status": ["SHIPPED"]}},
        "by total, page 2": {"sort": {"field": "TOTAL", "direction": "ASC"}, "after": by_total},
        "search one customer": {"filter": {"search": name}},
    }
    results = {}
    for label, variables in cases.items():
        found = await page(variables)
        assert found["edges"], label
        times = []
        for _ in range(50):
            started = time.perf_counter()
            await page(variables)
            times.append((time.perf_counter() - started) * 1000)
        results[label] = _ms(times)
    return results


async def one_size(count: int) -> dict[str, Any]:
    from tortoise import Tortoise

    from app.db import atomic, migrate_database, tortoise_config
    from app.main import create_app
    from app.models import Role
    from app.services.accounts import create_staff
    from app.services.auth import SYSTEM, issue_token
    from app.settings import load_settings

    settings = load_settings()  # this size's own database (not the cached settings)
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        started = time.perf_counter()
        await load(count)
        loaded = time.perf_counter() - started
        async with atomic():
            staff = await create_staff(SYSTEM, "bench@shop.test", "bench password", Role.ADMIN)
            token = await issue_token(staff, settings.secret_key)
    finally:
        await Tortoise.close_connections()
    app = create_app(settings)
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            results = await measure(client, token, count)
    print(f"{count:>9,} orders (loaded in {loaded:.0f} s)")
    for label, (p50, p99) in results.items():
        print(f"  {label:<22} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Run this on PostgreSQL: set DATABASE_URL.")
    base = os.environ["DATABASE_URL"]
    found = {}
    for count in (args.small, args.large):
        os.environ["DATABASE_URL"] = base
        scratch_environment(f"bitcart_bench_scale_{count}")
        found[count] = asyncio.run(one_size(count))
    print(f"p50 at {args.large:,} / p50 at {args.small:,} (goal: at most 1.5)")
    for label in found[args.small]:
        small, large = found[args.small][label][0], found[args.large][label][0]
        print(f"  {label:<22} {large / small:5.2f}")


if __name__ == "__main__":
    main()
