"""placeOrder: pricing, stock taken atomically, and refusals that change nothing."""

from __future__ import annotations

import asyncio

from app.models import InventoryMovement, Order, OrderEvent, Product
from tests.conftest import Actors, GraphQLClient
from tests.factories import (
    PLACE_ORDER,
    address,
    create_product,
    order_input,
    paid,
    place_order,
    placed,
    record_payment,
    shipping_method,
)


async def stock_of(sku: str) -> int:
    return (await Product.get(sku=sku)).stock


async def ledger_sum(sku: str) -> int:
    product = await Product.get(sku=sku)
    deltas = await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
    return sum(deltas)


async def test_guest_order_is_priced_numbered_and_takes_stock(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5, price="19.90")
    await create_product(gql, actors.admin.token, "MUG", stock=3, price="12.50")
    await shipping_method(gql, actors.admin.token, "courier", "5.00")
    order = await placed(
        gql,
        None,
        [("TEE", 2), ("MUG", 1), ("TEE", 1)],
        email="Guest@Example.NET",
        customerComment="Ring twice",
        shippingMethod="Courier",
        payment={"method": "card", "provider": "stripe"},
    )
    assert order["number"] == 100
    assert order["email"] == "guest@example.net"
    assert [(i["sku"], i["quantity"], i["unitPrice"], i["total"]) for i in order["items"]] == [
        ("TEE", 3, "19.90", "59.70"),
        ("MUG", 1, "12.50", "12.50"),
    ]
    assert (order["subtotal"], order["shippingCost"], order["taxTotal"], order["total"]) == (
        "72.20",
        "5.00",
        "0.00",
        "77.20",
    )
    assert order["status"] == "AWAITING_PAYMENT"
    assert order["payment"]["status"] == "PENDING"
    # 76.20 paid of 77.20: still awaiting payment
    payment = await record_payment(gql, actors.admin.token, order, amount="76.20")
    order = payment["order"]
    assert order["status"] == "AWAITING_PAYMENT"
    assert order["payment"]["status"] == "PARTIALLY_PAID"
    assert order["payment"]["amountPaid"] == "76.20"
    # money always travels with its currency
    assert order["payment"]["currency"] == order["currency"] == "USD"
    assert {i["currency"] for i in order["items"]} == {"USD"}
    assert order["isOpen"] is True
    assert order["customerComment"] == "Ring twice"
    # no shipping address given: the billing one, as given
    assert order["shippingAddress"] == order["billingAddress"]
    assert order["billingAddress"] == {
        "firstName": "Alice",
        "lastName": "Liddell",
        "city": "Oxford",
        "country": "GB",
    }
    assert await stock_of("TEE") == 2
    assert await stock_of("MUG") == 2
    assert await ledger_sum("TEE") == 2
    assert await ledger_sum("MUG") == 2
    second = await paid(gql, None, [("MUG", 1)], actors.admin.token, kind="AUTHORIZATION")
    assert second["number"] == 101
    assert second["status"] == "AWAITING_FULFILLMENT"


async def test_customer_order_uses_the_account_email(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "SKU1")
    order = await placed(gql, actors.customer.token, [("SKU1", 1)], email="someone@else.com")
    assert order["email"] == actors.customer.email
    row = await Order.get(number=order["number"])
    assert row.customer_id == actors.customer.user_id
    events = await OrderEvent.filter(order_id=row.id).values_list("type", "visibility")
    assert events == [("ORDER_PLACED", "PUBLIC")]


async def test_guest_needs_an_email(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "SKU1")
    data = await gql.data(PLACE_ORDER, {"input": order_input([("SKU1", 1)])})
    assert data["placeOrder"]["order"] is None
    assert data["placeOrder"]["errors"] == [
        {"code": "INVALID_INPUT", "message": "Enter a valid email address.", "field": ["email"]}
    ]


async def test_unknown_sku_and_short_stock_change_nothing(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5)
    await create_product(gql, actors.admin.token, "B", stock=1)
    unknown = await place_order(gql, None, [("A", 1), ("NOPE", 1)])
    assert unknown["errors"] == [
        {
            "code": "UNKNOWN_SKU",
            "message": "No product has SKU NOPE.",
            "field": ["items", "1", "sku"],
        }
    ]
    short = await place_order(gql, None, [("A", 2), ("B", 2)])
    assert [e["code"] for e in short["errors"]] == ["INSUFFICIENT_STOCK"]
    assert "B" in short["errors"][0]["message"]
    # A's deduction ran before B failed; the whole transaction rolled back.
    assert await stock_of("A") == 5
    assert await stock_of("B") == 1
    assert await Order.all().count() == 0
    assert await InventoryMovement.filter(reason="ORDER_PLACED").count() == 0


async def test_malformed_input_lists_problems_and_changes_nothing(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5)
    # placed by staff, who may override the shipping cost (but not with a negative one)
    bad = order_input(
        [("A", 0)],
        email="guest@example.net",
        billingAddress={
            "firstName": "",
            "lastName": "X",
            "street1": "s",
            "city": "c",
            "country": "ZZ",
        },
        shippingCost="-1",
        customerComment="x" * 2001,
    )
    data = await gql.data(PLACE_ORDER, {"input": bad}, actors.admin.token)
    fields = sorted(tuple(e["field"]) for e in data["placeOrder"]["errors"])
    assert fields == [
        ("billingAddress", "country"),
        ("billingAddress", "firstName"),
        ("customerComment",),
        ("items", "0", "quantity"),
        ("shippingCost",),
    ]
    assert {e["code"] for e in data["placeOrder"]["errors"]} == {"INVALID_INPUT"}
    assert await Order.all().count() == 0
    assert await stock_of("A") == 5


async def test_too_many_decimals_in_money_is_refused(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    payload = await place_order(
        gql, actors.admin.token, [("A", 1)], shippingCost="4.999", email="x@example.com"
    )
    assert [e["field"] for e in payload["errors"]] == [["shippingCost"]]


async def test_last_unit_race_gives_one_order(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "LAST", stock=1)
    results = await asyncio.gather(
        place_order(gql, actors.customer.token, [("LAST", 1)]),
        place_order(gql, actors.other_customer.token, [("LAST", 1)]),
        place_order(gql, None, [("LAST", 1)]),
    )
    winners = [r for r in results if r["order"] is not None]
    losers = [r for r in results if r["order"] is None]
    assert len(winners) == 1
    assert [r["errors"][0]["code"] for r in losers] == ["INSUFFICIENT_STOCK"] * 2
    assert await stock_of("LAST") == 0
    assert await ledger_sum("LAST") == 0
    assert await Order.all().count() == 1


async def test_product_creation_and_stock_adjustment_keep_the_ledger(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "LEDGER", stock=10)
    adjust = """mutation($sku: String!, $d: Int!) {
      adjustStock(sku: $sku, delta: $d, reason: "count") { product { stock } errors { code } } }"""
    data = await gql.data(adjust, {"sku": "LEDGER", "d": -4}, actors.admin.token)
    assert data["adjustStock"] == {"product": {"stock": 6}, "errors": []}
    data = await gql.data(adjust, {"sku": "LEDGER", "d": -7}, actors.admin.token)
    assert data["adjustStock"] == {"product": None, "errors": [{"code": "INSUFFICIENT_STOCK"}]}
    data = await gql.data(adjust, {"sku": "NOPE", "d": 1}, actors.admin.token)
    assert data["adjustStock"]["errors"] == [{"code": "UNKNOWN_SKU"}]
    data = await gql.data(adjust, {"sku": "LEDGER", "d": 1}, actors.fulfillment.token)
    assert data["adjustStock"]["errors"] == [{"code": "FORBIDDEN"}]
    await placed(gql, None, [("LEDGER", 2)])
    assert await stock_of("LEDGER") == 4
    assert await ledger_sum("LEDGER") == 4


async def test_duplicate_sku_and_permissions_for_products(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "DUP")
    create = """mutation($input: CreateProductInput!) {
      createProduct(input: $input) { product { sku } errors { code field } } }"""
    variables = {"input": {"sku": "DUP", "name": "again", "price": "1.00"}}
    data = await gql.data(create, variables, actors.admin.token)
    assert data["createProduct"]["errors"] == [{"code": "DUPLICATE_SKU", "field": ["sku"]}]
    for token, code in (
        (actors.fulfillment.token, "FORBIDDEN"),
        (actors.customer.token, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        data = await gql.data(create, {"input": {"sku": "NEW", "name": "n", "price": "1"}}, token)
        assert data["createProduct"]["errors"] == [{"code": code, "field": None}]
    assert await Product.filter(sku="NEW").count() == 0


async def test_each_bad_part_of_an_order_names_its_field(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10, price="1.00")
    bad = await place_order(
        gql,
        actors.admin.token,
        [("A", 1)],
        email="phone@example.net",
        shippingAddress=address(country="XX"),
        payment={
            "status": "REFUNDED",
            "method": "m" * 51,
            "provider": "p" * 50,
            "transactionId": "t" * 256,
        },
    )
    assert bad["order"] is None
    assert [(e["field"], e["message"]) for e in bad["errors"]] == [
        (["shippingAddress", "country"], "Use an ISO 3166-1 alpha-2 country code, like US or DE."),
        (["payment", "status"], "An order is placed with a PENDING, AUTHORIZED or PAID payment."),
        (["payment", "method"], "At most 50 characters."),
        (["payment", "transactionId"], "At most 255 characters."),
    ]
    assert await Order.all().count() == 0


async def test_a_phone_order_records_even_the_smallest_payment_and_its_own_address(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10, price="1.00")
    order = await placed(
        gql,
        actors.admin.token,
        [("A", 3)],
        email="phone@example.net",
        shippingAddress=address("Bob", "Builder", country="DE"),
        payment={"status": "AUTHORIZED", "amount": "1.00", "method": "phone"},
    )
    assert order["payment"]["amountAuthorized"] == "1.00"
    row = await Order.get(number=order["number"])
    assert (row.shipping_address["last_name"], row.shipping_address["country"]) == ("Builder", "DE")
    assert row.billing_address["last_name"] == "Liddell"


async def test_line_bounds_are_exact(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=20_000, price="0.01")
    empty = await place_order(gql, None, [])
    assert [(e["field"], e["message"]) for e in empty["errors"]] == [
        (["items"], "An order has 1 to 100 lines.")
    ]
    blank = await place_order(gql, None, [(" ", 1), ("A", 10_001)])
    assert [(e["field"], e["message"]) for e in blank["errors"]] == [
        (["items", "0", "sku"], "A SKU has 1 to 64 characters."),
        (["items", "1", "quantity"], "Quantity is 1 to 10000."),
    ]
    # staff placing an order for a business buyer (a guest or customer takes fewer:
    # tests/test_hardening_two.py)
    most = await placed(gql, actors.admin.token, [("A", 10_000)], email="b2b@example.net")
    assert most["items"][0]["quantity"] == 10_000


async def test_each_address_problem_names_its_field_and_its_limit(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5)
    billing = address(
        "F" * 101, "L" * 100, street1="S" * 201, city="", postalCode="P" * 21, phone="9" * 40
    )
    shipping = address(company="C" * 101, street2=" " + "s" * 200 + " ", state="T" * 101)
    payload = await place_order(
        gql,
        actors.customer.token,
        [("A", 1)],
        billingAddress=billing,
        shippingAddress=shipping,
    )
    assert [(e["field"], e["message"]) for e in payload["errors"]] == [
        (["billingAddress", "firstName"], "At most 100 characters."),
        (["billingAddress", "street1"], "At most 200 characters."),
        (["billingAddress", "city"], "This is required."),
        (["billingAddress", "postalCode"], "At most 20 characters."),
        (["shippingAddress", "company"], "At most 100 characters."),
        (["shippingAddress", "state"], "At most 100 characters."),
    ]
    assert await Order.all().count() == 0
