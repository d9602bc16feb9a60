"""Running it: readiness that sees the database and Redis go and come back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from app.main import create_app
from tests.conftest import run_jobs
from tests.processes import Forwarder, cli_env, demo_admin_token, free_port, serve, wait_healthy


async def test_readyz_names_what_is_missing_and_recovers(app: Any, http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "redis": "ok"}
    # Redis gone (nothing listens where the pool points): 503 within about a second
    working = app.state.redis
    gone = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    app.state.redis = gone
    try:
        started = asyncio.get_running_loop().time()
        down = await http.get("/readyz")
        assert asyncio.get_running_loop().time() - started < 3
    finally:
        app.state.redis = working
        await gone.aclose()
    assert down.status_code == 503
    assert down.json() == {"status": "unavailable", "database": "ok", "redis": "unavailable"}
    assert (await http.get("/readyz")).status_code == 200


@pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="needs a PostgreSQL and a Redis (DATABASE_URL and REDIS_URL), as in CI",
)
async def test_readyz_of_a_served_process_through_outages(tmp_path: Path, app: Any) -> None:
    """A real serve process reaching PostgreSQL and Redis through links the test cuts and
    restores: /readyz says which one is gone, and is ready again once both are back."""
    database = urlsplit(os.environ["DATABASE_URL"])
    redis = urlsplit(os.environ["REDIS_URL"])
    to_database = Forwarder(database.hostname or "127.0.0.1", database.port or 5432)
    to_redis = Forwarder(redis.hostname or "127.0.0.1", redis.port or 6379)
    await to_database.start()
    await to_redis.start()
    host = f"{database.hostname}:{database.port or 5432}"
    env = {
        "DATABASE_URL": urlunsplit(
            database._replace(netloc=database.netloc.replace(host, f"127.0.0.1:{to_database.port}"))
        ),
        "REDIS_URL": f"redis://127.0.0.1:{to_redis.port}{redis.path or '/0'}",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(tmp_path, port, keep_databases=True, env=env)
    try:
        await asyncio.to_thread(wait_healthy, url, process)
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:

            async def readiness() -> tuple[int, dict[str, str]]:
                response = await client.get("/readyz")
                return response.status_code, response.json()

            assert await readiness() == (200, {"status": "ready", "database": "ok", "redis": "ok"})
            await to_database.stop()
            assert await readiness() == (
                503,
                {"status": "unavailable", "database": "unavailable", "redis": "ok"},
            )
            await to_database.start()
            await to_redis.stop()
            code, body = await readiness()
            assert (code, body["redis"], body["database"]) == (503, "unavailable", "ok")
            await to_redis.start()
            for _ in range(20):  # the clients reconnect on their own
                if (await readiness())[0] == 200:
                    break
                await asyncio.sleep(0.5)
            assert await readiness() == (200, {"status": "ready", "database": "ok", "redis": "ok"})
    finally:
        process.terminate()
        process.wait(30)
        await to_database.stop()
        await to_redis.stop()


@pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="needs a PostgreSQL and a Redis (DATABASE_URL and REDIS_URL), as in CI",
)
async def test_worker_health_check_sees_a_running_worker(tmp_path: Path, app: Any) -> None:
    """`bitcart-orders worker --check` (the compose health check) fails until this host's
    worker has started and succeeds while it runs."""
    env = {**cli_env(tmp_path, keep_databases=True), "BITCART_WORKER_NAME": uuid.uuid4().hex}

    def check() -> int:
        done = subprocess.run(
            [sys.executable, "-m", "app", "worker", "--check"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        return done.returncode

    assert await asyncio.to_thread(check) == 1
    worker = await asyncio.to_thread(
        subprocess.Popen,
        [sys.executable, "-m", "app", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(40):
            if await asyncio.to_thread(check) == 0:
                break
            await asyncio.sleep(0.5)
        assert await asyncio.to_thread(check) == 0
    finally:
        worker.terminate()
        worker.wait(30)


async def test_graphiql_keeps_no_token_and_can_be_switched_off(
    app: Any, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    # the page is built with the console (tests/test_console_graphiql.py runs it in Chromium,
    # headers kept out of storage); here, a stand-in for the built page
    built = tmp_path / "dist"
    built.mkdir()
    (built / "graphiql.html").write_text("<html><head><title>G</title></head><body></body></html>")
    served = create_app(replace(app.state.settings, console_dir=built))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=served), base_url="http://served"
    ) as client:
        page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert '"defaultQuery":"# Welcome to BitCart Orders. To act as staff' in page.text
    assert "sign in:" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    introspect = {"query": "{ __schema { queryType { name } } }"}
    assert (await http.post("/graphql", json=introspect)).json()["data"] == {
        "__schema": {"queryType": {"name": "Query"}}
    }
    closed = create_app(replace(app.state.settings, graphiql=False))
    transport = httpx.ASGITransport(app=closed)
    async with httpx.AsyncClient(transport=transport, base_url="http://closed") as client:
        assert (await client.get("/graphql", headers={"Accept": "text/html"})).status_code == 404
        refused = (await client.post("/graphql", json=introspect)).json()
        assert refused["data"] is None
        assert "introspection" in refused["errors"][0]["message"].lower()
        # queries still work
        body = await client.post("/graphql", json={"query": "{ shippingMethods { code } }"})
        assert body.json()["data"] == {"shippingMethods": [{"code": "standard"}]}


def test_json_logs_carry_the_request_id_into_jobs(tmp_path: Path) -> None:
    """Every line is a JSON object; a request's lines and the lines of the job it started
    carry its X-Request-ID; the request line says what ran, for whom, how long and how much;
    no token or password is ever written."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_file = tmp_path / "serve.log"
    process = serve(tmp_path, port, "--demo", log_file=log_file, env={"BITCART_LOG_FORMAT": "json"})
    try:
        wait_healthy(url, process)
        token = demo_admin_token(url)
        asked = httpx.post(
            f"{url}/graphql",
            json={"query": "mutation Take { exportOrders { export { id } errors { code } } }"},
            headers={"Authorization": f"Bearer {token}", "X-Request-ID": "take-42"},
        )
        assert asked.headers["x-request-id"] == "take-42"
        made = httpx.get(f"{url}/healthz", headers={"X-Request-ID": "bad id with spaces"})
        assert len(made.headers["x-request-id"]) == 32  # a sane one of our own instead
        export_id = asked.json()["data"]["exportOrders"]["export"]["id"]
        for _ in range(100):  # the in-process worker writes the export
            found = httpx.post(
                f"{url}/graphql",
                json={
                    "query": "query($id: ID!) { export(id: $id) { status } }",
                    "variables": {"id": export_id},
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            if found.json()["data"]["export"]["status"] == "SUCCEEDED":
                break
            time.sleep(0.1)
        for _ in range(100):  # the job's own line comes once it has released its lease
            if '"job": "run_export"' in log_file.read_text():
                break
            time.sleep(0.1)
        process.terminate()
        process.wait(30)
        output = log_file.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    request = next(e for e in lines if e["event"] == "request" and e.get("request_id") == "take-42")
    assert request["operation"] == "mutation Take"
    assert request["viewer"] == "STAFF"
    assert request["status"] == 200
    assert isinstance(request["cost"], int)
    assert request["duration_ms"] >= 0
    assert request["timestamp"].endswith("Z")
    job = next(e for e in lines if e["event"] == "job" and e.get("job") == "run_export")
    assert (job["request_id"], job["outcome"]) == ("take-42", "done")
    assert token not in output
    assert "demo-admin-pass" not in "\n".join(
        line for line in output.splitlines() if line.startswith("{")
    )


async def scrape(http: httpx.AsyncClient, token: str | None = None) -> dict[str, float]:
    """Every sample of /metrics, parsed by prometheus-client's own parser."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    samples: dict[str, float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            samples[f"{sample.name}{{{labels}}}"] = sample.value
    return samples


async def test_metrics_move_with_traffic_and_jobs(
    app: Any, http: httpx.AsyncClient, gql: Any, actors: Any, settings_with_redis: Any
) -> None:
    from tests.factories import create_product, place_order

    before = await scrape(http)
    await create_product(gql, actors.admin.token, "A", stock=1)
    await place_order(gql, None, [("A", 1)], email="m@example.com")
    refused = await place_order(gql, None, [("A", 1)], email="m@example.com")
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_STOCK"]
    await gql("{ nope }", expect_errors=True)
    started = await gql.data(
        "mutation { exportOrders { export { id } errors { code } } }", token=actors.admin.token
    )
    assert started["exportOrders"]["errors"] == []
    await run_jobs(settings_with_redis)
    after = await scrape(http)

    def grew(name: str) -> float:
        return after.get(name, 0) - before.get(name, 0)

    assert grew("bitcart_requests_total{operation=mutation placeOrder,outcome=ok}") == 2
    assert grew("bitcart_graphql_errors_total{code=INSUFFICIENT_STOCK,where=payload}") == 1
    assert grew("bitcart_graphql_errors_total{code=GRAPHQL_VALIDATION_FAILED,where=top}") >= 1
    assert grew("bitcart_request_duration_seconds_count{operation=mutation placeOrder}") == 2
    assert grew("bitcart_query_cost_count{}") >= 4
    assert grew("bitcart_jobs_total{job=run_export,outcome=done}") == 1
    assert grew("bitcart_job_duration_seconds_count{job=run_export}") == 1
    assert "bitcart_queue_depth{queue=main}" in after


async def test_metrics_can_require_a_token(app: Any, http: httpx.AsyncClient) -> None:
    before = app.state.settings
    app.state.settings = replace(before, metrics_token="scrape-me")
    try:
        assert (await http.get("/metrics")).status_code == 401
        assert (
            await http.get("/metrics", headers={"Authorization": "Bearer no"})
        ).status_code == 401
        assert await scrape(http, "scrape-me")
    finally:
        app.state.settings = before


def test_sigterm_lets_a_request_in_flight_finish(tmp_path: Path) -> None:
    """serve stops accepting on SIGTERM but finishes the upload it is receiving."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(tmp_path, port, "--demo")
    try:
        wait_healthy(url, process)
        token = demo_admin_token(url)
        boundary = "bitcartboundary"
        operations = json.dumps(
            {
                "query": "mutation($f: Upload!) { importTracking(file: $f) "
                "{ trackingImport { id status } errors { code } } }",
                "variables": {"f": None},
            }
        )
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n'
            f"{operations}\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="map"\r\n\r\n{"0": ["variables.f"]}\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="0"; filename="t.csv"\r\n'
            "Content-Type: text/csv\r\n\r\norder,tracking\r\n"
        ).encode()
        signalled = threading.Event()

        def slow_body() -> Iterator[bytes]:
            yield head
            time.sleep(0.5)
            process.send_signal(signal.SIGTERM)  # the request is in flight now
            signalled.set()
            time.sleep(1)
            yield f"100,1Z999AA10123456784\r\n--{boundary}--\r\n".encode()

        result: dict[str, Any] = {}

        def upload() -> None:
            result["response"] = httpx.post(
                f"{url}/graphql",
                content=slow_body(),
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": f"multipart/form-data; boundary={boundary}",
                },
                timeout=30,
            )

        sender = threading.Thread(target=upload)
        sender.start()
        signalled.wait(10)
        refused = False
        for _ in range(50):  # no new connections once stopping (soon after the signal)
            try:
                httpx.get(f"{url}/healthz", timeout=1)
            except httpx.TransportError:
                refused = True
                break
            time.sleep(0.05)
        assert refused
        sender.join(30)
        response = result["response"]
        assert response.status_code == 200
        payload = response.json()["data"]["importTracking"]
        assert payload["errors"] == []
        assert payload["trackingImport"]["status"] == "QUEUED"
        process.wait(30)  # and then it is gone
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_client_that_hangs_up_mid_request_is_one_quiet_line(tmp_path: Path) -> None:
    """Half a request body, then the connection closes: a 499 request line, no traceback."""
    port = free_port()
    log_file = tmp_path / "serve.log"
    process = serve(tmp_path, port, log_file=log_file, env={"BITCART_LOG_FORMAT": "json"})
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        with socket.create_connection(("127.0.0.1", port)) as conn:
            conn.sendall(
                b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b'X-Request-ID: gone-1\r\nContent-Length: 1000\r\n\r\n{"query": '
            )
            time.sleep(0.3)
        for _ in range(50):
            if '"gone-1"' in log_file.read_text():
                break
            time.sleep(0.1)
        assert httpx.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
    finally:
        process.terminate()
        process.wait(30)
    output = log_file.read_text()
    assert "Traceback" not in output
    assert "ClientDisconnect" not in output
    (line,) = [json.loads(line) for line in output.splitlines() if '"gone-1"' in line]
    assert (line["event"], line["status"], line["path"]) == ("request", 499, "/graphql")


_LOG_A_FAILURE = """
import logging, sys
from app import logs
logs.configure(sys.argv[1] == "json")

def connect(depth):
    password = "hunter2-never-logged"
    if depth == 0:
        raise ConnectionRefusedError(111, "Connect call failed")
    connect(depth - 1)

try:
    connect(40)
except OSError:
    logging.getLogger("asyncpg.pool").warning("pool floor not restored", exc_info=True)
"""


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_a_logged_failure_keeps_its_traceback_and_not_its_locals(log_format: str) -> None:
    """A library's failure logged with its traceback (asyncpg's pool does, while the database
    is gone): the traceback is in the line, plain, without the frames' locals (which can hold
    passwords); rich's rendering of them stalled the event loop for about a second."""
    done = subprocess.run(
        [sys.executable, "-c", _LOG_A_FAILURE, log_format],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    output = done.stderr
    assert "hunter2" not in output
    assert "\x1b[" not in output  # no colour codes in a log file
    if log_format == "json":
        (line,) = [json.loads(line) for line in output.splitlines()]
        assert (line["event"], line["level"], line["logger"]) == (
            "pool floor not restored",
            "warning",
            "asyncpg.pool",
        )
        traceback = line["exception"]
    else:
        assert output.splitlines()[0].endswith("[asyncpg.pool]")
        traceback = output
    assert traceback.startswith("Traceback (most recent call last):") or (
        "\nTraceback (most recent call last):\n" in traceback
    )
    assert "in connect" in traceback
    assert traceback.rstrip().endswith("ConnectionRefusedError: [Errno 111] Connect call failed")
