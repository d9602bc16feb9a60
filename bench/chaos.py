"""The chaos run: the service under a mixed load of every kind of write while its parts fail.

Two `serve` processes and a separate `worker` share one PostgreSQL and one Redis. The Redis
is this run's own `redis-server` (no persistence), and PostgreSQL is reached through a TCP
proxy in this process, so the shared server is never touched. While clients write, the run:

1. SIGKILLs the worker, and starts it again a second later (as a supervisor would);
2. cuts PostgreSQL off for 5 s: every connection dropped, new ones refused;
3. SIGKILLs Redis, and starts it again a second later (empty: its queues are gone).

Then it checks what the issue asks for: no HTTP 500, no masked error ("Unexpected error."),
no process exit it did not cause, every 503 with Retry-After, the stock and money laws of
tests/test_laws.py on every order and product, and an `order.created` webhook delivered to
a local receiver for every order. It prints the figures (requests, answers by kind, faults
and how long writes took to come back after each).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/chaos.py

`--seconds` sets the load's length (60 by default; the faults are spread over it);
`--json FILE` writes the figures. tests/test_chaos.py runs a short one in CI.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chaos_load import SKUS, Shop, Tally, client
from bench.chaos_parts import (
    ROOT,
    Processes,
    Proxy,
    RedisServer,
    _through,
    free_port,
    fresh_database,
)

PASSWORD = "chaos password 1"


@dataclass
class Receiver:
    """A local webhook receiver: the order numbers of every order.created, and when."""

    tally: Tally
    numbers: set[int] = field(default_factory=set)
    arrivals: list[float] = field(default_factory=list)

    async def handle(self, request: Any) -> Any:
        from starlette.responses import Response

        body = orjson.loads(await request.body())
        if body.get("type") == "order.created":
            self.numbers.add(int(body["data"]["number"]))
        self.arrivals.append(self.tally.now())
        return Response("ok")


@asynccontextmanager
async def receiving(found: Receiver) -> AsyncIterator[str]:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Route

    class Server(uvicorn.Server):
        def install_signal_handlers(self) -> None:  # the run keeps its own
            pass

    port = free_port()
    app = Starlette(routes=[Route("/hooks", found.handle, methods=["POST"])])
    server = Server(uvicorn.Config(app, port=port, log_level="error", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/hooks"
    finally:
        server.should_exit = True
        await task


async def wait_ready(url: str, process: subprocess.Popen[bytes], seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{url} exited while starting")
            with suppress(httpx.HTTPError):
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not become ready")


def _run(env: dict[str, str], *args: str, given: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        input=given,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {done.stderr[-2000:]}")
    return done.stdout


async def stock_the_shop(shop: Shop, hooks: str) -> None:
    """The admin's token, a customer, the products and the order.created webhook."""
    login = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"""
    body = await shop.call("setup", login, {"e": "chaos@shop.test", "p": PASSWORD})
    shop.admin = body["data"]["login"]["token"] if body else ""
    register = """mutation($i: RegisterCustomerInput!) { registerCustomer(input: $i) { token } }"""
    customer = {
        "email": "buyer@example.net",
        "password": PASSWORD,
        "firstName": "B",
        "lastName": "C",
    }
    body = await shop.call("setup", register, {"i": customer})
    shop.customer = body["data"]["registerCustomer"]["token"] if body else ""
    create = (
        """mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }"""
    )
    for sku in SKUS:
        product = {"sku": sku, "name": sku, "price": "10.00", "stock": 100_000}
        await shop.call("setup", create, {"i": product}, shop.admin)
    hook = """mutation($i: CreateWebhookInput!) { createWebhook(input: $i) { errors { code } } }"""
    await shop.call("setup", hook, {"i": {"url": hooks, "events": ["order.created"]}}, shop.admin)
    if not (shop.admin and shop.customer):
        raise RuntimeError("could not set the shop up")


@dataclass
class Faults:
    proxy: Proxy
    redis: RedisServer
    processes: Processes
    tally: Tally
    done: list[dict[str, Any]] = field(default_factory=list)

    async def run(self, seconds: float) -> None:
        await self._at(0.15 * seconds)
        began = self.tally.now()
        self.processes.kill_worker()
        await asyncio.sleep(1)
        self.processes.start_worker()
        self.done.append({"fault": "worker SIGKILL", "at": began, "back": self.tally.now()})
        await self._at(0.35 * seconds)
        began = self.tally.now()
        await self.proxy.cut()
        await asyncio.sleep(5)
        await self.proxy.restore()
        self.done.append({"fault": "PostgreSQL cut 5 s", "at": began, "back": self.tally.now()})
        await self._at(0.65 * seconds)
        began = self.tally.now()
        self.redis.kill()
        await asyncio.sleep(1)
        await asyncio.to_thread(self.redis.start)
        self.done.append({"fault": "Redis SIGKILL", "at": began, "back": self.tally.now()})

    async def _at(self, offset: float) -> None:
        await asyncio.sleep(max(0.0, offset - self.tally.now()))


async def watch_exits(processes: Processes, tally: Tally, until: float) -> list[str]:
    """Processes that ended by themselves while the load ran, with when."""
    seen: list[str] = []
    while time.monotonic() < until:
        for name in processes.exited():
            if not any(s.startswith(name + " ") for s in seen):
                seen.append(f"{name} at {tally.now():.1f} s")
        await asyncio.sleep(0.2)
    return seen


def recovery(faults: list[dict[str, Any]], tally: Tally, receiver: Receiver) -> None:
    """For each fault: how long after it ended the first write was answered again (for the
    worker, the first webhook delivered), and the first and last 503 around it."""
    for fault in faults:
        times = receiver.arrivals if fault["fault"].startswith("worker") else tally.writes_at
        after = [t for t in times if t >= fault["back"]]
        fault["recovered_after_s"] = round(after[0] - fault["back"], 2) if after else None
        near = [t for t in tally.unavailable_at if fault["at"] - 1 <= t <= fault["back"] + 5]
        fault["answers_503"] = len(near)
        fault["at"] = round(fault["at"], 2)
        fault["back"] = round(fault["back"], 2)


async def order_numbers(database_url: str) -> set[int]:
    import asyncpg

    conn = await asyncpg.connect(database_url.replace("postgres://", "postgresql://", 1))
    try:
        return {row["number"] for row in await conn.fetch("SELECT number FROM orders")}
    finally:
        await conn.close()


async def delivered_all(database_url: str, receiver: Receiver, seconds: float) -> set[int]:
    """Waits for an order.created of every order; the numbers still missing after that."""
    deadline = time.monotonic() + seconds
    while True:
        missing = await order_numbers(database_url) - receiver.numbers
        if not missing or time.monotonic() > deadline:
            return missing
        await asyncio.sleep(0.5)


def laws_hold(database_url: str) -> str:
    """The stock and money laws of tests/test_laws.py, checked in a process of their own
    (the test module brings the suite's settings with it): "hold", or what broke."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--laws", database_url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.stdout.strip() or done.stderr[-2000:]


async def check_laws(database_url: str) -> None:
    """`--laws`: start stock from each product's INITIAL movement, adjustments from its
    ADJUSTMENT ones (an adjustment answered 503 may still have committed), then
    tests/test_laws.check_laws over every order and product."""
    os.environ.pop("DATABASE_URL", None)  # the suite's conftest would point it elsewhere
    sys.path.insert(0, str(ROOT))
    from dataclasses import replace

    from tortoise import Tortoise

    from app.db import tortoise_config
    from app.models import InventoryMovement, Product
    from app.settings import load_settings
    from tests.test_laws import check_laws as laws

    settings = replace(load_settings(), database_url=database_url)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        skus = dict(await Product.all().values_list("id", "sku"))
        start = dict.fromkeys(skus.values(), 0)
        adjusted = dict.fromkeys(skus.values(), 0)
        moves = await InventoryMovement.filter(reason__in=["INITIAL", "ADJUSTMENT"]).values_list(
            "product_id", "reason", "delta"
        )
        for product_id, reason, delta in moves:
            (start if reason == "INITIAL" else adjusted)[skus[product_id]] += delta
        await laws(start, adjusted)
    finally:
        await Tortoise.close_connections()
    print("hold")


def log_figures(text: str) -> dict[str, int]:
    return {
        "tracebacks": text.count("Traceback (most recent call last)"),
        "asgi_exceptions": text.count("Exception in ASGI application"),
        "dependency_unavailable_lines": text.count('"event": "dependency_unavailable"'),
        "dependency_recovered_lines": text.count('"event": "dependency_recovered"'),
    }


def environment(folder: Path, database_url: str, redis: RedisServer) -> dict[str, str]:
    dropped = {"DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    many = "1000000"
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis.url,
        SECRET_KEY="chaos-secret",
        BITCART_DATA_DIR=str(folder / "data"),
        BITCART_LOG_FORMAT="json",
        BITCART_WEBHOOK_ALLOW_PRIVATE="1",
        BITCART_WEBHOOK_RETRY_DELAYS="1,1,2,2,4,4,8,8",
        BITCART_WORKER_LEASE_SECONDS="6",
        BITCART_UNPAID_ORDER_TTL="0",
        BITCART_NOTIFY="0",
        BITCART_WORKER_NAME=f"chaos-{os.getpid()}",
        BITCART_LOGIN_RATE_LIMIT=many,
        BITCART_REGISTER_RATE_LIMIT=many,
        BITCART_GUEST_ORDER_RATE_LIMIT=many,
        BITCART_TRACKING_RATE_LIMIT=many,
        BITCART_CUSTOMER_DOCUMENT_RATE_LIMIT=many,
        BITCART_CUSTOMER_NOTE_RATE_LIMIT=many,
        # one customer and one address place every order here: the hoarding bounds would
        # turn most of the load into refusals
        BITCART_MAX_UNPAID_ORDERS_PER_CUSTOMER=many,
        BITCART_MAX_UNPAID_ORDERS_PER_ADDRESS=many,
    )
    return env


async def _load(
    shop: Shop, processes: Processes, faults: Faults, seconds: float, clients: int
) -> list[str]:
    until = time.monotonic() + seconds
    exits = asyncio.create_task(watch_exits(processes, shop.tally, until + 2))
    await asyncio.gather(faults.run(seconds), *(client(shop, until) for _ in range(clients)))
    return await exits


async def run(seconds: float = 60, clients: int = 6, folder: Path | None = None) -> dict[str, Any]:
    """One chaos run on a fresh database beside DATABASE_URL's; its figures."""
    folder = folder or Path(tempfile.mkdtemp(prefix="bitcart-chaos-"))
    async with fresh_database(os.environ["DATABASE_URL"]) as database_url:
        target = urlsplit(database_url)
        proxy = Proxy(target.hostname or "127.0.0.1", target.port or 5432)
        await proxy.start()
        redis = RedisServer(free_port(), folder)
        redis.start()
        env = environment(folder, _through(database_url, proxy.port), redis)
        processes = Processes(env, folder)
        try:
            # in threads: the proxy they reach PostgreSQL through runs on this loop
            await asyncio.to_thread(_run, env, "migrate")
            staff = ("create-staff", "--email", "chaos@shop.test", "--role", "ADMIN")
            await asyncio.to_thread(_run, env, *staff, "--password-stdin", given=PASSWORD + "\n")
            for _ in range(2):
                processes.start_api()
            processes.start_worker()
            for url, api in zip(processes.urls, processes.apis, strict=True):
                await wait_ready(url, api)
            figures = await _measure(database_url, proxy, redis, processes, seconds, clients)
        finally:
            await asyncio.to_thread(processes.stop)
            redis.kill()
            await proxy.cut()
        figures["laws"] = await asyncio.to_thread(laws_hold, database_url)
        figures["logs"] = log_figures(processes.log_text())
    figures["folder"] = str(folder)
    figures["ok"] = verdict(figures)
    return figures


async def _measure(
    database_url: str,
    proxy: Proxy,
    redis: RedisServer,
    processes: Processes,
    seconds: float,
    clients: int,
) -> dict[str, Any]:
    receiver = Receiver(Tally())
    async with receiving(receiver) as hooks, httpx.AsyncClient(timeout=30) as http:
        shop = Shop(http, processes.urls, Tally())
        await stock_the_shop(shop, hooks)
        shop.tally = receiver.tally = tally = Tally()  # the load's figures from here
        faults = Faults(proxy, redis, processes, tally)
        exits = await _load(shop, processes, faults, seconds, clients)
        missing = await delivered_all(database_url, receiver, 120)
        recovery(faults.done, tally, receiver)
        orders = await order_numbers(database_url)
    return {
        "seconds": seconds,
        "clients": clients,
        "processes": "2 serve + 1 worker (restarted once)",
        "requests": sum(tally.answers.values()),
        "answers": dict(tally.answers),
        "by_operation": dict(tally.by_operation),
        "answers_503_without_retry_after": tally.without_retry_after,
        "faults": faults.done,
        "exits": exits,
        "orders": len(orders),
        "webhooks_missing": len(missing),
        "acknowledged_orders_missing": len(shop.placed - orders),
        "examples": tally.examples,
    }


def verdict(figures: dict[str, Any]) -> bool:
    answers = figures["answers"]
    return (
        not any(answers.get(kind) for kind in ("http_500", "masked", "transport", "other"))
        and figures["answers_503_without_retry_after"] == 0
        and not figures["exits"]
        and figures["laws"] == "hold"
        and figures["webhooks_missing"] == 0
        and figures["acknowledged_orders_missing"] == 0
        and figures["logs"]["tracebacks"] == 0
    )


def report(figures: dict[str, Any]) -> str:
    answers = figures["answers"]
    lines = [
        f"chaos run: {figures['seconds']:g} s of load, {figures['clients']} clients, "
        f"{figures['processes']}",
        f"requests {figures['requests']}: "
        + ", ".join(f"{kind} {count}" for kind, count in sorted(answers.items())),
        f"503 without Retry-After: {figures['answers_503_without_retry_after']}",
    ]
    for fault in figures["faults"]:
        lines.append(
            f"  {fault['fault']} at {fault['at']} s, over at {fault['back']} s: "
            f"{fault['answers_503']} answers 503 around it, "
            f"back {fault['recovered_after_s']} s after it was over"
        )
    lines += [
        f"exits: {', '.join(figures['exits']) or 'none'}",
        f"laws: {figures['laws']}",
        f"orders {figures['orders']}, order.created webhooks missing "
        f"{figures['webhooks_missing']}, acknowledged orders missing "
        f"{figures['acknowledged_orders_missing']}",
        f"logs: {figures['logs']}",
        *figures["examples"],
        "OK" if figures["ok"] else "FAILED",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--laws", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.laws:
        asyncio.run(check_laws(args.laws))
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("The chaos run needs DATABASE_URL=postgres://… (a fresh database is made)")
    figures = asyncio.run(run(args.seconds, args.clients))
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    sys.exit(0 if figures["ok"] else 1)


if __name__ == "__main__":
    main()
