"""Automatic persisted queries: unknown hash, register, then the hash alone (POST or a
cacheable GET); mismatches and invalid queries are never registered."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx

from app.persisted import KEY
from tests.conftest import Actors

SHIPPING = "{ shippingMethods { code name price } }"
ME = "{ me { email } }"


def digest(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": digest(query)}}


async def test_unknown_then_registered_then_by_hash_alone(
    http: httpx.AsyncClient, app: Any
) -> None:
    asked = await http.post("/graphql", json={"extensions": persisted(SHIPPING)})
    assert asked.json() == {
        "data": None,
        "errors": [
            {
                "message": "PersistedQueryNotFound",
                "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
            }
        ],
    }
    sent = await http.post("/graphql", json={"query": SHIPPING, "extensions": persisted(SHIPPING)})
    data = sent.json()["data"]
    assert data == {"shippingMethods": [{"code": "standard", "name": "Standard", "price": "0.00"}]}
    assert await app.state.redis.exists(KEY + digest(SHIPPING))  # shared by every process

    again = await http.post("/graphql", json={"extensions": persisted(SHIPPING)})
    assert again.json()["data"] == data
    got = await http.get("/graphql", params={"extensions": json.dumps(persisted(SHIPPING))})
    assert got.status_code == 200
    assert got.json()["data"] == data
    assert got.headers["cache-control"] == "public, max-age=60"
    assert got.headers["vary"] == "Authorization, Accept"  # the media type follows Accept


async def test_a_signed_in_read_is_never_cached(http: httpx.AsyncClient, actors: Actors) -> None:
    auth = {"Authorization": f"Bearer {actors.customer.token}"}
    await http.post("/graphql", json={"query": ME, "extensions": persisted(ME)}, headers=auth)
    got = await http.get("/graphql", params={"extensions": json.dumps(persisted(ME))}, headers=auth)
    assert got.json()["data"] == {"me": {"email": actors.customer.email}}
    assert got.headers["cache-control"] == "private, no-store"


async def test_a_wrong_hash_or_an_invalid_query_is_not_registered(
    http: httpx.AsyncClient, app: Any
) -> None:
    wrong = {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}
    answer = await http.post("/graphql", json={"query": SHIPPING, "extensions": wrong})
    assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    assert not await app.state.redis.exists(KEY + "0" * 64)

    invalid = "{ shippingMethods { nothingHere } }"
    answer = await http.post("/graphql", json={"query": invalid, "extensions": persisted(invalid)})
    assert "nothingHere" in answer.json()["errors"][0]["message"]
    again = await http.post("/graphql", json={"extensions": persisted(invalid)})
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    for bad in ({"version": 2, "sha256Hash": digest(SHIPPING)}, {"version": 1, "sha256Hash": "x"}):
        answer = await http.post("/graphql", json={"extensions": {"persistedQuery": bad}})
        assert answer.json()["errors"][0]["extensions"]["code"] in (
            "PERSISTED_QUERY_NOT_SUPPORTED",
            "BAD_REQUEST",
        )


async def test_a_persisted_mutation_is_refused_over_get(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    logout = "mutation { logout { revoked } }"
    auth = {"Authorization": f"Bearer {actors.support.token}"}
    # registering it over POST would run it: register the text directly, as a client could
    # only do by POSTing it
    got = await http.get(
        "/graphql",
        params={"query": logout, "extensions": json.dumps(persisted(logout))},
        headers=auth,
    )
    assert got.status_code in (400, 405)
    me = await http.post("/graphql", json={"query": ME}, headers=auth)
    assert me.json()["data"]["me"] is not None  # still signed in: nothing ran
