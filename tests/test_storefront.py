"""Storefront reads: the catalog for everyone (products on sale, price, in stock or not,
never the count), and quoteOrder, priced by placeOrder's own code (a property holds them
equal for random carts), taking no stock and bounded as placeOrder is."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import InventoryMovement, Order, Product
from tests.conftest import Actors, GraphQLClient, app_settings, count_queries, empty_tables
from tests.factories import (
    PLACE_ORDER,
    address,
    create_product,
    order_input,
    place_order,
    shipping_method,
)

T = TypeVar("T")
CATALOG = """query($search: String) { products(first: 20, search: $search) {
  edges { node { sku name price currency active inStock stock } } } }"""
QUOTE = """query($input: QuoteOrderInput!) { quoteOrder(input: $input) {
  quote {
    lines { sku name quantity unitPrice total inStock }
    subtotal shippingMethods { code name price currency }
    shippingMethod shippingCost taxTotal total currency
  }
  errors { code message field }
} }"""


async def catalog(gql: GraphQLClient, token: str | None) -> dict[str, Any]:
    return await gql(CATALOG, token=token, expect_errors=True)


async def test_everyone_reads_the_products_on_sale_never_the_count(
    gql: GraphQLClient, actors: Actors
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=3, price="19.90", name="Tee")
    await create_product(gql, admin, "MUG", stock=0, price="12.50", name="Mug")
    await create_product(gql, admin, "OLD", stock=9, price="1.00", name="Retired")
    await Product.filter(sku="OLD").update(active=False)
    for token in (None, actors.customer.token):
        body = await catalog(gql, token)
        nodes = [e["node"] for e in body["data"]["products"]["edges"]]
        assert nodes == [
            {"sku": "TEE", "name": "Tee", "price": "19.90", "currency": "USD", "active": True,
             "inStock": True, "stock": None},
            {"sku": "MUG", "name": "Mug", "price": "12.50", "currency": "USD", "active": True,
             "inStock": False, "stock": None},
        ]  # fmt: skip
        assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
        assert {tuple(e["path"][-1:]) for e in body["errors"]} == {("stock",)}
        one = await gql.data('{ product(sku: "OLD") { sku } }', token=token)
        assert one["product"] is None  # off sale is not there, for a storefront
    staff = await gql.data(CATALOG, token=actors.fulfillment.token)
    seen = [(e["node"]["sku"], e["node"]["stock"], e["node"]["active"]) for e in
            staff["products"]["edges"]]  # fmt: skip
    assert seen == [("TEE", 3, True), ("MUG", 0, True), ("OLD", 9, False)]
    # what is not sold now is refused alike by the quote and the order, whoever asks
    refused = [
        {
            "code": "PRODUCT_INACTIVE",
            "message": "OLD is not sold now.",
            "field": ["items", "0", "sku"],
        }
    ]
    assert (await place_order(gql, None, [("OLD", 1)]))["errors"] == refused
    by_staff = await place_order(gql, admin, [("OLD", 1)], email="phone@example.net")
    assert by_staff["errors"] == refused
    quoted = await gql.data(
        QUOTE, {"input": {"items": [{"sku": "OLD", "quantity": 1}], "country": "GB"}}
    )
    assert quoted["quoteOrder"] == {"quote": None, "errors": refused}


async def test_a_quote_prices_the_cart_offers_the_methods_and_takes_nothing(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=3, price="19.90", name="Tee")
    await create_product(gql, admin, "MUG", stock=1, price="12.50", name="Mug")
    await shipping_method(gql, admin, "standard", "4.90", freeOver="50.00")
    await shipping_method(gql, admin, "express", "12.00", countries=["GB", "US"])
    await shipping_method(gql, admin, "pallet", "90.00", countries=["DE"])
    cart = {
        "items": [{"sku": "TEE", "quantity": 2}, {"sku": "MUG", "quantity": 2}],
        "country": "gb",
    }
    with app_settings(app, tax_rate=Decimal("0.20")), count_queries() as counted:
        body = await gql(QUOTE, {"input": cart})
    assert "errors" not in body
    assert counted.count <= 4  # products, the chosen method, the methods: no query per line
    quote = body["data"]["quoteOrder"]
    assert quote["errors"] == []
    assert quote["quote"] == {
        "lines": [
            {"sku": "TEE", "name": "Tee", "quantity": 2, "unitPrice": "19.90", "total": "39.80",
             "inStock": True},
            {"sku": "MUG", "name": "Mug", "quantity": 2, "unitPrice": "12.50", "total": "25.00",
             "inStock": False},
        ],
        "subtotal": "64.80",
        "shippingMethods": [
            {"code": "express", "name": "Express", "price": "12.00", "currency": "USD"},
            {"code": "standard", "name": "Standard", "price": "0.00", "currency": "USD"},
        ],
        "shippingMethod": "standard",  # the cheapest, free over 50.00
        "shippingCost": "0.00",
        "taxTotal": "12.96",
        "total": "77.76",
        "currency": "USD",
    }  # fmt: skip
    express = await gql.data(QUOTE, {"input": {**cart, "shippingMethod": "EXPRESS"}})
    assert express["quoteOrder"]["quote"]["total"] == "76.80"  # no tax outside app_settings
    assert await Order.all().count() == 0
    assert (await Product.get(sku="MUG")).stock == 1
    assert await InventoryMovement.filter(reason="ORDER_PLACED").count() == 0


async def test_a_quote_is_refused_as_place_order_is(gql: GraphQLClient, actors: Actors) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=3)
    await shipping_method(gql, admin, "express", "12.00", countries=["GB"])

    async def errors(**input_: Any) -> list[dict[str, Any]]:
        data = await gql.data(QUOTE, {"input": {"country": "US", **input_}})
        assert data["quoteOrder"]["quote"] is None or not data["quoteOrder"]["errors"]
        found: list[dict[str, Any]] = data["quoteOrder"]["errors"]
        return found

    line = {"sku": "TEE", "quantity": 1}
    assert await errors(items=[{"sku": "HAT", "quantity": 1}]) == [
        {
            "code": "UNKNOWN_SKU",
            "message": "No product has SKU HAT.",
            "field": ["items", "0", "sku"],
        }
    ]
    assert await errors(items=[line], shippingMethod="express") == [
        {"code": "INVALID_SHIPPING_METHOD", "message": "Express does not ship to US.",
         "field": ["shippingMethod"]}
    ]  # fmt: skip
    assert [e["field"] for e in await errors(items=[line], country="XX")] == [["country"]]
    bounds = await errors(items=[{"sku": "TEE", "quantity": 0}] + [line] * 100)
    assert [e["field"] for e in bounds] == [["items"], ["items", "0", "quantity"]]
    assert [e["field"] for e in await errors(items=[])] == [["items"]]
    # a buyer's units a line, as placeOrder bounds them (BITCART_MAX_UNITS_PER_LINE)
    many = await errors(items=[line, {"sku": "TEE", "quantity": 100}])
    assert many == [
        {"code": "LIMIT_REACHED", "message": "At most 100 units of TEE an order.",
         "field": ["items", "0", "quantity"]}
    ]  # fmt: skip
    assert await errors(items=[line]) == []


async def test_a_quote_and_the_order_it_prices_agree_for_random_carts(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    """quoteOrder and placeOrder share their pricing: for random catalogs, carts, methods
    (with free-over thresholds and countries) and tax rates, the order is what was quoted."""
    loop = asyncio.get_running_loop()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    prices = st.decimals(Decimal("0.00"), Decimal("250"), places=2)
    carts = st.lists(st.tuples(st.integers(0, 4), st.integers(1, 7)), min_size=1, max_size=6)
    methods = st.lists(
        st.tuples(prices, st.none() | prices, st.sampled_from([[], ["GB"], ["DE", "GB"]])),
        min_size=1,
        max_size=3,
    )

    @settings(
        max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        catalog=st.lists(prices, min_size=5, max_size=5),
        cart=carts,
        offered=methods,
        pick=st.none() | st.integers(0, 2),
        tax=st.decimals(Decimal("0"), Decimal("0.25"), places=3),
        country=st.sampled_from(["GB", "DE"]),
    )
    def agree(
        catalog: list[Decimal],
        cart: list[tuple[int, int]],
        offered: list[tuple[Decimal, Decimal | None, list[str]]],
        pick: int | None,
        tax: Decimal,
        country: str,
    ) -> None:
        run(empty_tables(app))
        admin = actors.admin.token
        for index, price in enumerate(catalog):
            run(create_product(gql, admin, f"P{index}", stock=100, price=str(price)))
        codes = ["standard"]
        run(shipping_method(gql, admin, "standard", str(offered[0][0]), countries=["GB", "DE"]))
        for index, (price, free_over, countries) in enumerate(offered[1:], 1):
            extra = {"freeOver": str(free_over)} if free_over is not None else {}
            run(shipping_method(gql, admin, f"m{index}", str(price), countries=countries, **extra))
            codes.append(f"m{index}")
        chosen = codes[pick] if pick is not None and pick < len(codes) else ""
        items = [{"sku": f"P{i}", "quantity": q} for i, q in cart]
        with app_settings(app, tax_rate=tax):
            asked = {"items": items, "country": country, "shippingMethod": chosen}
            quoted = run(gql.data(QUOTE, {"input": asked}))["quoteOrder"]
            placed = run(
                gql.data(
                    PLACE_ORDER,
                    {
                        "input": order_input(
                            [(f"P{i}", q) for i, q in cart],
                            email="g@example.net",
                            billingAddress=address(country=country),
                            shippingMethod=chosen,
                        )
                    },
                )
            )["placeOrder"]
        if placed["errors"]:  # a method that does not ship there: refused alike
            assert quoted["errors"] == placed["errors"]
            return
        quote, order = quoted["quote"], placed["order"]
        assert quoted["errors"] == []
        assert [(x["sku"], x["quantity"], x["unitPrice"], x["total"]) for x in quote["lines"]] == [
            (x["sku"], x["quantity"], x["unitPrice"], x["total"]) for x in order["items"]
        ]
        assert (quote["subtotal"], quote["shippingCost"], quote["taxTotal"], quote["total"]) == (
            order["subtotal"],
            order["shippingCost"],
            order["taxTotal"],
            order["total"],
        )
        listed = {m["code"]: m["price"] for m in quote["shippingMethods"]}
        assert listed[quote["shippingMethod"]] == quote["shippingCost"]

    with app_settings(app):
        await asyncio.to_thread(agree)
