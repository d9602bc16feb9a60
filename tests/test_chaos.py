"""When a part fails: PostgreSQL cut off or its pooled connections dead, Redis killed, the
worker killed. Real processes, a real PostgreSQL reached through a TCP proxy this test cuts
(bench/chaos.py's), and a redis-server of the test's own; the shared servers are never
touched. The short chaos run at the end is bench/chaos.py's, with every fault at once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from arq import create_pool

from app.models import Export, ImportStatus, Order
from app.redis import redis_settings
from app.schema.ids import from_global_id
from app.settings import Settings
from bench.chaos import report, run
from bench.chaos_parts import Proxy, RedisServer, _through
from tests.conftest import Actors, GraphQLClient
from tests.factories import PLACE_ORDER, create_product, order_input
from tests.processes import free_port, serve

POSTGRES = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (DATABASE_URL), as in CI",
)

# outages and a chaos run: `scripts/test --all` and CI run them
pytestmark = pytest.mark.heavy

ORDERS = "{ orders(first: 5) { totalCount edges { node { number } } } }"


@asynccontextmanager
async def api_through_a_proxy(
    tmp_path: Path, settings: Settings
) -> AsyncIterator[tuple[str, Proxy, Path]]:
    """A served API on the test run's database and Redis, reaching PostgreSQL through a
    proxy the test can cut; its JSON log."""
    database = urlsplit(os.environ["DATABASE_URL"])
    proxy = Proxy(database.hostname or "127.0.0.1", database.port or 5432)
    await proxy.start()
    assert settings.redis_url
    env = {
        "DATABASE_URL": _through(os.environ["DATABASE_URL"], proxy.port),
        "REDIS_URL": settings.redis_url,
        "SECRET_KEY": os.environ["SECRET_KEY"],  # the test's tokens are good there too
        "BITCART_LOG_FORMAT": "json",
    }
    port = free_port()
    log_file = tmp_path / "serve.log"
    process = serve(
        tmp_path, port, "--skip-migrate", keep_databases=True, env=env, log_file=log_file
    )
    url = f"http://127.0.0.1:{port}"
    try:
        await ready(url, process)
        yield url, proxy, log_file
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 30)
        await proxy.cut()


async def ready(url: str, process: subprocess.Popen[str]) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(300):
            assert process.poll() is None, "serve exited"
            try:
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    pytest.fail("serve did not become ready")


def log_lines(log_file: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log_file.read_text().splitlines() if line.startswith("{")]


@POSTGRES
async def test_a_database_that_is_down_is_a_503_said_once(
    tmp_path: Path, app: Any, actors: Actors, settings_with_redis: Settings
) -> None:
    """During the cut every kind of request is a 503 with Retry-After (GraphQL clients get
    SERVICE_UNAVAILABLE), never a 500, a masked error or a traceback; the outage is one log
    line and its end another; afterwards the same requests work."""
    staff = {"Authorization": f"Bearer {actors.admin.token}"}
    order = {"input": order_input([("A", 1)], email="g@example.net")}
    async with (
        api_through_a_proxy(tmp_path, settings_with_redis) as (url, proxy, log_file),
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        await proxy.cut()
        answers = []
        for _ in range(3):
            answers += [
                await client.post("/graphql", json={"query": ORDERS}, headers=staff),
                await client.post("/graphql", json={"query": PLACE_ORDER, "variables": order}),
                await client.get("/graphql", params={"query": "{ shippingMethods { code } }"}),
            ]
        page = await client.get("/track", params={"number": "100", "email": "a@b.c"})
        await proxy.restore()
        for _ in range(50):
            if any(e["event"] == "dependency_recovered" for e in log_lines(log_file)):
                break
            await asyncio.sleep(0.1)
        after = await client.post("/graphql", json={"query": ORDERS}, headers=staff)
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "2"
        codes = [e["extensions"]["code"] for e in answer.json()["errors"]]
        assert set(codes) == {"SERVICE_UNAVAILABLE"}, answer.text
        assert "Unexpected error" not in answer.text
    assert page.status_code == 503
    assert page.headers["content-type"].startswith("text/html")
    assert "try again" in page.text
    assert after.status_code == 200
    assert after.json()["data"]["orders"]["totalCount"] == 0
    text = log_file.read_text()
    assert "Traceback" not in text
    assert "Exception in ASGI application" not in text
    outage = [e for e in log_lines(log_file) if e["event"].startswith("dependency_")]
    assert [(e["event"], e["dependency"]) for e in outage] == [
        ("dependency_unavailable", "database"),
        ("dependency_recovered", "database"),
    ]


@POSTGRES
async def test_pooled_connections_that_died_are_retried_once_on_fresh_ones(
    tmp_path: Path, app: Any, gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Every connection in the pool dies without a word (found out only when used): a
    staff read, then a guest's order (nothing read before its transaction), each succeed
    on a fresh connection, and the order is placed once."""
    await create_product(gql, actors.admin.token, "A", stock=10)
    staff = {"Authorization": f"Bearer {actors.admin.token}"}
    guest_order = {"input": order_input([("A", 1)], email="g@example.net")}
    async with (
        api_through_a_proxy(tmp_path, settings_with_redis) as (url, proxy, log_file),
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        # a few at once, so the pool holds more than one connection
        await asyncio.gather(
            *(client.post("/graphql", json={"query": ORDERS}, headers=staff) for _ in range(4))
        )
        assert len(proxy.links) >= 2
        proxy.stale()
        read = await client.post("/graphql", json={"query": ORDERS}, headers=staff)
        proxy.stale()
        placed = await client.post(
            "/graphql", json={"query": PLACE_ORDER, "variables": guest_order}
        )
    assert read.status_code == 200, read.text
    assert read.json()["data"]["orders"]["totalCount"] == 0
    assert placed.status_code == 200, placed.text
    order = placed.json()["data"]["placeOrder"]["order"]
    assert await Order.all().count() == 1
    assert (await Order.get(id=from_global_id("Order", order["id"]))).number == order["number"]
    assert "Traceback" not in log_file.read_text()


async def test_the_worker_rides_out_redis_going_away(
    tmp_path: Path, app: Any, gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Redis SIGKILLed under a running worker and started again a few seconds later (empty):
    the worker stays up, says so once, and runs the next job it is sent."""
    redis = RedisServer(free_port(), tmp_path)
    redis.start()
    log_file = tmp_path / "worker.log"
    worker = await start_worker(settings_with_redis, redis.url, log_file)
    try:
        await until(lambda: "Starting worker for 1 functions" in log_file.read_text(), worker)
        redis.kill()
        await asyncio.sleep(4)
        assert worker.poll() is None, log_file.read_text()[-3000:]
        await asyncio.to_thread(redis.start)
        started = await gql.data(
            "mutation { exportOrders { export { id } errors { code } } }", token=actors.admin.token
        )
        export_id = from_global_id("Export", started["exportOrders"]["export"]["id"])
        pool = await create_pool(redis_settings(redis.url))
        try:  # sent to the restarted Redis, as a request would have after the restart
            await pool.enqueue_job("run_export", export_id, _job_id=f"export:{export_id}")
        finally:
            await pool.aclose()

        async def done() -> bool:
            found = await Export.get(id=export_id)
            return found.status is ImportStatus.SUCCEEDED

        deadline = time.monotonic() + 60
        while not await done():
            assert time.monotonic() < deadline, log_file.read_text()[-3000:]
            assert worker.poll() is None, log_file.read_text()[-3000:]
            await asyncio.sleep(0.2)
    finally:
        worker.terminate()
        await asyncio.to_thread(worker.wait, 30)
        redis.kill()
    text = log_file.read_text()
    assert worker.returncode == 0, text[-3000:]
    assert "Traceback" not in text
    outage = [e for e in log_lines(log_file) if e["event"].startswith("dependency_")]
    assert [(e["event"], e["dependency"]) for e in outage] == [
        ("dependency_unavailable", "redis"),
        ("dependency_recovered", "redis"),
    ]


async def start_worker(settings: Settings, redis_url: str, log_file: Path) -> Any:
    """`bitcart-orders worker` on the test run's database and the given Redis, logging
    JSON lines to `log_file`."""
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "BITCART_DATA_DIR": str(settings.data_dir),
        "BITCART_LOG_FORMAT": "json",
        "BITCART_WORKER_NAME": uuid.uuid4().hex,
    }
    with log_file.open("w") as out:
        return await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-m", "app", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


async def until(condition: Any, process: subprocess.Popen[Any], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "the process exited"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.2)


@POSTGRES
async def test_a_short_chaos_run(tmp_path: Path) -> None:
    """bench/chaos.py for 15 seconds: the worker killed, PostgreSQL cut for 5 s and Redis
    killed while four clients write; no 500, no masked error, no exit, the laws hold and
    every order's order.created webhook arrives."""
    figures = await run(seconds=15, clients=4, folder=tmp_path)
    assert figures["ok"], report(figures)
    assert figures["answers"]["ok"] > 50
    assert [f["fault"] for f in figures["faults"]] == [
        "worker SIGKILL",
        "PostgreSQL cut 5 s",
        "Redis SIGKILL",
    ]
    assert all(f["recovered_after_s"] is not None for f in figures["faults"]), report(figures)
