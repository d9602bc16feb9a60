"""What the staff console needs of the server: live events that name their order, a clear
answer to a subscription sent over HTTP."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import connections

from app.db import atomic, is_postgres
from app.models import Export, PaymentStatus
from app.services.auth import SYSTEM
from app.services.orders import OrderFilter, filtered_orders
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient, count_queries
from tests.factories import NOTE, address, create_product, paid, place_order, placed
from tests.test_exports import EXPORT, export_rows
from tests.test_migrations import ORDER_COLUMNS, old_order, step
from tests.test_returns import request_return, set_status, shipped_order

SET_STAFF_NOTES = """mutation($id: ID!, $notes: String!) {
  updateOrder(id: $id, input: { staffNotes: $notes }) { errors { code } }
}"""
SUBSCRIPTION = "subscription { orderEvents { type } }"
OVER_HTTP = {
    "message": "Subscriptions are served over a WebSocket on /graphql (graphql-transport-ws); "
    "HTTP answers queries and mutations.",
    "extensions": {"code": "SUBSCRIPTION_OVER_HTTP"},
}


@pytest.mark.parametrize("accept", ["application/json", "application/graphql-response+json"])
async def test_a_subscription_over_http_post_is_a_400_saying_where_to_go(
    http: httpx.AsyncClient, actors: Actors, accept: str
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": SUBSCRIPTION},
        headers={"Authorization": f"Bearer {actors.admin.token}", "Accept": accept},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [OVER_HTTP]


async def test_a_subscription_over_http_get_is_a_400_too(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    named = "query A { me { email } } subscription B { orderEvents { type } }"
    response = await http.get(
        "/graphql",
        params={"query": named, "operationName": "B"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [OVER_HTTP]
    # the same document's query is answered as ever
    response = await http.get(
        "/graphql",
        params={"query": named, "operationName": "A"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"me": None}


async def test_a_word_subscription_in_a_query_is_only_a_word(
    gql: GraphQLClient, actors: Actors
) -> None:
    body = await gql('{ product(sku: "subscription") { sku } }', token=actors.admin.token)
    assert body == {"data": {"product": None}}


TIMELINES = """query($first: Int!) {
  orders(first: $first) { edges { node {
    number
    events(first: 10) { edges { node { type order { id number staffNotes } } } }
  } } }
}"""


async def test_timeline_events_name_their_order_without_a_query_each(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    for _ in range(12):
        order = await placed(gql, actors.customer.token, [("A", 1)])
        await gql.data(NOTE, {"id": order["id"], "text": "hi"}, actors.admin.token)
    with count_queries() as one:
        await gql.data(TIMELINES, {"first": 1}, actors.admin.token)
    with count_queries() as twelve:
        data = await gql.data(TIMELINES, {"first": 12}, actors.admin.token)
    for edge in data["orders"]["edges"]:
        node: dict[str, Any] = edge["node"]
        events = [e["node"] for e in node["events"]["edges"]]
        assert len(events) == 2
        assert {e["order"]["number"] for e in events} == {node["number"]}
    # the token, the page, the events: the order is the one the events hang from
    assert one.count == twelve.count == 3, twelve.statements


async def test_a_customer_sees_their_timeline_order_without_staff_notes(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    order = await placed(gql, actors.customer.token, [("A", 1)])
    await gql.data(SET_STAFF_NOTES, {"id": order["id"], "notes": "VIP"}, actors.admin.token)
    query = """query($id: ID!) { order(id: $id) {
      events(first: 10) { edges { node { type order { number staffNotes } } } } } }"""
    body = await gql(query, {"id": order["id"]}, actors.customer.token, expect_errors=True)
    events = [e["node"] for e in body["data"]["order"]["events"]["edges"]]
    assert events == [
        {"type": "ORDER_PLACED", "order": {"number": order["number"], "staffNotes": None}}
    ]
    assert {e["extensions"]["code"] for e in body["errors"]} == {"FORBIDDEN"}
    assert "VIP" not in str(body)


FILTERED = """query($filter: OrderFilterInput, $first: Int, $after: String) {
  orders(first: $first, after: $after, filter: $filter) {
    edges { node { number } } pageInfo { hasNextPage endCursor } } }"""


async def numbers(
    gql: GraphQLClient, token: str, filter_: dict[str, Any], first: int = 50
) -> list[int]:
    """Every order the filter lists, walking its pages of `first`."""
    found: list[int] = []
    after = None
    while True:
        data = await gql.data(FILTERED, {"filter": filter_, "first": first, "after": after}, token)
        page = data["orders"]
        found += [e["node"]["number"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


async def four_orders(gql: GraphQLClient, actors: Actors) -> list[int]:
    """PAID A to GB, PENDING B to FR, AUTHORIZED A+B to DE, PAID B to FR: their numbers."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100)
    await create_product(gql, token, "B", stock=100)
    one = await paid(gql, None, [("A", 1)], token, email="one@example.com")
    two = await placed(
        gql, None, [("B", 1)], email="two@example.com", shippingAddress=address(country="FR")
    )
    three = await paid(
        gql,
        actors.customer.token,
        [("A", 1), ("B", 2)],
        token,
        kind="AUTHORIZATION",
        shippingAddress=address(country="DE"),
    )
    four = await paid(
        gql,
        None,
        [("B", 3)],
        token,
        email="four@example.com",
        shippingAddress=address(country="FR"),
    )
    assert [o["payment"]["status"] for o in (one, two, three, four)] == [
        "PAID",
        "PENDING",
        "AUTHORIZED",
        "PAID",
    ]
    return [o["number"] for o in (one, two, three, four)]


async def test_orders_filter_by_payment_status_sku_and_shipping_country(
    gql: GraphQLClient, actors: Actors
) -> None:
    one, two, three, four = await four_orders(gql, actors)
    token = actors.admin.token
    assert await numbers(gql, token, {"paymentStatus": ["PAID"]}) == [four, one]
    assert await numbers(gql, token, {"paymentStatus": ["PAID", "AUTHORIZED"]}) == [
        four,
        three,
        one,
    ]
    assert await numbers(gql, token, {"sku": "A"}) == [three, one]
    assert await numbers(gql, token, {"sku": " B "}) == [four, three, two]
    assert await numbers(gql, token, {"sku": "NOPE"}) == []
    assert await numbers(gql, token, {"shippingCountry": "fr"}) == [four, two]
    assert await numbers(gql, token, {"shippingCountry": "US"}) == []
    together = {"sku": "B", "shippingCountry": "FR", "paymentStatus": ["PAID"]}
    assert await numbers(gql, token, together) == [four]
    # keyset paging is kept: a page at a time finds the same orders in the same order
    assert await numbers(gql, token, {"sku": "B"}, first=1) == [four, three, two]
    assert await numbers(gql, token, {"paymentStatus": ["PAID", "AUTHORIZED"]}, first=2) == [
        four,
        three,
        one,
    ]
    # a customer's filter finds only their own orders
    assert await numbers(gql, actors.customer.token, {"sku": "B"}) == [three]


async def test_a_changed_shipping_address_moves_the_order_between_countries(
    gql: GraphQLClient, actors: Actors
) -> None:
    _, two, three, _ = await four_orders(gql, actors)
    token = actors.admin.token
    listed = await gql.data(FILTERED, {"filter": {"search": str(two)}}, token)
    assert [e["node"]["number"] for e in listed["orders"]["edges"]] == [two]
    order = await gql.data("query($n: Int) { order(number: $n) { id } }", {"n": two}, token)
    moved = await gql.data(
        """mutation($id: ID!, $a: AddressInput!) {
          updateOrder(id: $id, input: { shippingAddress: $a }) { errors { code } } }""",
        {"id": order["order"]["id"], "a": address(country="DE")},
        token,
    )
    assert moved["updateOrder"]["errors"] == []
    assert await numbers(gql, token, {"shippingCountry": "DE"}) == [three, two]
    assert two not in await numbers(gql, token, {"shippingCountry": "FR"})


@pytest.mark.parametrize(
    ("filter_", "field"),
    [
        ({"shippingCountry": "GBR"}, ["filter", "shippingCountry"]),
        ({"shippingCountry": "1A"}, ["filter", "shippingCountry"]),
        ({"sku": "x" * 65}, ["filter", "sku"]),
        ({"sku": "  "}, ["filter", "sku"]),
    ],
)
async def test_a_filter_value_that_is_not_valid_is_refused_by_name(
    gql: GraphQLClient, actors: Actors, filter_: dict[str, Any], field: list[str]
) -> None:
    body = await gql(FILTERED, {"filter": filter_}, actors.admin.token, expect_errors=True)
    (error,) = body["errors"]
    assert error["extensions"] == {"code": "INVALID_INPUT", "field": field}
    exported = await gql.data(EXPORT, {"filter": filter_, "g": "ORDER"}, actors.admin.token)
    assert exported["exportOrders"]["export"] is None
    assert [e["field"] for e in exported["exportOrders"]["errors"]] == [field]
    assert await Export.all().count() == 0


async def test_the_export_takes_the_new_filters_as_the_list_does(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    await four_orders(gql, actors)
    token = actors.admin.token
    for chosen in (
        {"sku": "A"},
        {"shippingCountry": "FR"},
        {"paymentStatus": ["PAID"]},
        {"sku": "B", "shippingCountry": "FR", "paymentStatus": ["PENDING"]},
    ):
        listed = await numbers(gql, token, chosen)
        rows = await export_rows(gql, http, settings_with_redis, token, **chosen)
        assert sorted(int(r["order_number"]) for r in rows) == sorted(listed), chosen
        assert 0 < len(listed) < 4


@pytest.mark.parametrize(
    ("chosen", "index"),
    [
        (OrderFilter(payment_statuses=[PaymentStatus.PAID]), "orders_payment_created_id"),
        (OrderFilter(shipping_country="FR"), "orders_country_created_id"),
        (OrderFilter(sku="A"), "order_items_sku_order"),
    ],
)
async def test_each_new_filter_is_answered_by_its_index(
    app: Any, chosen: OrderFilter, index: str
) -> None:
    """The first page as the order list asks for it (newest first, keyset on created_at
    and id) reads the filter's index on either database, rather than scanning."""
    page = filtered_orders(SYSTEM, chosen).order_by("-created_at", "-id").limit(21)
    page.sql()  # builds the statement; then its text and values, as they will be sent
    sql, values = page.query.get_parameterized_sql()
    async with atomic():
        conn = connections.get("default")  # the transaction's (the client's is locked by it)
        if is_postgres():  # an empty table is cheaper to scan: ask what it would use
            await conn.execute_script("SET LOCAL enable_seqscan = off")
            _, rows = await conn.execute_query(f"EXPLAIN {sql}", values)
        else:
            _, rows = await conn.execute_query(f"EXPLAIN QUERY PLAN {sql}", values)
    plan = "\n".join(str(tuple(row)) for row in rows)
    assert index in plan, plan


def test_an_existing_database_upgrades_with_countries_filled_and_products_active(
    tmp_path: Path,
) -> None:
    step(tmp_path, "models.0008_search_indexes")
    db = tmp_path / "bitcart.sqlite3"
    with sqlite3.connect(db) as conn:
        marks = ", ".join("?" * 27)
        rows = [list(old_order(n, "10.00", "PAID", "10.00", "0.00", f"r{n}")) for n in (100, 101)]
        rows[0][6] = '{"country": "FR", "city": "Lyon"}'  # shipping_address
        conn.executemany(f"INSERT INTO orders ({ORDER_COLUMNS}) VALUES ({marks})", rows)
        conn.execute(
            "INSERT INTO products (sku, name, price, stock, created_at)"
            " VALUES ('OLD', 'Old', '1.00', 3, '2024-01-01 00:00:00+00:00')"
        )
    step(tmp_path, "")
    with sqlite3.connect(db) as conn:
        countries = conn.execute("SELECT number, shipping_country FROM orders ORDER BY number")
        assert countries.fetchall() == [(100, "FR"), (101, "")]
        assert conn.execute("SELECT sku, active FROM products").fetchall() == [("OLD", 1)]
        assert conn.execute("SELECT last_used_at FROM api_tokens").fetchall() == []


UPDATE_PRODUCT = """mutation($id: ID, $sku: String, $input: UpdateProductInput!) {
  updateProduct(id: $id, sku: $sku, input: $input) {
    product { id sku name price stock active } errors { code message field } } }"""
PRODUCT = "query($sku: String!) { product(sku: $sku) { sku name price stock active } }"


async def update_product(
    gql: GraphQLClient, token: str | None, input_: dict[str, Any], **which: str
) -> dict[str, Any]:
    data = await gql.data(UPDATE_PRODUCT, {"input": input_, **which}, token)
    payload: dict[str, Any] = data["updateProduct"]
    return payload


async def test_update_product_renames_and_reprices_without_touching_placed_orders(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    created = await create_product(gql, token, "TEE", stock=10, price="10.00", name="Tee")
    before = await placed(gql, actors.customer.token, [("TEE", 1)])
    changed = await update_product(gql, token, {"name": "Blue tee", "price": "12.50"}, sku="TEE")
    assert changed == {
        "product": {
            "id": created["id"],
            "sku": "TEE",
            "name": "Blue tee",
            "price": "12.50",
            "stock": 9,
            "active": True,
        },
        "errors": [],
    }
    after = await placed(gql, actors.customer.token, [("TEE", 1)])
    assert (before["items"][0]["name"], before["items"][0]["unitPrice"]) == ("Tee", "10.00")
    assert (after["items"][0]["name"], after["items"][0]["unitPrice"]) == ("Blue tee", "12.50")
    again = await gql.data(
        "query($n: Int) { order(number: $n) { total } }", {"n": before["number"]}, token
    )
    assert again["order"]["total"] == "10.00"


async def test_a_product_no_longer_sold_is_refused_by_checkout_until_sold_again(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    created = await create_product(gql, token, "MUG", stock=5)
    await create_product(gql, token, "CUP", stock=5)
    stopped = await update_product(gql, token, {"active": False}, id=created["id"])
    assert stopped["product"]["active"] is False
    refused = await place_order(gql, actors.customer.token, [("CUP", 1), ("MUG", 1)])
    assert refused["order"] is None
    assert refused["errors"] == [
        {
            "code": "PRODUCT_INACTIVE",
            "message": "MUG is not sold now.",
            "field": ["items", "1", "sku"],
        }
    ]
    stocks = await gql.data(
        "{ products(first: 10) { edges { node { sku stock active } } } }", token=token
    )
    assert [e["node"] for e in stocks["products"]["edges"]] == [
        {"sku": "MUG", "stock": 5, "active": False},
        {"sku": "CUP", "stock": 5, "active": True},
    ]
    sold = await gql.data(
        "{ products(first: 10, active: true) { edges { node { sku } } } }", token=token
    )
    assert [e["node"]["sku"] for e in sold["products"]["edges"]] == ["CUP"]
    resumed = await update_product(gql, token, {"active": True}, sku="MUG")
    assert resumed["product"]["active"] is True
    await placed(gql, actors.customer.token, [("MUG", 1)])


@pytest.mark.parametrize(
    ("which", "input_", "code", "field"),
    [
        ({}, {"name": "X"}, "INVALID_INPUT", ["id"]),
        ({"sku": "TEE", "id": "UHJvZHVjdDox"}, {"name": "X"}, "INVALID_INPUT", ["id"]),
        ({"sku": "TEE"}, {}, "INVALID_INPUT", ["input"]),
        ({"sku": "TEE"}, {"name": "  "}, "INVALID_INPUT", ["input", "name"]),
        ({"sku": "TEE"}, {"name": "x" * 256}, "INVALID_INPUT", ["input", "name"]),
        ({"sku": "TEE"}, {"price": "-1"}, "INVALID_INPUT", ["input", "price"]),
        ({"sku": "TEE"}, {"price": "1.001"}, "INVALID_INPUT", ["input", "price"]),
        ({"sku": "TEE"}, {"price": "10000000000.00"}, "INVALID_INPUT", ["input", "price"]),
        ({"sku": "NOPE"}, {"name": "X"}, "UNKNOWN_SKU", ["sku"]),
        ({"id": "UHJvZHVjdDo5OTk5OQ=="}, {"name": "X"}, "NOT_FOUND", ["id"]),
        ({"id": "T3JkZXI6MQ=="}, {"name": "X"}, "INVALID_INPUT", ["id"]),
    ],
)
async def test_update_product_refusals_are_typed_and_change_nothing(
    gql: GraphQLClient,
    actors: Actors,
    which: dict[str, str],
    input_: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=3, price="10.00", name="Tee")
    refused = await update_product(gql, actors.admin.token, input_, **which)
    assert refused["product"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [(code, field)]
    unchanged = await gql.data(PRODUCT, {"sku": "TEE"}, actors.admin.token)
    assert unchanged["product"] == {
        "sku": "TEE",
        "name": "Tee",
        "price": "10.00",
        "stock": 3,
        "active": True,
    }


async def test_only_staff_who_edit_orders_change_products(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=3, price="10.00", name="Tee")
    for token, code in (
        (actors.fulfillment.token, "FORBIDDEN"),
        (actors.customer.token, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        refused = await update_product(gql, token, {"price": "0.00"}, sku="TEE")
        assert [e["code"] for e in refused["errors"]] == [code]
    support = await update_product(gql, actors.support.token, {"price": "9.00"}, sku="TEE")
    assert support["product"]["price"] == "9.00"


NEXT = "query($id: ID!) { returnRequest(id: $id) { status nextStatuses } }"


async def test_a_return_says_where_each_viewer_may_move_it(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_order(gql, actors)
    made = await request_return(gql, actors.customer.token, order, [(0, 1)])
    return_id = made["returnRequest"]["id"]

    async def next_for(token: str) -> list[str]:
        data = await gql.data(NEXT, {"id": return_id}, token)
        moves: list[str] = data["returnRequest"]["nextStatuses"]
        return moves

    assert await next_for(actors.admin.token) == ["AUTHORIZED", "REJECTED", "CANCELLED"]
    assert await next_for(actors.support.token) == ["AUTHORIZED", "REJECTED", "CANCELLED"]
    assert await next_for(actors.fulfillment.token) == []  # no RETURNS_WRITE
    assert await next_for(actors.customer.token) == ["CANCELLED"]
    # each move offered is one the API takes; what follows is offered next
    assert (await set_status(gql, actors.admin.token, return_id, "AUTHORIZED"))["errors"] == []
    assert await next_for(actors.admin.token) == ["RECEIVED", "CANCELLED"]
    assert await next_for(actors.customer.token) == []
    assert (await set_status(gql, actors.admin.token, return_id, "RECEIVED"))["errors"] == []
    assert await next_for(actors.admin.token) == ["REPAIRED", "REFUNDED"]
    assert (await set_status(gql, actors.admin.token, return_id, "REPAIRED"))["errors"] == []
    assert await next_for(actors.admin.token) == []
