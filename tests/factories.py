"""Building blocks for tests: products and orders made through the public API."""

from __future__ import annotations

from typing import Any

from tests.conftest import GraphQLClient

ORDER_FIELDS = """
  id number version status isOpen email total subtotal shippingCost taxTotal currency
  customerComment trackingNumber
  payment { method provider transactionId status amountPaid amountRefunded currency }
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
    return {
        "items": [{"sku": sku, "quantity": qty} for sku, qty in items],
        "billingAddress": address(),
        "shippingMethod": "Standard",
        "shippingCost": "5.00",
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
