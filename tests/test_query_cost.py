"""The query-cost bound: read from the schema, a true upper bound, enforced before running,
reported on every response; and the execution guards behind it (deadline, response size)."""

from __future__ import annotations

from typing import Any

import strawberry

from app.models import Order, Product
from app.schema import schema
from app.schema.cost import unbounded_lists
from tests.conftest import Actors, GraphQLClient, app_settings
from tests.factories import PLACE_ORDER, create_product, order_input, placed

LIMIT = 120_000


async def cost_of(gql: GraphQLClient, query: str, token: str, **variables: Any) -> int:
    await gql(query, variables, token, expect_errors=True)
    assert gql.extensions is not None
    cost: dict[str, int] = gql.extensions["cost"]
    assert cost["limit"] == LIMIT
    return cost["requested"]


def test_every_list_field_declares_its_maximum() -> None:
    assert unbounded_lists(schema._schema) == []


def test_a_list_field_without_a_maximum_is_found() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def words(self) -> list[str]:
            return []

    assert unbounded_lists(strawberry.Schema(query=Query)._schema) == ["Query.words"]


async def test_nested_lists_through_documents_are_refused(
    gql: GraphQLClient, actors: Actors
) -> None:
    """What walked around the first estimate (6,300): Document.orders holds up to 500."""
    query = """{ orders(first: 100) { edges { node { documents { orders { documents {
                 orders { number } } } } } } } }"""
    body = await gql(query, token=actors.support.token, expect_errors=True)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    # 100 orders x 10 documents x 500 orders x 10 documents x 500 orders, and the levels above
    assert error["extensions"]["cost"] == 100 * 10 * 500 * 10 * 500 + 100 * 10 * 500 * 10 + (
        100 * 10 * 500 + 100 * 10 + 100 + 100 + 1
    )


async def test_a_connection_inside_a_fragment_counts_its_page(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    query = """fragment Page on OrderConnection { edges { node { items { sku } } } }
               { orders(first: 100) { ...Page } }"""
    # the connection, 100 edges, 100 orders, 100 x 100 items
    assert await cost_of(gql, query, token) == 1 + 100 + 100 + 100 * 100
    inline = "{ orders(first: 100) { ... on OrderConnection { edges { node { id } } } } }"
    assert await cost_of(gql, inline, token) == 1 + 100 + 100


async def test_page_sizes_come_from_variables_and_defaults(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    query = "query($n: Int) { orders(first: $n) { edges { node { id } } } }"
    assert await cost_of(gql, query, token, n=3) == 1 + 3 + 3
    # no page size: the default page of 20; one too large counts as the largest page
    assert await cost_of(gql, query, token) == 1 + 20 + 20
    assert await cost_of(gql, query, token, n=5000) == 1 + 100 + 100
    # estimates are kept per document and page sizes: each is its own again
    assert await cost_of(gql, query, token, n=3) == 1 + 3 + 3
    assert await cost_of(gql, query, token, n=None) == 1 + 20 + 20
    nested = (
        "{ orders(first: 2) { edges { node { events(first: 7) { edges { node { id } } } } } } }"
    )
    assert await cost_of(gql, nested, token) == 1 + 2 + 2 + 2 * (1 + 7 + 7)


async def test_a_document_is_judged_the_same_each_time_it_is_sent(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Validation is looked up per parsed document: an invalid one stays refused, with the
    same errors, and a valid one sent between does not change that."""
    bad = "{ orders(first: 2) { edges { node { noSuchField } } } }"
    good = "{ orders(first: 2) { edges { node { number } } } }"
    first = await gql(bad, None, actors.admin.token, expect_errors=True)
    await gql(good, None, actors.admin.token)
    again = await gql(bad, None, actors.admin.token, expect_errors=True)
    assert first["errors"] == again["errors"]
    assert "noSuchField" in first["errors"][0]["message"]


async def test_the_staff_list_page_fits_and_its_cost_bounds_what_it_returns(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100)
    for _ in range(3):
        order = await placed(gql, None, [("A", 2)])
        await gql.data(
            "mutation($id: ID!) { shipOrder(orderId: $id) { errors { code } } }",
            {"id": order["id"]},
            token,
        )
    query = """{ orders(first: 50) { edges { node { id number items { sku quantity }
               shipments { id items { quantity } } } } } }"""
    body = await gql(query, token=token)
    requested = gql.extensions["cost"]["requested"] if gql.extensions else 0
    assert requested == 1 + 50 + 50 + 50 * 100 + 50 * 10 + 50 * 10 * 100
    resolved = sum(
        1
        + 1
        + len(edge["node"]["items"])
        + sum(1 + len(s["items"]) for s in edge["node"]["shipments"])
        for edge in body["data"]["orders"]["edges"]
    )
    assert 1 + resolved <= requested


async def test_a_query_past_its_deadline_is_stopped(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5)
    await placed(gql, None, [("A", 1)])
    query = "{ orders(first: 10) { edges { node { number items { sku } } } } }"
    with app_settings(app, request_timeout_seconds=0):
        body = await gql(query, token=actors.admin.token, expect_errors=True)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["TIMEOUT"]
    # the database is free for the next request
    assert "errors" not in await gql(query, token=actors.admin.token)


async def test_a_mutation_is_never_cut_off_halfway(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    """Cancelling inside a transaction could half-apply it: mutations run to the end."""
    await create_product(gql, actors.admin.token, "A", stock=5)
    with app_settings(app, request_timeout_seconds=0):
        data = await gql.data(
            PLACE_ORDER, {"input": order_input([("A", 2)], email="late@example.net")}
        )
    assert data["placeOrder"]["errors"] == []
    assert await Order.all().count() == 1
    assert (await Product.get(sku="A")).stock == 3


async def test_responses_over_the_size_cap_are_refused(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5)
    query = "{ products(first: 10) { edges { node { sku name } } } }"
    with app_settings(app, max_response_bytes=40):
        body = await gql(query, token=actors.admin.token, expect_errors=True)
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["RESPONSE_TOO_LARGE"]
    assert "errors" not in await gql(query, token=actors.admin.token)
