"""Building blocks for tests: products and orders made through the public API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import GraphQLClient

ORDER_FIELDS = """
  id number version status isOpen email total subtotal shippingCost taxTotal currency
  customerComment trackingNumber
  payment {
    method provider transactionId status amountAuthorized amountPaid amountRefunded currency
  }
  billingAddress { firstName lastName city country }
  shippingAddress { firstName lastName city country }
  items { id sku name quantity unitPrice total quantityShipped currency }
"""

PLACE_ORDER = f"""
mutation($input: PlaceOrderInput!) {{
  placeOrder(input: $input) {{ order {{ {ORDER_FIELDS} }} errors {{ code message field }} }}
}}"""

CREATE_PRODUCT = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id sku name price stock } errors { code message field } }
}"""


def address(first: str = "Alice", last: str = "Liddell", **extra: str) -> dict[str, str]:
    return {
        "firstName": first,
        "lastName": last,
        "street1": "7 Rabbit Hole",
        "city": "Oxford",
        "postalCode": "OX1 1AA",
        "country": "GB",
        **extra,
    }


async def create_product(
    gql: GraphQLClient, token: str, sku: str, stock: int = 10, price: str = "10.00", name: str = ""
) -> dict[str, Any]:
    data = await gql.data(
        CREATE_PRODUCT,
        {"input": {"sku": sku, "name": name or f"Product {sku}", "price": price, "stock": stock}},
        token,
    )
    payload = data["createProduct"]
    assert payload["errors"] == [], payload["errors"]
    product: dict[str, Any] = payload["product"]
    return product


def order_input(items: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
    """A checkout's input: the new store's free `standard` method, no payment declared."""
    return {
        "items": [{"sku": sku, "quantity": qty} for sku, qty in items],
        "billingAddress": address(),
        "shippingMethod": "standard",
        **extra,
    }


async def place_order(
    gql: GraphQLClient, token: str | None, items: list[tuple[str, int]], **extra: Any
) -> dict[str, Any]:
    """Place an order and return its payload (order and errors)."""
    if token is None:
        extra.setdefault("email", "guest@example.net")
    data = await gql.data(PLACE_ORDER, {"input": order_input(items, **extra)}, token)
    payload: dict[str, Any] = data["placeOrder"]
    return payload


async def placed(
    gql: GraphQLClient, token: str | None, items: list[tuple[str, int]], **extra: Any
) -> dict[str, Any]:
    payload = await place_order(gql, token, items, **extra)
    assert payload["errors"] == [], payload["errors"]
    order: dict[str, Any] = payload["order"]
    return order


RECORD_PAYMENT = f"""
mutation($id: ID!, $input: RecordPaymentInput!, $key: String) {{
  recordPayment(orderId: $id, input: $input, idempotencyKey: $key) {{
    transaction {{ id kind amount currency provider reference method actor }}
    order {{ {ORDER_FIELDS} }}
    errors {{ code message field }}
  }}
}}"""


async def record_payment(
    gql: GraphQLClient,
    token: str | None,
    order: dict[str, Any],
    key: str | None = None,
    **input_: Any,
) -> dict[str, Any]:
    """recordPayment's payload (transaction, order, errors)."""
    input_.setdefault("kind", "CAPTURE")
    data = await gql.data(RECORD_PAYMENT, {"id": order["id"], "input": input_, "key": key}, token)
    payload: dict[str, Any] = data["recordPayment"]
    return payload


async def paid(
    gql: GraphQLClient,
    token: str | None,
    items: list[tuple[str, int]],
    payer: str,
    kind: str = "CAPTURE",
    amount: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """An order placed as a storefront would, then paid as its payment back end reports it
    (`payer`: a token with PAYMENTS_WRITE); the order as recordPayment returned it."""
    order = await placed(gql, token, items, **extra)
    payment: dict[str, Any] = {"kind": kind}
    if amount is not None:
        payment["amount"] = amount
    payload = await record_payment(gql, payer, order, **payment)
    assert payload["errors"] == [], payload["errors"]
    result: dict[str, Any] = payload["order"]
    return result


SHIPPING_METHOD_FIELDS = "id code name price currency freeOver countries active"
CREATE_SHIPPING_METHOD = f"""
mutation($input: CreateShippingMethodInput!) {{
  createShippingMethod(input: $input) {{
    shippingMethod {{ {SHIPPING_METHOD_FIELDS} }} errors {{ code message field }}
  }}
}}"""
UPDATE_SHIPPING_METHOD = f"""
mutation($code: String!, $input: UpdateShippingMethodInput!) {{
  updateShippingMethod(code: $code, input: $input) {{
    shippingMethod {{ {SHIPPING_METHOD_FIELDS} }} errors {{ code message field }}
  }}
}}"""


async def shipping_method(
    gql: GraphQLClient, token: str, code: str, price: str, **extra: Any
) -> dict[str, Any]:
    """Create a shipping method, or change it when the code exists (`standard` does)."""
    if code == "standard":
        variables: dict[str, Any] = {"code": code, "input": {"price": price, **extra}}
        payload = (await gql.data(UPDATE_SHIPPING_METHOD, variables, token))["updateShippingMethod"]
    else:
        fields = {"code": code, "name": code.title(), "price": price, **extra}
        payload = (await gql.data(CREATE_SHIPPING_METHOD, {"input": fields}, token))[
            "createShippingMethod"
        ]
    assert payload["errors"] == [], payload["errors"]
    method: dict[str, Any] = payload["shippingMethod"]
    return method


# Staff's everyday changes, for tests that need them to happen
UPDATE_ORDER = """
mutation($id: ID!, $notes: String) {
  updateOrder(id: $id, input: {staffNotes: $notes}) { errors { code } }
}"""

NOTE = """
mutation($id: ID!, $text: String!) {
  addOrderNote(orderId: $id, message: $text) { errors { code message } }
}"""

REFUND = """
mutation($id: ID!, $input: RefundOrderInput!) {
  refundOrder(orderId: $id, input: $input) { refund { id } errors { code message } }
}"""


def rate_limited_wait(error: dict[str, Any], most: int) -> int:
    """A RATE_LIMITED GraphQL error's wait (1 to `most` seconds), checked against its message."""
    assert error["extensions"]["code"] == "RATE_LIMITED"
    wait: int = error["extensions"]["retryAfter"]
    assert 1 <= wait <= most
    unit = "second" if wait == 1 else "seconds"
    assert error["message"] == f"Too many attempts; try again in {wait} {unit}."
    return wait


TIMELINE = """query($id: ID!) { order(id: $id) {
  events(first: 100) { edges { node { type actor message data } } } } }"""


async def timeline(gql: GraphQLClient, token: str | None, order_id: str) -> list[dict[str, Any]]:
    """The order's timeline as `token` reads it, oldest first."""
    data = await gql.data(TIMELINE, {"id": order_id}, token)
    return [edge["node"] for edge in data["order"]["events"]["edges"]]


async def check_stall_sweep(
    model: Any,
    row_id: int,
    stalled: Callable[[int], Awaitable[list[tuple[int, datetime | None]]]],
    finished: Sequence[Any],
) -> None:
    """Only a RUNNING row silent for the lease time is stalled: not one alive within it, nor
    one in a `finished` status long ago."""
    lease = 60
    now = datetime.now(UTC)
    cases = [("RUNNING", now - timedelta(seconds=lease - 5), False)]  # alive
    cases.append(("RUNNING", now - timedelta(seconds=lease + 5), True))
    cases += [(status, now - timedelta(seconds=lease + 5), False) for status in finished]
    for status, heartbeat, is_stalled in cases:
        await model.filter(id=row_id).update(status=status, heartbeat_at=heartbeat)
        found = await stalled(lease)
        assert found == ([(row_id, heartbeat)] if is_stalled else []), status
