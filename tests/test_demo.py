"""The demo data, as a new user meets it (README: `serve --demo`), seeded in-process and
read through the API: each login with its role, the products, the shipping methods, and
four orders in their different states. tests/test_cli.py runs the same from the command
line."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from app.services import demo
from tests.conftest import GraphQLClient

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
ORDERS = """{ orders(first: 10, sort: {field: NUMBER, direction: ASC}) {
  totalCount edges { node {
    number status email shippingMethod shippingCost staffNotes customerComment
    billingAddress { firstName country postalCode } items { sku quantity }
    payment { status method provider transactions { kind reference provider } } } } } }"""


async def login(gql: GraphQLClient, email: str, password: str) -> str:
    token: str = (await gql.data(LOGIN, {"e": email, "p": password}))["login"]["token"]
    return token


async def test_the_demo_gives_each_role_a_login_products_methods_and_orders(
    gql: GraphQLClient, app: Any
) -> None:
    assert await demo.seed_demo(Decimal("0"), "USD") is True
    assert await demo.seed_demo(Decimal("0"), "USD") is False  # kept, never doubled

    roles = {}
    for entry in demo.DEMO_LOGINS:
        token = await login(gql, entry.email, entry.password)
        me = (await gql.data("{ me { kind role firstName } }", token=token))["me"]
        roles[entry.role] = (me["kind"], me["role"])
    assert roles == {
        "ADMIN": ("STAFF", "ADMIN"),
        "FULFILLMENT": ("STAFF", "FULFILLMENT"),
        "SUPPORT": ("STAFF", "SUPPORT"),
        "CUSTOMER": ("CUSTOMER", None),
    }
    admin = await login(gql, demo.DEMO_LOGINS[0].email, demo.DEMO_LOGINS[0].password)

    products = await gql.data(
        "{ products(first: 20) { edges { node { sku price stock } } } }", token=admin
    )
    stock = {
        e["node"]["sku"]: (e["node"]["price"], e["node"]["stock"])
        for e in products["products"]["edges"]
    }
    ordered = {
        "TEE-BLK-M": 2,
        "MUG-CLASSIC": 1,
        "SOCK-3PK": 1,
        "CAP-NAVY": 1,
        "NOTE-A5": 3,
        "BAG-TOTE": 2,
    }
    assert stock == {
        sku: (price, units - ordered.get(sku, 0)) for sku, _, price, units in demo.PRODUCTS
    }

    methods = await gql.data(
        "{ shippingMethods(includeInactive: true) { code price currency freeOver countries } }",
        token=admin,
    )
    assert sorted(methods["shippingMethods"], key=lambda m: m["code"]) == [
        {
            "code": "express",
            "price": "12.00",
            "currency": "USD",
            "freeOver": None,
            "countries": ["GB", "US"],
        },
        {
            "code": "standard",
            "price": "4.90",
            "currency": "USD",
            "freeOver": "50.00",
            "countries": [],
        },
    ]

    listed = (await gql.data(ORDERS, token=admin))["orders"]
    orders = [e["node"] for e in listed["edges"]]
    assert listed["totalCount"] == 4
    summary = [
        (
            o["email"],
            o["status"],
            o["payment"]["status"],
            o["shippingMethod"],
            o["shippingCost"],
            o["billingAddress"]["country"],
            [(i["sku"], i["quantity"]) for i in o["items"]],
            [(t["kind"], t["reference"]) for t in o["payment"]["transactions"]],
        )
        for o in orders
    ]
    assert summary == [
        (
            "customer@example.com",
            "AWAITING_FULFILLMENT",
            "PAID",
            "express",
            "12.00",
            "GB",
            [("TEE-BLK-M", 2), ("MUG-CLASSIC", 1)],
            [("CAPTURE", "demo_0")],
        ),
        (
            "customer@example.com",
            "AWAITING_PAYMENT",
            "PENDING",
            "standard",
            "4.90",
            "GB",
            [("SOCK-3PK", 1)],
            [],
        ),
        (
            "grace@example.org",
            "AWAITING_FULFILLMENT",
            "PAID",
            "standard",
            "0.00",  # 53.40 of goods: free over 50.00
            "US",
            [("CAP-NAVY", 1), ("NOTE-A5", 3)],
            [("CAPTURE", "demo_2")],
        ),
        (
            "jose@example.es",
            "AWAITING_FULFILLMENT",
            "AUTHORIZED",
            "standard",
            "4.90",
            "ES",
            [("BAG-TOTE", 2)],
            [("AUTHORIZATION", "demo_3")],
        ),
    ]
    # every order was paid by card through Stripe, as a storefront would send it
    assert {(o["payment"]["method"], o["payment"]["provider"]) for o in orders} == {
        ("card", "stripe")
    }
    assert {t["provider"] for o in orders for t in o["payment"]["transactions"]} == {"stripe"}
    assert [o["billingAddress"]["postalCode"] for o in orders] == [
        "SW1Y 4JH",
        "SW1Y 4JH",
        "22202",
        "28013",
    ]
    assert orders[0]["staffNotes"] == "VIP customer - check the gift-wrap before packing."
    assert orders[0]["customerComment"] == "Please gift-wrap the mug."
    assert [o["staffNotes"] for o in orders[1:]] == ["", "", ""]
    # the customer's login sees the customer's two orders
    customer = await login(gql, demo.DEMO_LOGINS[3].email, demo.DEMO_LOGINS[3].password)
    mine = await gql.data("{ orders(first: 10) { totalCount } }", token=customer)
    assert mine["orders"]["totalCount"] == 2
