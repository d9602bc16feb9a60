"""cancelOrder and refund requests: one step cancels, gives stock back (or writes it off) and
asks the payment side for the money; the payment side learns of it by webhook and confirms
with recordPayment; a refusal changes nothing; retries and races have one effect."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest

from app.models import (
    InventoryMovement,
    Order,
    OrderEvent,
    PaymentTransaction,
    Product,
    Refund,
    RefundRequest,
)
from tests.conftest import Actors, GraphQLClient
from tests.factories import create_product, paid, placed, record_payment, timeline
from tests.test_shipments import ship

CANCEL = """mutation($id: ID!, $input: CancelOrderInput, $key: String) {
  cancelOrder(orderId: $id, input: $input, idempotencyKey: $key) {
    order { id status version payment { status amountPaid amountRefunded refundRequested
            balanceDue refundDue } }
    refundRequest { id status amount currency reason createdBy }
    warnings { code message amount currency }
    errors { code message field }
  }
}"""
ASK = """mutation($id: ID!, $input: RequestRefundInput, $key: String) {
  requestRefund(orderId: $id, input: $input, idempotencyKey: $key) {
    refundRequest { id status amount currency reason returnId }
    order { payment { refundRequested refundDue } }
    errors { code message field }
  }
}"""
WITHDRAW = """mutation($id: ID!) {
  cancelRefundRequest(id: $id) {
    refundRequest { id status settledAt } order { payment { refundRequested refundDue } }
    errors { code message field }
  }
}"""
SET_STATUS = """mutation($id: ID!, $status: OrderStatus!) {
  setStatus(orderId: $id, status: $status) {
    order { status payment { refundDue balanceDue } }
    warnings { code message amount currency }
    errors { code message field }
  }
}"""
REQUESTS = """query($id: ID!) { order(id: $id) {
  status payment { status amountRefunded refundRequested refundDue }
  refundRequests { id status amount reason createdBy refundId settledAt }
  refunds { id amount }
} }"""


async def paid_tees(
    gql: GraphQLClient, actors: Actors, quantity: int = 2, stock: int = 10
) -> dict[str, Any]:
    """An order of `quantity` tees at 25.90, captured in full by the payment side."""
    await create_product(gql, actors.admin.token, "TEE", stock=stock, price="25.90")
    return await paid(gql, actors.customer.token, [("TEE", quantity)], actors.admin.token)


async def cancel(
    gql: GraphQLClient, token: str, order: dict[str, Any], key: str | None = None, **input_: Any
) -> dict[str, Any]:
    data = await gql.data(CANCEL, {"id": order["id"], "input": input_, "key": key}, token)
    result: dict[str, Any] = data["cancelOrder"]
    return result


async def ask(
    gql: GraphQLClient, token: str, order: dict[str, Any], key: str | None = None, **input_: Any
) -> dict[str, Any]:
    data = await gql.data(ASK, {"id": order["id"], "input": input_, "key": key}, token)
    result: dict[str, Any] = data["requestRefund"]
    return result


async def stock(sku: str = "TEE") -> int:
    return (await Product.get(sku=sku)).stock


async def ledger_holds(sku: str = "TEE") -> None:
    """stock = the sum of the inventory ledger, always."""
    product = await Product.get(sku=sku)
    moves = await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
    assert product.stock == sum(moves)


async def test_cancel_a_paid_order_in_one_step(gql: GraphQLClient, actors: Actors) -> None:
    """The issue's order paid 51.80: cancelled, restocked, the refund asked for."""
    order = await paid_tees(gql, actors)
    assert (order["total"], await stock()) == ("51.80", 8)
    done = await cancel(
        gql,
        actors.admin.token,
        order,
        reason="CUSTOMER",
        refund=True,
        notifyCustomer=True,
        note="phoned",
    )
    assert done["errors"] == []
    assert done["warnings"] == []
    assert done["order"]["status"] == "CANCELLED"
    assert done["order"]["payment"] == {
        "status": "PAID",  # nothing is refunded until the payment side confirms it
        "amountPaid": "51.80",
        "amountRefunded": "0.00",
        "refundRequested": "51.80",
        "balanceDue": "0.00",
        "refundDue": "0.00",
    }
    request = done["refundRequest"]
    assert {k: request[k] for k in ("status", "amount", "currency", "reason")} == {
        "status": "PENDING",
        "amount": "51.80",
        "currency": "USD",
        "reason": f"Order {order['number']} cancelled",
    }
    assert await stock() == 10
    await ledger_holds()
    public = [
        (e["type"], e["message"]) for e in await timeline(gql, actors.customer.token, order["id"])
    ]
    assert public[-3:] == [
        ("STATUS_CHANGED", "Status changed from AWAITING_FULFILLMENT to CANCELLED."),
        (
            "ORDER_CANCELLED",
            "Order cancelled at the customer's request; a refund of 51.80 USD is on its way.",
        ),
        ("REFUND_REQUESTED", "Refund of 51.80 USD requested."),
    ]
    staff = await timeline(gql, actors.admin.token, order["id"])
    assert ("STATUS_NOTE", "Cancelled, reason CUSTOMER. phoned") in [
        (e["type"], e["message"]) for e in staff
    ]

    # the payment side refunds at the provider and confirms the request
    confirmed = await record_payment(
        gql,
        actors.admin.token,
        order,
        kind="REFUND",
        refundRequestId=request["id"],
        reference="re_1",
    )
    assert confirmed["errors"] == []
    assert confirmed["transaction"]["amount"] == "51.80"
    seen = (await gql.data(REQUESTS, {"id": order["id"]}, actors.admin.token))["order"]
    assert seen["status"] == "CANCELLED"  # a refund never reopens a cancelled order's status
    assert seen["payment"] == {
        "status": "REFUNDED",
        "amountRefunded": "51.80",
        "refundRequested": "0.00",
        "refundDue": "0.00",
    }
    (listed,) = seen["refundRequests"]
    (refund,) = seen["refunds"]
    assert (listed["status"], listed["refundId"], listed["amount"]) == (
        "CONFIRMED",
        refund["id"],
        "51.80",
    )
    assert listed["settledAt"] is not None
    # reported again (a webhook relay's retry): the same transaction, nothing more
    again = await record_payment(
        gql,
        actors.admin.token,
        order,
        kind="REFUND",
        refundRequestId=request["id"],
        reference="re_1",
    )
    assert again["transaction"]["id"] == confirmed["transaction"]["id"]
    assert await Refund.all().count() == 1


async def test_a_refunded_cancelled_order_stays_cancelled(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A refund never reopens a cancelled order: a partly refunded one neither takes its
    stock again nor becomes PARTIALLY_REFUNDED."""
    order = await paid_tees(gql, actors)
    done = await cancel(gql, actors.admin.token, order, refund=True, refundAmount="30.00")
    assert done["refundRequest"]["amount"] == "30.00"
    assert [w["amount"] for w in done["warnings"]] == ["21.80"]
    other = await record_payment(
        gql, actors.admin.token, order, kind="REFUND", amount="10.00", reference="re_2"
    )
    assert other["errors"] == []
    assert other["order"]["status"] == "CANCELLED"
    assert other["order"]["payment"]["status"] == "PARTIALLY_REFUNDED"
    # a refund of another amount confirms no request; beyond what is left it is refused
    row = await RefundRequest.get()
    assert (row.status.value, row.amount) == ("PENDING", Decimal("30.00"))
    over = await record_payment(gql, actors.admin.token, order, kind="REFUND", amount="11.81")
    assert over["errors"][0]["message"] == (
        "At most 11.80 USD can be refunded (paid 51.80, refunded 10.00, asked for by pending "
        "refund requests 30.00)."
    )
    assert await stock() == 10
    await ledger_holds()


async def test_set_status_cancelled_on_a_paid_order_warns_what_is_left(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_tees(gql, actors)
    data = await gql.data(
        SET_STATUS, {"id": order["id"], "status": "CANCELLED"}, actors.admin.token
    )
    moved = data["setStatus"]
    assert moved["errors"] == []
    assert moved["order"] == {
        "status": "CANCELLED",
        "payment": {"refundDue": "51.80", "balanceDue": "0.00"},
    }
    assert moved["warnings"] == [
        {
            "code": "REFUND_DUE",
            "message": "51.80 USD was captured and is neither refunded nor asked for: ask the "
            "payment side with requestRefund (or cancelOrder with refund).",
            "amount": "51.80",
            "currency": "USD",
        }
    ]
    # asked for, nothing is left to warn about
    assert (await ask(gql, actors.admin.token, order))["errors"] == []
    data = await gql.data(
        SET_STATUS, {"id": order["id"], "status": "CANCELLED"}, actors.admin.token
    )
    assert data["setStatus"]["warnings"] == []
    assert data["setStatus"]["order"]["payment"]["refundDue"] == "0.00"
    # an open order owes no warning, whatever it holds
    data = await gql.data(
        SET_STATUS, {"id": order["id"], "status": "AWAITING_SHIPMENT"}, actors.admin.token
    )
    assert data["setStatus"]["warnings"] == []


async def test_an_open_authorization_is_named_too(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=10, price="25.90")
    order = await paid(
        gql, actors.customer.token, [("TEE", 1)], actors.admin.token, kind="AUTHORIZATION"
    )
    done = await cancel(gql, actors.admin.token, order, refund=True)
    # nothing was captured: no request, and the authorization to void is named
    assert done["errors"] == []
    assert done["refundRequest"] is None
    assert [(w["code"], w["amount"]) for w in done["warnings"]] == [("AUTHORIZATION_OPEN", "25.90")]
    assert await RefundRequest.all().count() == 0


async def test_refusals_change_nothing(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_tees(gql, actors)
    before = await Order.get(id=1)
    events = await OrderEvent.all().count()
    # SUPPORT may cancel but not ask for money back
    refused = await cancel(gql, actors.support.token, order, refund=True)
    assert refused["errors"] == [
        {
            "code": "FORBIDDEN",
            "message": "Asking for a refund needs the REFUNDS_WRITE permission.",
            "field": ["input", "refund"],
        }
    ]
    assert (await cancel(gql, actors.fulfillment.token, order))["errors"][0]["code"] == "FORBIDDEN"
    assert (await cancel(gql, actors.customer.token, order))["errors"][0]["code"] == "FORBIDDEN"
    bad = await cancel(gql, actors.admin.token, order, refund=True, refundAmount="60.00")
    assert bad["errors"] == [
        {
            "code": "REFUND_EXCEEDS_PAYMENT",
            "message": "At most 51.80 USD can be asked for (captured 51.80, refunded 0.00, "
            "asked for already 0.00).",
            "field": ["input", "refundAmount"],  # cancelOrder's input names it so
        }
    ]
    invalid = await cancel(gql, actors.admin.token, order, refundAmount="-1", note="x" * 2001)
    assert [(e["code"], e["field"]) for e in invalid["errors"]] == [
        ("INVALID_INPUT", ["input", "refundAmount"]),
        ("INVALID_INPUT", ["input", "note"]),
    ]
    after = await Order.get(id=1)
    assert (after.status, after.version, after.stock_released) == (
        before.status,
        before.version,
        False,
    )
    assert (await stock(), await OrderEvent.all().count()) == (8, events)
    assert await RefundRequest.all().count() == 0
    # SUPPORT cancels without a refund: the warning says what to ask for
    done = await cancel(gql, actors.support.token, order)
    assert [w["code"] for w in done["warnings"]] == ["REFUND_DUE"]
    # a cancelled order is not cancelled twice
    twice = await cancel(gql, actors.admin.token, order)
    assert twice["errors"] == [
        {
            "code": "INVALID_STATUS_TRANSITION",
            "message": "A CANCELLED order is closed and cannot be cancelled.",
            "field": ["orderId"],
        }
    ]


async def test_a_shipped_order_is_returned_not_cancelled(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_tees(gql, actors)
    await ship(gql, actors.admin.token, order)
    refused = await cancel(gql, actors.admin.token, order, refund=True)
    assert refused["errors"] == [
        {
            "code": "INVALID_STATUS_TRANSITION",
            "message": "A SHIPPED order is closed and cannot be cancelled; take items back "
            "with a return.",
            "field": ["orderId"],
        }
    ]
    assert (await Order.get(id=1)).status.value == "SHIPPED"


async def test_a_partly_shipped_order_gives_back_only_what_it_holds(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_tees(gql, actors, quantity=3)
    await ship(gql, actors.admin.token, order, items=[(0, 1)])
    assert await stock() == 7
    done = await cancel(gql, actors.admin.token, order, refund=True, refundAmount="51.80")
    assert done["errors"] == []
    assert done["refundRequest"]["amount"] == "51.80"
    assert await stock() == 9  # the shipped tee comes back only by a return
    # the rest of the 77.70 is still due, and said so
    assert [(w["code"], w["amount"]) for w in done["warnings"]] == [("REFUND_DUE", "25.90")]
    await ledger_holds()


async def test_without_restock_the_held_units_are_written_off(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_tees(gql, actors)
    done = await cancel(gql, actors.admin.token, order, restock=False)
    assert done["errors"] == []
    assert await stock() == 8  # not back on sale
    moves = await InventoryMovement.filter(order_id=1).order_by("id").values_list("delta", "reason")
    assert moves == [(-2, "ORDER_PLACED"), (2, "ORDER_RELEASED"), (-2, "CANCEL_WRITE_OFF")]
    await ledger_holds()
    # reinstated, the order takes its units again: stock never goes below what is there
    data = await gql.data(
        SET_STATUS, {"id": order["id"], "status": "AWAITING_SHIPMENT"}, actors.admin.token
    )
    assert data["setStatus"]["errors"] == []
    assert await stock() == 6
    await ledger_holds()


async def test_requests_never_ask_for_more_than_was_captured(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_tees(gql, actors)
    admin = actors.admin.token
    first = await ask(gql, admin, order, amount="30.00", reason="SECRET why")
    assert first["errors"] == []
    assert first["order"]["payment"] == {"refundRequested": "30.00", "refundDue": "0.00"}
    over = await ask(gql, admin, order, amount="21.81")
    assert over["errors"] == [
        {
            "code": "REFUND_EXCEEDS_PAYMENT",
            "message": "At most 21.80 USD can be asked for (captured 51.80, refunded 0.00, "
            "asked for already 30.00).",
            "field": ["input", "amount"],
        }
    ]
    # a refund staff record by hand is bounded by what the requests leave
    hand = await gql.data(
        """mutation($id: ID!) { refundOrder(orderId: $id, input: {amount: "21.81"}) {
          errors { code message } } }""",
        {"id": order["id"]},
        admin,
    )
    assert hand["refundOrder"]["errors"] == [
        {
            "code": "REFUND_EXCEEDS_PAYMENT",
            "message": "At most 21.80 USD can be refunded (paid 51.80, refunded 0.00, asked "
            "for by pending refund requests 30.00).",
        }
    ]
    # an open order owes nothing back by itself: the default asks for nothing
    nothing_due = await ask(gql, admin, order)
    assert nothing_due["errors"] == [
        {
            "code": "INVALID_INPUT",
            "message": "Nothing is due back (refundDue 0.00 USD); name an amount to refund more.",
            "field": ["input", "amount"],
        }
    ]
    rest = await ask(gql, admin, order, amount="21.80")
    assert (rest["errors"], rest["refundRequest"]["amount"]) == ([], "21.80")
    assert (await ask(gql, admin, order, amount="0.01"))["errors"][0]["code"] == (
        "REFUND_EXCEEDS_PAYMENT"
    )
    # withdrawn (the provider refused it), its amount may be asked for again
    withdrawn = (await gql.data(WITHDRAW, {"id": first["refundRequest"]["id"]}, admin))[
        "cancelRefundRequest"
    ]
    assert withdrawn["errors"] == []
    assert withdrawn["refundRequest"]["status"] == "CANCELLED"
    assert withdrawn["order"]["payment"] == {"refundRequested": "21.80", "refundDue": "0.00"}
    again = (await gql.data(WITHDRAW, {"id": first["refundRequest"]["id"]}, admin))[
        "cancelRefundRequest"
    ]
    assert again["errors"][0]["code"] == "INVALID_STATUS_TRANSITION"
    # a confirmation of a withdrawn request is refused and records nothing
    late = await record_payment(
        gql, admin, order, kind="REFUND", refundRequestId=first["refundRequest"]["id"]
    )
    assert late["errors"] == [
        {
            "code": "INVALID_STATUS_TRANSITION",
            "message": "The refund request is CANCELLED, not PENDING.",
            "field": ["input", "refundRequestId"],
        }
    ]
    assert await PaymentTransaction.filter(kind="REFUND").count() == 0
    # the customer sees the requests, never their reason nor who asked
    seen = await gql(REQUESTS, {"id": order["id"]}, actors.customer.token, expect_errors=True)
    assert {e["extensions"]["code"] for e in seen["errors"]} == {"FORBIDDEN"}
    listed = seen["data"]["order"]["refundRequests"]
    assert [(r["status"], r["reason"], r["createdBy"]) for r in listed] == [
        ("CANCELLED", None, "store"),
        ("PENDING", None, "store"),
    ]


async def test_a_refund_reported_without_naming_its_request_confirms_it(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_tees(gql, actors)
    admin = actors.admin.token
    await ask(gql, admin, order, amount="20.00")
    await ask(gql, admin, order, amount="10.00")
    # the payment side's relay reports the provider's refund by amount only
    reported = await record_payment(gql, admin, order, kind="REFUND", amount="10.00")
    assert reported["errors"] == []
    statuses = await RefundRequest.all().order_by("id").values_list("amount", "status")
    assert statuses == [(Decimal("20.00"), "PENDING"), (Decimal("10.00"), "CONFIRMED")]
    # with no amount, the oldest pending request's
    oldest = await record_payment(gql, admin, order, kind="REFUND")
    assert oldest["transaction"]["amount"] == "20.00"
    assert await RefundRequest.filter(status="PENDING").count() == 0
    # a named request confirmed for another amount is refused
    third = await ask(gql, admin, order, amount="5.00")
    wrong = await record_payment(
        gql, admin, order, kind="REFUND", amount="4.00",
        refundRequestId=third["refundRequest"]["id"],
    )  # fmt: skip
    assert wrong["errors"][0]["code"] == "INVALID_INPUT"
    assert wrong["errors"][0]["field"] == ["input", "refundRequestId"]
    not_refund = await record_payment(
        gql, admin, order, kind="CAPTURE", refundRequestId=third["refundRequest"]["id"]
    )
    assert not_refund["errors"][0]["field"] == ["input", "refundRequestId"]


async def test_a_refund_recorded_by_hand_and_reported_by_the_relay_counts_once(
    gql: GraphQLClient, actors: Actors
) -> None:
    """The issue's refund that showed up twice: staff recorded it with refundOrder, then
    the payment side's relay reported the provider's refund of it."""
    order = await paid_tees(gql, actors)
    admin = actors.admin.token
    hand = await gql.data(
        """mutation($id: ID!) { refundOrder(orderId: $id, input: {amount: "14.50"}) {
          errors { code } } }""",
        {"id": order["id"]},
        admin,
    )
    assert hand["refundOrder"]["errors"] == []
    relayed = await record_payment(
        gql, admin, order, kind="REFUND", amount="14.50", reference="re_9", provider="stripe"
    )
    assert relayed["errors"] == []
    assert relayed["transaction"]["reference"] == "re_9"
    assert relayed["order"]["payment"]["amountRefunded"] == "14.50"
    assert await Refund.all().count() == 1
    assert await PaymentTransaction.filter(kind="REFUND").count() == 1
    # its own retry is the same transaction again
    retried = await record_payment(
        gql, admin, order, kind="REFUND", amount="14.50", reference="re_9", provider="stripe"
    )
    assert retried["transaction"]["id"] == relayed["transaction"]["id"]
    # another refund of another amount is its own
    other = await record_payment(
        gql, admin, order, kind="REFUND", amount="1.00", reference="re_10", provider="stripe"
    )
    assert other["order"]["payment"]["amountRefunded"] == "15.50"
    matched = await OrderEvent.filter(type="REFUND_MATCHED").values_list("visibility", flat=True)
    assert matched == ["STAFF"]


async def test_retries_with_a_key_have_one_effect(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_tees(gql, actors)
    admin = actors.admin.token
    first = await cancel(gql, admin, order, key="k-cancel", refund=True)
    second = await cancel(gql, admin, order, key="k-cancel", refund=True)
    assert first == second
    assert await RefundRequest.all().count() == 1
    reused = await cancel(gql, admin, order, key="k-cancel", refund=False)
    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    other = await paid(gql, actors.customer.token, [("TEE", 1)], admin)
    a = await ask(gql, admin, other, key="k-ask", amount="5.00")
    b = await ask(gql, admin, other, key="k-ask", amount="5.00")
    assert a == b
    assert await RefundRequest.filter(order_id=2).count() == 1


async def test_racing_requests_never_ask_twice(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_tees(gql, actors)
    admin = actors.admin.token
    results = await asyncio.gather(
        *(ask(gql, admin, order) for _ in range(4)),
        cancel(gql, admin, order, refund=True),
    )
    asked = [r["refundRequest"]["amount"] for r in results if r["refundRequest"]]
    assert asked == ["51.80"]
    total = sum((r.amount for r in await RefundRequest.all()), Decimal(0))
    assert total == Decimal("51.80")
    assert (await Order.get(id=1)).amount_refund_requested == Decimal("51.80")


@pytest.mark.parametrize("status", ["DECLINED", "REFUNDED"])
async def test_other_closing_statuses_keep_nothing_either(
    gql: GraphQLClient, actors: Actors, status: str
) -> None:
    order = await paid_tees(gql, actors)
    data = await gql.data(SET_STATUS, {"id": order["id"], "status": status}, actors.admin.token)
    assert [w["amount"] for w in data["setStatus"]["warnings"]] == ["51.80"]


async def test_an_unpaid_order_cancels_without_warnings(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=10, price="25.90")
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    done = await cancel(gql, actors.admin.token, order, refund=True, notifyCustomer=True)
    assert (done["errors"], done["warnings"], done["refundRequest"]) == ([], [], None)
    assert done["order"]["payment"]["balanceDue"] == "0.00"


async def test_the_payment_side_hears_of_a_request_and_confirms_it(
    gql: GraphQLClient, actors: Actors, app: Any, settings_with_redis: Any
) -> None:
    """refund.requested carries what the payment back end needs (amount, the captures to
    refund, never the staff's reason); its confirmation is refund.created naming it."""
    from tests.receivers import receiver
    from tests.test_webhooks import create_webhook, deliver, delivering, fan_out, verified

    settings = delivering(settings_with_redis)
    topics = ["order.cancelled", "refund.requested", "refund.request_cancelled", "refund.created"]
    async with receiver() as hook:
        created = await create_webhook(gql, app, actors.admin.token, hook.url, topics)
        await create_product(gql, actors.admin.token, "TEE", stock=10, price="25.90")
        order = await placed(gql, actors.customer.token, [("TEE", 2)])
        payment = await record_payment(
            gql, actors.admin.token, order, provider="stripe", reference="pi_1", method="visa"
        )
        assert payment["errors"] == []
        done = await cancel(
            gql, actors.admin.token, order, refund=True, note="SECRET", reason="FRAUD"
        )
        request_id = done["refundRequest"]["id"]
        extra = await ask(gql, actors.admin.token, order, amount="1.00")  # refused: none left
        assert extra["errors"][0]["code"] == "REFUND_EXCEEDS_PAYMENT"
        await fan_out(settings)  # bodies are written when dispatched: this one PENDING
        confirmed = await record_payment(
            gql, actors.admin.token, order, kind="REFUND", refundRequestId=request_id,
            reference="re_1", provider="stripe",
        )  # fmt: skip
        assert confirmed["errors"] == []
        await fan_out(settings)
        await deliver(settings)
        bodies = verified(hook, created["secret"])
    assert all(b"SECRET" not in got.body and b"FRAUD" not in got.body for got in hook.received)
    by_type = {b["type"]: b["data"] for b in bodies}  # delivered in any order
    assert sorted(by_type) == ["order.cancelled", "refund.created", "refund.requested"]
    assert len(bodies) == 3
    cancelled, requested = by_type["order.cancelled"], by_type["refund.requested"]
    refunded = by_type["refund.created"]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["change"] == {
        "reason": None,  # FRAUD is the staff's word only
        "restocked": True,
        "refundAmount": "51.80",
        "currency": "USD",
        "notifyCustomer": False,
    }
    assert requested == {
        "id": request_id,
        "order": {"id": order["id"], "number": order["number"]},
        "status": "PENDING",
        "amount": "51.80",
        "currency": "USD",
        "payment": {
            "provider": "stripe",
            "method": "visa",
            "captures": [
                {
                    "id": payment["transaction"]["id"],
                    "provider": "stripe",
                    "reference": "pi_1",
                    "amount": "51.80",
                }
            ],
        },
        "returnId": None,
        "refundId": None,
        "returnRequest": None,  # the two above under their first names
        "refund": None,
        "createdAt": requested["createdAt"],
        "settledAt": None,
    }
    assert refunded["refundRequestId"] == request_id
    assert refunded["amount"] == "51.80"


async def test_a_page_of_orders_reads_its_requests_in_one_query(
    gql: GraphQLClient, actors: Actors
) -> None:
    from tests.conftest import count_queries

    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=100, price="10.00")
    for index in range(6):
        order = await paid(gql, actors.customer.token, [("TEE", 1)], admin)
        asked = await cancel(gql, admin, order, refund=True)
        if index % 2:
            await record_payment(
                gql, admin, order, kind="REFUND", refundRequestId=asked["refundRequest"]["id"]
            )
    page = """query($first: Int!) { orders(first: $first) { edges { node {
      number payment { refundRequested refundDue }
      refundRequests { id status amount refundId } refunds { amount refundRequestId } } } } }"""
    with count_queries() as one:
        await gql.data(page, {"first": 1}, admin)
    with count_queries() as six:
        data = await gql.data(page, {"first": 6}, admin)
    nodes = [e["node"] for e in data["orders"]["edges"]]
    assert (
        sorted(n["refundRequests"][0]["status"] for n in nodes)
        == ["CONFIRMED"] * 3 + ["PENDING"] * 3
    )
    for node in nodes:
        (request,) = node["refundRequests"]
        confirmed = [r["refundRequestId"] for r in node["refunds"]]
        assert confirmed == ([request["id"]] if request["status"] == "CONFIRMED" else [])
    # token, the page, requests, refunds, the refunds' requests
    assert one.count == six.count == 5, six.statements


async def test_the_payment_back_end_needs_refunds_write_to_confirm(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Every refund recorded needs REFUNDS_WRITE (SUPPORT records payments, not refunds):
    a payment token without it neither confirms nor withdraws a request."""
    from tests.test_hardening_two import api_token

    admin = actors.admin.token
    order = await paid_tees(gql, actors)
    request = (await cancel(gql, admin, order, refund=True))["refundRequest"]
    payments_only = await api_token(gql, admin, "PAYMENTS_WRITE")
    back_end = await api_token(gql, admin, "PAYMENTS_WRITE", "REFUNDS_WRITE")
    for token in (payments_only, actors.support.token):
        refused = await record_payment(
            gql, token, order, kind="REFUND", refundRequestId=request["id"]
        )
        assert [e["code"] for e in refused["errors"]] == ["FORBIDDEN"]
        withdrawn = (await gql.data(WITHDRAW, {"id": request["id"]}, token))["cancelRefundRequest"]
        assert [e["code"] for e in withdrawn["errors"]] == ["FORBIDDEN"]
    assert (await RefundRequest.get()).status.value == "PENDING"
    assert await Refund.all().count() == 0
    done = await record_payment(
        gql, back_end, order, kind="REFUND", refundRequestId=request["id"], reference="re_7"
    )
    assert done["errors"] == []
    assert (await RefundRequest.get()).status.value == "CONFIRMED"


async def test_what_a_cancellation_says_and_records(gql: GraphQLClient, actors: Actors) -> None:
    """With no reason to name and no refund, the timeline says only "Order cancelled."; units
    written off are not restocked and the ledger names who; the status is staff's choice; a
    note of exactly 2000 characters is taken; a bad refund amount and a missing order are
    named by their field."""
    order = await paid_tees(gql, actors)
    admin = actors.admin.token
    bad = await cancel(gql, admin, order, refund=True, refundAmount="-1.00")
    assert bad["errors"] == [
        {
            "code": "INVALID_INPUT",
            "message": "A positive amount with at most two decimals.",
            "field": ["input", "refundAmount"],
        }
    ]
    missing = await gql.data(CANCEL, {"id": "T3JkZXI6OTk5OTk=", "input": {}}, admin)
    assert missing["cancelOrder"]["errors"] == [
        {"code": "NOT_FOUND", "message": "Order not found.", "field": ["orderId"]}
    ]
    done = await cancel(gql, admin, order, restock=False, note="n" * 2000)
    assert done["errors"] == []
    [entry] = [e for e in await timeline(gql, admin, order["id"]) if e["type"] == "ORDER_CANCELLED"]
    assert entry["message"] == "Order cancelled."
    assert entry["data"] == {
        "reason": None,
        "restocked": False,
        "refundAmount": None,
        "currency": "USD",
        "notifyCustomer": False,
    }
    row = await Order.get(number=order["number"])
    assert row.status_manual is True
    [written_off] = await InventoryMovement.filter(reason="CANCEL_WRITE_OFF")
    assert (written_off.delta, written_off.actor_id, written_off.order_id) == (
        -2,
        actors.admin.user_id,
        row.id,
    )
    assert written_off.note == f"Written off when order {order['number']} was cancelled"
    # a reason the customer may read is named, in words and by its code
    other = await paid(gql, actors.customer.token, [("TEE", 1)], admin)
    assert (await cancel(gql, admin, other, reason="CUSTOMER"))["errors"] == []
    [told] = [e for e in await timeline(gql, admin, other["id"]) if e["type"] == "ORDER_CANCELLED"]
    assert told["message"] == "Order cancelled at the customer's request."
    assert told["data"]["reason"] == "CUSTOMER"
