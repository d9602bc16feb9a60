"""What the staff console needs of the server: live events that name their order, a clear
answer to a subscription sent over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Actors, GraphQLClient, count_queries
from tests.factories import NOTE, create_product, placed

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
