"""Idempotency keys: a retried call, one after another or eight at once, has one effect."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.models import (
    Document,
    IdempotencyKey,
    Order,
    OrderStatus,
    PaymentTransaction,
    Product,
    Refund,
    Return,
    Shipment,
    TrackingImport,
)
from app.services import idempotency
from app.services.auth import SYSTEM
from app.services.errors import DomainError, ErrorCode
from app.workers import jobs
from tests.conftest import Actors, GraphQLClient, upload
from tests.factories import create_product, order_input, paid
from tests.processes import free_port, serve, wait_healthy

PLACE = """mutation($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) {
    order { id number } errors { code message field } } }"""
RECORD = """mutation($id: ID!, $key: String) {
  recordPayment(orderId: $id, input: {kind: REFUND, amount: "1.00"}, idempotencyKey: $key) {
    transaction { id } order { id } errors { code message field } } }"""
REFUND = """mutation($id: ID!, $key: String) {
  refundOrder(orderId: $id, input: {amount: "1.00"}, idempotencyKey: $key) {
    refund { id } order { id } errors { code message field } } }"""
SHIP = """mutation($id: ID!, $item: ID!, $key: String, $q: Int! = 1) {
  shipOrder(orderId: $id, input: {items: [{orderItemId: $item, quantity: $q}]},
            idempotencyKey: $key) {
    shipment { id } order { id } errors { code message field } } }"""
RETURN = """mutation($id: ID!, $item: ID!, $key: String) {
  requestReturn(input: {orderId: $id, items: [{orderItemId: $item, quantity: 1}]},
                idempotencyKey: $key) {
    returnRequest { id } errors { code message field } } }"""
DOCUMENTS = """mutation($ids: [ID!]!, $key: String) {
  generateDocuments(kind: INVOICE, orderIds: $ids, idempotencyKey: $key) {
    document { id } errors { code message field } } }"""
IMPORT = """mutation($file: Upload!, $key: String) {
  importTracking(file: $file, idempotencyKey: $key) {
    trackingImport { id } errors { code message field } } }"""
KEY = "3f1c7e5e-1d0b-4c52-9d7e-2b6a3f0c9a11"

Call = Callable[[str | None], Awaitable[dict[str, Any]]]


def ids_of(payload: dict[str, Any]) -> dict[str, Any]:
    assert payload["errors"] == [], payload["errors"]
    return {k: v["id"] for k, v in payload.items() if k != "errors"}


async def a_shipped_paid_order(gql: GraphQLClient, actors: Actors) -> dict[str, Any]:
    await create_product(gql, actors.admin.token, "A", stock=100, price="10.00")
    order = await paid(gql, actors.customer.token, [("A", 10)], actors.admin.token)
    item = order["items"][0]["id"]
    shipped = await gql.data(SHIP, {"id": order["id"], "item": item, "q": 3}, actors.admin.token)
    assert shipped["shipOrder"]["errors"] == []
    return order


async def mutation_under_test(
    name: str, gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> tuple[Call, Callable[[], Awaitable[int]]]:
    """The call (with a key) and how many times its effect happened."""
    admin, customer = actors.admin.token, actors.customer.token
    if name == "placeOrder":
        await create_product(gql, admin, "A", stock=100)

        async def place(key: str | None) -> dict[str, Any]:
            variables = {"input": order_input([("A", 1)]), "key": key}
            return (await gql.data(PLACE, variables, customer))["placeOrder"]

        return place, Order.all().count
    if name == "generateDocuments":
        await create_product(gql, admin, "A", stock=100)
        first = (await gql.data(PLACE, {"input": order_input([("A", 1)])}, customer))["placeOrder"]

        async def generate(key: str | None) -> dict[str, Any]:
            variables = {"ids": [first["order"]["id"]], "key": key}
            return (await gql.data(DOCUMENTS, variables, admin))["generateDocuments"]

        return generate, Document.all().count
    if name == "importTracking":

        async def import_(key: str | None) -> dict[str, Any]:
            body = await upload(http, IMPORT, {"key": key}, b"100,1Z999AA10123456784\n", admin)
            result: dict[str, Any] = body["data"]["importTracking"]
            return result

        return import_, TrackingImport.all().count
    order = await a_shipped_paid_order(gql, actors)
    item = order["items"][0]["id"]

    async def call(key: str | None) -> dict[str, Any]:
        query, token = {
            "recordPayment": (RECORD, admin),
            "refundOrder": (REFUND, admin),
            "shipOrder": (SHIP, admin),
            "requestReturn": (RETURN, customer),
        }[name]
        data = await gql.data(query, {"id": order["id"], "item": item, "key": key}, token)
        result: dict[str, Any] = data[name]
        return result

    count = {
        "recordPayment": PaymentTransaction.filter(kind="REFUND").count,
        "refundOrder": Refund.all().count,
        "shipOrder": Shipment.all().count,
        "requestReturn": Return.all().count,
    }[name]
    return call, count


MUTATIONS = [
    "placeOrder",
    "recordPayment",
    "refundOrder",
    "shipOrder",
    "requestReturn",
    "generateDocuments",
    "importTracking",
]


@pytest.mark.parametrize("name", MUTATIONS)
async def test_a_key_called_twice_then_eight_at_once_has_one_effect(
    name: str, gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> None:
    call, effects = await mutation_under_test(name, gql, http, actors)
    before = await effects()
    first = ids_of(await call(KEY))
    assert await effects() == before + 1
    again = ids_of(await call(KEY))
    assert again == first  # the first call's payload: the same ids
    assert await effects() == before + 1
    # eight at once with a new key: one effect, one answer
    racing = await asyncio.gather(*(call("race-" + KEY) for _ in range(8)))
    answers = {tuple(sorted(ids_of(payload).items())) for payload in racing}
    assert len(answers) == 1
    if name == "generateDocuments":
        # an unchanged document request is the document made before, key or no key
        assert answers == {tuple(sorted(first.items()))}
        assert await effects() == before + 1
        return
    assert await effects() == before + 2
    # without a key, a call is a new call
    await call(None)
    assert await effects() == before + 3


async def test_a_key_with_another_input_is_refused(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    token = actors.customer.token
    one = {"input": order_input([("A", 1)]), "key": KEY}
    two = {"input": order_input([("A", 2)]), "key": KEY}
    assert (await gql.data(PLACE, one, token))["placeOrder"]["errors"] == []
    reused = (await gql.data(PLACE, two, token))["placeOrder"]
    assert reused["order"] is None
    assert [(e["code"], e["field"]) for e in reused["errors"]] == [
        ("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
    ]
    # keys are per caller: another customer's same key is theirs
    other = (await gql.data(PLACE, two, actors.other_customer.token))["placeOrder"]
    assert other["errors"] == []
    assert await Order.all().count() == 2
    assert (await Product.get(sku="A")).stock == 97


async def test_one_key_on_two_kinds_of_call_is_two_keys(gql: GraphQLClient, actors: Actors) -> None:
    """A key is the caller's for one operation: the same key sent with shipOrder and with
    recordPayment guards each call on its own, and neither is taken for a reuse."""
    order = await a_shipped_paid_order(gql, actors)
    token = actors.admin.token
    item = order["items"][0]["id"]
    shipped = await gql.data(SHIP, {"id": order["id"], "item": item, "key": KEY}, token)
    recorded = await gql.data(RECORD, {"id": order["id"], "key": KEY}, token)
    assert ids_of(shipped["shipOrder"])["shipment"] is not None
    assert ids_of(recorded["recordPayment"])["transaction"] is not None
    assert await Shipment.all().count() == 2
    again = await gql.data(SHIP, {"id": order["id"], "item": item, "key": KEY}, token)
    assert again["shipOrder"]["shipment"] == shipped["shipOrder"]["shipment"]
    assert await Shipment.all().count() == 2
    assert await IdempotencyKey.all().count() == 2


async def test_a_guest_key_counts_with_the_same_input_only(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)

    def guest(quantity: int, email: str) -> dict[str, Any]:
        return {"input": order_input([("A", quantity)], email=email), "key": KEY}

    first = (await gql.data(PLACE, guest(1, "a@example.com")))["placeOrder"]
    retry = (await gql.data(PLACE, guest(1, "a@example.com")))["placeOrder"]
    assert retry["order"] == first["order"]
    # another guest who happens to choose the same key places an order of its own
    stranger = (await gql.data(PLACE, guest(2, "b@example.com")))["placeOrder"]
    assert stranger["errors"] == []
    assert stranger["order"]["id"] != first["order"]["id"]
    assert await Order.all().count() == 2


async def test_a_refused_call_leaves_no_key_and_keys_expire(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=1)
    token = actors.customer.token
    variables = {"input": order_input([("A", 2)]), "key": KEY}
    refused = (await gql.data(PLACE, variables, token))["placeOrder"]
    assert [e["code"] for e in refused["errors"]] == ["INSUFFICIENT_STOCK"]
    assert await IdempotencyKey.all().count() == 0
    # stock arrives; the retry with the same key runs afresh
    await Product.filter(sku="A").update(stock=5)
    placed = (await gql.data(PLACE, variables, token))["placeOrder"]
    assert placed["errors"] == []
    # after 24 hours the key is forgotten: the same key places a new order
    await IdempotencyKey.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    again = (await gql.data(PLACE, variables, token))["placeOrder"]
    assert again["order"]["id"] != placed["order"]["id"]
    # the worker's purge deletes what expired
    await IdempotencyKey.all().update(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await jobs.purge_idempotency_keys({}) == 1
    bad = (await gql.data(PLACE, {**variables, "key": ""}, token))["placeOrder"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [
        ("INVALID_INPUT", ["idempotencyKey"])
    ]


@pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="needs a PostgreSQL and a Redis (DATABASE_URL and REDIS_URL), as in CI",
)
async def test_keys_hold_across_processes(
    gql: GraphQLClient, actors: Actors, tmp_path: Path, app: Any
) -> None:
    """A retry that reaches another api process (behind a load balancer) gets the same
    answer: keys live in the database, not in a process."""
    await create_product(gql, actors.admin.token, "A", stock=100)
    variables = {"input": order_input([("A", 1)], email="x@example.com"), "key": KEY}
    # a guest's key is its address's: the first call comes from where the retry will
    here = httpx.ASGITransport(app=app, client=("127.0.0.1", 4321))
    async with httpx.AsyncClient(transport=here, base_url="http://test") as local:
        first = (await GraphQLClient(local, app).data(PLACE, variables))["placeOrder"]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(tmp_path, port, keep_databases=True)
    try:
        await asyncio.to_thread(wait_healthy, url, process)
        async with httpx.AsyncClient(base_url=url) as other:
            body = await other.post("/graphql", json={"query": PLACE, "variables": variables})
            retried = body.json()["data"]["placeOrder"]
    finally:
        process.terminate()
        process.wait(30)
    assert retried["errors"] == []
    assert retried["order"] == first["order"]
    assert await Order.all().count() == 1


def test_a_key_has_1_to_255_printable_characters() -> None:
    assert idempotency.check_key("k" * 255) == "k" * 255
    assert idempotency.check_key("x") == "x"
    for bad in ("", "k" * 256, "tab\there", "line\n"):
        with pytest.raises(DomainError) as refused:
            idempotency.check_key(bad)
        assert refused.value.issues[0].field == ("idempotencyKey",)


def test_a_fingerprint_sees_values_not_spellings() -> None:
    fp = idempotency.fingerprint
    assert fp("op", {"a": Decimal("5"), "b": 1}) == fp("op", {"b": 1, "a": Decimal("5.00")})
    assert fp("op", {"a": Decimal("5")}) != fp("op", {"a": Decimal("5.01")})
    assert fp("op", {"a": 1}) != fp("other", {"a": 1})
    # enums by value, times as ISO text, bytes by digest, sets in order
    assert fp("op", [OrderStatus.SHIPPED]) == fp("op", ["SHIPPED"])
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert fp("op", [moment]) == fp("op", [moment.isoformat()])
    assert fp("op", [b"file"]) == fp("op", [hashlib.sha256(b"file").hexdigest()])
    assert fp("op", [b"file"]) != fp("op", [b"other"])
    assert fp("op", [{3, 1, 2}]) == fp("op", [[1, 2, 3]])
    assert fp("op", [Decimal("Infinity")]) == fp("op", ["Infinity"])
    with pytest.raises(TypeError) as refused:
        fp("op", [object()])
    assert str(refused.value.__cause__) == "cannot fingerprint object"  # what a traceback shows


async def test_a_key_is_forgotten_exactly_when_it_expires(actors: Actors) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    viewer = replace(SYSTEM, user_id=actors.admin.user_id)  # keys are per signed-in caller
    row, made = await idempotency.claim(viewer, "op", "k", "hash", now)
    assert made is True
    assert row.expires_at == now + timedelta(hours=24)
    _, again = await idempotency.claim(viewer, "op", "k", "hash", now + timedelta(hours=23))
    assert again is False
    with pytest.raises(DomainError) as reused:
        await idempotency.claim(viewer, "op", "k", "another", now + timedelta(hours=23))
    assert reused.value.code is ErrorCode.IDEMPOTENCY_KEY_REUSED
    # at 24 hours on the dot it is gone: the same key with another input starts afresh
    _, fresh = await idempotency.claim(viewer, "op", "k", "another", now + timedelta(hours=24))
    assert fresh is True
    assert await idempotency.purge_expired(now + timedelta(hours=47)) == 0
    assert await idempotency.purge_expired(now + timedelta(hours=48)) == 1
