"""Real parts only: a migrated SQLite (or PostgreSQL with DATABASE_URL) and a real Valkey/Redis.

Settings are fixed before the app is imported; each test starts from empty order and product
tables, while the standard actors (staff of each role, two customers) are created once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

# The process's local time is nine hours ahead of UTC (a POSIX rule: no zone files needed), so
# a time taken or read without a zone is nine hours wrong and shows, where on a UTC machine
# it would pass unseen. Served processes the tests start inherit it.
os.environ["TZ"] = "XST-9"
time.tzset()


def redis_for_worker(url: str, worker: int) -> str:
    """The Redis URL of the xdist worker `worker` (1, 2, …; worker 0 keeps `url`): the
    database 8 + worker - 1 above the one named (mod 16): a two-worker run on db 6 also
    uses db 14. Two runs sharing one Redis need named databases eight apart."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{(base + 8 + worker - 1) % 16}"))


_DATA_DIR = Path(tempfile.mkdtemp(prefix="bitcart-test-"))
os.environ["BITCART_DATA_DIR"] = str(_DATA_DIR)
os.environ.setdefault("SECRET_KEY", "test-secret-key")
# Passwords are hashed with argon2id as in production, at a fraction of its cost: a tenth of
# a millisecond, not a fifth of a second of CPU, for each of the suite's sign-ins.
os.environ.setdefault("BITCART_ARGON2_TIME_COST", "1")
os.environ.setdefault("BITCART_ARGON2_MEMORY_KIB", "64")
# Tests place many orders from one address; the limits have tests of their own.
for _limit in ("GUEST_ORDER", "REGISTER", "CUSTOMER_DOCUMENT", "CUSTOMER_NOTE"):
    os.environ.setdefault(f"BITCART_{_limit}_RATE_LIMIT", "1000000")
for _holder in ("CUSTOMER", "ADDRESS"):
    os.environ.setdefault(f"BITCART_MAX_UNPAID_ORDERS_PER_{_holder}", "1000000")
# pytest-xdist's workers (scripts/test runs two) are separate processes: each has its own
# data folder above (its SQLite file and embedded Valkey), its own PostgreSQL database below
# (by pid), and on a configured Redis its own database number, since the tests empty queue
# and limit keys by pattern. They inherit the environment of the process that started them,
# which has read this file too: the URLs as configured are kept aside for them.
for _name in ("DATABASE_URL", "REDIS_URL"):
    _given = os.environ.setdefault(f"BITCART_TEST_GIVEN_{_name}", os.environ.get(_name, ""))
    if _given:
        os.environ[_name] = _given
_BASE_DATABASE_URL = os.environ.get("DATABASE_URL")
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if os.environ.get("REDIS_URL") and _WORKER:
    os.environ["REDIS_URL"] = redis_for_worker(os.environ["REDIS_URL"], _WORKER)
if _BASE_DATABASE_URL:
    # Never the configured database itself: a fresh one beside it, per test run.
    _parts = urlsplit(_BASE_DATABASE_URL)
    _TEST_DB = f"bitcart_test_{os.getpid()}"
    os.environ["DATABASE_URL"] = urlunsplit(_parts._replace(path=f"/{_TEST_DB}"))

import asyncpg  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
import pytest_asyncio  # noqa: E402
from tortoise import connections  # noqa: E402

from app.db import atomic, migrate_database  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import Role  # noqa: E402
from app.redis import with_embedded_valkey  # noqa: E402
from app.services import accounts  # noqa: E402
from app.services.auth import SYSTEM, issue_token  # noqa: E402
from app.settings import Settings, get_settings  # noqa: E402
from app.workers.settings import build_worker  # noqa: E402
from tests import sameness  # noqa: E402

KEEP_TABLES = {"users", "api_tokens", "tortoise_migrations"}
PASSWORD = "correct horse battery"


async def _create_postgres_database() -> None:
    assert _BASE_DATABASE_URL
    server = _BASE_DATABASE_URL.replace("postgres://", "postgresql://", 1)
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_TEST_DB}"')
        await conn.execute(f'CREATE DATABASE "{_TEST_DB}"')
    finally:
        await conn.close()


async def _drop_postgres_database() -> None:
    assert _BASE_DATABASE_URL
    conn = await asyncpg.connect(_BASE_DATABASE_URL.replace("postgres://", "postgresql://", 1))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_TEST_DB}" WITH (FORCE)')
    finally:
        await conn.close()


@dataclass
class Actor:
    email: str
    token: str
    user_id: int


@dataclass
class Actors:
    admin: Actor
    fulfillment: Actor
    support: Actor
    customer: Actor
    other_customer: Actor


@pytest.fixture(scope="session")
def settings_with_redis() -> Iterator[Settings]:
    settings, valkey = with_embedded_valkey(get_settings())
    yield settings
    if valkey is not None:
        valkey.stop()


@pytest_asyncio.fixture(scope="session")
async def app(settings_with_redis: Settings) -> AsyncIterator[Any]:
    if _BASE_DATABASE_URL:
        await _create_postgres_database()
    await migrate_database(settings_with_redis)
    application = create_app(settings_with_redis)
    async with application.router.lifespan_context(application):
        yield application
    if _BASE_DATABASE_URL:
        await _drop_postgres_database()


@pytest_asyncio.fixture(scope="session")
async def actors(app: Any) -> Actors:
    key = get_settings().secret_key

    async def staff(email: str, role: Role) -> Actor:
        async with atomic():
            user = await accounts.create_staff(SYSTEM, email, PASSWORD, role)
            return Actor(email, await issue_token(user, key), user.id)

    async def customer(email: str) -> Actor:
        async with atomic():
            user, token = await accounts.register_customer(email, PASSWORD, "Cus", "Tomer", key)
            return Actor(email, token, user.id)

    return Actors(
        admin=await staff("admin@shop.test", Role.ADMIN),
        fulfillment=await staff("packer@shop.test", Role.FULFILLMENT),
        support=await staff("support@shop.test", Role.SUPPORT),
        customer=await customer("alice@example.com"),
        other_customer=await customer("bob@example.com"),
    )


@pytest_asyncio.fixture(autouse=True)
async def clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Empty every table but the session-wide accounts before each database test."""
    if "app" not in request.fixturenames:
        yield
        return
    await empty_tables(request.getfixturevalue("app"))
    yield


async def empty_tables(app: Any) -> None:
    """Every table but the session-wide accounts, and the rate-limit, job and persisted-query
    keys in Redis."""
    conn = connections.get("default")
    tables = [
        model._meta.db_table for model in _models() if model._meta.db_table not in KEEP_TABLES
    ]
    if get_settings().is_sqlite:  # one script: one trip to the connection's thread
        deletes = "".join(f'DELETE FROM "{table}";' for table in tables)
        await conn.execute_script(
            f"BEGIN; {deletes} DELETE FROM sqlite_sequence WHERE name != 'users'; COMMIT;"
        )
    else:
        joined = ", ".join(f'"{t}"' for t in tables)
        await conn.execute_script(f"TRUNCATE {joined} RESTART IDENTITY CASCADE")
    # what the migration gives a new store: one free method, everywhere
    from app.models import ShippingMethod

    await ShippingMethod.create(
        code="standard", name="Standard", price="0.00", currency=get_settings().currency
    )
    redis = app.state.redis
    stale = [key async for key in redis.scan_iter(match="bitcart:rl:*")]
    stale += [key async for key in redis.scan_iter(match="arq:*")]
    stale += [key async for key in redis.scan_iter(match="bitcart:queue:*")]
    stale += [key async for key in redis.scan_iter(match="bitcart:apq:*")]
    if stale:
        await redis.delete(*stale)


def _models() -> list[Any]:
    from tortoise import Tortoise

    return list(Tortoise.apps["models"].values())


# how often a query whose two answers differ is asked again before the difference counts
SETTLE_TRIES = 3


class GraphQLClient:
    """Sends operations as a client does. Every query is also run through graphql-core
    alone (tests/sameness.py), and the two answers must be the same bytes: the fast
    execution path is proven on every query of the suite."""

    def __init__(self, http: httpx.AsyncClient, app: Any = None) -> None:
        self.http = http
        self.app = app
        self.extensions: dict[str, Any] | None = None

    async def __call__(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        *,
        expect_errors: bool = False,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        payload = {"query": query, "variables": variables or {}}
        response = await self.http.post("/graphql", json=payload, headers=headers)
        body: dict[str, Any] = response.json()
        checked = self.app is not None and sameness.checking.get()
        if (
            checked
            and response.status_code == 200
            and sameness.is_query(query)
            and sameness.comparable(body)
        ):
            expected = await sameness.reference(self.app, query, variables, token)
            for _ in range(SETTLE_TRIES):
                if sameness.same(body, expected):
                    break
                # a worker running beside the test may change the rows between the two
                # runs (a delivery PENDING, then SUCCEEDED): both are asked again; a real
                # difference between the paths stays one
                await asyncio.sleep(0.2)
                body = (await self.http.post("/graphql", json=payload, headers=headers)).json()
                expected = await sameness.reference(self.app, query, variables, token)
            assert sameness.same(body, expected), (query, body, expected)
        # every response reports its cost; tests that check it read it here
        self.extensions = body.pop("extensions", None)
        if not expect_errors:
            assert "errors" not in body, body["errors"]
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        body = await self(query, variables, token)
        data: dict[str, Any] = body["data"]
        return data


@pytest_asyncio.fixture(scope="session")
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
def gql(http: httpx.AsyncClient, app: Any) -> GraphQLClient:
    return GraphQLClient(http, app)


async def run_jobs(settings: Settings) -> None:
    """Run every queued job to the end with a real arq worker (burst mode)."""
    worker = build_worker(
        settings,
        own_database=False,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
        cron_jobs=[],
    )
    try:
        await worker.main()
    finally:
        await worker.close()


async def upload(
    http: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any],
    content: bytes,
    token: str | None,
    filename: str = "tracking.csv",
) -> dict[str, Any]:
    """A GraphQL multipart request: the file goes in as variables.file."""
    import json

    operations = json.dumps({"query": query, "variables": {**variables, "file": None}})
    response = await http.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (filename, content, "text/csv")},
        headers={"Authorization": f"Bearer {token}"} if token else {},
    )
    body: dict[str, Any] = response.json()
    return body


class QueryCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.statements: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if not message.startswith(("Created connection", "Closed connection")):
            self.statements.append(message)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries() -> Iterator[QueryCounter]:
    """Count the SQL statements Tortoise sends while the block runs."""
    logger = logging.getLogger("tortoise.db_client")
    counter = QueryCounter()
    previous = logger.level
    unchecked = sameness.checking.set(False)
    logger.setLevel(logging.DEBUG)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)
        logger.setLevel(previous)
        sameness.checking.reset(unchecked)


@contextmanager
def app_settings(app: Any, **changes: Any) -> Iterator[None]:
    """Change the GraphQL endpoint's settings (limits, deadlines) for one test."""
    from dataclasses import replace

    endpoint = next(route.endpoint for route in app.routes if route.path == "/graphql")
    before = endpoint.settings
    endpoint.settings = replace(before, **changes)
    try:
        yield
    finally:
        endpoint.settings = before


# names a test's own code uses when it starts processes (served, CLI, workers, migrations)
# or runs many examples (Hypothesis): such a test takes seconds where most take milliseconds
_STARTS_PROCESSES = {"serve", "cli", "_cli", "start_worker", "subprocess", "Popen", "pty", "step"}
_STARTS_PROCESSES |= {"given", "run_state_machine_as_test"}


def _starts_processes(item: pytest.Item) -> bool:
    function = getattr(item, "function", None)
    code = getattr(function, "__code__", None)
    return code is not None and not _STARTS_PROCESSES.isdisjoint(code.co_names)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist (`--dist loadgroup`, scripts/test), the tests of a module that
    uses a module-scoped fixture (a served process and its browser, say) run on one worker,
    so the fixture is made once rather than once a worker, and not again each time the
    worker comes back to the module. Tests that start processes go first: handed out last,
    one of them would keep a worker busy after the others finish."""
    items.sort(key=lambda item: not _starts_processes(item))
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        module = getattr(item, "module", None)
        if info is None or module is None:
            continue
        scopes = {d.scope for defs in info.name2fixturedefs.values() for d in defs}
        if scopes & {"module", "class", "package"}:
            item.add_marker(pytest.mark.xdist_group(module.__name__))
    if getattr(config.option, "loadgroup", False):  # set in xdist's workers only
        _name_groups(items)


def _name_groups(items: list[pytest.Item]) -> None:
    """xdist's scheduler keeps together the tests whose node ids end in the same
    `@group`; xdist 3.8 sets that suffix as `item._nodeid`, which pytest 9 no longer reads
    (it keeps the id as `item._id`), so every group was spread over the workers."""
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = sorted({str(mark.args[0]) for mark in item.iter_markers("xdist_group")})
        if names and "@" not in item.nodeid:
            item._id = coerce_node_id(f"{item.nodeid}@{'_'.join(names)}")
