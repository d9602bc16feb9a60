"""The printed schema stays current; bounds on queries and bodies; unexpected errors masked."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.main import create_app
from app.schema import build_schema, schema
from app.schema.context import Context
from app.services.auth import ANONYMOUS
from app.settings import get_settings
from tests.conftest import Actors, GraphQLClient

ROOT = Path(__file__).resolve().parent.parent


def test_schema_graphql_matches_the_code() -> None:
    printed = (ROOT / "schema.graphql").read_text()
    assert printed.strip() == schema.as_str().strip(), (
        "schema.graphql is stale: run `python -m app.schema > schema.graphql`"
    )


def test_contract_names_exist() -> None:
    sdl = schema.as_str()
    for name in (
        "updateOrder(id: ID!, input: UpdateOrderInput!): OrderPayload!",
        "login(email: String!, password: String!): TokenPayload!",
        "staffNotes: String",
        "expectedVersion: Int",
    ):
        assert name in sdl
    mutations = schema._schema.mutation_type
    assert mutations is not None
    place = mutations.fields["placeOrder"]
    assert str(place.type) == "OrderPayload!"
    assert {name: str(arg.type) for name, arg in place.args.items()} == {
        "input": "PlaceOrderInput!",
        "idempotencyKey": "String",
    }


async def test_deep_queries_are_refused(actors: Actors) -> None:
    strict = build_schema(replace(get_settings(), max_query_depth=5))
    context = Context(viewer=ANONYMOUS, settings=get_settings())
    ok = await strict.execute("{ orders { edges { node { id } } } }", context_value=context)
    assert ok.errors is not None
    assert ok.errors[0].extensions == {"code": "UNAUTHENTICATED"}  # it ran
    deep = "{ orders { edges { node { events { edges { node { id } } } } } } }"
    refused = await strict.execute(deep, context_value=context)
    assert refused.errors is not None
    assert "exceeds maximum operation depth of 5" in refused.errors[0].message


async def test_too_many_aliases_are_refused(gql: GraphQLClient, actors: Actors) -> None:
    query = "{ " + " ".join(f"a{i}: me {{ email }}" for i in range(40)) + " }"
    body = await gql(query, token=actors.admin.token, expect_errors=True)
    assert "aliases" in body["errors"][0]["message"]


async def test_too_many_tokens_are_refused(gql: GraphQLClient) -> None:
    query = "{ me { " + " ".join(["email"] * 3000) + " } }"
    body = await gql(query, expect_errors=True)
    assert "token" in body["errors"][0]["message"].lower()


async def test_large_bodies_are_refused_with_413(http: httpx.AsyncClient) -> None:
    big = {"query": "{ me { email } }", "variables": {"pad": "x" * 2_000_000}}
    response = await http.post("/graphql", json=big)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_streamed_bodies_are_bounded_too(http: httpx.AsyncClient) -> None:
    async def chunks() -> Any:
        for _ in range(40):
            yield b"x" * 50_000

    response = await http.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


async def test_unexpected_errors_are_masked(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.services import accounts

    async def broken(viewer: Any) -> None:
        raise RuntimeError("connection string postgres://secret@db")

    monkeypatch.setattr(accounts, "current_user", broken)
    body = await gql("{ me { email } }", token=actors.customer.token, expect_errors=True)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "secret" not in str(body)


async def test_graphiql_is_served_once_built(app: Any, tmp_path: Path) -> None:
    """The page built with the console (app/graphiql.py), its defaults added; before a build,
    a 503 that says how to build it."""
    (tmp_path / "graphiql.html").write_text("<html><head></head><body>GraphiQL</body></html>")
    for folder, status, text in (
        (tmp_path, 200, 'id="bitcart-graphiql"'),
        (tmp_path / "none", 503, "scripts/build-console"),
    ):
        served = create_app(replace(app.state.settings, console_dir=folder))
        transport = httpx.ASGITransport(app=served)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.get("/graphql", headers={"accept": "text/html"})
        assert response.status_code == status
        assert text in response.text


async def test_queries_work_over_get(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", params={"query": "{ me { email } }"})
    assert response.json()["data"] == {"me": None}
