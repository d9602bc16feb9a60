"""Products and their stock: what a product must have, manual stock corrections, the list."""

from __future__ import annotations

import asyncio
import os
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from app.models import InventoryMovement, Product
from app.services.catalog import MAX_STOCK
from app.services.money import money, parse_money
from tests.conftest import Actors, GraphQLClient
from tests.factories import CREATE_PRODUCT, create_product

CREATE = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { sku name price stock } errors { code field message } } }"""
ADJUST = """mutation($sku: String!, $d: Int!, $r: String!) {
  adjustStock(sku: $sku, delta: $d, reason: $r) {
    product { stock } errors { code field message } } }"""
PRODUCTS = """query($search: String) { products(first: 10, search: $search) {
  edges { node { sku } } } }"""


async def create(gql: GraphQLClient, token: str, **fields: Any) -> dict[str, Any]:
    data = await gql.data(CREATE, {"input": {"price": "1.00", **fields}}, token)
    payload: dict[str, Any] = data["createProduct"]
    return payload


async def test_a_product_names_each_bad_field_and_bounds_are_exact(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    bad = await create(gql, token, sku=" ", name=" ", price="1.001", stock=MAX_STOCK + 1)
    assert [(e["field"], e["message"]) for e in bad["errors"]] == [
        (["sku"], "A SKU has 1 to 64 characters."),
        (["name"], "A name has 1 to 255 characters."),
        (["price"], "A price is a non-negative amount with at most two decimals."),
        (["stock"], f"Stock is between 0 and {MAX_STOCK}."),
    ]
    longest = await create(gql, token, sku="S" * 64, name="n" * 255, stock=MAX_STOCK)
    assert longest["errors"] == []
    too_long = await create(gql, token, sku="T" * 65, name="n" * 256, stock=-1)
    assert [e["field"] for e in too_long["errors"]] == [["sku"], ["name"], ["stock"]]
    again = await create(gql, token, sku="S" * 64, name="again")
    assert [(e["code"], e["field"]) for e in again["errors"]] == [("DUPLICATE_SKU", ["sku"])]
    # no starting stock: no ledger row
    await create(gql, token, sku="EMPTY", name="Empty")
    empty = await Product.get(sku="EMPTY")
    assert await InventoryMovement.filter(product_id=empty.id).count() == 0


async def test_a_stock_correction_is_bounded_and_named(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    await create(gql, token, sku="A", name="A", stock=5)
    for delta, reason, expected in (
        (0, "count", [(["delta"], "The change is a non-zero whole number of units.")]),
        (MAX_STOCK + 1, "count", [(["delta"], "The change is a non-zero whole number of units.")]),
        (1, "r" * 256, [(["reason"], "At most 255 characters.")]),
    ):
        data = await gql.data(ADJUST, {"sku": "A", "d": delta, "r": reason}, token)
        errors = data["adjustStock"]["errors"]
        assert [(e["field"], e["message"]) for e in errors] == expected
    unknown = await gql.data(ADJUST, {"sku": "NOPE", "d": 1, "r": "count"}, token)
    assert [e["code"] for e in unknown["adjustStock"]["errors"]] == ["UNKNOWN_SKU"]
    fine = await gql.data(ADJUST, {"sku": "A", "d": -5, "r": "r" * 255}, token)
    assert fine["adjustStock"] == {"product": {"stock": 0}, "errors": []}
    # the ledger keeps the correction, its reason, and who made it
    entry = await InventoryMovement.filter(reason="ADJUSTMENT").get()
    assert (entry.delta, entry.note, entry.actor_id) == (-5, "r" * 255, actors.admin.user_id)


async def test_products_are_found_by_sku_or_name(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    await create(gql, token, sku="TEE-M", name="Tee medium")
    await create(gql, token, sku="MUG", name="Coffee mug")
    await create(gql, token, sku="LONG", name="x" * 100 + "y")
    # a search is cut at 100 characters: what follows them is not looked for
    cut = "x" * 100 + "z"
    for search, found in (
        ("tee", ["TEE-M"]),
        ("coffee", ["MUG"]),
        ("lon", ["LONG"]),  # by its SKU alone
        (None, ["TEE-M", "MUG", "LONG"]),
        (cut, ["LONG"]),
    ):
        data = await gql.data(PRODUCTS, {"search": search}, actors.support.token)
        assert [e["node"]["sku"] for e in data["products"]["edges"]] == found


async def test_one_product_is_read_by_its_sku(gql: GraphQLClient, actors: Actors) -> None:
    await create(gql, actors.admin.token, sku="TEE-M", name="Tee medium", stock=3)
    await create(gql, actors.admin.token, sku="MUG", name="Coffee mug")
    one = "query($sku: String!) { product(sku: $sku) { sku name stock } }"
    found = await gql.data(one, {"sku": " TEE-M "}, actors.fulfillment.token)
    assert found["product"] == {"sku": "TEE-M", "name": "Tee medium", "stock": 3}
    assert (await gql.data(one, {"sku": "tee-m"}, actors.fulfillment.token))["product"] is None
    assert (await gql.data(one, {"sku": "HAT"}, actors.fulfillment.token))["product"] is None
    # a storefront reads it too, but never how many are in stock
    anonymous = await gql(one, {"sku": "MUG"}, expect_errors=True)
    assert anonymous["data"] == {"product": {"sku": "MUG", "name": "Coffee mug", "stock": None}}
    assert [(e["extensions"]["code"], e["path"]) for e in anonymous["errors"]] == [
        ("FORBIDDEN", ["product", "stock"])
    ]


@pytest.mark.parametrize(
    ("given", "parsed"),
    [
        (None, None),
        ("abc", None),
        ("NaN", None),
        ("Infinity", None),
        ("-0.01", None),
        ("1.001", None),
        ("9999999999.99", Decimal("9999999999.99")),
        ("10000000000.00", None),
        ("0", Decimal("0.00")),
        ("2.5", Decimal("2.50")),
        (3, Decimal("3.00")),
    ],
)
def test_money_is_non_negative_with_two_places_at_most(
    given: str | int | None, parsed: Decimal | None
) -> None:
    assert parse_money(given) == parsed
    assert money("0.005") == Decimal("0.01")  # half up, never to even


async def test_lines_for_one_product_are_summed_before_the_stock_is_checked(
    gql: GraphQLClient, actors: Actors
) -> None:
    """An edit that drops one line and adds another of the same product moves the net; two
    deductions that fit apart but not together refuse both."""
    from app.db import atomic
    from app.services.catalog import StockLine, move_stock
    from app.services.errors import DomainError, ErrorCode, Issue

    await create_product(gql, actors.admin.token, "A", stock=4)
    product = await Product.get(sku="A")
    with pytest.raises(DomainError) as refused:
        async with atomic():
            await move_stock(
                [StockLine(product.id, "A", -2), StockLine(product.id, "A", -3)],
                reason="ORDER_EDITED",
            )
    assert refused.value.issues[0] == Issue(
        ErrorCode.INSUFFICIENT_STOCK, "Not enough stock of A.", ("items",)
    )
    await product.refresh_from_db()
    assert product.stock == 4
    await move_stock(
        [StockLine(product.id, "A", 2), StockLine(product.id, "A", -1)], reason="ORDER_EDITED"
    )
    await product.refresh_from_db()
    assert product.stock == 5
    moved = await InventoryMovement.filter(product_id=product.id, reason="ORDER_EDITED")
    assert [m.delta for m in moved] == [1]  # one movement: the net


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="SQLite serialises writers: no race to the index"
)
async def test_a_product_made_meanwhile_by_another_request_is_a_duplicate_sku(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Another request inserts the SKU after this one looked for it: the unique index
    decides, and this one is told DUPLICATE_SKU as if it came later, with nothing made."""
    other = await asyncpg.connect(
        os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    )
    try:
        meanwhile = other.transaction()
        await meanwhile.start()
        await other.execute(
            "INSERT INTO products (sku, name, price, stock, created_at) "
            "VALUES ('TWIN', 'Twin', 1, 0, now())"
        )
        product = {"sku": "TWIN", "name": "Twin", "price": "1.00", "stock": 1}
        creating = asyncio.create_task(
            gql.data(CREATE_PRODUCT, {"input": product}, actors.admin.token)
        )
        await asyncio.sleep(0.5)
        assert not creating.done()  # it found no TWIN, and waits on the index for the other
        await meanwhile.commit()
        answer = await creating
    finally:
        await other.close()
    assert answer["createProduct"] == {
        "product": None,
        "errors": [
            {"code": "DUPLICATE_SKU", "message": "SKU TWIN exists already.", "field": ["sku"]}
        ],
    }
    assert await Product.filter(sku="TWIN").count() == 1
    assert await InventoryMovement.filter(product__sku="TWIN").count() == 0
