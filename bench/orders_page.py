"""The staff console's list page (P1) and one order (P2) over GraphQL, next to a floor that
fetches the same rows with the database driver and writes them with orjson behind a bare
Starlette route. Load comes from `wrk` (Debian's package): a Python client on a small
machine would measure itself.

P1: `orders(first: 50)` with `id number status total currency email createdAt
trackingNumber`, `items { sku name quantity unitPrice total }` and `shipments { id
trackingNumber carrier createdAt items { quantity } }`: 5 lines an order, half the orders
shipped in two shipments. P2: one order with its addresses, payment, items and shipments.

Both servers run under uvicorn, each in a process of its own, on one seeded database (the
API logging JSON lines, as in production). They are loaded in turn, round after round, so
each ratio compares two runs made one after the other: on a shared VM, runs minutes apart
differ by more than the changes being measured. Reported: pages/s at 8 connections, the
median ratio to the floor and each round's; p50 and p99 at one connection; SQL
statements per request.

    python bench/orders_page.py                     # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres python bench/orders_page.py
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from statistics import median
from typing import Any

import httpx
from starlette.responses import Response

P1 = """{ orders(first: 50) { edges { node {
  id number status total currency email createdAt trackingNumber
  items { sku name quantity unitPrice total }
  shipments { id trackingNumber carrier createdAt items { quantity } }
} } } }"""
P2 = """query($n: Int!) { order(number: $n) {
  id number status total currency email createdAt trackingNumber customerComment
  billingAddress { firstName lastName street1 city postalCode country }
  shippingAddress { firstName lastName street1 city postalCode country }
  payment { status method amountPaid amountRefunded }
  items { sku name quantity unitPrice total quantityShipped }
  shipments { id trackingNumber carrier createdAt items { quantity } }
} }"""
ONE_ORDER = 150  # the number P2 asks for (a shipped order)
# The staff console's own reads (console/src/orders): its order list (C1) and its order page
# (C2, with the refunds, transactions, customer and timeline the page shows).
C1 = """query OrdersList($first: Int, $after: String, $filter: OrderFilterInput) {
  orders(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id number status createdAt email total currency trackingNumber
      payment { status } shippingAddress { firstName lastName city country } } }
} }"""
C2 = """query OrderPage($number: Int!) { order(number: $number) {
  id number version status isOpen createdAt updatedAt email currency subtotal shippingCost
  taxTotal total shippingMethod customerComment staffNotes trackingNumber carrier trackingUrl
  customer { email firstName lastName }
  billingAddress { ...AddressFields } shippingAddress { ...AddressFields }
  payment { method provider status amountAuthorized amountPaid amountRefunded balanceDue
    refundDue currency
    transactions { id kind amount currency provider reference createdAt actor } }
  items { id sku name quantity unitPrice total quantityShipped quantityReturned
    quantityRestocked }
  shipments { id createdAt trackingNumber carrier trackingUrl items { sku quantity } }
  refunds { id amount currency createdAt restocked reason }
  events(first: 100) { totalCount edges { node { id type createdAt actor message visibility } } }
} }
fragment AddressFields on Address { firstName lastName company street1 street2 city state
  postalCode country phone }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(orders: int) -> str:
    """Orders of 5 lines, every other one shipped in two shipments; a staff token."""
    from tortoise import Tortoise

    from app.db import atomic, insert_rows, migrate_database, tortoise_config
    from app.models import OrderItem, Role, Shipment
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
            ids = await seed_orders(orders, items_per_order=5)
            shipped = ids[::2]
            address = {"first_name": "Ann", "last_name": "Bench", "country": "US"}
            await Shipment.bulk_create(
                [
                    Shipment(
                        order_id=order_id,
                        shipped_to=address,
                        tracking_number=f"1Z{order_id:08d}{half}",
                        carrier="ups",
                    )
                    for order_id in shipped
                    for half in (1, 2)
                ],
                batch_size=2000,
            )
            made = await Shipment.all().order_by("id").values_list("id", "order_id")
            lines = (
                await OrderItem.filter(order_id__in=shipped)
                .order_by("id")
                .values_list("id", "order_id", "sku", "name")
            )
            by_order: dict[int, list[tuple[Any, ...]]] = {}
            for line in lines:
                by_order.setdefault(line[1], []).append(line)
            rows = []
            for shipment_id, order_id in made:
                items = by_order[order_id]
                first = shipment_id % 2 == 1
                for item_id, _, sku, name in items[:3] if first else items[3:]:
                    rows.append((shipment_id, item_id, sku, name, 1))
            await insert_rows(
                "shipment_items", ("shipment_id", "order_item_id", "sku", "name", "quantity"), rows
            )
            await OrderItem.filter(order_id__in=shipped).update(quantity_shipped=1)
            from tortoise import connections

            await connections.get("default").execute_script(
                "UPDATE orders SET status = 'SHIPPED', tracking_number = '1Z' || "
                "substr('00000000' || id, -8, 8) || '2', carrier = 'ups' WHERE id % 2 = 1"
                if settings.is_sqlite
                else "UPDATE orders SET status = 'SHIPPED', tracking_number = '1Z' || "
                "lpad(id::text, 8, '0') || '2', carrier = 'ups' WHERE id % 2 = 1"
            )
        return token
    finally:
        await Tortoise.close_connections()


def _money(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else str(Decimal(str(value)))


def _time(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def floor_app() -> object:
    """The same pages from the same rows, by hand: one statement a relation, orjson out."""
    import orjson
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route
    from tortoise import Tortoise
    from tortoise.contrib.starlette import RegisterTortoise

    from app.db import tortoise_config
    from app.global_ids import encode
    from app.settings import get_settings

    sqlite = get_settings().is_sqlite

    def marks(count: int) -> str:
        return ", ".join(["?" if sqlite else f"${i + 1}" for i in range(count)])

    async def relations(ids: list[int]) -> tuple[dict[int, list[Any]], dict[int, list[Any]]]:
        conn = Tortoise.get_connection("default")
        items = await conn.execute_query_dict(
            "SELECT order_id, sku, name, quantity, unit_price, total, quantity_shipped "
            f"FROM order_items WHERE order_id IN ({marks(len(ids))}) ORDER BY id",
            ids,
        )
        shipments = await conn.execute_query_dict(
            "SELECT id, order_id, tracking_number, carrier, created_at FROM shipments "
            f"WHERE order_id IN ({marks(len(ids))}) ORDER BY id",
            ids,
        )
        shipment_ids = [s["id"] for s in shipments]
        lines = (
            await conn.execute_query_dict(
                "SELECT shipment_id, quantity FROM shipment_items "
                f"WHERE shipment_id IN ({marks(len(shipment_ids))}) ORDER BY id",
                shipment_ids,
            )
            if shipment_ids
            else []
        )
        by_shipment: dict[int, list[Any]] = {}
        for line in lines:
            by_shipment.setdefault(line["shipment_id"], []).append({"quantity": line["quantity"]})
        by_order_items: dict[int, list[Any]] = {}
        for i in items:
            by_order_items.setdefault(i["order_id"], []).append(i)
        by_order_shipments: dict[int, list[Any]] = {}
        for s in shipments:
            by_order_shipments.setdefault(s["order_id"], []).append(
                {
                    "id": encode("Shipment", s["id"]),
                    "trackingNumber": s["tracking_number"] or None,
                    "carrier": s["carrier"] or None,
                    "createdAt": _time(s["created_at"]),
                    "items": by_shipment.get(s["id"], []),
                }
            )
        return by_order_items, by_order_shipments

    def head(o: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": encode("Order", o["id"]),
            "number": o["number"],
            "status": o["status"],
            "total": _money(o["total"]),
            "currency": o["currency"],
            "email": o["email"],
            "createdAt": _time(o["created_at"]),
            "trackingNumber": o["tracking_number"] or None,
        }

    async def page(request: Request) -> Response:
        conn = Tortoise.get_connection("default")
        orders = await conn.execute_query_dict(
            "SELECT id, number, status, total, currency, email, created_at, tracking_number "
            "FROM orders ORDER BY created_at DESC, id DESC LIMIT 50"
        )
        items, shipments = await relations([o["id"] for o in orders])
        edges = [
            {
                "node": {
                    **head(o),
                    "items": [
                        {
                            "sku": i["sku"],
                            "name": i["name"],
                            "quantity": i["quantity"],
                            "unitPrice": _money(i["unit_price"]),
                            "total": _money(i["total"]),
                        }
                        for i in items.get(o["id"], [])
                    ],
                    "shipments": shipments.get(o["id"], []),
                }
            }
            for o in orders
        ]
        return Response(
            orjson.dumps({"data": {"orders": {"edges": edges}}}), media_type="application/json"
        )

    def address(raw: Any) -> dict[str, Any]:
        data = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
        keys = ("first_name", "last_name", "street1", "city", "postal_code", "country")
        names = ("firstName", "lastName", "street1", "city", "postalCode", "country")
        return {n: str(data.get(k) or "") for k, n in zip(keys, names, strict=True)}

    async def one(request: Request) -> Response:
        conn = Tortoise.get_connection("default")
        (o,) = await conn.execute_query_dict(
            "SELECT id, number, status, total, currency, email, created_at, tracking_number, "
            "customer_comment, billing_address, shipping_address, payment_status, "
            f"payment_method, amount_paid, amount_refunded FROM orders WHERE number = {marks(1)}",
            [ONE_ORDER],
        )
        items, shipments = await relations([o["id"]])
        order = {
            **head(o),
            "customerComment": o["customer_comment"],
            "billingAddress": address(o["billing_address"]),
            "shippingAddress": address(o["shipping_address"]),
            "payment": {
                "status": o["payment_status"],
                "method": o["payment_method"],
                "amountPaid": _money(o["amount_paid"]),
                "amountRefunded": _money(o["amount_refunded"]),
            },
            "items": [
                {
                    "sku": i["sku"],
                    "name": i["name"],
                    "quantity": i["quantity"],
                    "unitPrice": _money(i["unit_price"]),
                    "total": _money(i["total"]),
                    "quantityShipped": i["quantity_shipped"],
                }
                for i in items.get(o["id"], [])
            ],
            "shipments": shipments.get(o["id"], []),
        }
        return Response(orjson.dumps({"data": {"order": order}}), media_type="application/json")

    console = ConsoleFloor(sqlite, marks)

    async def graphql(request: Request) -> Response:
        body = orjson.loads(await request.body())
        query = body["query"]
        if query.startswith("query OrdersList"):
            return await console.orders_list()
        if query.startswith("query OrderPage"):
            return await console.order_page()
        return await (one(request) if "order(number" in query else page(request))

    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app: Starlette):  # type: ignore[no-untyped-def]
        async with RegisterTortoise(app, config=tortoise_config(get_settings())):
            yield

    return Starlette(routes=[Route("/graphql", graphql, methods=["POST"])], lifespan=lifespan)


class ConsoleFloor:
    """C1 and C2 by hand: the same rows, one statement a relation, orjson out."""

    def __init__(self, sqlite: bool, marks: Any) -> None:
        self.sqlite, self.marks = sqlite, marks

    async def rows(self, sql: str, values: list[Any]) -> list[dict[str, Any]]:
        from tortoise import Tortoise

        found: list[dict[str, Any]] = await Tortoise.get_connection("default").execute_query_dict(
            sql, values
        )
        return found

    async def orders_list(self) -> Response:
        import base64

        import orjson

        from app.global_ids import encode

        orders = await self.rows(
            "SELECT id, number, status, created_at, email, total, currency, tracking_number, "
            "payment_status, shipping_address FROM orders ORDER BY created_at DESC, id DESC "
            "LIMIT 51",
            [],
        )
        (count,) = await self.rows("SELECT count(*) AS n FROM orders", [])
        shown = orders[:50]
        cursors = [
            base64.urlsafe_b64encode(orjson.dumps([_time(o["created_at"]), o["id"]])).decode()
            for o in shown
        ]
        edges = []
        for o in shown:
            to = _json(o["shipping_address"])
            edges.append(
                {
                    "node": {
                        "id": encode("Order", o["id"]),
                        "number": o["number"],
                        "status": o["status"],
                        "createdAt": _time(o["created_at"]),
                        "email": o["email"],
                        "total": _money(o["total"]),
                        "currency": o["currency"],
                        "trackingNumber": o["tracking_number"] or None,
                        "payment": {"status": o["payment_status"]},
                        "shippingAddress": {
                            n: str(to.get(k) or "")
                            for k, n in (
                                ("first_name", "firstName"),
                                ("last_name", "lastName"),
                                ("city", "city"),
                                ("country", "country"),
                            )
                        },
                    }
                }
            )
        data = {
            "orders": {
                "totalCount": count["n"],
                "pageInfo": {
                    "hasNextPage": len(orders) > 50,
                    "hasPreviousPage": False,
                    "startCursor": cursors[0] if cursors else None,
                    "endCursor": cursors[-1] if cursors else None,
                },
                "edges": edges,
            }
        }
        return Response(orjson.dumps({"data": data}), media_type="application/json")

    async def order_page(self) -> Response:
        import orjson

        (o,) = await self.rows(f"SELECT * FROM orders WHERE number = {self.marks(1)}", [ONE_ORDER])
        one = self.marks(1)
        items = await self.rows(
            f"SELECT * FROM order_items WHERE order_id = {one} ORDER BY id", [o["id"]]
        )
        shipments = await self.rows(
            f"SELECT * FROM shipments WHERE order_id = {one} ORDER BY id", [o["id"]]
        )
        ids = [x["id"] for x in shipments]
        lines = (
            await self.rows(
                "SELECT shipment_id, sku, quantity FROM shipment_items WHERE shipment_id IN "
                f"({self.marks(len(ids))}) ORDER BY id",
                ids,
            )
            if ids
            else []
        )
        paid = await self.rows(
            f"SELECT * FROM payment_transactions WHERE order_id = {one} ORDER BY id", [o["id"]]
        )
        refunds = await self.rows(
            f"SELECT * FROM refunds WHERE order_id = {one} ORDER BY id", [o["id"]]
        )
        events = await self.rows(
            f"SELECT * FROM order_events WHERE order_id = {one} ORDER BY id", [o["id"]]
        )
        customer = (
            (
                await self.rows(
                    f"SELECT email, first_name, last_name FROM users WHERE id = {one}",
                    [o["customer_id"]],
                )
            )
            if o["customer_id"]
            else []
        )
        return Response(
            orjson.dumps(
                {
                    "data": {
                        "order": _console_order(
                            o, items, shipments, lines, paid, refunds, events, customer
                        )
                    }
                }
            ),
            media_type="application/json",
        )


def _json(raw: Any) -> dict[str, Any]:
    import orjson

    found: dict[str, Any] = orjson.loads(raw) if isinstance(raw, str | bytes) else raw
    return found


def _console_order(
    o: dict[str, Any],
    items: list[Any],
    shipments: list[Any],
    lines: list[Any],
    paid: list[Any],
    refunds: list[Any],
    events: list[Any],
    customer: list[Any],
) -> dict[str, Any]:
    from app.global_ids import encode

    parts = (
        "first_name",
        "last_name",
        "company",
        "street1",
        "street2",
        "city",
        "state",
        "postal_code",
        "country",
        "phone",
    )
    names = (
        "firstName",
        "lastName",
        "company",
        "street1",
        "street2",
        "city",
        "state",
        "postalCode",
        "country",
        "phone",
    )

    def address(raw: Any) -> dict[str, str]:
        data = _json(raw)
        return {n: str(data.get(k) or "") for k, n in zip(parts, names, strict=True)}

    return {
        "id": encode("Order", o["id"]),
        "number": o["number"],
        "version": o["version"],
        "status": o["status"],
        "isOpen": True,
        "createdAt": _time(o["created_at"]),
        "updatedAt": _time(o["updated_at"]),
        "email": o["email"],
        "currency": o["currency"],
        "subtotal": _money(o["subtotal"]),
        "shippingCost": _money(o["shipping_cost"]),
        "taxTotal": _money(o["tax_total"]),
        "total": _money(o["total"]),
        "shippingMethod": o["shipping_method"],
        "customerComment": o["customer_comment"],
        "staffNotes": o["staff_notes"],
        "trackingNumber": o["tracking_number"] or None,
        "carrier": o["carrier"] or None,
        "trackingUrl": None,
        "customer": (
            {
                "email": customer[0]["email"],
                "firstName": customer[0]["first_name"],
                "lastName": customer[0]["last_name"],
            }
            if customer
            else None
        ),
        "billingAddress": address(o["billing_address"]),
        "shippingAddress": address(o["shipping_address"]),
        "payment": {
            "method": o["payment_method"],
            "provider": o["payment_provider"],
            "status": o["payment_status"],
            "amountAuthorized": _money(o["amount_authorized"]),
            "amountPaid": _money(o["amount_paid"]),
            "amountRefunded": _money(o["amount_refunded"]),
            "balanceDue": _money(max(o["total"] - o["amount_paid"], 0)),
            "refundDue": _money(max(o["amount_paid"] - o["amount_refunded"] - o["total"], 0)),
            "currency": o["currency"],
            "transactions": [
                {
                    "id": encode("PaymentTransaction", t["id"]),
                    "kind": t["kind"],
                    "amount": _money(t["amount"]),
                    "currency": t["currency"],
                    "provider": t["provider"],
                    "reference": t["reference"],
                    "createdAt": _time(t["created_at"]),
                    "actor": t["actor"],
                }
                for t in paid
            ],
        },
        "items": [
            {
                "id": encode("OrderItem", i["id"]),
                "sku": i["sku"],
                "name": i["name"],
                "quantity": i["quantity"],
                "unitPrice": _money(i["unit_price"]),
                "total": _money(i["total"]),
                "quantityShipped": i["quantity_shipped"],
                "quantityReturned": i["quantity_returned"],
                "quantityRestocked": i["quantity_restocked"],
            }
            for i in items
        ],
        "shipments": [
            {
                "id": encode("Shipment", x["id"]),
                "createdAt": _time(x["created_at"]),
                "trackingNumber": x["tracking_number"] or None,
                "carrier": x["carrier"] or None,
                "trackingUrl": None,
                "items": [
                    {"sku": li["sku"], "quantity": li["quantity"]}
                    for li in lines
                    if li["shipment_id"] == x["id"]
                ],
            }
            for x in shipments
        ],
        "refunds": [
            {
                "id": encode("Refund", r["id"]),
                "amount": _money(r["amount"]),
                "currency": r["currency"],
                "createdAt": _time(r["created_at"]),
                "restocked": bool(r["restocked"]),
                "reason": r["reason"],
            }
            for r in refunds
        ],
        "events": {
            "totalCount": len(events),
            "edges": [
                {
                    "node": {
                        "id": encode("OrderEvent", e["id"]),
                        "type": e["type"],
                        "createdAt": _time(e["created_at"]),
                        "actor": e["actor"],
                        "message": e["message"],
                        "visibility": e["visibility"],
                    }
                }
                for e in events[:100]
            ],
        },
    }


def serve(kind: str, port: int) -> None:
    import uvicorn

    from app.main import create_app

    app = create_app() if kind == "api" else floor_app()
    gc.collect()  # both as `bitcart-orders serve` runs: the start-up heap frozen
    gc.freeze()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int = 0
    cpu_ms: float = 0.0  # the server process's CPU a request (user + system)


def cpu_seconds(pid: int) -> float:
    """A process's CPU time so far: on a shared machine, what a request costs in CPU
    varies far less than how many requests a second it gets through."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, body: str, token: str, seconds: float, connections: int, pid: int = 0) -> Load:
    script = Path(tempfile.mkdtemp()) / "post.lua"
    script.write_text(
        f"wrk.method = 'POST'\nwrk.body = {json.dumps(body)}\n"
        "wrk.headers['Content-Type'] = 'application/json'\n"
        f"wrk.headers['Authorization'] = 'Bearer {token}'\n"
    )
    used = cpu_seconds(pid) if pid else 0.0
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds:g}s",
            "--latency",
            "-s",
            str(script),
            f"{url}/graphql",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    used = (cpu_seconds(pid) - used) if pid else 0.0
    return Load(rate, p50, p99, requests, 1000 * used / max(requests, 1))


@contextmanager
def server(kind: str, token: str) -> Iterator[tuple[str, int]]:
    """A server in a process of its own, answering; yields its URL and pid. The API logs as
    in production (JSON lines, as docker-compose sets BITCART_LOG_FORMAT); `standard` is
    the API with its fast lane off (every request through the whole pipeline)."""
    port = _free_port()
    env = {**os.environ, "BITCART_LOG_FORMAT": "json"}
    if kind == "standard":
        kind, env["BITCART_FAST_LANE"] = "api", "0"
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                answer = httpx.post(
                    f"{url}/graphql",
                    content=json.dumps({"query": P1}),
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    timeout=5,
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert "errors" not in answer.json(), answer.text
        yield url, process.pid
    finally:
        process.terminate()
        process.wait()


KINDS = ("floor", "api", "standard")
BODIES = {
    "P1": json.dumps({"query": P1}),
    "P2": json.dumps({"query": P2, "variables": {"n": ONE_ORDER}}),
    "C1": json.dumps({"query": C1, "variables": {"first": 50}}),
    "C2": json.dumps({"query": C2, "variables": {"number": ONE_ORDER}}),
}


def measure(
    token: str, seconds: float, concurrency: int, rounds: int
) -> dict[str, dict[str, list[Load]]]:
    """Both servers up at once, measured in turn, round after round: a ratio is taken
    between runs made one right after the other, so the machine's drift (a VM's neighbours,
    a frequency change) falls on both sides of it."""
    found: dict[str, dict[str, list[Load]]] = {kind: {} for kind in KINDS}
    with (
        server("floor", token) as floor,
        server("api", token) as api,
        server("standard", token) as standard,
    ):
        urls = {"floor": floor, "api": api, "standard": standard}
        for url, _ in urls.values():
            for body in BODIES.values():
                wrk(url, body, token, 2, concurrency)  # warm up
        for _ in range(rounds):
            for name, body in BODIES.items():
                for kind, (url, pid) in urls.items():
                    runs = found[kind]
                    load = wrk(url, body, token, seconds, concurrency, pid)
                    runs.setdefault(name, []).append(load)
                    runs.setdefault(f"{name}@1", []).append(wrk(url, body, token, seconds, 1))
    return found


async def statements(token: str) -> dict[str, int]:
    """SQL statements per request, counted in-process from Tortoise's own log."""
    import logging

    from app.main import create_app

    counted: list[str] = []

    class Count(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            message = record.getMessage()
            if not message.startswith(("Created connection", "Closed connection")):
                counted.append(message)

    app = create_app()
    logger = logging.getLogger("tortoise.db_client")
    found = {}
    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            headers = {"Authorization": f"Bearer {token}"}
            for name, body in BODIES.items():
                logger.setLevel(logging.DEBUG)
                handler = Count()
                logger.addHandler(handler)
                counted.clear()
                answer = await client.post("/graphql", json=json.loads(body), headers=headers)
                assert "errors" not in answer.json(), (name, answer.text[:500])
                logger.removeHandler(handler)
                found[name] = len(counted)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--serve", choices=["api", "floor"])
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("Needs wrk: apt-get install wrk")
    from bench.common import scratch_environment

    scratch_environment("bitcart_bench")
    token = asyncio.run(seed(args.orders))
    counts = asyncio.run(statements(token))
    print(
        f"database: {os.environ.get('DATABASE_URL') or 'SQLite'}; {args.orders} orders of 5"
        f" lines, half shipped in two shipments; wrk, {args.seconds:g} s a run,"
        f" {args.rounds} rounds"
    )
    found = measure(token, args.seconds, args.concurrency, args.rounds)
    for name in BODIES:
        floor = found["floor"][name]
        print(f"{name} ({args.concurrency} connections; {counts[name]} SQL statements a request)")
        print(
            f"    floor {median(f.rate for f in floor):7.1f}/s,"
            f" {median(f.cpu_ms for f in floor):.2f} ms CPU a request"
        )
        for kind in ("api", "standard"):
            runs = found[kind][name]
            ratios = sorted(a.rate / f.rate for f, a in zip(floor, runs, strict=True))
            cpu = sorted(f.cpu_ms / a.cpu_ms for f, a in zip(floor, runs, strict=True))
            last = found[kind][f"{name}@1"][-1]
            print(
                f"    {kind:8} {median(a.rate for a in runs):7.1f}/s"
                f"  ratio {median(ratios):.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)});"
                f" {median(a.cpu_ms for a in runs):.2f} ms CPU a request,"
                f" CPU ratio {median(cpu):.2f} (rounds: {', '.join(f'{r:.2f}' for r in cpu)})"
            )
            print(
                f"             one connection (last round): p50 {last.p50_ms:.2f} ms"
                f" p99 {last.p99_ms:.2f} ms"
            )
        f1 = found["floor"][f"{name}@1"][-1]
        print(f"    floor one connection: p50 {f1.p50_ms:.2f} ms p99 {f1.p99_ms:.2f} ms")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
