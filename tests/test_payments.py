"""Payments as a ledger of transactions: recorded by the payment side, summed, never declared."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.models import Order, OrderEvent, PaymentTransaction, Product, Refund
from app.services import payments
from app.workers import jobs
from tests.conftest import Actors, GraphQLClient, app_settings, empty_tables
from tests.factories import create_product, paid, placed, record_payment
from tests.test_fulfilment import set_status

T = TypeVar("T")
CREATE_TOKEN = """mutation($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token errors { code message field } } }"""
REFUND = """mutation($id: ID!, $amount: Decimal!) {
  refundOrder(orderId: $id, input: {amount: $amount}) { errors { code message field } } }"""
TIMELINE = """query($id: ID!) { order(id: $id) { status payment { status
  transactions { kind amount currency provider reference method actor } }
  events { edges { node { type message } } } } }"""


async def an_order(gql: GraphQLClient, actors: Actors, price: str = "30.00") -> dict[str, Any]:
    await create_product(gql, actors.admin.token, "A", stock=100, price=price)
    return await placed(gql, None, [("A", 1)], payment={"method": "card", "provider": "stripe"})


async def test_a_storefront_order_is_captured_by_its_payment_back_end(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Done when: a storefront places an order, its payment back end records the capture
    with a scoped token, and the order moves to fulfilment with an event saying so."""
    created = await gql.data(
        CREATE_TOKEN,
        {"input": {"name": "payments relay", "permissions": ["PAYMENTS_WRITE"]}},
        actors.admin.token,
    )
    relay = created["createApiToken"]["token"]
    order = await an_order(gql, actors)
    assert (order["status"], order["payment"]["status"]) == ("AWAITING_PAYMENT", "PENDING")
    payload = await record_payment(gql, relay, order, reference="pi_123", method="visa")
    assert payload["errors"] == []
    assert payload["transaction"] == {
        "id": payload["transaction"]["id"],
        "kind": "CAPTURE",
        "amount": "30.00",
        "currency": "USD",
        "provider": "stripe",
        "reference": "pi_123",
        "method": "visa",
        "actor": "admin@shop.test (token payments relay)",
    }
    assert payload["order"]["status"] == "AWAITING_FULFILLMENT"
    assert payload["order"]["payment"]["status"] == "PAID"
    assert payload["order"]["payment"]["amountPaid"] == "30.00"
    assert payload["order"]["payment"]["transactionId"] == "pi_123"
    # the customer sees the payment and the move; a staff member's name is "store"
    seen = (await gql.data(TIMELINE, {"id": order["id"]}, actors.admin.token))["order"]
    messages = [e["node"]["message"] for e in seen["events"]["edges"]]
    assert "Payment of 30.00 USD captured." in messages
    assert (
        "Payment paid in full: status changed from AWAITING_PAYMENT to AWAITING_FULFILLMENT."
        in messages
    )
    # the relay token can do nothing else
    refused = await gql(TIMELINE, {"id": order["id"]}, relay, expect_errors=True)
    assert refused["data"]["order"] is None


async def test_the_same_provider_reference_twice_changes_nothing(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await an_order(gql, actors)
    token = actors.admin.token
    first = await record_payment(gql, token, order, amount="10.00", reference="ch_1")
    again = await record_payment(gql, token, order, amount="10.00", reference="ch_1")
    assert again["errors"] == []
    assert again["transaction"]["id"] == first["transaction"]["id"]
    assert again["order"]["version"] == first["order"]["version"]
    assert again["order"]["payment"]["amountPaid"] == "10.00"
    assert await PaymentTransaction.all().count() == 1
    # the same reference with another amount, or on another order, is not the same payment
    other = await record_payment(gql, token, order, amount="11.00", reference="ch_1")
    assert [(e["code"], e["field"], e["message"]) for e in other["errors"]] == [
        (
            "TRANSACTION_CONFLICT",
            ["input", "reference"],
            "stripe CAPTURE ch_1 is recorded already for 10.00.",
        )
    ]
    second_order = await placed(gql, None, [("A", 1)], payment={"provider": "stripe"})
    elsewhere = await record_payment(gql, token, second_order, amount="10.00", reference="ch_1")
    assert [e["code"] for e in elsewhere["errors"]] == ["TRANSACTION_CONFLICT"]
    # one reference may be both the authorization and the capture of one payment intent
    auth = await record_payment(gql, token, second_order, kind="AUTHORIZATION", reference="pi_9")
    capture = await record_payment(gql, token, second_order, reference="pi_9")
    assert auth["errors"] == capture["errors"] == []
    assert await PaymentTransaction.all().count() == 3


async def test_amounts_are_bounded_and_in_the_order_currency(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await an_order(gql, actors)
    token = actors.admin.token

    async def codes(**payment: Any) -> list[tuple[str, list[str]]]:
        payload = await record_payment(gql, token, order, **payment)
        return [(e["code"], e["field"]) for e in payload["errors"]]

    assert await codes(amount="30.01") == [("PAYMENT_EXCEEDS_BALANCE", ["input", "amount"])]
    assert await codes(amount="5.00", currency="EUR") == [
        ("CURRENCY_MISMATCH", ["input", "currency"])
    ]
    assert await codes(kind="VOID") == [("NOTHING_TO_VOID", ["input", "amount"])]
    assert await codes(kind="REFUND", amount="1.00") == [("REFUND_EXCEEDS_PAYMENT", ["amount"])]
    assert await codes(amount="0") == [("INVALID_INPUT", ["input", "amount"])]
    assert await PaymentTransaction.all().count() == 0
    # authorize 30, capture 10 of it, void the remaining 20: 10 paid of 30
    assert await codes(kind="AUTHORIZATION") == []
    assert await codes(kind="AUTHORIZATION", amount="0.01") == [
        ("PAYMENT_EXCEEDS_BALANCE", ["input", "amount"])
    ]
    assert await codes(amount="10.00") == []
    voided = await record_payment(gql, token, order, kind="VOID")
    payment = voided["order"]["payment"]
    assert voided["transaction"]["amount"] == "20.00"
    assert (payment["status"], payment["amountAuthorized"], payment["amountPaid"]) == (
        "PARTIALLY_PAID",
        "0.00",
        "10.00",
    )
    # the balance is what a capture defaults to
    rest = await record_payment(gql, token, order)
    assert rest["transaction"]["amount"] == "20.00"
    assert rest["order"]["payment"]["status"] == "PAID"


async def test_refunds_are_transactions_bounded_by_captured_minus_refunded(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await an_order(gql, actors)
    token = actors.admin.token
    await record_payment(gql, token, order, kind="AUTHORIZATION")
    # authorized is not paid: nothing to refund yet
    refused = (await gql.data(REFUND, {"id": order["id"], "amount": "1.00"}, token))["refundOrder"]
    assert [e["code"] for e in refused["errors"]] == ["REFUND_EXCEEDS_PAYMENT"]
    await record_payment(gql, token, order, amount="30.00")
    assert (await gql.data(REFUND, {"id": order["id"], "amount": "12.00"}, token))["refundOrder"][
        "errors"
    ] == []
    # a refund made at the provider and reported by its webhook: the same record
    reported = await record_payment(
        gql, token, order, kind="REFUND", amount="8.00", reference="re_1"
    )
    assert reported["errors"] == []
    payment = reported["order"]["payment"]
    assert (payment["status"], payment["amountRefunded"]) == ("PARTIALLY_REFUNDED", "20.00")
    assert reported["order"]["status"] == "PARTIALLY_REFUNDED"
    assert await Refund.all().count() == 2
    row = await Order.get(number=order["number"])
    assert await PaymentTransaction.filter(order_id=row.id).order_by("id").values_list(
        "kind", "amount", "reference"
    ) == [
        ("AUTHORIZATION", Decimal("30.00"), None),
        ("CAPTURE", Decimal("30.00"), None),
        ("REFUND", Decimal("12.00"), None),
        ("REFUND", Decimal("8.00"), "re_1"),
    ]
    # the rest by default
    last = await record_payment(gql, token, order, kind="REFUND")
    assert last["transaction"]["amount"] == "10.00"
    assert last["order"]["payment"]["status"] == "REFUNDED"


async def test_status_follows_payment_but_never_a_status_set_by_hand(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    by_hand = await an_order(gql, actors)
    held = await placed(gql, None, [("A", 1)])
    automatic = await placed(gql, None, [("A", 1)])
    # staff chose these statuses; a payment must not move them
    assert (await set_status(gql, token, by_hand, "AWAITING_PAYMENT"))["errors"] == []
    assert (await set_status(gql, token, held, "MANUAL_VERIFICATION_REQUIRED"))["errors"] == []
    for order in (by_hand, held, automatic):
        assert (await record_payment(gql, token, order))["errors"] == []
    statuses = {o.number: (o.status.value, o.payment_status.value) for o in await Order.all()}
    assert statuses == {
        by_hand["number"]: ("AWAITING_PAYMENT", "PAID"),
        held["number"]: ("MANUAL_VERIFICATION_REQUIRED", "PAID"),
        automatic["number"]: ("AWAITING_FULFILLMENT", "PAID"),
    }
    # a partial authorization does not cover the order: it waits
    partly = await placed(gql, None, [("A", 1)])
    half = await record_payment(gql, token, partly, kind="AUTHORIZATION", amount="15.00")
    assert (half["order"]["status"], half["order"]["payment"]["status"]) == (
        "AWAITING_PAYMENT",
        "AUTHORIZED",
    )
    other_half = await record_payment(gql, token, partly, kind="AUTHORIZATION")
    assert other_half["order"]["status"] == "AWAITING_FULFILLMENT"


async def test_recording_a_payment_needs_payments_write(gql: GraphQLClient, actors: Actors) -> None:
    order = await an_order(gql, actors)
    for token in (None, actors.customer.token, actors.fulfillment.token):
        payload = await record_payment(gql, token, order)
        assert payload["errors"][0]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}
    assert await PaymentTransaction.all().count() == 0
    support = await record_payment(gql, actors.support.token, order)
    assert support["errors"] == []


async def test_customers_see_their_payments_without_staff_names(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", price="30.00")
    order = await paid(gql, actors.customer.token, [("A", 1)], actors.support.token)
    seen = (await gql.data(TIMELINE, {"id": order["id"]}, actors.customer.token))["order"]
    assert [(t["kind"], t["amount"], t["actor"]) for t in seen["payment"]["transactions"]] == [
        ("CAPTURE", "30.00", "store")
    ]
    staff = (await gql.data(TIMELINE, {"id": order["id"]}, actors.admin.token))["order"]
    assert staff["payment"]["transactions"][0]["actor"] == "support@shop.test"


# --- unpaid orders let go of their stock -------------------------------------------------


async def age(order: dict[str, Any], hours: float) -> None:
    when = datetime.now(UTC) - timedelta(hours=hours)
    await Order.filter(number=order["number"]).update(created_at=when)


async def test_unpaid_orders_are_cancelled_once_and_paid_ones_left_alone(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10, price="30.00")
    unpaid = await placed(gql, None, [("A", 3)])
    voided = await placed(gql, None, [("A", 1)])
    # a part authorized, then voided: nothing holds the order any more
    await record_payment(gql, token, voided, kind="AUTHORIZATION", amount="10.00")
    await record_payment(gql, token, voided, kind="VOID")
    captured = await paid(gql, None, [("A", 1)], token)
    authorized = await paid(gql, None, [("A", 1)], token, kind="AUTHORIZATION")
    held_by_hand = await placed(gql, None, [("A", 1)])
    await set_status(gql, token, held_by_hand, "AWAITING_PAYMENT")
    fresh = await placed(gql, None, [("A", 1)])
    for order in (unpaid, voided, captured, authorized, held_by_hand):
        await age(order, 25)
    await age(fresh, 23)
    assert (await Product.get(sku="A")).stock == 2
    ctx = {"settings": app.state.settings}
    assert await jobs.cancel_unpaid_orders(ctx) == 2
    assert await jobs.cancel_unpaid_orders(ctx) == 0  # exactly once
    statuses = {o.number: o.status.value for o in await Order.all()}
    assert statuses == {
        unpaid["number"]: "CANCELLED",
        voided["number"]: "CANCELLED",
        captured["number"]: "AWAITING_FULFILLMENT",
        authorized["number"]: "AWAITING_FULFILLMENT",
        held_by_hand["number"]: "AWAITING_PAYMENT",
        fresh["number"]: "AWAITING_PAYMENT",
    }
    # 3 + 1 units back, through the ledger
    assert (await Product.get(sku="A")).stock == 6
    row = await Order.get(number=unpaid["number"])
    event = await OrderEvent.filter(order_id=row.id, type="STATUS_CHANGED").get()
    assert event.message == (
        "Not paid within 24 h: status changed from AWAITING_PAYMENT to CANCELLED and the "
        "stock released."
    )
    assert (event.visibility.value, event.data["reason"]) == ("PUBLIC", "UNPAID")


async def test_the_unpaid_order_ttl_is_a_setting(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    from dataclasses import replace

    await create_product(gql, actors.admin.token, "A", stock=10)
    order = await placed(gql, None, [("A", 1)])
    await age(order, 2)
    never = {"settings": replace(app.state.settings, unpaid_order_ttl_seconds=0)}
    assert await jobs.cancel_unpaid_orders(never) == 0
    hourly = {"settings": replace(app.state.settings, unpaid_order_ttl_seconds=3600)}
    assert await jobs.cancel_unpaid_orders(hourly) == 1


# --- transactions add up, whatever the sequence -------------------------------------------

KINDS = ["AUTHORIZATION", "CAPTURE", "VOID", "REFUND"]
ZERO = Decimal("0.00")


async def order_row(number: int) -> Order:
    return await Order.get(number=number)


class PaymentModel:
    """What the API must answer, computed the plain way."""

    def __init__(self, total: Decimal) -> None:
        self.total = total
        self.authorized = self.captured = self.refunded = self.voided = ZERO

    def apply(self, kind: str, amount: Decimal | None) -> bool:
        """Apply a recording; False when the API must refuse it."""
        held = self.authorized
        bound = {
            "AUTHORIZATION": self.total - self.captured - held,
            "CAPTURE": self.total - self.captured,
            "VOID": held,
            "REFUND": self.captured - self.refunded,
        }[kind]
        value = bound if amount is None else amount
        if value <= 0 or value > bound:
            return False
        if kind == "AUTHORIZATION":
            self.authorized += value
        elif kind == "CAPTURE":
            self.captured += value
            self.authorized = max(ZERO, self.authorized - value)
        elif kind == "VOID":
            self.authorized -= value
            self.voided += value
        else:
            self.refunded += value
        return True

    def status(self) -> str:
        if self.refunded:
            return "REFUNDED" if self.refunded == self.captured else "PARTIALLY_REFUNDED"
        if self.captured:
            return "PAID" if self.captured == self.total else "PARTIALLY_PAID"
        if self.authorized:
            return "AUTHORIZED"
        return "VOIDED" if self.voided else "PENDING"


async def test_transactions_add_up_over_random_sequences(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    loop = asyncio.get_running_loop()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=60)

    steps = st.lists(
        st.tuples(
            st.sampled_from(KINDS),
            st.none() | st.decimals(Decimal("0.01"), Decimal("40"), places=2),
        ),
        min_size=1,
        max_size=12,
    )

    @settings(
        max_examples=int(os.environ.get("BITCART_PAYMENT_EXAMPLES", "15")),
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(steps=steps)
    def sequence(steps: list[tuple[str, Decimal | None]]) -> None:
        run(empty_tables(app))
        order = run(an_order(gql, actors, price="30.00"))
        model = PaymentModel(Decimal("30.00"))
        for kind, amount in steps:
            payment: dict[str, Any] = {"kind": kind}
            if amount is not None:
                payment["amount"] = str(amount)
            payload = run(record_payment(gql, actors.admin.token, order, **payment))
            accepted = model.apply(kind, amount)
            assert (payload["errors"] == []) is accepted, (kind, amount, payload["errors"])
            row = run(order_row(order["number"]))
            assert (
                row.amount_authorized,
                row.amount_paid,
                row.amount_refunded,
                row.payment_status.value,
            ) == (model.authorized, model.captured, model.refunded, model.status())

    with app_settings(app):
        await asyncio.to_thread(sequence)


def test_the_unpaid_wait_is_told_in_the_largest_whole_unit() -> None:
    assert payments._duration(timedelta(hours=24)) == "24 h"
    assert payments._duration(timedelta(minutes=90)) == "90 min"
    assert payments._duration(timedelta(seconds=120)) == "2 min"
    assert payments._duration(timedelta(seconds=90)) == "90 s"
    assert payments._duration(timedelta(seconds=59)) == "59 s"


async def test_each_refusal_names_its_field_and_the_ledger_its_facts(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await an_order(gql, actors)
    token = actors.admin.token
    missing = await gql.data(
        """mutation($input: RecordPaymentInput!) { recordPayment(orderId: "T3JkZXI6OTk5OTk=",
          input: $input) { errors { code field message } } }""",
        {"input": {"kind": "CAPTURE"}},
        token,
    )
    assert missing["recordPayment"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["orderId"], "message": "Order not found."}
    ]
    long = await record_payment(gql, token, order, provider="p" * 51, method="m" * 50)
    assert [(e["field"], e["message"]) for e in long["errors"]] == [
        (["input", "provider"], "At most 50 characters.")
    ]
    # an authorization covering the order says so on the timeline, with its data
    authorized = await record_payment(gql, token, order, kind="AUTHORIZATION", reference="au_1")
    assert authorized["order"]["status"] == "AWAITING_FULFILLMENT"
    row = await Order.get(number=order["number"])
    timeline = (
        await OrderEvent.filter(order_id=row.id)
        .order_by("id")
        .values_list("type", "message", "data")
    )
    transaction = await PaymentTransaction.get(order_id=row.id)
    assert (
        "PAYMENT_RECORDED",
        "Payment of 30.00 USD authorized.",
        {
            "transactionId": transaction.id,
            "kind": "AUTHORIZATION",
            "amount": "30.00",
            "currency": "USD",
        },
    ) in timeline
    assert any(
        m.startswith("Payment authorized in full: status changed from") for _, m, _ in timeline
    )
    # the same reference on another order is refused as such
    other = await placed(gql, None, [("A", 1)], payment={"method": "card", "provider": "stripe"})
    elsewhere = await record_payment(gql, token, other, kind="AUTHORIZATION", reference="au_1")
    assert [e["message"] for e in elsewhere["errors"]] == [
        "stripe AUTHORIZATION au_1 is recorded already on another order."
    ]
    # a refund reported without a method keeps the order's
    await record_payment(gql, token, order)
    await record_payment(gql, token, order, kind="REFUND", amount="1.00", reference="re_2")
    refund = await PaymentTransaction.get(order_id=row.id, kind="REFUND")
    assert (refund.method, refund.provider) == ("card", "stripe")


async def test_an_order_holds_at_most_fifty_transactions_each_with_its_actor(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await an_order(gql, actors)
    other = await placed(gql, None, [("A", 1)])
    token = actors.admin.token
    for _ in range(50):
        made = await record_payment(gql, token, order, kind="AUTHORIZATION", amount="0.01")
        assert made["errors"] == []
    over = await record_payment(gql, token, order, kind="AUTHORIZATION", amount="0.01")
    assert [(e["code"], e["field"], e["message"]) for e in over["errors"]] == [
        ("LIMIT_REACHED", ["orderId"], "An order has at most 50 payment transactions.")
    ]
    assert (await record_payment(gql, token, other))["errors"] == []
    row = await Order.get(number=order["number"])
    actors_seen = (
        await PaymentTransaction.filter(order_id=row.id)
        .distinct()
        .values_list("actor_id", flat=True)
    )
    assert list(actors_seen) == [actors.admin.user_id]


async def test_an_authorization_beyond_what_is_left_says_what_is_left(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await an_order(gql, actors)
    token = actors.admin.token
    await record_payment(gql, token, order, kind="AUTHORIZATION", amount="20.00")
    over = await record_payment(gql, token, order, kind="AUTHORIZATION", amount="10.01")
    assert [(e["code"], e["message"]) for e in over["errors"]] == [
        (
            "PAYMENT_EXCEEDS_BALANCE",
            "10.00 USD is left to authorize (total 30.00, captured 0.00, authorized 20.00).",
        )
    ]


async def test_an_order_a_payment_moved_on_moves_back_when_the_payment_is_voided(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A move the payments make is not the staff's: an authorization that covers the order
    moves it to AWAITING_FULFILLMENT on its own, and voiding it moves the order back."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=5)
    order = await placed(gql, None, [("A", 1)])
    await record_payment(gql, token, order, kind="AUTHORIZATION")
    moved = await Order.get(number=order["number"])
    assert (moved.status, moved.status_manual) == ("AWAITING_FULFILLMENT", False)
    await record_payment(gql, token, order, kind="VOID")
    back = await Order.get(number=order["number"])
    assert (back.status, back.status_manual) == ("AWAITING_PAYMENT", False)
