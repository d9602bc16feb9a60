"""Who sees which orders, R1 on every channel, filters, search and pagination."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.models import Order, OrderEvent
from tests.conftest import Actors, GraphQLClient
from tests.factories import address, create_product, paid, placed, shipping_method

ORDER_BY_ID = "query($id: ID!) { order(id: $id) { number email } }"
ORDER_BY_NUMBER = "query($n: Int!) { order(number: $n) { number email } }"
ORDERS = """query($first: Int, $after: String, $last: Int, $before: String,
                  $filter: OrderFilterInput, $sort: OrderSortInput) {
  orders(first: $first, after: $after, last: $last, before: $before, filter: $filter, sort: $sort) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { number } }
  }
}"""
UPDATE = """mutation($id: ID!, $input: UpdateOrderInput!) {
  updateOrder(id: $id, input: $input) {
    order { version staffNotes customerComment shippingMethod }
    errors { code message field }
  }
}"""
NOTE = "Customer was rude on the phone; refund nothing without manager"


async def _two_customers_orders(
    gql: GraphQLClient, actors: Actors
) -> tuple[dict[str, Any], dict[str, Any]]:
    await create_product(gql, actors.admin.token, "A", stock=100)
    mine = await placed(gql, actors.customer.token, [("A", 1)])
    theirs = await placed(gql, actors.other_customer.token, [("A", 1)])
    return mine, theirs


def numbers(data: dict[str, Any]) -> list[int]:
    return [edge["node"]["number"] for edge in data["orders"]["edges"]]


async def test_customer_sees_only_own_orders_foreign_ones_are_not_found(
    gql: GraphQLClient, actors: Actors
) -> None:
    mine, theirs = await _two_customers_orders(gql, actors)
    token = actors.customer.token
    assert (await gql.data(ORDER_BY_ID, {"id": mine["id"]}, token))["order"]["number"] == mine[
        "number"
    ]
    # another customer's order and a missing one answer identically: null, no error
    foreign = await gql(ORDER_BY_ID, {"id": theirs["id"]}, token)
    missing = await gql(ORDER_BY_NUMBER, {"n": 99999}, token)
    by_number = await gql(ORDER_BY_NUMBER, {"n": theirs["number"]}, token)
    assert foreign == missing == by_number == {"data": {"order": None}}
    assert numbers(await gql.data(ORDERS, {}, token)) == [mine["number"]]


@pytest.mark.parametrize("role", ["admin", "fulfillment", "support"])
async def test_every_staff_role_reads_all_orders(
    gql: GraphQLClient, actors: Actors, role: str
) -> None:
    mine, theirs = await _two_customers_orders(gql, actors)
    token = getattr(actors, role).token
    assert numbers(await gql.data(ORDERS, {}, token)) == [theirs["number"], mine["number"]]
    assert (await gql.data(ORDER_BY_NUMBER, {"n": mine["number"]}, token))["order"]["email"] == (
        actors.customer.email
    )


async def test_anonymous_reads_nothing(gql: GraphQLClient, actors: Actors) -> None:
    mine, _ = await _two_customers_orders(gql, actors)
    for query, variables in ((ORDERS, {}), (ORDER_BY_NUMBER, {"n": mine["number"]})):
        body = await gql(query, variables, expect_errors=True)
        assert not any((body["data"] or {}).values())
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_r1_staff_notes_never_reach_a_customer(gql: GraphQLClient, actors: Actors) -> None:
    mine, _ = await _two_customers_orders(gql, actors)
    data = await gql.data(
        UPDATE, {"id": mine["id"], "input": {"staffNotes": NOTE}}, actors.support.token
    )
    assert data["updateOrder"]["order"]["staffNotes"] == NOTE

    # the field: null with FORBIDDEN for the customer
    query = """query($id: ID!) { order(id: $id) { staffNotes customerComment
      events(first: 50) { edges { node { type message visibility data actor } } } } }"""
    body = await gql(query, {"id": mine["id"]}, actors.customer.token, expect_errors=True)
    assert body["data"]["order"]["staffNotes"] is None
    assert body["errors"][0]["path"] == ["order", "staffNotes"]
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # the timeline: no staff entries at all
    events = body["data"]["order"]["events"]["edges"]
    assert [e["node"]["type"] for e in events] == ["ORDER_PLACED"]
    assert NOTE not in str(body)
    # search: the note's words find nothing for the customer, the order for staff
    search = {"filter": {"search": "rude on the phone"}}
    assert numbers(await gql.data(ORDERS, search, actors.customer.token)) == []
    assert numbers(await gql.data(ORDERS, search, actors.support.token)) == [mine["number"]]
    # staff see the note and its event
    body = await gql(query, {"id": mine["id"]}, actors.fulfillment.token)
    assert body["data"]["order"]["staffNotes"] == NOTE
    types = [e["node"]["type"] for e in body["data"]["order"]["events"]["edges"]]
    assert types == ["ORDER_PLACED", "STAFF_NOTES_UPDATED"]


async def test_staff_actor_names_are_not_shown_to_customers(
    gql: GraphQLClient, actors: Actors
) -> None:
    mine, _ = await _two_customers_orders(gql, actors)
    await shipping_method(gql, actors.admin.token, "express", "0.00")
    await gql.data(
        UPDATE, {"id": mine["id"], "input": {"shippingMethod": "Express"}}, actors.support.token
    )
    query = "query($id: ID!) { order(id: $id) { events { edges { node { type actor } } } } }"
    customer_view = await gql.data(query, {"id": mine["id"]}, actors.customer.token)
    staff_view = await gql.data(query, {"id": mine["id"]}, actors.admin.token)
    assert [e["node"] for e in customer_view["order"]["events"]["edges"]] == [
        {"type": "ORDER_PLACED", "actor": actors.customer.email},
        {"type": "SHIPPING_METHOD_UPDATED", "actor": "store"},
    ]
    assert staff_view["order"]["events"]["edges"][1]["node"]["actor"] == actors.support.email


async def test_update_order_with_expected_version(gql: GraphQLClient, actors: Actors) -> None:
    mine, _ = await _two_customers_orders(gql, actors)
    token = actors.support.token
    first = await gql.data(
        UPDATE,
        {"id": mine["id"], "input": {"customerComment": "Blue one", "expectedVersion": 1}},
        token,
    )
    assert first["updateOrder"]["order"]["version"] == 2
    stale = await gql.data(
        UPDATE,
        {"id": mine["id"], "input": {"shippingMethod": "Express", "expectedVersion": 1}},
        token,
    )
    assert stale["updateOrder"]["order"] is None
    assert [e["code"] for e in stale["updateOrder"]["errors"]] == ["VERSION_CONFLICT"]
    row = await Order.get(number=mine["number"])
    assert (row.version, row.shipping_method, row.customer_comment) == (2, "standard", "Blue one")
    # an update that changes nothing does not bump the version
    same = await gql.data(
        UPDATE, {"id": mine["id"], "input": {"customerComment": "Blue one"}}, token
    )
    assert same["updateOrder"]["order"]["version"] == 2


async def test_update_order_permissions(gql: GraphQLClient, actors: Actors) -> None:
    mine, _theirs = await _two_customers_orders(gql, actors)
    variables = {"id": mine["id"], "input": {"staffNotes": "x"}}
    for token, code in (
        (actors.fulfillment.token, "FORBIDDEN"),
        (actors.customer.token, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        data = await gql.data(UPDATE, variables, token)
        assert [e["code"] for e in data["updateOrder"]["errors"]] == [code]
    gone = await gql.data(
        UPDATE, {"id": "T3JkZXI6OTk5OTk=", "input": {"staffNotes": "x"}}, actors.admin.token
    )
    assert [e["code"] for e in gone["updateOrder"]["errors"]] == ["NOT_FOUND"]
    garbage = await gql.data(UPDATE, {"id": "garbage", "input": {}}, actors.admin.token)
    assert [e["code"] for e in garbage["updateOrder"]["errors"]] == ["INVALID_INPUT"]
    assert (await Order.get(number=mine["number"])).staff_notes == ""


async def test_update_address_is_validated_and_searchable(
    gql: GraphQLClient, actors: Actors
) -> None:
    mine, _ = await _two_customers_orders(gql, actors)
    token = actors.admin.token
    bad = {"firstName": "Zed", "lastName": "Q", "street1": "1", "city": "c", "country": "XX"}
    data = await gql.data(UPDATE, {"id": mine["id"], "input": {"shippingAddress": bad}}, token)
    assert data["updateOrder"]["errors"][0]["field"] == ["shippingAddress", "country"]
    good = {**bad, "country": "de"}
    data = await gql.data(UPDATE, {"id": mine["id"], "input": {"shippingAddress": good}}, token)
    assert data["updateOrder"]["errors"] == []
    assert numbers(await gql.data(ORDERS, {"filter": {"search": "zed"}}, token)) == [mine["number"]]


async def test_filters_and_search(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    a = await paid(
        gql, None, [("A", 1)], actors.admin.token, kind="AUTHORIZATION", email="one@example.org"
    )
    b = await placed(
        gql,
        None,
        [("A", 1)],
        email="two@example.org",
        billingAddress={
            "firstName": "Mary",
            "lastName": "Shelley",
            "street1": "s",
            "city": "c",
            "country": "GB",
            "company": "Frankenstein Ltd",
        },
    )
    token = actors.admin.token
    await Order.filter(number=b["number"]).update(tracking_number="1Z999AA10123456784")

    async def search(**filter: Any) -> list[int]:
        return numbers(await gql.data(ORDERS, {"filter": filter}, token))

    assert await search(status=["AWAITING_FULFILLMENT"]) == [a["number"]]
    assert await search(status=["AWAITING_PAYMENT", "AWAITING_FULFILLMENT"]) == [
        b["number"],
        a["number"],
    ]
    assert await search(isOpen=True) == [b["number"], a["number"]]
    assert await search(isOpen=False) == []
    assert await search(email="TWO@example.org") == [b["number"]]
    assert await search(search=str(a["number"])) == [a["number"]]
    assert await search(search=f"#{a['number']}") == [a["number"]]
    assert await search(search="mary shelley") == [b["number"]]
    assert await search(search="frankenstein") == [b["number"]]
    assert await search(search="one@exa") == [a["number"]]
    assert await search(search="1z999aa1") == [b["number"]]
    assert await search(createdAfter="2000-01-01T00:00:00+00:00") == [b["number"], a["number"]]
    assert await search(createdBefore="2000-01-01T00:00:00+00:00") == []


async def test_cursor_pagination_both_ways(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    made = [(await placed(gql, None, [("A", 1)]))["number"] for _ in range(5)]
    newest_first = list(reversed(made))
    token = actors.admin.token
    page1 = (await gql.data(ORDERS, {"first": 2}, token))["orders"]
    assert [e["node"]["number"] for e in page1["edges"]] == newest_first[:2]
    assert page1["pageInfo"]["hasNextPage"] is True
    assert page1["totalCount"] == 5
    page2 = (await gql.data(ORDERS, {"first": 2, "after": page1["pageInfo"]["endCursor"]}, token))[
        "orders"
    ]
    assert [e["node"]["number"] for e in page2["edges"]] == newest_first[2:4]
    page3 = (await gql.data(ORDERS, {"first": 2, "after": page2["pageInfo"]["endCursor"]}, token))[
        "orders"
    ]
    assert [e["node"]["number"] for e in page3["edges"]] == newest_first[4:]
    assert page3["pageInfo"]["hasNextPage"] is False
    back = (await gql.data(ORDERS, {"last": 2, "before": page3["pageInfo"]["startCursor"]}, token))[
        "orders"
    ]
    assert [e["node"]["number"] for e in back["edges"]] == newest_first[2:4]
    assert back["pageInfo"]["hasPreviousPage"] is True
    by_number = await gql.data(
        ORDERS, {"first": 3, "sort": {"field": "NUMBER", "direction": "ASC"}}, token
    )
    assert numbers(by_number) == made[:3]
    cursor = by_number["orders"]["pageInfo"]["endCursor"]
    rest = await gql.data(
        ORDERS,
        {"first": 3, "after": cursor, "sort": {"field": "NUMBER", "direction": "ASC"}},
        token,
    )
    assert numbers(rest) == made[3:]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 101}, "first"),
        ({"first": -1}, "first"),
        ({"after": "bm9wZQ=="}, "after"),
        ({"last": 500}, "last"),
    ],
)
async def test_page_bounds_and_bad_cursors_are_errors(
    gql: GraphQLClient, actors: Actors, variables: dict[str, Any], field: str
) -> None:
    body = await gql(ORDERS, variables, actors.admin.token, expect_errors=True)
    assert body["data"] is None
    assert body["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": [field]}


async def test_event_timeline_pages(gql: GraphQLClient, actors: Actors) -> None:
    mine, _ = await _two_customers_orders(gql, actors)
    for method in ("Express", "Courier", "Pickup"):
        await shipping_method(gql, actors.admin.token, method.lower(), "0.00")
        await gql.data(
            UPDATE, {"id": mine["id"], "input": {"shippingMethod": method}}, actors.support.token
        )
    query = """query($id: ID!, $after: String) { order(id: $id) {
      events(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage endCursor }
        edges { node { type message } } } } }"""
    first = (await gql.data(query, {"id": mine["id"]}, actors.customer.token))["order"]["events"]
    assert first["totalCount"] == 4
    assert [e["node"]["type"] for e in first["edges"]] == [
        "ORDER_PLACED",
        "SHIPPING_METHOD_UPDATED",
    ]
    assert (first["pageInfo"]["hasNextPage"], first["pageInfo"]["hasPreviousPage"]) == (True, False)
    cursor = first["pageInfo"]["endCursor"]
    second = await gql.data(query, {"id": mine["id"], "after": cursor}, actors.customer.token)
    events = second["order"]["events"]
    assert [e["node"]["message"] for e in events["edges"]] == [
        "Shipping method set to Courier.",
        "Shipping method set to Pickup.",
    ]
    assert (events["pageInfo"]["hasNextPage"], events["pageInfo"]["hasPreviousPage"]) == (
        False,
        True,
    )
    # after the last entry: nothing more, not the timeline again
    cursor = events["pageInfo"]["endCursor"]
    past = await gql.data(query, {"id": mine["id"], "after": cursor}, actors.customer.token)
    assert past["order"]["events"]["edges"] == []
    assert past["order"]["events"]["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("field", ["CREATED_AT", "UPDATED_AT", "NUMBER", "TOTAL"])
@pytest.mark.parametrize("direction", ["ASC", "DESC"])
async def test_every_sort_pages_through_every_order_once_either_way(
    gql: GraphQLClient, actors: Actors, field: str, direction: str
) -> None:
    """Pages of 2 forwards, and of 3 backwards from the end, give exactly the order of one
    big page, ties in the sort key included (totals repeat, timestamps are set equal)."""
    token = actors.admin.token
    for sku, price in (("A", "1.00"), ("B", "2.00")):
        await create_product(gql, token, sku, stock=100, price=price)
    for sku in ("A", "B", "A", "B", "A", "B", "A"):
        await placed(gql, None, [(sku, 1)])
    await Order.filter(number__in=[101, 102, 103]).update(
        created_at=datetime(2026, 1, 1, tzinfo=UTC), updated_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    sort = {"field": field, "direction": direction}
    everything = numbers(await gql.data(ORDERS, {"first": 100, "sort": sort}, token))
    assert sorted(everything) == list(range(100, 107))
    forwards: list[int] = []
    after = None
    while True:
        page = (await gql.data(ORDERS, {"first": 2, "after": after, "sort": sort}, token))["orders"]
        forwards += [e["node"]["number"] for e in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert forwards == everything
    backwards: list[int] = []
    before = None
    while True:
        variables = {"last": 3, "before": before, "sort": sort}
        page = (await gql.data(ORDERS, variables, token))["orders"]
        backwards = [e["node"]["number"] for e in page["edges"]] + backwards
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]
    assert backwards == everything


async def test_page_arguments_are_checked(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    for variables, field, message in (
        ({"first": 1, "last": 1}, "first", "Give first or last, not both."),
        ({"first": 101}, "first", "first must be between 0 and 100."),
        ({"last": -1}, "last", "last must be between 0 and 100."),
        ({"first": 1, "after": "bm90IGpzb24="}, "after", "That cursor is not valid."),
        ({"last": 1, "before": "WzEsICJ4Il0="}, "before", "That cursor is not valid."),
    ):
        body = await gql(ORDERS, variables, token, expect_errors=True)
        [error] = body["errors"]
        assert (error["message"], error["extensions"]["code"]) == (message, "INVALID_INPUT")
        assert error["extensions"]["field"] == [field]
    empty = (await gql.data(ORDERS, {"first": 0}, token))["orders"]
    assert empty["edges"] == []


async def test_updating_addresses_changes_them_searches_them_and_tells_the_timeline(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    order = await placed(gql, actors.customer.token, [("A", 1)])
    token = actors.admin.token
    moved = await gql.data(
        UPDATE,
        {
            "id": order["id"],
            "input": {
                "billingAddress": address("Ada", "Byron", city="Ockham"),
                "shippingAddress": address("Ada", "Lovelace", city="Marylebone", country="GB"),
            },
        },
        token,
    )
    assert moved["updateOrder"]["errors"] == []
    row = await Order.get(number=order["number"])
    assert (row.billing_address["last_name"], row.billing_address["city"]) == ("Byron", "Ockham")
    assert row.shipping_address["city"] == "Marylebone"
    found = await gql.data(ORDERS, {"filter": {"search": "byron"}}, token)
    assert numbers(found) == [order["number"]]
    types = await OrderEvent.filter(order_id=row.id).values_list("type", flat=True)
    assert {"BILLING_ADDRESS_UPDATED", "SHIPPING_ADDRESS_UPDATED"} <= set(types)
    # the same addresses again: nothing changes, nothing is told
    again = await gql.data(
        UPDATE,
        {"id": order["id"], "input": {"billingAddress": address("Ada", "Byron", city="Ockham")}},
        token,
    )
    assert again["updateOrder"]["order"]["version"] == moved["updateOrder"]["order"]["version"]


async def test_page_info_says_what_lies_beyond_each_end(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100)
    for _ in range(5):
        await placed(gql, None, [("A", 1)])
    query = """query($first: Int, $last: Int, $after: String, $before: String) {
      orders(first: $first, last: $last, after: $after, before: $before) {
        edges { cursor node { number } } pageInfo { hasNextPage hasPreviousPage } } }"""

    async def page(**arguments: Any) -> tuple[list[int], dict[str, bool]]:
        found = (await gql.data(query, arguments, token))["orders"]
        return [e["node"]["number"] for e in found["edges"]], found["pageInfo"]

    everything = (await gql.data(query, {"first": 5}, token))["orders"]["edges"]
    numbers = [e["node"]["number"] for e in everything]
    assert len(numbers) == 5
    # the last two: something before them, nothing after
    assert await page(last=2) == (numbers[-2:], {"hasNextPage": False, "hasPreviousPage": True})
    # after the first, with no size given: the rest, in the same direction
    assert await page(after=everything[0]["cursor"]) == (
        numbers[1:],
        {"hasNextPage": False, "hasPreviousPage": True},
    )
    # before the last, with no size given: the ones before it, forwards
    assert await page(before=everything[-1]["cursor"]) == (
        numbers[:-1],
        {"hasNextPage": True, "hasPreviousPage": False},
    )
