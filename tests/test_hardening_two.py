"""Issue 24, hardening round two: what the second hostile run broke, each held by a test."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from html import escape
from typing import Any

import httpx
import orjson
import pytest

from app.models import (
    DeliveryStatus,
    Document,
    InventoryMovement,
    Order,
    OrderEvent,
    PaymentTransaction,
    Product,
    Refund,
    Return,
    Shipment,
    ShipmentItem,
    TrackingImport,
    Webhook,
    WebhookDelivery,
)
from app.schema.ids import from_global_id, to_global_id
from app.settings import Settings
from app.workers import jobs
from tests.conftest import Actors, GraphQLClient, app_settings, empty_tables
from tests.factories import (
    CREATE_PRODUCT,
    CREATE_SHIPPING_METHOD,
    REFUND,
    create_product,
    order_input,
    paid,
    place_order,
    placed,
    record_payment,
    shipping_method,
)
from tests.test_fulfilment import set_status


def fan_out(levels: int, comment: str = "") -> str:
    """The reported attack: each fragment spreads the one below three times."""
    spreads = " ".join(
        f"fragment L{i} on Query{{...L{i - 1} ...L{i - 1} ...L{i - 1}}}" for i in range(1, levels)
    )
    return f"{{...L{levels - 1}}} fragment L0 on Query{{__typename}} {spreads}{comment}"


def _walks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every start of the walks that expand fragments: the depth and alias rules and
    the cost estimate."""
    from strawberry.extensions import max_aliases, query_depth_limiter

    from app.schema.cost import CostEstimator

    started: list[str] = []
    depth, aliases, estimate = (
        query_depth_limiter.determine_depth,
        max_aliases.count_fields_with_alias,
        CostEstimator.estimate,
    )

    def spy(name: str, walk: Any) -> Any:
        def walked(*args: Any, **kwargs: Any) -> Any:
            started.append(name)
            return walk(*args, **kwargs)

        return walked

    monkeypatch.setattr(query_depth_limiter, "determine_depth", spy("depth", depth))
    monkeypatch.setattr(max_aliases, "count_fields_with_alias", spy("aliases", aliases))
    monkeypatch.setattr(CostEstimator, "estimate", spy("cost", estimate))
    return started


async def test_fragment_fan_out_is_refused_before_anything_expands_it(
    gql: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = fan_out(14)
    assert len(query) == 574  # the reported document, 3**13 spreads of L0 once expanded
    walks = _walks(monkeypatch)
    # a comment makes a new document (no cache to hide behind): each is refused the same way
    for comment in ("", " # again", " # and again"):
        body = await gql(query + comment, expect_errors=True)
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
        assert "3000" in error["message"]
        assert "fragments" in error["message"]
    assert walks == []
    # the same shape a level short of the bound still runs: 3**6 spreads are 1,093 selections
    body = await gql(fan_out(7))
    assert body["data"] == {"__typename": "Query"}
    assert set(walks) == {"depth", "aliases", "cost"}


async def test_healthz_answers_while_fan_outs_are_refused(http: httpx.AsyncClient) -> None:
    """Before, one such query held the event loop 18.7 s and /healthz waited behind it. That
    nothing expands them is proven without a clock by the test above; here, that the service
    keeps answering beside them."""
    attacks = [
        http.post("/graphql", json={"query": fan_out(levels, f" # {n}")})
        for n, levels in enumerate((14, 16, 20, 14, 16, 20))
    ]
    *refused, health = await asyncio.gather(*attacks, http.get("/healthz"))
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    for response in refused:
        assert response.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_LARGE"


@pytest.mark.parametrize(
    "query",
    [
        # the same field with a selection, 700 times: merging them is quadratic
        "{ " + " ".join(["shippingMethods { code }"] * 700) + " }",
        # one fragment spread 1,400 times: 4,200 selections written out
        "{ " + " ".join(["...F"] * 1400) + " } fragment F on Query { shippingMethods { code } }",
        # a flat field repeated to the token limit
        "{ " + " ".join(["__typename"] * 2900) + " }",
    ],
    ids=["repeated-field", "repeated-spread", "flat"],
)
async def test_repeated_selections_are_refused_with_a_clear_error(
    gql: GraphQLClient, query: str
) -> None:
    body = await gql(query, expect_errors=True)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert "Validation aborted" not in error["message"]


@pytest.mark.parametrize(
    ("query", "words"),
    [
        # aliases inside a fragment count once per spread
        (
            "{ " + " ".join(["...F"] * 40) + " } fragment F on Query { a: __typename }",
            "aliases",
        ),
        # inline fragments nested past what the parser follows
        ("{" + "...{" * 300 + "__typename" + "}" * 300 + "}", "nested too deeply"),
        # one directive repeated
        ("{ __typename " + "@skip(if: false) " * 200 + "}", "only be used once"),
    ],
    ids=["aliases-through-a-fragment", "nested-inline-fragments", "repeated-directive"],
)
async def test_other_blow_ups_are_refused_before_running(
    gql: GraphQLClient, query: str, words: str
) -> None:
    body = await gql(query, expect_errors=True)
    assert body["data"] is None
    assert words in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "query",
    [
        # each alias walks the whole schema again: 30 of them held the loop for seconds
        "{ "
        + " ".join(
            f"a{i}: __schema {{ types {{ fields {{ type {{ name }} }} }} }}" for i in range(30)
        )
        + " }",
        "{ "
        + " ".join(f'a{i}: __type(name: "Mutation") {{ fields {{ name }} }}' for i in range(30))
        + " }",
        # the same through fragments
        "{ ...F ...G } fragment F on Query { __schema { queryType { name } } } "
        'fragment G on Query { t: __type(name: "Order") { name } }',
    ],
    ids=["schema-aliases", "type-aliases", "through-fragments"],
)
async def test_an_operation_reads_the_schema_once(gql: GraphQLClient, query: str) -> None:
    body = await gql(query, expect_errors=True)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_LARGE"
    assert error["message"] == (
        "An operation reads the schema (__schema or __type) once; ask for the rest in "
        "another request."
    )


async def test_introspection_stays_within_the_bounds(gql: GraphQLClient) -> None:
    from graphql import get_introspection_query

    query = get_introspection_query(
        descriptions=True,
        specified_by_url=True,
        directive_is_repeatable=True,
        schema_description=True,
        input_value_deprecation=True,
    )
    body = await gql(query)
    assert body["data"]["__schema"]["queryType"]["name"] == "Query"


# --- Broken 2: a voided authorization takes the order back to awaiting payment -----------


async def test_a_voided_authorization_takes_the_order_back_to_awaiting_payment(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10, price="30.00")
    order = await paid(gql, None, [("A", 2)], token, kind="AUTHORIZATION")
    assert order["status"] == "AWAITING_FULFILLMENT"
    # staff chose this one's status by hand: payments leave it alone
    by_hand = await paid(gql, None, [("A", 1)], token, kind="AUTHORIZATION")
    assert (await set_status(gql, token, by_hand, "AWAITING_FULFILLMENT"))["errors"] == []
    voided = await record_payment(gql, token, order, kind="VOID")
    assert voided["errors"] == []
    assert (voided["order"]["status"], voided["order"]["payment"]["status"]) == (
        "AWAITING_PAYMENT",
        "VOIDED",
    )
    assert (await record_payment(gql, token, by_hand, kind="VOID"))["errors"] == []
    assert (await Order.get(number=by_hand["number"])).status.value == "AWAITING_FULFILLMENT"
    row = await Order.get(number=order["number"])
    assert not row.status_manual
    last = await OrderEvent.filter(order_id=row.id, type="STATUS_CHANGED").order_by("-id").first()
    assert last is not None
    assert last.message == (
        "Payment no longer covers the order: status changed from AWAITING_FULFILLMENT to "
        "AWAITING_PAYMENT."
    )
    assert (last.visibility.value, last.data["reason"]) == ("PUBLIC", "PAYMENT")
    # nothing holds it now: the unpaid sweep lets it go and gives the stock back
    await Order.filter(id=row.id).update(created_at=datetime.now(UTC) - timedelta(hours=25))
    assert await jobs.cancel_unpaid_orders({"settings": app.state.settings}) == 1
    assert (await Order.get(id=row.id)).status.value == "CANCELLED"
    assert (await Product.get(sku="A")).stock == 10 - 1


async def test_a_partial_void_waits_for_payment_and_a_new_authorization_moves_it_on(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10, price="30.00")
    order = await paid(gql, None, [("A", 1)], token, kind="AUTHORIZATION")
    part = await record_payment(gql, token, order, kind="VOID", amount="10.00")
    assert (part["order"]["status"], part["order"]["payment"]["status"]) == (
        "AWAITING_PAYMENT",
        "AUTHORIZED",
    )
    again = await record_payment(gql, token, order, kind="AUTHORIZATION")
    assert again["order"]["status"] == "AWAITING_FULFILLMENT"


# --- Broken 4: stock stays within 0..1,000,000,000 ---------------------------------------

ADJUST = """mutation($sku: String!, $d: Int!) {
  adjustStock(sku: $sku, delta: $d, reason: "count") {
    product { stock } errors { code message field } } }"""
PRODUCTS = "{ products(first: 10) { edges { node { sku stock } } } }"


async def test_stock_never_passes_a_billion_by_any_path(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=1_000_000_000)
    # the reported overflow: two more billions would make 3,000,000,000
    for delta in (1_000_000_000, 1_000_000_000, 1):
        payload = (await gql.data(ADJUST, {"sku": "A", "d": delta}, token))["adjustStock"]
        assert payload["product"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["delta"])
        ]
        assert "1000000000" in payload["errors"][0]["message"]
    assert (await Product.get(sku="A")).stock == 1_000_000_000
    assert await InventoryMovement.filter(reason="ADJUSTMENT").count() == 0
    # units an order gives back count too: a cancellation that would pass the bound is refused
    order = await placed(gql, None, [("A", 5)])
    assert (await gql.data(ADJUST, {"sku": "A", "d": 5}, token))["adjustStock"]["errors"] == []
    refused = await set_status(gql, token, order, "CANCELLED")
    assert [e["code"] for e in refused["errors"]] == ["INVALID_INPUT"]
    assert (await Order.get(number=order["number"])).status.value == "AWAITING_PAYMENT"
    assert (await Product.get(sku="A")).stock == 1_000_000_000
    # and every viewer still reads the product
    data = await gql.data(PRODUCTS, token=token)
    assert data["products"]["edges"] == [{"node": {"sku": "A", "stock": 1_000_000_000}}]
    too_many = await gql.data(
        CREATE_PRODUCT,
        {"input": {"sku": "B", "name": "B", "price": "1.00", "stock": 1_000_000_001}},
        token,
    )
    assert [e["code"] for e in too_many["createProduct"]["errors"]] == ["INVALID_INPUT"]


# --- Broken 5: no line or total past the money columns ------------------------------------

EDIT = """mutation($id: ID!, $input: EditOrderInput!) {
  editOrder(orderId: $id, input: $input) { order { total } errors { code message field } } }"""
MOST = "9999999999.99"  # what a money column holds (12 digits, two of them decimals)


async def test_an_order_past_the_money_bound_is_refused_the_same_everywhere(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "BIG", stock=20_000, price="9999999.99")
    await create_product(gql, token, "TOP", stock=10, price=MOST)
    # the reported order: 10,000 x 9,999,999.99 = 99,999,999,900.00
    for items, extra in (
        ([("BIG", 10_000)], {}),
        ([("TOP", 1), ("BIG", 1)], {}),  # each line fits, the total does not
        ([("TOP", 1)], {"shippingCost": "0.01"}),  # staff's shipping override
    ):
        payload = await place_order(gql, token, items, email="big@example.net", **extra)
        assert payload["order"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_INPUT", ["items"])
        ]
        assert MOST in payload["errors"][0]["message"]
    assert await Order.all().count() == 0
    assert (await Product.get(sku="BIG")).stock == 20_000
    # the largest order that fits is placed
    top = await placed(gql, token, [("TOP", 1)], email="big@example.net")
    assert top["total"] == MOST
    # an edit past it is refused and changes nothing
    order = await placed(gql, token, [("BIG", 1)], email="big@example.net")
    line = order["items"][0]["id"]
    for change in (
        {"change": [{"orderItemId": line, "quantity": 10_000}]},
        {"change": [{"orderItemId": line, "unitPrice": MOST}], "shippingCost": "1.00"},
        {"add": [{"sku": "TOP", "quantity": 1}]},
    ):
        payload = (await gql.data(EDIT, {"id": order["id"], "input": change}, token))["editOrder"]
        assert [e["code"] for e in payload["errors"]] == ["INVALID_INPUT"], payload
    row = await Order.get(number=order["number"])
    assert (str(row.total), row.version) == ("9999999.99", 1)
    assert (await Product.get(sku="BIG")).stock == 20_000 - 1


async def test_every_other_amount_past_the_bound_is_invalid_input(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    over = "10000000000.00"
    product = await gql.data(
        CREATE_PRODUCT, {"input": {"sku": "P", "name": "P", "price": over, "stock": 1}}, token
    )
    assert [e["code"] for e in product["createProduct"]["errors"]] == ["INVALID_INPUT"]
    method = await gql.data(
        CREATE_SHIPPING_METHOD, {"input": {"code": "x", "name": "X", "price": over}}, token
    )
    assert [e["code"] for e in method["createShippingMethod"]["errors"]] == ["INVALID_INPUT"]
    free = await gql.data(
        CREATE_SHIPPING_METHOD,
        {"input": {"code": "y", "name": "Y", "price": "1.00", "freeOver": "1E+400"}},
        token,
    )
    assert [e["code"] for e in free["createShippingMethod"]["errors"]] == ["INVALID_INPUT"]
    await create_product(gql, token, "A", stock=5, price="30.00")
    order = await paid(gql, None, [("A", 1)], token)
    for kind in ("CAPTURE", "AUTHORIZATION", "VOID", "REFUND"):
        payload = await record_payment(gql, token, order, kind=kind, amount=over)
        assert [e["code"] for e in payload["errors"]] == ["INVALID_INPUT"], kind
    refund = await gql.data(REFUND, {"id": order["id"], "input": {"amount": over}}, token)
    assert refund["refundOrder"]["errors"][0]["code"] == "INVALID_INPUT"
    assert await PaymentTransaction.all().count() == 1


# --- Broken 6, Weak 3, Weak 4: idempotency keys ------------------------------------------

KEY = "0b8e2c2e-5f0e-4d8e-9a53-6c1f1b2a7d44"
SHIP = """mutation($id: ID!, $key: String) {
  shipOrder(orderId: $id, idempotencyKey: $key) {
    shipment { id } order { id status } errors { code message field } } }"""
DELETE_SHIPMENT = """mutation($id: ID!) { deleteShipment(id: $id) { errors { code } } }"""
PLACE = """mutation($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) {
    order { id number shippingAddress { city } } errors { code message field } } }"""
CREATE_TOKEN = """mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token errors { code message field } } }"""
MOVE = """mutation($id: ID!, $city: String!) {
  updateOrder(id: $id, input: {shippingAddress: {firstName: "A", lastName: "L",
    street1: "1 Lane", city: $city, postalCode: "1", country: "GB"}}) { errors { code } } }"""


async def api_token(gql: GraphQLClient, issuer: str, *permissions: str) -> str:
    data = await gql.data(
        CREATE_TOKEN, {"input": {"name": "integration", "permissions": list(permissions)}}, issuer
    )
    assert data["createApiToken"]["errors"] == []
    token: str = data["createApiToken"]["token"]
    return token


async def test_a_retry_after_its_effect_was_undone_says_so(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10)
    order = await paid(gql, None, [("A", 2)], token)
    shipped = (await gql.data(SHIP, {"id": order["id"], "key": KEY}, token))["shipOrder"]
    assert shipped["errors"] == []
    deleted = await gql.data(DELETE_SHIPMENT, {"id": shipped["shipment"]["id"]}, token)
    assert deleted["deleteShipment"]["errors"] == []
    for _ in range(2):  # the key's 24 hours: the same clear answer each time
        again = (await gql.data(SHIP, {"id": order["id"], "key": KEY}, token))["shipOrder"]
        assert again["shipment"] is None
        [error] = again["errors"]
        assert (error["code"], error["field"]) == ("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
        assert error["message"] == (
            "What this key's shipOrder made was deleted since; send a new key to do it again."
        )
    assert await Shipment.all().count() == 0
    fresh = (await gql.data(SHIP, {"id": order["id"], "key": KEY + "-2"}, token))["shipOrder"]
    assert fresh["errors"] == []
    assert await Shipment.all().count() == 1


async def test_every_idempotent_mutation_answers_a_vanished_result_the_same(
    gql: GraphQLClient, actors: Actors, http: httpx.AsyncClient
) -> None:
    """Each replay loads what the first call made; when it is gone (a document or an import
    cleaned away), the answer is the same user error, never an unexpected one."""
    from tests.test_idempotency import MUTATIONS, mutation_under_test

    vanish = {
        "placeOrder": None,  # orders are never deleted
        "recordPayment": PaymentTransaction,
        "refundOrder": Refund,
        "shipOrder": Shipment,
        "requestReturn": Return,
        "generateDocuments": Document,
        "importTracking": TrackingImport,
    }
    assert set(vanish) == set(MUTATIONS)
    for name, model in vanish.items():
        if model is None:
            continue
        await empty_tables(http._transport.app)  # type: ignore[attr-defined]
        call, _ = await mutation_under_test(name, gql, http, actors)
        first = await call(KEY)
        assert first["errors"] == [], (name, first)
        if model is Shipment:
            await ShipmentItem.filter(shipment_id__gt=1).delete()
            await Shipment.filter(id__gt=1).delete()  # not the order's earlier shipment
        else:
            await model.all().delete()
        again = await call(KEY)
        assert [e["code"] for e in again["errors"]] == ["IDEMPOTENCY_KEY_REUSED"], name


async def test_keys_belong_to_the_token_not_its_issuer(gql: GraphQLClient, actors: Actors) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=10)
    variables = {"input": order_input([("A", 1)], email="phone@example.net"), "key": KEY}
    first = (await gql.data(PLACE, variables, admin))["placeOrder"]
    assert first["errors"] == []
    # an integration token of the admin's, with the same key: its own call, not a replay
    writer = await api_token(gql, admin, "ORDERS_WRITE", "ORDERS_READ")
    own = (await gql.data(PLACE, variables, writer))["placeOrder"]
    assert own["errors"] == []
    assert own["order"]["number"] != first["order"]["number"]
    importer = await api_token(gql, admin, "IMPORTS_WRITE")
    refused = (await gql.data(PLACE, variables, importer))["placeOrder"]
    assert refused["order"] is None
    assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    # the admin's own retry is still the first answer
    again = (await gql.data(PLACE, variables, admin))["placeOrder"]
    assert again["order"] == first["order"]
    assert await Order.all().count() == 2


async def test_a_guest_replay_shows_no_more_than_the_first_answer(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    variables = {"input": order_input([("A", 1)], email="guest@example.net"), "key": KEY}
    first = (await gql.data(PLACE, variables))["placeOrder"]
    assert first["errors"] == []
    assert (await gql.data(PLACE, variables))["placeOrder"] == first  # a plain retry
    # another guest (another address) with the same key and input: its own order
    transport = httpx.ASGITransport(app=app, client=("198.51.100.20", 5555))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        second = (await GraphQLClient(other, app).data(PLACE, variables))["placeOrder"]
    assert second["errors"] == []
    assert second["order"]["number"] != first["order"]["number"]
    # staff move the first order; its guest's retry no longer shows it
    moved = await gql.data(MOVE, {"id": first["order"]["id"], "city": "Leeds"}, actors.admin.token)
    assert moved["updateOrder"]["errors"] == []
    late = (await gql.data(PLACE, variables))["placeOrder"]
    assert late["order"] is None
    [error] = late["errors"]
    assert (error["code"], error["field"]) == ("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
    assert "Leeds" not in str(late)
    assert str(first["order"]["number"]) in error["message"]
    assert await Order.all().count() == 2


# --- Weak 7: placing an order as staff or a token needs ORDERS_WRITE ------------------------


async def test_staff_and_tokens_place_orders_only_with_orders_write(
    gql: GraphQLClient, actors: Actors
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=10)
    refused_by = [
        actors.fulfillment.token,
        await api_token(gql, admin, "IMPORTS_WRITE"),
        await api_token(gql, admin, "PAYMENTS_WRITE"),
        await api_token(gql, admin, "ORDERS_READ", "SHIPMENTS_WRITE"),
    ]
    for token in refused_by:
        payload = await place_order(gql, token, [("A", 2)], email="x@example.net")
        assert payload["order"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [("FORBIDDEN", None)]
    assert await Order.all().count() == 0
    assert (await Product.get(sku="A")).stock == 10
    writer = await api_token(gql, admin, "ORDERS_WRITE")
    for token in (actors.support.token, writer, actors.customer.token, None):
        payload = await place_order(gql, token, [("A", 1)], email="x@example.net")
        assert payload["errors"] == []
    assert (await Product.get(sku="A")).stock == 6


# --- Weak 1: a refund needs REFUNDS_WRITE, whichever mutation records it --------------------


async def test_a_refund_needs_refunds_write_through_record_payment_too(
    gql: GraphQLClient, actors: Actors
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=10, price="30.00")
    order = await paid(gql, None, [("A", 1)], admin)
    payments_only = await api_token(gql, admin, "PAYMENTS_WRITE")
    both = await api_token(gql, admin, "PAYMENTS_WRITE", "REFUNDS_WRITE")
    # SUPPORT holds PAYMENTS_WRITE but not REFUNDS_WRITE
    for token in (actors.support.token, payments_only):
        payload = await record_payment(
            gql, token, order, kind="REFUND", amount="5.00", provider="stripe", reference="re_1"
        )
        assert payload["transaction"] is None
        assert [e["code"] for e in payload["errors"]] == ["FORBIDDEN"]
        assert "REFUNDS_WRITE" in payload["errors"][0]["message"]
    assert await Refund.all().count() == 0
    assert await PaymentTransaction.filter(kind="REFUND").count() == 0
    done = await record_payment(
        gql, both, order, kind="REFUND", amount="5.00", provider="stripe", reference="re_1"
    )
    assert done["errors"] == []
    # the same report again from SUPPORT learns nothing of it either
    again = await record_payment(
        gql,
        actors.support.token,
        order,
        kind="REFUND",
        amount="5.00",
        provider="stripe",
        reference="re_1",
    )
    assert [e["code"] for e in again["errors"]] == ["FORBIDDEN"]
    # captures and the rest stay PAYMENTS_WRITE's
    other = await placed(gql, None, [("A", 1)])
    assert (await record_payment(gql, payments_only, other))["errors"] == []


# --- Broken 7, Weak 2, Weak 12: webhooks ----------------------------------------------------

CREATE_WEBHOOK = """mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id url } errors { code message field } } }"""
UPDATE_WEBHOOK = """mutation($id: ID!, $url: String!) {
  updateWebhook(id: $id, input: {url: $url}) { webhook { url } errors { code field } } }"""
REDELIVER = """mutation($id: ID!) { redeliverWebhook(deliveryId: $id) {
  delivery { id status messageId } errors { code message field } } }"""


async def create_webhook(gql: GraphQLClient, token: str, url: str) -> dict[str, Any]:
    data = await gql.data(
        CREATE_WEBHOOK, {"input": {"url": url, "events": ["order.created"]}}, token
    )
    payload: dict[str, Any] = data["createWebhook"]
    return payload


async def test_malformed_webhook_urls_are_invalid_webhook_url(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    malformed = (
        "http://example.com:99999/",
        "http://example.com:-1/",
        "http://[::1",
        "http://[zz::1]/hooks",
        "http://93.184.215.14:0/",
        "https://93.184.215.14:65536/",
        "http://93.184.215.14:80x/",
    )
    for url in malformed:
        payload = await create_webhook(gql, token, url)
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [
            ("INVALID_WEBHOOK_URL", ["url"])
        ], url
    created = await create_webhook(gql, token, "https://93.184.215.14:8443/hooks")
    assert created["errors"] == []
    for url in malformed:
        data = await gql.data(UPDATE_WEBHOOK, {"id": created["webhook"]["id"], "url": url}, token)
        assert [e["code"] for e in data["updateWebhook"]["errors"]] == ["INVALID_WEBHOOK_URL"]
    assert [w.url for w in await Webhook.all()] == ["https://93.184.215.14:8443/hooks"]


@pytest.mark.parametrize(
    "host",
    [
        "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
        "[2002:a9fe:a9fe::]",  # 6to4 of the metadata address
        "[2002:c0a8:1::1]",  # 6to4 of 192.168.0.1
        "[fec0::1]",  # site-local
        "[2001:0:4136:e378:8000:63bf:80ff:fffe]",  # Teredo
        "[::127.0.0.1]",  # IPv4-compatible
        "[::ffff:0:7f00:1]",  # IPv4-translated
        "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
        "[64:ff9b::a9fe:a9fe]",  # NAT64 of the metadata address
        "[64:ff9b:1::808:808]",  # local-use NAT64
        "[3fff::1]",  # documentation
        "[ff0e::1]",  # multicast
        "[::ffff:169.254.169.254]",
    ],
)
async def test_no_address_that_is_not_global_is_a_webhook_receiver(
    gql: GraphQLClient, actors: Actors, host: str
) -> None:
    payload = await create_webhook(gql, actors.admin.token, f"http://{host}/hooks")
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_WEBHOOK_URL", ["url"])
    ]
    assert await Webhook.all().count() == 0


@pytest.mark.parametrize(
    "host",
    ["93.184.215.14", "[2606:4700::1111]", "[2002:5db8:d70e::]", "[64:ff9b::5db8:d70e]"],
)
async def test_global_addresses_embedded_or_not_are_receivers(
    gql: GraphQLClient, actors: Actors, host: str
) -> None:
    payload = await create_webhook(gql, actors.admin.token, f"https://{host}/hooks")
    assert payload["errors"] == []


async def test_redelivery_is_one_pending_copy_and_rate_limited(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    token = actors.admin.token
    created = await create_webhook(gql, token, "https://93.184.215.14/hooks")
    webhook_id = from_global_id("Webhook", created["webhook"]["id"])
    failed = [
        await WebhookDelivery.create(
            webhook_id=webhook_id,
            message_id=f"msg_{n}",
            event="order.created",
            payload="{}",
            status=DeliveryStatus.FAILED,
            next_attempt_at=None,
        )
        for n in range(3)
    ]
    first_id = to_global_id("WebhookDelivery", failed[0].id)
    answers = [
        (await gql.data(REDELIVER, {"id": first_id}, token))["redeliverWebhook"] for _ in range(5)
    ]
    # the reported 100 calls made 100 deliveries: now one pending copy, answered each time
    assert all(a["errors"] == [] for a in answers)
    assert len({a["delivery"]["id"] for a in answers}) == 1
    assert await WebhookDelivery.filter(message_id="msg_0").count() == 2
    # sent (or given up), it may be asked for again
    await WebhookDelivery.filter(message_id="msg_0", status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.SUCCEEDED
    )
    redis = app.state.redis
    await redis.delete(*[k async for k in redis.scan_iter(match="bitcart:rl:*")])
    with app_settings(app, webhook_redeliver_rate_limit=2):
        again = (await gql.data(REDELIVER, {"id": first_id}, token))["redeliverWebhook"]
        assert again["errors"] == []
        second = to_global_id("WebhookDelivery", failed[1].id)
        assert (await gql.data(REDELIVER, {"id": second}, token))["redeliverWebhook"][
            "errors"
        ] == []
        third = to_global_id("WebhookDelivery", failed[2].id)
        body = await gql(REDELIVER, {"id": third}, token, expect_errors=True)
        assert body["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert await WebhookDelivery.filter(message_id="msg_2").count() == 1


# --- Broken 9: numbers and ids past any column are unknown, never a 500 --------------------

SET_STATUS = """mutation($id: ID!) { setStatus(orderId: $id, status: CANCELLED) {
  order { id } errors { code message field } } }"""


def raw_id(kind: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{pk}".encode()).decode()


def cursor(value: Any, pk: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([value, pk])).decode()


async def test_tracking_numbers_past_any_order_are_the_same_404(
    http: httpx.AsyncClient, gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=5)
    await placed(gql, None, [("A", 1)], email="guest@example.net")
    unknown = await http.get("/track", params={"number": "4242", "email": "guest@example.net"})
    assert unknown.status_code == 404
    for number in ("2147483648", "99999999999", "#2147483648", "0", "²", "١٢٣"):
        response = await http.get("/track", params={"number": number, "email": "guest@example.net"})
        assert response.status_code == 404, number
        echoed = f'value="{escape(number.lstrip("#"))}"'
        assert response.text.replace(echoed, 'value="4242"') == unknown.text, number


async def test_ids_past_any_column_are_not_found_like_unknown_ones(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    unknown = (await gql.data(SET_STATUS, {"id": raw_id("Order", 4242)}, token))["setStatus"]
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    for pk in (2**31, 2**63, 10**40, 0, -1):
        past = (await gql.data(SET_STATUS, {"id": raw_id("Order", pk)}, token))["setStatus"]
        assert past == unknown, pk
        read = await gql.data(
            "query($id: ID!) { order(id: $id) { id } }", {"id": raw_id("Order", pk)}, token
        )
        assert read == {"order": None}


async def test_cursors_and_searches_past_any_column_are_refused_or_match_nothing(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=5)
    await placed(gql, None, [("A", 1)])
    for after, sort in (
        (cursor(5, 2**40), "CREATED_AT"),
        (cursor(2**40, 3), "NUMBER"),
        (cursor("1E+999999", 3), "TOTAL"),
        (cursor("NaN", 3), "TOTAL"),
    ):
        query = """query($after: String!, $sort: OrderSortField!) {
          orders(first: 5, after: $after, sort: {field: $sort}) { edges { node { id } } } }"""
        body = await gql(query, {"after": after, "sort": sort}, token, expect_errors=True)
        assert [e["extensions"]["code"] for e in body["errors"]] == ["INVALID_INPUT"], sort
    for term in ("²", "١٢٣", "2147483648", "#99999999999999"):
        found = await gql.data(
            "query($s: String!) { orders(first: 5, filter: {search: $s}) { edges { node { id } } }"
            "  shipments(first: 5, filter: {search: $s}) { edges { node { id } } } }",
            {"s": term},
            token,
        )
        assert found == {"orders": {"edges": []}, "shipments": {"edges": []}}, term


# --- Weak 5: staff change the shipping method as placeOrder chooses it, and it is re-priced --

UPDATE_METHOD = """mutation($id: ID!, $method: String!) {
  updateOrder(id: $id, input: {shippingMethod: $method}) {
    order { shippingMethod shippingCost total payment { balanceDue } }
    errors { code message field } } }"""


async def test_a_shipping_method_change_is_checked_and_re_priced(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10, price="30.00")
    await shipping_method(gql, token, "express", "12.00")
    await shipping_method(gql, token, "old", "1.00", active=False)
    await shipping_method(gql, token, "domestic", "2.00", countries=["US"])
    order = await paid(gql, None, [("A", 1)], token)
    assert (order["shippingCost"], order["total"]) == ("0.00", "30.00")
    for method in ("no-such-method", "old", "domestic"):
        refused = (await gql.data(UPDATE_METHOD, {"id": order["id"], "method": method}, token))[
            "updateOrder"
        ]
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("INVALID_SHIPPING_METHOD", ["shippingMethod"])
        ], method
    row = await Order.get(number=order["number"])
    assert (row.shipping_method, str(row.shipping_cost), row.version) == ("standard", "0.00", 2)
    moved = (await gql.data(UPDATE_METHOD, {"id": order["id"], "method": "Express"}, token))[
        "updateOrder"
    ]
    assert moved["errors"] == []
    assert moved["order"] == {
        "shippingMethod": "express",
        "shippingCost": "12.00",
        "total": "42.00",
        "payment": {"balanceDue": "12.00"},
    }
    event = await OrderEvent.filter(order_id=row.id, type="SHIPPING_METHOD_UPDATED").get()
    assert event.message == "Shipping method set to Express; shipping 0.00 → 12.00 USD."
    # a closed order keeps what it was sent with
    await set_status(gql, token, order, "SHIPPED")
    closed = (await gql.data(UPDATE_METHOD, {"id": order["id"], "method": "standard"}, token))[
        "updateOrder"
    ]
    assert [e["code"] for e in closed["errors"]] == ["ORDER_NOT_EDITABLE"]


# --- Weak 6: stock hoarding ------------------------------------------------------------------


async def test_a_buyer_takes_a_bounded_number_of_units_a_line(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=5000)
    assert Settings.max_units_per_line == 100  # the default
    with app_settings(app, max_units_per_line=50):
        for buyer in (None, actors.customer.token):
            # two lines of one SKU are one line of 60
            payload = await place_order(gql, buyer, [("A", 30), ("A", 30)], email="g@x.net")
            assert payload["order"] is None
            assert [(e["code"], e["field"], e["message"]) for e in payload["errors"]] == [
                ("LIMIT_REACHED", ["items", "0", "quantity"], "At most 50 units of A an order.")
            ]
        assert await Order.all().count() == 0
        assert (await Product.get(sku="A")).stock == 5000
        assert (await place_order(gql, None, [("A", 50)], email="g@x.net"))["errors"] == []
        # staff placing an order for a business buyer are not bound by it
        staff = await place_order(gql, token, [("A", 2000)], email="b2b@example.net")
        assert staff["errors"] == []
    assert (await Product.get(sku="A")).stock == 5000 - 50 - 2000


async def test_unpaid_orders_are_bounded_per_customer_and_per_address(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100, price="5.00")
    assert (Settings.max_unpaid_orders_per_customer, Settings.max_unpaid_orders_per_address) == (
        5,
        10,
    )
    with app_settings(app, max_unpaid_orders_per_customer=2, max_unpaid_orders_per_address=3):
        first = await placed(gql, actors.customer.token, [("A", 1)])
        await placed(gql, actors.customer.token, [("A", 1)])
        third = await place_order(gql, actors.customer.token, [("A", 1)])
        assert third["order"] is None
        [error] = third["errors"]
        assert (error["code"], error["field"]) == ("LIMIT_REACHED", None)
        assert "2 unpaid orders" in error["message"]
        # paid, an order no longer counts
        assert (await record_payment(gql, token, first))["errors"] == []
        assert (await place_order(gql, actors.customer.token, [("A", 1)]))["errors"] == []
        # the same address, as a guest: one more and the address holds three unpaid
        assert (await place_order(gql, None, [("A", 1)]))["errors"] == []
        guest = await place_order(gql, None, [("A", 1)])
        assert [e["code"] for e in guest["errors"]] == ["LIMIT_REACHED"]
        assert "this address" in guest["errors"][0]["message"]
        # another address is another buyer; staff are not counted
        transport = httpx.ASGITransport(app=app, client=("198.51.100.30", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            elsewhere = await place_order(GraphQLClient(other, app), None, [("A", 1)])
        assert elsewhere["errors"] == []
        for _ in range(3):
            assert (await place_order(gql, token, [("A", 1)], email="p@x.net"))["errors"] == []
    assert await Order.all().count() == 3 + 1 + 1 + 3
    assert (await Product.get(sku="A")).stock == 100 - 8


PLACE_TWICE = """mutation($input: PlaceOrderInput!) {
  a: placeOrder(input: $input) { order { number } errors { code message } }
  b: placeOrder(input: $input) { order { number } errors { code message } }
  c: placeOrder(input: $input) { order { number } errors { code message } } }"""


async def test_one_place_order_a_request(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=100)
    variables = {"input": order_input([("A", 1)], email="g@x.net")}
    for token in (None, actors.customer.token, actors.admin.token):
        data = await gql.data(PLACE_TWICE, variables, token)
        assert data["a"]["errors"] == []
        for alias in ("b", "c"):
            assert data[alias] == {
                "order": None,
                "errors": [
                    {
                        "code": "LIMIT_REACHED",
                        "message": "One placeOrder a request: send each order on its own.",
                    }
                ],
            }
    assert await Order.all().count() == 3
    assert (await Product.get(sku="A")).stock == 97
