"""Hardening, round two (issue 24), the infrastructure's part: rate limits and message bounds
over WebSockets, /metrics, caching of signed-in answers, internal errors counted as such,
what serve and the worker write in their logs, create-staff's password, and the API's
answer while Redis is down (PostgreSQL going away is in tests/test_chaos.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import pty
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson
import pytest
import structlog
import uvicorn
import yaml
from arq.connections import ArqRedis
from prometheus_client import REGISTRY
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from app.models import Export, ImportStatus
from app.services import ratelimit
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient, app_settings
from tests.processes import cli_env, free_port, migrated_data_folder, serve, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
PROTOCOL = Subprotocol("graphql-transport-ws")
MESSAGE_TOO_BIG = 1009  # RFC 6455
LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token errors { code } } }"""
WRONG = {"e": "admin@shop.test", "p": "not the password"}
# log lines as written: with what the request bound (operation, error codes) merged in
MERGED = [structlog.contextvars.merge_contextvars]


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test run keeps its own handlers
        yield


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The test's own app on a real port (its lifespan is the session's): WebSockets and
    peers' addresses as a real server sees them."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="error")
    server = _Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@asynccontextmanager
async def socket(
    where: str, source: str = "127.0.0.1", headers: dict[str, str] | None = None
) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws connection from `source` (any 127/8 address is this host's)."""
    async with connect(
        f"ws://{where}/graphql",
        subprotocols=[PROTOCOL],
        additional_headers=headers or {},
        local_addr=(source, 0),
        open_timeout=10,
        max_size=None,
    ) as ws:
        await ws.send(orjson.dumps({"type": "connection_init", "payload": {}}).decode())
        ack = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        assert ack["type"] == "connection_ack"
        yield ws


async def ws_login(ws: ClientConnection) -> str:
    """A login over the WebSocket: its payload error code, or the top-level error's."""
    op = uuid.uuid4().hex
    payload = {"query": LOGIN, "variables": WRONG}
    await ws.send(orjson.dumps({"id": op, "type": "subscribe", "payload": payload}).decode())
    message = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
    assert message["type"] == "next", message
    assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "complete"
    return login_code(message["payload"])


def login_code(body: dict[str, Any]) -> str:
    if body.get("errors"):
        code: str = body["errors"][0]["extensions"]["code"]
        return code
    return str(body["data"]["login"]["errors"][0]["code"])


async def http_login(where: str, source: str, headers: dict[str, str] | None = None) -> str:
    transport = httpx.AsyncHTTPTransport(local_address=source)
    async with httpx.AsyncClient(transport=transport, timeout=30) as client:
        response = await client.post(
            f"http://{where}/graphql",
            json={"query": LOGIN, "variables": WRONG},
            headers=headers or {},
        )
    return login_code(response.json())


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rate limits on the test's clock, stopped: a slow login cannot refill a bucket."""
    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000_000_000, raising=False)


# --- Broken 3: one bucket per client, across HTTP and WebSockets --------------------------


async def test_websocket_logins_are_limited_per_peer_and_share_the_http_bucket(
    app: Any, actors: Actors, stopped_clock: None
) -> None:
    async with served(app) as where:
        with app_settings(app, login_rate_limit=3):
            async with socket(where, "127.0.0.2") as one, socket(where, "127.0.0.3") as other:
                assert [await ws_login(one) for _ in range(4)] == [
                    "INVALID_CREDENTIALS",
                    "INVALID_CREDENTIALS",
                    "INVALID_CREDENTIALS",
                    "RATE_LIMITED",
                ]
                # another client on another socket is not locked out by the first
                assert await ws_login(other) == "INVALID_CREDENTIALS"
            # and the first has no second allowance over HTTP
            assert await http_login(where, "127.0.0.2") == "RATE_LIMITED"
            assert await http_login(where, "127.0.0.4") == "INVALID_CREDENTIALS"


async def test_websocket_clients_behind_a_trusted_proxy_are_told_apart(
    app: Any, actors: Actors, stopped_clock: None
) -> None:
    """Through a proxy, a WebSocket's client is read from X-Forwarded-For, as a request's."""
    proxy = (ip_network("127.0.0.0/8"),)
    behind = {"X-Forwarded-For": "198.51.100.7"}
    async with served(app) as where:
        with app_settings(app, login_rate_limit=2, trusted_proxies=proxy):
            async with socket(where, headers=behind) as ws:
                codes = [await ws_login(ws) for _ in range(3)]
            assert codes == ["INVALID_CREDENTIALS", "INVALID_CREDENTIALS", "RATE_LIMITED"]
            assert await http_login(where, "127.0.0.1", behind) == "RATE_LIMITED"
            other = {"X-Forwarded-For": "198.51.100.8"}
            assert await http_login(where, "127.0.0.1", other) == "INVALID_CREDENTIALS"


# --- Weak 13: a WebSocket message is bounded as a request body is -------------------------


async def test_a_websocket_message_over_the_body_bound_closes_the_connection(app: Any) -> None:
    bound = app.state.settings.max_body_bytes
    async with served(app) as where, socket(where) as ws:
        small = {"type": "ping", "payload": {"pad": "x" * 100_000}}
        await ws.send(orjson.dumps(small).decode())
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "pong"
        big = {"type": "ping", "payload": {"pad": "x" * bound}}
        await ws.send(orjson.dumps(big).decode())
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 10)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == MESSAGE_TOO_BIG


# --- Broken 8, Weak 11: /metrics --------------------------------------------------------


@asynccontextmanager
async def client_from(app: Any, host: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(host, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@contextmanager
def metrics_token(app: Any, token: str) -> Iterator[None]:
    before = app.state.settings
    app.state.settings = replace(before, metrics_token=token)
    try:
        yield
    finally:
        app.state.settings = before


async def test_metrics_with_a_bearer_beyond_ascii_is_401(app: Any, http: httpx.AsyncClient) -> None:
    with metrics_token(app, "scrape-me"):
        for raw in ("Bearer sécret".encode(), b"Bearer \xff\xfe", "Bearer 🔑".encode()):
            response = await http.get("/metrics", headers=[(b"authorization", raw)])
            assert response.status_code == 401, raw
        assert (
            await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        ).status_code == 200


async def test_metrics_without_a_token_answer_only_this_host(app: Any) -> None:
    async with client_from(app, "203.0.113.7") as elsewhere:
        refused = await elsewhere.get("/metrics")
    assert refused.status_code == 403
    assert "BITCART_METRICS_TOKEN" in refused.json()["error"]["message"]
    async with client_from(app, "127.0.0.1") as local, client_from(app, "::1") as local6:
        assert (await local.get("/metrics")).status_code == 200
        assert (await local6.get("/metrics")).status_code == 200
        # a local proxy forwarding someone else's request is not this host
        for header in ("X-Forwarded-For", "Forwarded", "X-Real-IP"):
            forwarded = await local.get("/metrics", headers={header: "198.51.100.1"})
            assert forwarded.status_code == 403, header


def test_production_sets_a_metrics_token_and_the_proxy_keeps_metrics_in() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    environment = compose["x-app-environment"]
    assert environment["BITCART_METRICS_TOKEN"].startswith("${BITCART_METRICS_TOKEN:?")
    caddy = (ROOT / "deploy" / "Caddyfile").read_text()
    assert "@metrics path /metrics" in caddy
    assert "respond @metrics 404" in caddy


# --- Weak 10: nothing a signed-in viewer is answered is cached ----------------------------


async def test_every_answer_to_a_signed_in_request_is_kept_by_no_cache(
    app: Any, http: httpx.AsyncClient, actors: Actors
) -> None:
    auth = {"Authorization": f"Bearer {actors.customer.token}"}
    me = "{ me { email } }"
    digest = __import__("hashlib").sha256(me.encode()).hexdigest()
    persisted = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    await http.post("/graphql", json={"query": me, "extensions": persisted}, headers=auth)
    answers = {
        "GET query": await http.get("/graphql", params={"query": me}, headers=auth),
        "GET persisted": await http.get(
            "/graphql", params={"extensions": json.dumps(persisted)}, headers=auth
        ),
        "POST": await http.post("/graphql", json={"query": me}, headers=auth),
        "bad request": await http.post("/graphql", content=b"{nope", headers=auth),
        "document": await http.get("/documents/999", headers=auth),
        "import": await http.get("/imports/999/result.csv", headers=auth),
        "export": await http.get("/exports/999", headers=auth),
        "tracking": await http.get("/track/nothing-here", headers=auth),
        "health": await http.get("/healthz", headers=auth),
    }
    assert answers["GET query"].json()["data"] == {"me": {"email": actors.customer.email}}
    for name, response in answers.items():
        assert "no-store" in response.headers.get("cache-control", ""), name
        assert "private" in response.headers.get("cache-control", ""), name
    assert answers["GET query"].headers["vary"] == "Authorization, Accept"
    # a guest's plain GET says so too: only persisted queries are public
    guest = await http.get("/graphql", params={"query": "{ shippingMethods { code } }"})
    assert guest.headers["cache-control"] == "private, no-store"


# --- Weak 14: an internal error is counted and logged as one ------------------------------


async def test_an_internal_error_is_counted_as_internal_and_validation_as_validation(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import accounts

    async def broken(viewer: Any) -> None:
        raise RuntimeError("a bug")

    samples = {
        "internal": ("bitcart_graphql_errors_total", "INTERNAL_SERVER_ERROR"),
        "invalid": ("bitcart_graphql_errors_total", "GRAPHQL_VALIDATION_FAILED"),
        "failed": ("bitcart_requests_total", "query me"),
    }

    def counts() -> dict[str, float]:
        found = {}
        for name, (metric, label) in samples.items():
            labels = (
                {"operation": label, "outcome": "error"}
                if metric == "bitcart_requests_total"
                else {"code": label, "where": "top"}
            )
            found[name] = REGISTRY.get_sample_value(metric, labels) or 0.0
        return found

    before = counts()
    monkeypatch.setattr(accounts, "current_user", broken)
    with structlog.testing.capture_logs(MERGED) as logs:
        body = await gql("{ me { email } }", token=actors.customer.token, expect_errors=True)
        refused = await gql("{ nope }", expect_errors=True)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "nope" in refused["errors"][0]["message"]  # a validation failure, as before
    after = counts()
    assert {name: after[name] - before[name] for name in samples} == {
        "internal": 1,
        "invalid": 1,
        "failed": 1,
    }
    lines = [e for e in logs if e["event"] == "request"]
    assert [line.get("graphql_errors") for line in lines] == [
        ["INTERNAL_SERVER_ERROR"],
        ["GRAPHQL_VALIDATION_FAILED"],
    ]


# --- Found by a new user ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgres://postgres:SuperSecret123@db:5432/shop", "postgres://postgres:***@db:5432/shop"),
        ("redis://:R3dis@cache:6379/0", "redis://:***@cache:6379/0"),
        ("rediss://user:p%40ss@cache/1", "rediss://user:***@cache/1"),
        ("postgres://db/shop?user=u&password=pw&sslmode=require", "postgres://db/shop?user=u&password=***&sslmode=require"),
        ("sqlite:///data/bitcart.sqlite3", "sqlite:///data/bitcart.sqlite3"),
        ("unix:///tmp/valkey.sock", "unix:///tmp/valkey.sock"),
    ],
)  # fmt: skip
def test_urls_are_printed_without_their_passwords(url: str, shown: str) -> None:
    from app.logs import redact_url

    assert redact_url(url) == shown


def _redis_with_password(port: int, password: str, folder: Path) -> subprocess.Popen[bytes]:
    from bench.chaos_parts import _redis_binary

    command = [_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--requirepass", password, "--dir", str(folder)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.parametrize("log_format", ["json", "console"])
def test_serve_never_prints_a_password(tmp_path: Path, app: Any, log_format: str) -> None:
    """With passwords in REDIS_URL (and DATABASE_URL on PostgreSQL), neither the start-up
    lines nor anything else serve writes carries them, in either log format."""
    redis_port, port = free_port(), free_port()
    redis = _redis_with_password(redis_port, "R3dis-Secret-9", tmp_path)
    env = {
        "REDIS_URL": f"redis://:R3dis-Secret-9@127.0.0.1:{redis_port}/0",
        "BITCART_LOG_FORMAT": log_format,
    }
    postgres = os.environ.get("DATABASE_URL", "")
    if postgres.startswith("postgres"):  # trust authentication: any password will do
        parts = urlsplit(postgres)
        with_password = parts.netloc.replace("@", ":SuperSecret123@", 1)
        env["DATABASE_URL"] = urlunsplit(parts._replace(netloc=with_password))
    log_file = tmp_path / "serve.log"
    process = serve(tmp_path, port, log_file=log_file, keep_databases=bool(postgres), env=env)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process)
        assert httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200
    finally:
        process.terminate()
        process.wait(30)
        redis.kill()
        redis.wait()
    output = log_file.read_text()
    assert "R3dis-Secret-9" not in output
    assert "SuperSecret123" not in output
    shown = f"redis://:***@127.0.0.1:{redis_port}/0"
    if log_format == "json":
        lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
        (starting,) = [line for line in lines if line["event"] == "starting"]
        assert starting["redis"] == shown
        assert all(line.startswith("{") for line in output.splitlines() if line.strip())
    else:
        assert f"  redis:    {shown}" in output


async def test_tracking_tokens_never_reach_the_log(http: httpx.AsyncClient) -> None:
    with structlog.testing.capture_logs(MERGED) as logs:
        await http.get("/track/100-SecretTrackingToken42")
    (line,) = [e for e in logs if e["event"] == "request"]
    assert line["path"] == "/track/{token}"
    assert "SecretTrackingToken42" not in repr(logs)


def _cli(tmp_path: Path, *args: str, given: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        env=cli_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        input=given,
        check=False,
    )


def test_create_staff_never_takes_the_password_from_the_command_line(tmp_path: Path) -> None:
    migrated_data_folder(tmp_path)
    staff = ("create-staff", "--email", "ops@shop.test", "--role", "ADMIN")
    refused = _cli(tmp_path, *staff, "--password", "long password 1")
    assert refused.returncode != 0
    assert "--password-stdin" in refused.stderr
    no_terminal = _cli(tmp_path, *staff, given="")  # stdin is not a terminal here
    assert no_terminal.returncode != 0
    assert "--password-stdin" in no_terminal.stderr
    made = _cli(tmp_path, *staff, "--password-stdin", given="long password 1\n")
    assert made.returncode == 0, made.stderr  # nothing was created before: the email is free
    assert made.stdout.strip() == "Created ADMIN staff member ops@shop.test"


def _talk(fd: int, until: bytes, seconds: float = 60) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    while until not in seen:
        assert time.monotonic() < deadline, seen
        try:
            seen += os.read(fd, 1024)
        except OSError:  # the other side closed
            break
    return seen


def test_create_staff_asks_for_the_password_on_a_terminal(tmp_path: Path) -> None:
    migrated_data_folder(tmp_path)
    command = [sys.executable, "-m", "app", "create-staff", "--email", "t@shop.test"]
    command += ["--role", "SUPPORT"]
    pid, fd = pty.fork()
    if pid == 0:  # the child: create-staff on a terminal of its own
        os.execve(sys.executable, command, cli_env(tmp_path))
    try:
        _talk(fd, b"Password: ")
        os.write(fd, b"long password 1\n")
        _talk(fd, b"(again): ")
        os.write(fd, b"long password 1\n")
        rest = _talk(fd, b"staff member")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"Created SUPPORT staff member t@shop.test" in rest
    assert b"long password 1" not in rest  # not echoed


def test_no_coverage_data_is_committed() -> None:
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    tracked = subprocess.run(
        ["git", "ls-files", ".coverage", "*.coverage"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert tracked == ""
    assert ".coverage" in (ROOT / ".gitignore").read_text().split()


async def _lines(log_file: Path) -> list[dict[str, Any]]:
    text = await asyncio.to_thread(log_file.read_text)
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


async def test_the_stale_job_sweep_logs_only_what_it_finds(
    tmp_path: Path, app: Any, gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """A worker whose sweep runs every second: silent while there is nothing to send again,
    one line when it finds a job whose enqueue was lost."""
    assert settings_with_redis.redis_url
    log_file = tmp_path / "worker.log"
    env = {
        **os.environ,
        "REDIS_URL": settings_with_redis.redis_url,
        "BITCART_DATA_DIR": str(settings_with_redis.data_dir),
        "BITCART_LOG_FORMAT": "json",
        "BITCART_WORKER_LEASE_SECONDS": "3",  # the sweep every second
        "BITCART_WORKER_NAME": uuid.uuid4().hex,
    }
    with log_file.open("w") as out:
        worker = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-m", "app", "worker"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while not any("Starting worker" in e["event"] for e in await _lines(log_file)):
            assert time.monotonic() < deadline, log_file.read_text()
            assert worker.poll() is None, log_file.read_text()
            await asyncio.sleep(0.2)
        await asyncio.sleep(4)  # four sweeps with nothing to find
        idle = await _lines(log_file)
        assert _sweeps(idle) == [], idle
        # an export whose job was lost between the commit and the queue (cleared here)
        started = await gql.data(
            "mutation { exportOrders { export { id } errors { code } } }", token=actors.admin.token
        )
        assert started["exportOrders"]["errors"] == []
        await app.state.redis.delete("arq:queue", *await app.state.redis.keys("arq:job:*"))
        await Export.all().update(created_at=datetime.now(UTC) - timedelta(minutes=2))
        while (await Export.first()).status is not ImportStatus.SUCCEEDED:  # type: ignore[union-attr]
            assert time.monotonic() < deadline + 60, log_file.read_text()
            await asyncio.sleep(0.2)
        await asyncio.sleep(3)  # and quiet again once it is done
    finally:
        worker.terminate()
        worker.wait(30)
    swept = _sweeps(await _lines(log_file))
    # the sweep that found it (and one more, while the job it sent ran), nothing else
    assert 1 <= len(swept) <= 2, swept
    assert all(e["event"] == "job" and e["outcome"] == "done" for e in swept), swept


def _sweeps(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Lines about the stale-job sweep (the worker's start names every function it has)."""
    return [
        e
        for e in lines
        if e.get("job") == "requeue_stale"
        or ("requeue_stale" in e["event"] and not e["event"].startswith("Starting worker"))
    ]


# --- When a part fails: Redis --------------------------------------------------------------


@asynccontextmanager
async def redis_gone(app: Any) -> AsyncIterator[None]:
    """The API's Redis pool pointed where nothing listens, as when Redis is down."""
    working = app.state.redis
    gone = ArqRedis.from_url(f"redis://127.0.0.1:{free_port()}/0")
    app.state.redis = gone
    try:
        yield
    finally:
        app.state.redis = working
        await gone.aclose()


async def test_redis_down_is_a_503_said_once_and_recovery_once(
    app: Any, http: httpx.AsyncClient, gql: GraphQLClient, actors: Actors
) -> None:
    from tests.factories import create_product

    await create_product(gql, actors.admin.token, "A", stock=10)
    generate = """mutation { exportOrders { export { id status } errors { code } } }"""
    apq = {"persistedQuery": {"version": 1, "sha256Hash": "a" * 64}}
    with structlog.testing.capture_logs(MERGED) as logs:
        async with redis_gone(app):
            answers = [
                await http.post("/graphql", json={"query": LOGIN, "variables": WRONG}),
                await http.post(
                    "/graphql",
                    json={"query": LOGIN, "variables": WRONG},
                    headers={"Accept": "application/graphql-response+json"},
                ),
                await http.get("/graphql", params={"extensions": json.dumps(apq)}),
            ]
            # a write that committed stands: its job is left to the worker's sweep
            export = await http.post(
                "/graphql",
                json={"query": generate},
                headers={"Authorization": f"Bearer {actors.admin.token}"},
            )
        for _ in range(50):  # the probe sees it back
            if any(e["event"] == "dependency_recovered" for e in logs):
                break
            await asyncio.sleep(0.1)
    for answer in answers:
        assert answer.status_code == 503, answer.text
        assert answer.headers["retry-after"] == "2"
        (error,) = answer.json()["errors"]
        assert error["extensions"] == {"code": "SERVICE_UNAVAILABLE", "retryAfter": 2}
        assert "Redis" in error["message"]
    assert answers[1].headers["content-type"].startswith("application/graphql-response+json")
    assert export.status_code == 200
    assert export.json()["data"]["exportOrders"]["errors"] == []
    assert await Export.filter(status=ImportStatus.QUEUED).count() == 1
    outage = [e for e in logs if e["event"].startswith("dependency_")]
    assert [(e["event"], e["dependency"]) for e in outage] == [
        ("dependency_unavailable", "redis"),
        ("dependency_recovered", "redis"),
    ]
    assert not [e for e in logs if e.get("exc_info") or e.get("log_level") == "error"]


def test_the_library_lines_quieted_are_still_the_libraries_own() -> None:
    """The log lines left out or turned into an outage notice are matched by their text in
    arq 0.28 and asyncpg 0.32: an upgrade that rewords them would bring them back. Should
    this fail, match the new wording in app/logs.py and app/outage.py."""
    import inspect

    import arq.worker
    import asyncpg.pool

    from app.logs import _ARQ_JOB_LINES, ArqJobLines

    arq_source = inspect.getsource(arq.worker)
    for line in _ARQ_JOB_LINES:
        assert f"'{line}'" in arq_source, line
        record = logging.LogRecord("arq.worker", logging.INFO, "", 0, line, None, None)
        assert not ArqJobLines().filter(record), line
    assert "'Failed to restore the pool connection '" in inspect.getsource(asyncpg.pool)
