"""The chaos run's load (bench/chaos.py): clients sending every kind of write (and some
reads) to the API processes, and a tally of what each was answered."""

from __future__ import annotations

import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

MASKED = "Unexpected error."


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
