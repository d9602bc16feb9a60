"""The fast lane (app/schema/lane.py): a query text seen before is answered without the
standard pipeline, with the same bytes, headers and refusals as the standard path."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx

from app import metrics
from app.schema.lane import _KNOWN
from tests.conftest import Actors, GraphQLClient, app_settings
from tests.factories import create_product, placed

ORDERS = """query Page($n: Int) { orders(first: $n) { edges { node { number status
  items { sku quantity } } } } }"""
ME = "{ me { email } }"


def lane_count() -> float:
    return metrics.FAST_LANE._value.get()


async def post(
    http: httpx.AsyncClient, body: dict[str, Any], token: str | None = None, **headers: str
) -> httpx.Response:
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await http.post("/graphql", json=body, headers=headers)


async def twice(
    http: httpx.AsyncClient, body: dict[str, Any], token: str | None = None, **headers: str
) -> tuple[httpx.Response, httpx.Response, float]:
    """The body sent as a new text (the standard path), then again; how many of the two
    the lane answered."""
    _KNOWN.clear()
    before = lane_count()
    first = await post(http, body, token, **headers)
    second = await post(http, body, token, **headers)
    return first, second, lane_count() - before


def same(first: httpx.Response, second: httpx.Response) -> None:
    assert second.status_code == first.status_code
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.content == first.content


async def test_a_known_query_takes_the_lane_with_the_same_answer(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5)
    await placed(gql, actors.customer.token, [("TEE", 2)])
    body = {"query": ORDERS, "variables": {"n": 10}, "operationName": "Page"}
    for token in (actors.admin.token, actors.customer.token):
        first, second, laned = await twice(http, body, token)
        assert laned == 1
        same(first, second)
        assert second.json()["data"]["orders"]["edges"][0]["node"]["items"] == [
            {"sku": "TEE", "quantity": 2}
        ]
    # the sign-in is the request's own: a guest asking the same text is refused
    guest = await post(http, body)
    assert guest.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    me = await post(http, {"query": ME}, actors.customer.token)
    again = await post(http, {"query": ME}, actors.admin.token)
    assert me.json()["data"]["me"]["email"] == actors.customer.email
    assert again.json()["data"]["me"]["email"] == actors.admin.email


async def test_the_cost_of_each_request_is_checked_and_reported(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    body = {"query": ORDERS, "variables": {"n": 5}}
    first, second, laned = await twice(http, body, actors.admin.token)
    assert laned == 1
    same(first, second)
    assert (
        second.json()["extensions"]["cost"]["requested"]
        == first.json()["extensions"]["cost"]["requested"]
    )
    deep = """query($n: Int) { orders(first: $n) { edges { node { documents { orders {
      number } } } } } }"""
    cheap = await post(http, {"query": deep, "variables": {"n": 1}}, actors.admin.token)
    assert "errors" not in cheap.json()
    before = lane_count()
    costly = await post(http, {"query": deep, "variables": {"n": 100}}, actors.admin.token)
    assert lane_count() == before  # the standard path refuses it, with its error
    [error] = costly.json()["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"


async def test_errors_are_the_standard_paths_own(http: httpx.AsyncClient, actors: Actors) -> None:
    """A variable of the wrong type, as GraphQL over HTTP shapes it (400, no data), and an
    argument refused while resolving, are the same from the lane."""
    body = {"query": ORDERS, "variables": {"n": "ten"}}
    accept = "application/graphql-response+json"
    first, second, laned = await twice(http, body, actors.admin.token, accept=accept)
    assert laned == 1
    same(first, second)
    assert second.status_code == 400
    assert "data" not in second.json()
    body = {"query": ORDERS, "variables": {"n": -1}}
    first, second, laned = await twice(http, body, actors.admin.token)
    assert laned == 1
    same(first, second)
    assert second.json()["errors"]


async def test_what_is_not_a_known_query_takes_the_standard_path(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    mutation = {"query": "mutation { logout { errors { code } } }"}
    _, _, laned = await twice(http, {"query": "{ shippingMethods { code } }", "x": 1})
    assert laned == 0  # a body with keys the lane does not know
    _, _, laned = await twice(http, mutation)
    assert laned == 0
    nul = {"query": "query($s: String) { orders(filter: {search: $s}) { edges { node { id } } } }"}
    await post(http, {**nul, "variables": {"s": "a"}}, actors.admin.token)
    before = lane_count()
    refused = await post(http, {**nul, "variables": {"s": "a\x00"}}, actors.admin.token)
    assert lane_count() == before
    assert refused.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    invalid = {"query": "{ orders { nope } }"}
    _, second, laned = await twice(http, invalid, actors.admin.token)
    assert laned == 0
    assert second.json()["errors"][0]["message"].startswith("Cannot query field 'nope'")


async def test_a_persisted_hash_alone_takes_the_lane(http: httpx.AsyncClient) -> None:
    query = "{ shippingMethods { code name } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    _KNOWN.clear()
    registered = await post(http, {"query": query, "extensions": extensions})
    before = lane_count()
    by_hash = await post(http, {"extensions": extensions})
    assert lane_count() == before + 1
    same(registered, by_hash)


async def test_limits_of_the_endpoint_hold_in_the_lane(
    app: Any, http: httpx.AsyncClient, actors: Actors
) -> None:
    body = {"query": ORDERS, "variables": {"n": 3}}
    await post(http, body, actors.admin.token)
    before = lane_count()
    with app_settings(app, request_timeout_seconds=0):
        timed_out = await post(http, body, actors.admin.token)
    with app_settings(app, max_response_bytes=40):
        too_large = await post(http, body, actors.admin.token)
    assert lane_count() == before + 2
    assert timed_out.json()["errors"][0]["extensions"]["code"] == "TIMEOUT"
    assert too_large.json()["errors"][0]["extensions"]["code"] == "RESPONSE_TOO_LARGE"
    requests = metrics.REQUESTS.labels("query orders", "ok")._value.get()
    await post(http, body, actors.admin.token)
    assert metrics.REQUESTS.labels("query orders", "ok")._value.get() == requests + 1
