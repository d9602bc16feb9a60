"""Unhandled input: each gets a clear 4xx or a typed error, never a 500 or a masked
"Unexpected error."; and queries and mutations generated from the schema itself (as staff,
customer and guest) never find one."""

from __future__ import annotations

import base64
import os
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import mutations, nodes, queries

from app.models import User
from app.schema import schema
from app.services.auth import issue_token
from app.settings import get_settings
from tests.conftest import Actors, GraphQLClient
from tests.factories import create_product, placed

HUGE = 2**64
UNEXPECTED = "Unexpected error."


def global_id(kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode()


def assert_handled(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 500, response.text[:500]
    body: dict[str, Any] = response.json()
    messages = [e.get("message") for e in body.get("errors") or ()]
    assert UNEXPECTED not in messages, body
    return body


async def post(http: httpx.AsyncClient, query: str, token: str | None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    return assert_handled(response)


async def test_ids_past_any_column_are_not_found(http: httpx.AsyncClient, actors: Actors) -> None:
    token = actors.admin.token
    order = await post(
        http, "query($id: ID!) { order(id: $id) { id } }", token, id=global_id("Order", HUGE)
    )
    assert order == {"data": {"order": None}, "extensions": order["extensions"]}
    shipment = await post(
        http,
        "query($id: ID!) { shipment(id: $id) { id } }",
        token,
        id=global_id("Shipment", HUGE),
    )
    assert shipment["data"] == {"shipment": None}
    changed = await post(
        http,
        "mutation($id: ID!) { setStatus(orderId: $id, status: SHIPPED) { errors { code } } }",
        token,
        id=global_id("Order", HUGE),
    )
    # as an unknown order is (tests/test_hardening_two.py holds them the same)
    assert changed["data"]["setStatus"]["errors"] == [{"code": "NOT_FOUND"}]


@pytest.mark.parametrize(
    "path", ["/documents/99999999999999999999999", "/imports/99999999999999999999999/result.csv"]
)
async def test_downloads_past_any_id_are_404(
    http: httpx.AsyncClient, actors: Actors, path: str
) -> None:
    response = await http.get(path, headers={"Authorization": f"Bearer {actors.admin.token}"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


async def test_bad_cursors_and_tracking_tokens_are_clear(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    page = await post(
        http,
        '{ orders(first: 5, after: "abc", sort: {field: TOTAL}) { edges { node { id } } } }',
        actors.admin.token,
    )
    assert page["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    for token in ("100-éé", "éé", "99999999999999999999-x", "-", "100-"):
        tracked = await post(
            http, "query($t: String!) { orderTracking(token: $t) { number } }", None, t=token
        )
        assert tracked["data"] == {"orderTracking": None}


async def test_deeply_nested_json_is_a_400(http: httpx.AsyncClient) -> None:
    body = "[" * 400_000 + "]" * 400_000
    response = await http.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


SCALARS = {
    "Decimal": st.sampled_from(["0", "19.90", "-1", "1e9", "abc", "0.001"]).map(nodes.String),
    "DateTime": st.sampled_from(["2026-11-26T00:00:00Z", "yesterday", ""]).map(nodes.String),
    "JSON": st.just(nodes.Null),
    "Upload": st.just(nodes.Null),
}


async def test_generated_operations_never_fail_unexpectedly(
    app: Any, http: httpx.AsyncClient, actors: Actors
) -> None:
    """Queries and mutations drawn from the schema, as each kind of viewer."""
    key = get_settings().secret_key
    viewers: list[str | None] = [None]
    for email in ("admin@shop.test", "alice@example.com"):
        # own tokens: a generated logout or revocation must not touch the shared actors
        viewers.append(await issue_token(await User.get(email=email), key, name="fuzz"))
    sdl = schema.as_str()
    operations = queries(sdl, custom_scalars=SCALARS) | mutations(sdl, custom_scalars=SCALARS)
    seen: list[tuple[str, int | None]] = []

    @settings(
        max_examples=int(os.environ.get("BITCART_FUZZ_EXAMPLES", "50")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation=operations, viewer=st.sampled_from(viewers))
    def generate(operation: str, viewer: str | None) -> None:
        seen.append((operation, viewers.index(viewer)))

    generate()
    for operation, index in seen:
        token = viewers[index]
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await http.post("/graphql", json={"query": operation}, headers=headers)
        assert response.status_code < 500, (operation, response.text[:500])
        body = response.json()
        messages = [e.get("message") for e in body.get("errors") or ()]
        assert UNEXPECTED not in messages, (operation, body)


async def test_nul_characters_are_refused_before_anything_runs(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    """PostgreSQL cannot store NUL in text: found by the property tests on PostgreSQL."""

    gql = GraphQLClient(http)
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    update = """mutation($id: ID!, $notes: String!) {
      updateOrder(id: $id, input: {staffNotes: $notes}) { errors { code } } }"""
    body = await post(http, update, actors.admin.token, id=order["id"], notes="a\x00b")
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    response = await http.get(
        "/graphql",
        params={"query": '{ orders(first: 1, filter: {search: "\\u0000"}) { edges { cursor } } }'},
        headers={"Authorization": f"Bearer {actors.admin.token}"},
    )
    assert assert_handled(response)["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
