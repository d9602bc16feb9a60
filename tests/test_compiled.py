"""Compiled relations (app/schema/compiled.py): an order's items and shipments, a shipment's
items and the tracking page's lines are read from their tables with only the selected
columns, and answer exactly as the resolvers do (every query here is also run through
graphql-core alone by GraphQLClient, and the two answers must be the same bytes)."""

from __future__ import annotations

from typing import Any

import pytest

from app.schema import compiled
from tests.conftest import Actors, GraphQLClient, count_queries
from tests.factories import REFUND, UPDATE_ORDER, create_product, paid, placed
from tests.test_shipments import ship
from tests.test_tracking import TRACK

UPS = "1Z999AA10123456784"
PAGE = """{ orders(first: 10) { edges { node {
  number items { sku quantity }
  shipments { trackingNumber createdBy items { quantity } }
} } } }"""


async def _shipped(gql: GraphQLClient, actors: Actors) -> dict[str, Any]:
    """A customer's paid order of two lines, shipped in two shipments (the second with a
    tracking number)."""
    await create_product(gql, actors.admin.token, "A", stock=50, price="12.50")
    await create_product(gql, actors.admin.token, "B", stock=50, price="3.00")
    order = await paid(gql, actors.customer.token, [("A", 2), ("B", 1)], actors.admin.token)
    await ship(gql, actors.admin.token, order, items=[(0, 1)])
    await ship(gql, actors.admin.token, order, items=[(0, 1), (1, 1)], trackingNumber=UPS)
    return order


def _statement(statements: list[str], table: str) -> str:
    (found,) = [s for s in statements if f'FROM "{table}"' in s]
    return found


async def test_a_page_reads_only_the_columns_it_selects(gql: GraphQLClient, actors: Actors) -> None:
    await _shipped(gql, actors)
    with count_queries() as counter:
        data = await gql.data(PAGE, None, actors.admin.token)
    (edge,) = data["orders"]["edges"]
    assert edge["node"]["items"] == [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}]
    assert edge["node"]["shipments"] == [
        {"trackingNumber": None, "createdBy": "admin@shop.test", "items": [{"quantity": 1}]},
        {"trackingNumber": UPS, "createdBy": "admin@shop.test", "items": [{"quantity": 1}] * 2},
    ]
    items = _statement(counter.statements, "order_items")
    assert items.startswith('SELECT "id", "order_id", "sku", "quantity" FROM "order_items"')
    shipments = _statement(counter.statements, "shipments")
    assert shipments.startswith(
        'SELECT "id", "order_id", "tracking_number", "created_by" FROM "shipments"'
    )
    lines = _statement(counter.statements, "shipment_items")
    assert lines.startswith('SELECT "id", "shipment_id", "quantity" FROM "shipment_items"')
    # the token, the page, and one statement a relation
    assert counter.count == 5, counter.statements


async def test_a_customer_is_told_the_store_made_the_shipments(
    gql: GraphQLClient, actors: Actors
) -> None:
    await _shipped(gql, actors)
    data = await gql.data(PAGE, None, actors.customer.token)
    (edge,) = data["orders"]["edges"]
    assert [s["createdBy"] for s in edge["node"]["shipments"]] == ["store", "store"]


ALIASED = """query($with: Boolean!, $without: Boolean!) { orders(first: 5) { edges { node {
  lines: items { ... on OrderItem { __typename first: sku } ...Line sku @include(if: $with) }
  items { price: unitPrice total currency id name @skip(if: $without) }
  shipments {
    __typename url: trackingUrl carrier ...Sent
    items { n: quantity name @include(if: $without) }
    again: items { sku }
  }
} } } }
fragment Line on OrderItem { quantity shipped: quantityShipped returned: quantityReturned
  restocked: quantityRestocked first: sku }
fragment Sent on Shipment { id createdAt shippingMethod comments trackingNumber }"""


@pytest.mark.parametrize("flag", [True, False])
async def test_aliases_fragments_and_directives_come_out_as_graphql_core_makes_them(
    gql: GraphQLClient, actors: Actors, flag: bool
) -> None:
    await _shipped(gql, actors)
    data = await gql.data(ALIASED, {"with": flag, "without": flag}, actors.admin.token)
    (edge,) = data["orders"]["edges"]
    first = edge["node"]["lines"][0]
    expected_keys = ["__typename", "first", "quantity", "shipped", "returned", "restocked"]
    assert list(first) == expected_keys + (["sku"] if flag else [])
    assert first["__typename"] == "OrderItem"
    assert first["first"] == "A"
    line = edge["node"]["items"][0]
    assert list(line) == ["price", "total", "currency", "id"] + ([] if flag else ["name"])
    assert (line["price"], line["total"], line["currency"]) == ("12.50", "25.00", "USD")
    shipment = edge["node"]["shipments"][0]
    assert list(shipment)[:3] == ["__typename", "url", "carrier"]
    assert shipment["url"] is None
    assert shipment["carrier"] is None
    assert edge["node"]["shipments"][1]["url"]
    assert edge["node"]["shipments"][1]["carrier"] == "ups"
    assert shipment["again"] == [{"sku": "A"}]
    assert list(shipment["items"][0]) == ["n"] + (["name"] if flag else [])


async def test_a_field_it_has_not_learned_is_left_to_the_resolvers(
    gql: GraphQLClient, actors: Actors
) -> None:
    await _shipped(gql, actors)
    query = """{ orders(first: 5) { edges { node {
      shipments { trackingNumber shippedTo { city } items { orderItem { sku } } }
    } } } }"""
    with count_queries() as counter:
        data = await gql.data(query, None, actors.admin.token)
    shipments = data["orders"]["edges"][0]["node"]["shipments"]
    assert [[i["orderItem"]["sku"] for i in s["items"]] for s in shipments] == [["A"], ["A", "B"]]
    assert shipments[0]["shippedTo"]["city"]
    # orderItem is not learned: the shipments come as whole rows from the resolver's loader
    assert '"shipped_to"' in _statement(counter.statements, "shipments")


async def test_the_tracking_page_reads_its_lines_from_the_rows(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await _shipped(gql, actors)
    with count_queries() as counter:
        data = await gql.data(TRACK, {"n": order["number"], "e": "alice@example.com"})
    tracked = data["orderTracking"]
    assert tracked["items"] == [
        {"sku": "A", "name": "Product A", "quantity": 2, "quantityShipped": 2},
        {"sku": "B", "name": "Product B", "quantity": 1, "quantityShipped": 1},
    ]
    assert [s["trackingNumber"] for s in tracked["shipments"]] == [None, UPS]
    assert _statement(counter.statements, "order_items").startswith(
        'SELECT "id", "order_id", "sku", "name", "quantity", "quantity_shipped" FROM'
    )


@pytest.mark.parametrize(
    ("table", "leaf"), [("ORDER_ITEM", "sku"), ("ORDER", "number"), ("PAYMENT", "status")]
)
async def test_a_value_the_schema_refuses_sends_the_field_back_to_graphql_core(
    gql: GraphQLClient,
    actors: Actors,
    monkeypatch: pytest.MonkeyPatch,
    table: str,
    leaf: str,
) -> None:
    """A compiled leaf making null for a non-null field (an item's, the order row's, an
    object's made from it): graphql-core completes the root field from the start, from
    the resolvers' objects (the rows made into models again), which read the real values."""
    order = await _shipped(gql, actors)
    asked: list[Any] = []

    def null(_: Any, *values: Any) -> None:
        asked.append(values)

    column = getattr(compiled, table).leaves[leaf].columns
    monkeypatch.setitem(getattr(compiled, table).leaves, leaf, compiled.Leaf(column, null))
    monkeypatch.setattr(compiled, "_PLANS", {})
    query = """query($n: Int!) {
      page: orders(first: 5) { edges { node { number payment { status } items { sku } } } }
      one: order(number: $n) { number payment { status } items { sku } }
    }"""
    data = await gql.data(query, {"n": order["number"]}, actors.admin.token)
    assert asked  # the compiled leaf was reached
    for found in (data["page"]["edges"][0]["node"], data["one"]):
        assert found["number"] == order["number"]
        assert found["payment"] == {"status": "PAID"}
        assert [i["sku"] for i in found["items"]] == ["A", "B"]


async def test_each_parent_gets_at_most_its_relations_limit(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _shipped(gql, actors)
    one_line = compiled.Relation(compiled.ORDER_ITEM, "order_id", 1)
    monkeypatch.setattr(compiled, "_PLANS", {})  # plans made before hold the real relation
    monkeypatch.setitem(compiled.ORDER.relations, "items", one_line)  # the page's rows
    monkeypatch.setitem(compiled.ENTRIES, ("Order", "items"), one_line)  # an order object's
    # customer is not learned: the order comes from its resolver as an object, not a row
    one = "query($n: Int!) { order(number: $n) { items { sku quantity } customer { email } } }"
    with count_queries():  # the resolvers would cut at 100: no reference run here
        page = await gql.data(PAGE, None, actors.admin.token)
        number = page["orders"]["edges"][0]["node"]["number"]
        order = await gql.data(one, {"n": number}, actors.admin.token)
    assert page["orders"]["edges"][0]["node"]["items"] == [{"sku": "A", "quantity": 2}]
    assert order["order"]["items"] == [{"sku": "A", "quantity": 2}]


async def test_one_builder_serves_every_request_of_a_selection(
    gql: GraphQLClient, actors: Actors
) -> None:
    await _shipped(gql, actors)
    await gql.data(PAGE, None, actors.admin.token)
    known = dict(compiled._BUILDERS)
    for _ in range(3):
        await gql.data(PAGE, None, actors.admin.token)
    assert known == compiled._BUILDERS


NOTES_PAGE = """{ orders(first: 10) { edges { node {
  number notes: staffNotes customer { email firstName }
  payment { transactions { kind amount actor } }
} } } }"""


async def test_notes_customer_and_transactions_are_read_from_their_rows(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await _shipped(gql, actors)
    await gql.data(UPDATE_ORDER, {"id": order["id"], "notes": "fragile"}, actors.admin.token)
    with count_queries() as counter:
        data = await gql.data(NOTES_PAGE, None, actors.admin.token)
    (edge,) = data["orders"]["edges"]
    assert edge["node"]["notes"] == "fragile"
    assert edge["node"]["customer"] == {"email": "alice@example.com", "firstName": "Cus"}
    assert edge["node"]["payment"]["transactions"] == [
        {"kind": "CAPTURE", "amount": "28.00", "actor": "admin@shop.test"}
    ]
    users = _statement(counter.statements, "users")
    assert users.startswith('SELECT "id", "email", "first_name" FROM "users"')
    paid_rows = _statement(counter.statements, "payment_transactions")
    assert paid_rows.startswith(
        'SELECT "id", "order_id", "kind", "amount", "actor", "actor_kind" FROM'
    )
    assert counter.count == 4, counter.statements  # the token, the page, one a relation


async def test_a_customer_gets_null_notes_with_the_permission_error_at_each_path(
    gql: GraphQLClient, actors: Actors
) -> None:
    """As graphql-core answers (the harness compares the bytes): null, and FORBIDDEN at
    the field's path, for each order; the rest of the page compiled all the same."""
    await _shipped(gql, actors)
    await paid(gql, actors.customer.token, [("A", 1)], actors.admin.token)
    with count_queries() as counter:
        body = await gql(NOTES_PAGE, None, actors.customer.token, expect_errors=True)
    edges = body["data"]["orders"]["edges"]
    assert [e["node"]["notes"] for e in edges] == [None, None]
    assert [e["node"]["payment"]["transactions"][0]["actor"] for e in edges] == ["store"] * 2
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["orders", "edges", i, "node", "notes"], "FORBIDDEN") for i in range(2)
    ]
    assert body["errors"][0]["message"] == "Visible to staff only."
    assert counter.count == 4, counter.statements
    await gql(NOTES_PAGE, None, actors.customer.token, expect_errors=True)  # compared


async def test_one_order_without_a_customer_has_none(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5)
    order = await placed(gql, None, [("A", 1)], email="guest@example.net")
    query = "query($n: Int!) { order(number: $n) { number customer { email } staffNotes } }"
    data = await gql.data(query, {"n": order["number"]}, actors.admin.token)
    assert data["order"] == {"number": order["number"], "customer": None, "staffNotes": ""}


LISTS = """{ products(first: 5) { edges { node { sku price currency stock } } }
  shipments(first: 5) { edges { node { trackingNumber createdBy items { quantity } } } } }"""


async def test_product_and_shipment_lists_read_only_their_columns(
    gql: GraphQLClient, actors: Actors
) -> None:
    await _shipped(gql, actors)
    with count_queries() as counter:
        data = await gql.data(LISTS, None, actors.admin.token)
    assert [e["node"] for e in data["products"]["edges"]] == [
        {"sku": "A", "price": "12.50", "currency": "USD", "stock": 48},
        {"sku": "B", "price": "3.00", "currency": "USD", "stock": 49},
    ]
    assert [e["node"]["trackingNumber"] for e in data["shipments"]["edges"]] == [UPS, None]
    # values_list's statements: only the selected columns (and the keyset's)
    products = _statement(counter.statements, "products")
    assert products.startswith('SELECT "id" "0","sku" "1","price" "2","stock" "3" FROM'), products
    shipments = _statement(counter.statements, "shipments")
    assert '"tracking_number" "1","created_by" "2","created_at" "3" FROM' in shipments, shipments
    # the token, the two pages, the shipments' lines
    assert counter.count == 4, counter.statements
    # a customer: stock is staff only (null, FORBIDDEN at each product's path), the store
    # made the shipments; compiled all the same
    with count_queries() as counter:
        body = await gql(LISTS, None, actors.customer.token, expect_errors=True)
    assert counter.count == 4, counter.statements
    customer = body["data"]
    assert [e["node"]["stock"] for e in customer["products"]["edges"]] == [None, None]
    assert [e["path"] for e in body["errors"]] == [
        ["products", "edges", i, "node", "stock"] for i in range(2)
    ]
    assert [e["node"]["createdBy"] for e in customer["shipments"]["edges"]] == ["store"] * 2
    await gql(LISTS, None, actors.customer.token, expect_errors=True)  # compared


TIMELINE = """query($n: Int!, $first: Int, $after: String) { order(number: $n) {
  number events(first: $first, after: $after) { totalCount
    edges { cursor node { type actor visibility } } pageInfo { hasNextPage endCursor } } } }"""


async def test_the_timeline_is_paged_from_its_rows_as_the_resolver_pages_it(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Staff see every entry, the customer the public ones; `first` and `after` page it as
    the resolver does (the harness compares every answer with graphql-core's)."""
    order = await _shipped(gql, actors)
    await gql.data(UPDATE_ORDER, {"id": order["id"], "notes": "fragile"}, actors.admin.token)
    asked = {"n": order["number"], "first": 2}
    with count_queries() as counter:
        staff = (await gql.data(TIMELINE, asked, actors.admin.token))["order"]["events"]
    assert counter.count == 3, counter.statements  # the token, the order, its timeline
    events = _statement(counter.statements, "order_events")
    assert '"id", "order_id", "type", "actor", "actor_kind", "visibility" FROM' in events
    customer = (await gql.data(TIMELINE, asked, actors.customer.token))["order"]["events"]
    assert staff["totalCount"] > customer["totalCount"]
    assert {e["node"]["visibility"] for e in customer["edges"]} == {"PUBLIC"}
    assert staff["pageInfo"]["hasNextPage"] is True
    seen = [e["node"]["type"] for e in staff["edges"]]
    after = staff["pageInfo"]["endCursor"]
    while after is not None:
        page = await gql.data(TIMELINE, {**asked, "after": after}, actors.admin.token)
        edges = page["order"]["events"]["edges"]
        seen += [e["node"]["type"] for e in edges]
        after = page["order"]["events"]["pageInfo"]["endCursor"] if edges else None
    assert len(seen) == staff["totalCount"]
    bad = await gql(TIMELINE, {**asked, "after": "nope"}, actors.admin.token, expect_errors=True)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    too_many = {**asked, "first": 1000}
    body = await gql(TIMELINE, too_many, actors.customer.token, expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


REFUNDS = """query($n: Int!) { order(number: $n) { number staffNotes
  refunds { amount restocked why: reason createdBy } } }"""


async def test_refunds_are_read_from_their_rows_with_the_reason_for_staff_only(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await _shipped(gql, actors)
    for amount in ("2.00", "3.00"):
        refund = {"id": order["id"], "input": {"amount": amount, "reason": "scratched"}}
        await gql.data(REFUND, refund, actors.admin.token)
    asked = {"n": order["number"]}
    with count_queries() as counter:
        staff = (await gql.data(REFUNDS, asked, actors.admin.token))["order"]
    assert counter.count == 3, counter.statements  # the token, the order, its refunds
    assert staff["refunds"] == [
        {"amount": amount, "restocked": False, "why": "scratched", "createdBy": "admin@shop.test"}
        for amount in ("2.00", "3.00")
    ]
    with count_queries() as counter:
        body = await gql(REFUNDS, asked, actors.customer.token, expect_errors=True)
    assert counter.count == 3, counter.statements  # compiled for the customer too
    assert [r["why"] for r in body["data"]["order"]["refunds"]] == [None, None]
    assert [r["createdBy"] for r in body["data"]["order"]["refunds"]] == ["store", "store"]
    assert [e["path"] for e in body["errors"]] == [
        ["order", "staffNotes"],
        ["order", "refunds", 0, "why"],
        ["order", "refunds", 1, "why"],
    ]
    await gql(REFUNDS, asked, actors.customer.token, expect_errors=True)  # compared


CONSOLE_LIST = """query OrdersList($first: Int, $after: String, $last: Int, $before: String,
  $filter: OrderFilterInput, $sort: OrderSortInput) {
  orders(first: $first, after: $after, last: $last, before: $before, filter: $filter,
    sort: $sort) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { node { id number status createdAt email total currency trackingNumber
      payment { status } shippingAddress { firstName lastName city country } } }
} }"""


async def test_the_consoles_order_list_is_compiled_for_every_staff_role(
    gql: GraphQLClient, actors: Actors
) -> None:
    """As console/src/orders sends it (the harness compares each answer with graphql-core's)."""
    await _shipped(gql, actors)
    asked = {"first": 50, "filter": {}, "sort": {"field": "CREATED_AT", "direction": "DESC"}}
    for actor in (actors.admin, actors.fulfillment, actors.support):
        with count_queries() as counter:
            data = await gql.data(CONSOLE_LIST, asked, actor.token)
        assert data["orders"]["totalCount"] == 1
        (edge,) = data["orders"]["edges"]
        assert edge["node"]["payment"]["status"] == "PAID"
        assert counter.count == 3, counter.statements  # the token, the page, the count
