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


def padded(size: int, tag: str = "") -> str:
    """A valid query of about `size` bytes (a comment fills it out; comments count)."""
    query = f"{{ shippingMethods {{ code }} }} # {tag}"
    return query + "x" * max(0, size - len(query))


async def register_as_guest(http: httpx.AsyncClient, query: str) -> dict[str, Any]:
    answer = await http.post("/graphql", json={"query": query, "extensions": persisted(query)})
    body: dict[str, Any] = answer.json()
    return body


async def test_a_guest_registers_only_small_queries(
    http: httpx.AsyncClient, app: Any, actors: Actors
) -> None:
    bound = app.state.settings.apq_guest_max_query_bytes
    large = padded(bound + 1)
    answered = await register_as_guest(http, large)
    assert answered["data"] == {"shippingMethods": [{"code": "standard"}]}  # it still runs
    assert not await app.state.redis.exists(KEY + digest(large))
    fits = padded(bound)
    await register_as_guest(http, fits)
    assert await app.state.redis.exists(KEY + digest(fits))
    # a signed-in client may keep a larger one (up to the registry's own bound)
    auth = {"Authorization": f"Bearer {actors.admin.token}"}
    await http.post("/graphql", json={"query": large, "extensions": persisted(large)}, headers=auth)
    assert await app.state.redis.exists(KEY + digest(large))


async def test_a_guest_registers_a_bounded_number_a_minute(
    http: httpx.AsyncClient, app: Any, monkeypatch: Any
) -> None:
    from app.services import ratelimit
    from tests.conftest import app_settings

    monkeypatch.setattr(ratelimit, "clock", lambda: 1_800_000_000_000_000, raising=False)
    queries = [padded(60, f"q{i}") for i in range(5)]
    with app_settings(app, apq_guest_rate_limit=3):
        for query in queries:
            body = await register_as_guest(http, query)
            assert body["data"] == {"shippingMethods": [{"code": "standard"}]}
    kept = [bool(await app.state.redis.exists(KEY + digest(q))) for q in queries]
    assert kept == [True, True, True, False, False]


async def test_the_registry_keeps_the_most_recently_used_within_its_bytes(
    http: httpx.AsyncClient, app: Any
) -> None:
    """Past BITCART_APQ_MAX_TOTAL_BYTES the least recently used queries are forgotten;
    one asked for by hash since is kept. 200 guests' largest queries take no more."""
    from tests.conftest import app_settings

    budget = 2_000
    with app_settings(app, apq_max_total_bytes=budget):
        first, second, third = (padded(800, tag) for tag in ("first", "second", "third"))
        await register_as_guest(http, first)
        await register_as_guest(http, second)
        used = await http.post("/graphql", json={"extensions": persisted(first)})
        assert used.json()["data"] == {"shippingMethods": [{"code": "standard"}]}
        await register_as_guest(http, third)
        kept = [bool(await app.state.redis.exists(KEY + digest(q))) for q in (first, second, third)]
        assert kept == [True, False, True]  # the second was the least recently used
        flood = [padded(app.state.settings.apq_guest_max_query_bytes, f"f{i}") for i in range(200)]
        with app_settings(app, apq_max_total_bytes=budget, apq_guest_rate_limit=1000):
            for query in flood:
                await register_as_guest(http, query)
    redis = app.state.redis
    sizes = [len(await redis.get(key)) async for key in redis.scan_iter(match=KEY + "[0-9a-f]*")]
    assert 0 < sum(sizes) <= budget
    assert int(await redis.get(KEY + "_bytes")) == sum(sizes)


async def test_the_media_type_follows_accept_so_caches_vary_on_it(
    http: httpx.AsyncClient,
) -> None:
    await register_as_guest(http, SHIPPING)
    params = {"extensions": json.dumps(persisted(SHIPPING))}
    plain = await http.get("/graphql", params=params)
    spec = await http.get(
        "/graphql", params=params, headers={"Accept": "application/graphql-response+json"}
    )
    assert plain.headers["content-type"].startswith("application/json")
    assert spec.headers["content-type"].startswith("application/graphql-response+json")
    for answer in (plain, spec):
        assert answer.headers["cache-control"] == "public, max-age=60"
        assert "Accept" in [v.strip() for v in answer.headers["vary"].split(",")]
