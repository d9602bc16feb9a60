"""Rate limits: a sliding bound per client, forwarded addresses believed only from trusted
proxies, RATE_LIMITED with retryAfter, and customers' jobs kept apart from the staff's."""

from __future__ import annotations

import time
import uuid
from ipaddress import ip_network
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from app.http import client_address
from app.models import Document, Order, User
from app.services import ratelimit
from app.services.errors import ErrorCode
from app.services.jobs import CUSTOMER_QUEUE
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient, app_settings, run_jobs
from tests.factories import PLACE_ORDER, create_product, order_input, placed

LOGIN = """mutation($e: String!, $p: String!) { login(email: $e, password: $p) {
  token errors { code } } }"""
PROXY = ip_network("203.0.113.0/24")  # the test client's own network


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "seen"),
    [
        ("198.51.100.9", "1.2.3.4", (), "198.51.100.9"),  # not a proxy: the header is ignored
        ("203.0.113.7", "1.2.3.4", (PROXY,), "1.2.3.4"),
        ("203.0.113.7", "6.6.6.6, 1.2.3.4", (PROXY,), "1.2.3.4"),  # the left part is the client's
        ("203.0.113.7", "1.2.3.4, 203.0.113.8", (PROXY,), "1.2.3.4"),  # proxies in a chain
        ("203.0.113.7", "junk", (PROXY,), "203.0.113.7"),
        ("203.0.113.7", "", (PROXY,), "203.0.113.7"),
    ],
)
def test_forwarded_addresses_are_believed_only_from_trusted_proxies(
    peer: str, forwarded: str, trusted: tuple[Any, ...], seen: str
) -> None:
    assert client_address(peer, forwarded, trusted) == seen


async def login_as(http: httpx.AsyncClient, forwarded: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"e": "admin@shop.test", "p": "wrong-guess"}},
        headers={"X-Forwarded-For": forwarded},
    )
    body: dict[str, Any] = response.json()
    return body


async def test_forged_forwarded_headers_share_the_peers_bucket(
    app: Any, http: httpx.AsyncClient, actors: Actors
) -> None:
    started = time.monotonic()
    answers = [await login_as(http, f"10.0.0.{i}") for i in range(12)]
    # ten a minute, one back every 6 s: a machine slow enough to take longer lets through
    # as many more as came back meanwhile
    refilled = int((time.monotonic() - started) // 6)
    limited = [a for a in answers if a.get("errors")]
    assert max(0, 2 - refilled) <= len(limited) <= 2
    assert all(a["errors"][0]["extensions"]["code"] == "RATE_LIMITED" for a in limited)
    # behind a trusted proxy every client has its own bucket
    with app_settings(app, trusted_proxies=(PROXY,)):
        answers = [await login_as(http, f"192.0.2.{i}") for i in range(12)]
    assert all(a["data"]["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}] for a in answers)


def retry_after(body: dict[str, Any]) -> int:
    [error] = body["errors"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    seconds: int = error["extensions"]["retryAfter"]
    return seconds


async def test_guest_orders_are_limited_per_address(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    with app_settings(app, guest_order_rate_limit=3):
        for _ in range(3):
            await placed(gql, None, [("A", 1)])
        body = await gql(
            PLACE_ORDER,
            {"input": order_input([("A", 50)], email="g@example.net")},
            expect_errors=True,
        )
        assert 1 <= retry_after(body) <= 20
        # signed-in customers are not limited by it
        await placed(gql, actors.customer.token, [("A", 1)])
    assert await Order.all().count() == 4


async def test_registrations_are_limited_per_address(app: Any, gql: GraphQLClient) -> None:
    register = """mutation($e: String!) { registerCustomer(input: {email: $e,
      password: "long enough pass", firstName: "A", lastName: "B"}) { token errors { code } } }"""
    with app_settings(app, register_rate_limit=2):
        for i in range(2):
            data = await gql.data(register, {"e": f"new{i}@example.org"})
            assert data["registerCustomer"]["errors"] == []
        body = await gql(register, {"e": "new9@example.org"}, expect_errors=True)
        assert retry_after(body) > 60  # 2 an hour: the next in 30 minutes
    assert not await User.filter(email="new9@example.org").exists()


async def test_customer_documents_are_limited_and_queued_apart(
    app: Any, gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    orders = [await placed(gql, actors.customer.token, [("A", 1)]) for _ in range(3)]
    generate = """mutation($ids: [ID!]) { generateDocuments(kind: INVOICE, orderIds: $ids) {
      document { id status } errors { code } } }"""
    redis = app.state.redis
    with app_settings(app, customer_document_rate_limit=2):
        for order in orders[:2]:
            data = await gql.data(generate, {"ids": [order["id"]]}, actors.customer.token)
            assert data["generateDocuments"]["errors"] == []
        body = await gql(
            generate, {"ids": [orders[2]["id"]]}, actors.customer.token, expect_errors=True
        )
        assert retry_after(body) >= 1
        # staff are not limited, and their job goes to the main queue
        staff = await gql.data(generate, {"ids": [o["id"] for o in orders]}, actors.admin.token)
        assert staff["generateDocuments"]["errors"] == []
    assert await redis.zcard(CUSTOMER_QUEUE) == 2
    assert await redis.zcard("arq:queue") == 1
    await run_jobs(settings_with_redis)
    statuses = await Document.all().values_list("status", flat=True)
    assert sorted(statuses) == ["READY", "READY", "READY"]
    assert await redis.zcard(CUSTOMER_QUEUE) == 0


async def test_customer_notes_are_limited(app: Any, gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    order = await placed(gql, actors.customer.token, [("A", 1)])
    note = """mutation($id: ID!) { addOrderNote(orderId: $id, message: "Hello?") {
      errors { code } } }"""
    with app_settings(app, customer_note_rate_limit=2):
        for _ in range(2):
            data = await gql.data(note, {"id": order["id"]}, actors.customer.token)
            assert data["addOrderNote"]["errors"] == []
        body = await gql(note, {"id": order["id"]}, actors.customer.token, expect_errors=True)
        assert retry_after(body) >= 1
        # staff writing on the same order are not limited
        staff = await gql.data(note, {"id": order["id"]}, actors.support.token)
        assert staff["addOrderNote"]["errors"] == []


async def test_the_cell_rate_allows_the_limit_at_once_then_one_per_interval(
    settings_with_redis: Settings,
) -> None:
    """GCRA against the real Redis: `limit` attempts pass at once, the next waits for one
    interval (period / limit), and each client has its own bucket."""
    assert settings_with_redis.redis_url is not None
    client = Redis.from_url(settings_with_redis.redis_url)
    bucket = f"test-{uuid.uuid4().hex}"
    try:
        for _ in range(3):
            await ratelimit.hit(client, bucket, "a", 3, 60)
        with pytest.raises(ratelimit.RateLimited) as limited:
            await ratelimit.hit(client, bucket, "a", 3, 60)
        assert 1 <= limited.value.retry_after <= 20  # one interval of 60 / 3 seconds
        assert limited.value.code is ErrorCode.RATE_LIMITED
        await ratelimit.hit(client, bucket, "b", 3, 60)  # another client
        # a limit of one is one: the second attempt waits the whole period
        await ratelimit.hit(client, bucket, "one", 1, 60)
        with pytest.raises(ratelimit.RateLimited) as limited:
            await ratelimit.hit(client, bucket, "one", 1, 60)
        assert 58 <= limited.value.retry_after <= 60
        # a wait under a second is told as one second, never as none
        for _ in range(3):
            await ratelimit.hit(client, bucket, "fast", 3, 1)
        with pytest.raises(ratelimit.RateLimited) as limited:
            await ratelimit.hit(client, bucket, "fast", 3, 1)
        assert limited.value.retry_after == 1
        assert str(limited.value) == "Too many attempts; try again in 1 second."
        for _ in range(10):
            await ratelimit.hit(client, bucket, "a", 0, 60)  # no limit set
            await ratelimit.hit(None, bucket, "a", 3, 60)  # no Redis: nothing to count in
    finally:
        await client.aclose()
