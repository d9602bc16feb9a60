"""Shipping methods as data: the server prices shipping; buyers cannot declare money."""

from __future__ import annotations

import pytest

from app.models import Order, PaymentTransaction
from app.services import shipping
from app.services.auth import SYSTEM
from app.services.errors import DomainError, ErrorCode, Issue
from tests.conftest import Actors, GraphQLClient
from tests.factories import (
    CREATE_SHIPPING_METHOD,
    UPDATE_SHIPPING_METHOD,
    address,
    create_product,
    place_order,
    placed,
    shipping_method,
)

METHODS = """query($country: String, $all: Boolean! = false) {
  shippingMethods(country: $country, includeInactive: $all) {
    code name price currency freeOver countries active } }"""


async def test_a_new_store_ships_with_a_free_standard_method(
    gql: GraphQLClient, actors: Actors
) -> None:
    # public: a storefront lists them without signing in
    methods = (await gql.data(METHODS))["shippingMethods"]
    assert methods == [
        {
            "code": "standard",
            "name": "Standard",
            "price": "0.00",
            "currency": "USD",
            "freeOver": None,
            "countries": [],
            "active": True,
        }
    ]
    await create_product(gql, actors.admin.token, "A", price="10.00")
    order = await placed(gql, None, [("A", 1)], shippingMethod="STANDARD")
    assert (order["shippingCost"], order["total"]) == ("0.00", "10.00")


async def test_cost_is_computed_with_free_over_and_countries(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100, price="20.00")
    await shipping_method(gql, token, "standard", "4.90", freeOver="50.00")
    await shipping_method(gql, token, "express", "12.00", countries=["gb", "US"])
    gb = await gql.data(METHODS, {"country": "GB"})
    de = await gql.data(METHODS, {"country": "de"})
    assert [m["code"] for m in gb["shippingMethods"]] == ["express", "standard"]
    assert [m["code"] for m in de["shippingMethods"]] == ["standard"]
    assert gb["shippingMethods"][0]["countries"] == ["GB", "US"]

    below = await placed(gql, None, [("A", 2)], shippingMethod="standard")  # 40.00
    at = await placed(gql, None, [("A", 3)], shippingMethod="Standard")  # 60.00 >= 50.00
    express = await placed(gql, None, [("A", 3)], shippingMethod="EXPRESS")
    assert (below["shippingCost"], below["total"]) == ("4.90", "44.90")
    assert (at["shippingCost"], at["total"]) == ("0.00", "60.00")
    assert (express["shippingCost"], express["total"]) == ("12.00", "72.00")
    row = await Order.get(number=express["number"])
    assert row.shipping_method == "express"
    # no method named: the cheapest that ships there
    cheapest = await placed(gql, None, [("A", 1)], shippingMethod="")
    assert cheapest["shippingCost"] == "4.90"

    # express does not ship to Germany; an unknown code is refused; nothing is placed
    german = address(country="DE")
    refused = await place_order(
        gql, None, [("A", 1)], shippingMethod="express", billingAddress=german
    )
    unknown = await place_order(gql, None, [("A", 1)], shippingMethod="teleport")
    for payload in (refused, unknown):
        assert payload["order"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_SHIPPING_METHOD", ["shippingMethod"])
        ]
    assert await Order.all().count() == 4


async def test_an_inactive_method_is_not_offered_nor_accepted(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A")
    await shipping_method(gql, token, "pickup", "0.00")
    changed = await gql.data(
        UPDATE_SHIPPING_METHOD, {"code": "PICKUP", "input": {"active": False}}, token
    )
    assert changed["updateShippingMethod"]["shippingMethod"]["active"] is False
    listed = await gql.data(METHODS)
    assert [m["code"] for m in listed["shippingMethods"]] == ["standard"]
    everything = await gql.data(METHODS, {"all": True}, token)
    assert [m["code"] for m in everything["shippingMethods"]] == ["pickup", "standard"]
    # only settings managers see inactive ones
    body = await gql(METHODS, {"all": True}, actors.support.token, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    payload = await place_order(gql, None, [("A", 1)], shippingMethod="pickup")
    assert [e["code"] for e in payload["errors"]] == ["INVALID_SHIPPING_METHOD"]


async def test_managing_methods_needs_settings_write(gql: GraphQLClient, actors: Actors) -> None:
    new = {"code": "express", "name": "Express", "price": "9.00"}
    for token in (None, actors.customer.token, actors.support.token, actors.fulfillment.token):
        created = await gql.data(CREATE_SHIPPING_METHOD, {"input": new}, token)
        assert created["createShippingMethod"]["shippingMethod"] is None
        assert created["createShippingMethod"]["errors"][0]["code"] in {
            "UNAUTHENTICATED",
            "FORBIDDEN",
        }
        updated = await gql.data(
            UPDATE_SHIPPING_METHOD, {"code": "standard", "input": {"price": "99.00"}}, token
        )
        assert updated["updateShippingMethod"]["errors"][0]["code"] in {
            "UNAUTHENTICATED",
            "FORBIDDEN",
        }
    assert [m["price"] for m in (await gql.data(METHODS))["shippingMethods"]] == ["0.00"]


async def test_bad_method_input_is_listed_and_changes_nothing(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    bad = {
        "code": "no spaces!",
        "name": "",
        "price": "-1",
        "currency": "EUR",
        "freeOver": "1.001",
        "countries": ["GB", "XX"],
    }
    payload = (await gql.data(CREATE_SHIPPING_METHOD, {"input": bad}, token))[
        "createShippingMethod"
    ]
    assert sorted(tuple(e["field"]) for e in payload["errors"]) == [
        ("code",),
        ("countries", "1"),
        ("currency",),
        ("freeOver",),
        ("name",),
        ("price",),
    ]
    again = {"code": "Standard", "name": "Again", "price": "1.00"}
    duplicate = (await gql.data(CREATE_SHIPPING_METHOD, {"input": again}, token))[
        "createShippingMethod"
    ]
    assert [(e["code"], e["field"]) for e in duplicate["errors"]] == [("DUPLICATE_CODE", ["code"])]
    missing = (
        await gql.data(UPDATE_SHIPPING_METHOD, {"code": "nope", "input": {"price": "1"}}, token)
    )["updateShippingMethod"]
    assert [e["code"] for e in missing["errors"]] == ["NOT_FOUND"]
    # freeOver: null clears it, leaving the rest
    await shipping_method(gql, token, "standard", "3.00", freeOver="30.00")
    cleared = (
        await gql.data(
            UPDATE_SHIPPING_METHOD, {"code": "standard", "input": {"freeOver": None}}, token
        )
    )["updateShippingMethod"]["shippingMethod"]
    assert (cleared["price"], cleared["freeOver"]) == ("3.00", None)
    assert [m["code"] for m in (await gql.data(METHODS))["shippingMethods"]] == ["standard"]


async def test_customers_and_guests_cannot_declare_money(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5, price="24.00")
    declared = {
        "method": "card",
        "provider": "stripe",
        "status": "PAID",
        "amount": "24.00",
        "transactionId": "made_up",
    }
    # the fulfilment role is staff but places no orders (tests/test_hardening_two.py)
    packer = await place_order(
        gql, actors.fulfillment.token, [("A", 1)], shippingCost="0.00", payment=declared
    )
    assert [(e["code"], e["field"]) for e in packer["errors"]] == [("FORBIDDEN", None)]
    for token in (None, actors.customer.token):
        payload = await place_order(
            gql, token, [("A", 1)], shippingCost="0.00", payment=declared, email="g@example.com"
        )
        assert payload["order"] is None
        refused = [(e["code"], e["field"]) for e in payload["errors"]]
        assert refused == [
            ("FORBIDDEN", ["shippingCost"]),
            ("FORBIDDEN", ["payment", "status"]),
            ("FORBIDDEN", ["payment", "amount"]),
            ("FORBIDDEN", ["payment", "transactionId"]),
        ], token
    # each field alone is refused too
    for field, value in (("status", "PENDING"), ("amount", "1.00"), ("transactionId", "")):
        payload = await place_order(gql, None, [("A", 1)], payment={field: value})
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("FORBIDDEN", ["payment", field])
        ]
    assert await Order.all().count() == 0
    # what a buyer may say: the method and provider chosen
    order = await placed(gql, None, [("A", 1)], payment={"method": "card", "provider": "Stripe"})
    assert order["status"] == "AWAITING_PAYMENT"
    assert order["payment"] == {
        "method": "card",
        "provider": "stripe",
        "transactionId": "",
        "status": "PENDING",
        "amountAuthorized": "0.00",
        "amountPaid": "0.00",
        "amountRefunded": "0.00",
        "currency": "USD",
    }


async def test_staff_override_shipping_and_take_payment_with_a_phone_order(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5, price="24.00")
    await shipping_method(gql, actors.admin.token, "standard", "6.00")
    order = await placed(
        gql,
        actors.support.token,
        [("A", 1)],
        email="phone@example.com",
        shippingCost="2.50",
        payment={"method": "card", "provider": "square", "status": "PAID", "transactionId": "sq_1"},
    )
    assert (order["shippingCost"], order["total"]) == ("2.50", "26.50")
    assert order["status"] == "AWAITING_FULFILLMENT"
    assert order["payment"]["status"] == "PAID"
    assert order["payment"]["amountPaid"] == "26.50"
    assert order["payment"]["transactionId"] == "sq_1"
    row = await Order.get(number=order["number"])
    assert await PaymentTransaction.filter(order_id=row.id).values_list(
        "kind", "amount", "provider", "reference"
    ) == [("CAPTURE", row.total, "square", "sq_1")]
    too_much = await place_order(
        gql,
        actors.admin.token,
        [("A", 1)],
        email="phone@example.com",
        payment={"status": "PAID", "amount": "100.00"},
    )
    assert [(e["code"], e["field"]) for e in too_much["errors"]] == [
        ("PAYMENT_EXCEEDS_BALANCE", ["payment", "amount"])
    ]
    authorized = await placed(
        gql,
        actors.admin.token,
        [("A", 1)],
        email="phone@example.com",
        payment={"status": "AUTHORIZED", "amount": "10.00"},
    )
    # 10.00 of 30.00 held: not yet covered
    assert authorized["status"] == "AWAITING_PAYMENT"
    assert authorized["payment"]["status"] == "AUTHORIZED"
    assert authorized["payment"]["amountAuthorized"] == "10.00"


async def test_free_from_exactly_the_threshold_and_the_cheapest_that_ships_there(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100, price="25.00")
    await shipping_method(gql, token, "standard", "4.90", freeOver="50.00")
    await shipping_method(gql, token, "local", "1.00", countries=["GB"])
    exact = await placed(gql, None, [("A", 2)], shippingMethod="standard")  # 50.00
    assert exact["shippingCost"] == "0.00"
    # no code: the cheapest method that ships to the buyer's country, not the cheapest of all
    german = await placed(
        gql, None, [("A", 1)], shippingMethod="", billingAddress=address(country="DE")
    )
    assert german["shippingCost"] == "4.90"
    await gql.data(
        UPDATE_SHIPPING_METHOD, {"code": "standard", "input": {"countries": ["GB"]}}, token
    )
    nowhere = await place_order(
        gql, None, [("A", 1)], shippingMethod="", billingAddress=address(country="DE")
    )
    assert [(e["code"], e["message"], e["field"]) for e in nowhere["errors"]] == [
        ("INVALID_SHIPPING_METHOD", "No shipping method ships to DE.", ["shippingMethod"])
    ]
    long = await place_order(gql, None, [("A", 1)], shippingMethod="x" * 60)
    assert [e["message"] for e in long["errors"]] == [f"No shipping method {'x' * 50!r}."]


async def test_a_method_in_another_currency_is_refused_by_name(actors: Actors) -> None:
    with pytest.raises(DomainError) as refused:
        await shipping.choose("standard", "US", "EUR", ["shippingMethod"])
    assert refused.value.issues == [
        Issue(
            ErrorCode.INVALID_SHIPPING_METHOD,
            "Standard is priced in USD, the order in EUR.",
            ("shippingMethod",),
        )
    ]


async def test_a_method_needs_code_name_and_price_and_names_what_is_wrong(
    gql: GraphQLClient, actors: Actors
) -> None:
    with pytest.raises(DomainError) as missing:
        await shipping.create_method(SYSTEM, shipping.MethodInput(), "USD")
    assert [(i.field, i.message) for i in missing.value.issues] == [
        (("code",), "This is required."),
        (("name",), "This is required."),
        (("price",), "This is required."),
    ]
    token = actors.admin.token
    longest = await gql.data(
        CREATE_SHIPPING_METHOD,
        {"input": {"code": "n100", "name": "n" * 100, "price": "1.00"}},
        token,
    )
    assert longest["createShippingMethod"]["errors"] == []
    too_long = await gql.data(
        CREATE_SHIPPING_METHOD,
        {"input": {"code": "n101", "name": "n" * 101, "price": "1.00"}},
        token,
    )
    assert [(e["field"], e["message"]) for e in too_long["createShippingMethod"]["errors"]] == [
        (["name"], "A name has 1 to 100 characters.")
    ]
    unknown = await gql.data(
        UPDATE_SHIPPING_METHOD, {"code": "teleport", "input": {"price": "1.00"}}, token
    )
    assert [(e["code"], e["field"]) for e in unknown["updateShippingMethod"]["errors"]] == [
        ("NOT_FOUND", ["code"])
    ]
