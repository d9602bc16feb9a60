"""refundOrder: bounds, payment and order status follow, linked returns, restock, races."""

from __future__ import annotations

import asyncio
from typing import Any

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
from tests.factories import create_product, paid, record_payment
from tests.test_fulfilment import MISSING_ORDER
from tests.test_returns import request_return, set_status
from tests.test_shipments import ship

REFUND = """mutation($id: ID!, $input: RefundOrderInput!) {
  refundOrder(orderId: $id, input: $input) {
    refund { amount currency restocked reason items { quantity orderItem { sku } } }
    order { status payment { status amountPaid amountRefunded } }
    errors { code message field }
  }
}"""


async def paid_order(gql: GraphQLClient, actors: Actors, shipped: bool = True) -> dict[str, Any]:
    await create_product(gql, actors.admin.token, "A", stock=10, price="20.00")
    order = await paid(
        gql, actors.customer.token, [("A", 3)], actors.admin.token, payment={"method": "card"}
    )
    if shipped:
        await ship(gql, actors.admin.token, order)
    return order


async def refund(
    gql: GraphQLClient, token: str, order: dict[str, Any], **input_: Any
) -> dict[str, Any]:
    data = await gql.data(REFUND, {"id": order["id"], "input": input_}, token)
    result: dict[str, Any] = data["refundOrder"]
    return result


async def test_partial_then_full_refund(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_order(gql, actors)
    token = actors.admin.token
    first = await refund(gql, token, order, amount="15.50", reason="late delivery")
    assert first["errors"] == []
    assert first["refund"]["amount"] == "15.50"
    assert first["refund"]["currency"] == "USD"
    assert first["order"] == {
        "status": "PARTIALLY_REFUNDED",
        "payment": {
            "status": "PARTIALLY_REFUNDED",
            "amountPaid": "60.00",
            "amountRefunded": "15.50",
        },
    }
    too_much = await refund(gql, token, order, amount="44.51")
    assert too_much["errors"] == [
        {
            "code": "REFUND_EXCEEDS_PAYMENT",
            "message": "At most 44.50 USD can be refunded (paid 60.00, refunded 15.50).",
            "field": ["amount"],
        }
    ]
    rest = await refund(gql, token, order, amount="44.50")
    assert rest["order"] == {
        "status": "REFUNDED",
        "payment": {"status": "REFUNDED", "amountPaid": "60.00", "amountRefunded": "60.00"},
    }
    nothing_left = await refund(gql, token, order, amount="0.01")
    assert [e["code"] for e in nothing_left["errors"]] == ["REFUND_EXCEEDS_PAYMENT"]
    # the reason is staff-only; the amount is public
    row = await Order.get(number=order["number"])
    events = (
        await OrderEvent.filter(order_id=row.id, type__in=["REFUND_ISSUED", "REFUND_REASON"])
        .order_by("id")
        .values_list("type", "visibility")
    )
    assert events == [
        ("REFUND_ISSUED", "PUBLIC"),
        ("REFUND_REASON", "STAFF"),
        ("REFUND_ISSUED", "PUBLIC"),
    ]


async def test_bad_amounts_change_nothing(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_order(gql, actors)
    for amount in ("0", "-5", "1.001"):
        result = await refund(gql, actors.admin.token, order, amount=amount)
        assert [e["field"] for e in result["errors"]] == [["amount"]]
    row = await Order.get(number=order["number"])
    assert (row.amount_refunded, row.payment_status, row.status) == (0, "PAID", "SHIPPED")
    assert await Refund.all().count() == 0


async def test_concurrent_refunds_cannot_exceed_the_payment(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors)
    results = await asyncio.gather(
        *(refund(gql, actors.admin.token, order, amount="35.00") for _ in range(4))
    )
    ok = [r for r in results if not r["errors"]]
    assert len(ok) == 1
    assert {r["errors"][0]["code"] for r in results if r["errors"]} == {"REFUND_EXCEEDS_PAYMENT"}
    row = await Order.get(number=order["number"])
    assert str(row.amount_refunded) == "35.00"
    assert await Refund.all().count() == 1


async def test_refund_settles_a_received_return(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_order(gql, actors)
    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    early = await refund(gql, actors.admin.token, order, amount="20.00", returnId=request["id"])
    assert [e["code"] for e in early["errors"]] == ["INVALID_STATUS_TRANSITION"]
    assert await Refund.all().count() == 0
    await set_status(gql, actors.support.token, request["id"], "AUTHORIZED")
    await set_status(gql, actors.support.token, request["id"], "RECEIVED", restock=True)
    assert (await Product.get(sku="A")).stock == 8
    result = await refund(gql, actors.admin.token, order, amount="20.00", returnId=request["id"])
    assert result["errors"] == []
    query = "query($id: ID!) { returnRequest(id: $id) { status refund { amount } } }"
    seen = await gql.data(query, {"id": request["id"]}, actors.customer.token)
    assert seen["returnRequest"] == {"status": "REFUNDED", "refund": {"amount": "20.00"}}
    # its units were restocked at receipt; a refund with restock cannot restock them again
    more = await refund(
        gql,
        actors.admin.token,
        order,
        amount="1.00",
        restock=True,
        items=[{"orderItemId": order["items"][0]["id"], "quantity": 3}],
    )
    assert [e["code"] for e in more["errors"]] == ["QUANTITY_EXCEEDS_RETURNABLE"]


async def test_refund_with_restock(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_order(gql, actors)
    item = order["items"][0]["id"]
    result = await refund(
        gql,
        actors.admin.token,
        order,
        amount="40.00",
        restock=True,
        items=[{"orderItemId": item, "quantity": 2}],
    )
    assert result["refund"]["restocked"] is True
    assert result["refund"]["items"] == [{"quantity": 2, "orderItem": {"sku": "A"}}]
    assert (await Product.get(sku="A")).stock == 9
    again = await refund(
        gql,
        actors.admin.token,
        order,
        amount="1.00",
        restock=True,
        items=[{"orderItemId": item, "quantity": 2}],
    )
    assert [e["code"] for e in again["errors"]] == ["QUANTITY_EXCEEDS_RETURNABLE"]
    assert (await Product.get(sku="A")).stock == 9
    product = await Product.get(sku="A")
    assert product.stock == sum(
        await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
    )
    # the ledger says who put the units back, and for which order
    restocked = await InventoryMovement.get(reason="REFUND_RESTOCKED")
    assert (restocked.delta, restocked.actor_id, restocked.order_id) == (
        2,
        actors.admin.user_id,
        (await Order.get(number=order["number"])).id,
    )


async def test_full_refund_of_an_unshipped_order_releases_its_stock(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors, shipped=False)
    assert (await Product.get(sku="A")).stock == 7
    result = await refund(gql, actors.admin.token, order, amount="60.00")
    assert result["order"]["status"] == "REFUNDED"
    assert (await Product.get(sku="A")).stock == 10


async def test_only_refund_permission_may_refund(gql: GraphQLClient, actors: Actors) -> None:
    order = await paid_order(gql, actors)
    for token, code in (
        (actors.support.token, "FORBIDDEN"),
        (actors.fulfillment.token, "FORBIDDEN"),
        (actors.customer.token, "FORBIDDEN"),
    ):
        result = await refund(gql, token, order, amount="1.00")
        assert [e["code"] for e in result["errors"]] == [code]
    data = await gql.data(REFUND, {"id": order["id"], "input": {"amount": "1.00"}})
    assert [e["code"] for e in data["refundOrder"]["errors"]] == ["UNAUTHENTICATED"]
    assert await Refund.all().count() == 0


async def test_customer_sees_refunds_but_not_their_reason(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors)
    await refund(gql, actors.admin.token, order, amount="5.00", reason="goodwill, customer shouted")
    query = "query($id: ID!) { order(id: $id) { refunds { amount reason } } }"
    body = await gql(query, {"id": order["id"]}, actors.customer.token, expect_errors=True)
    assert body["data"]["order"]["refunds"] == [{"amount": "5.00", "reason": None}]
    assert "shouted" not in str(body)


async def test_units_restocked_by_a_refund_cannot_be_returned_again(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors)
    item = order["items"][0]["id"]
    restocked = await refund(
        gql,
        actors.admin.token,
        order,
        amount="40.00",
        restock=True,
        items=[{"orderItemId": item, "quantity": 2}],
    )
    assert restocked["errors"] == []
    assert (await Product.get(sku="A")).stock == 9
    # one unit is still with the customer: it may come back, the restocked two may not
    refused = await request_return(gql, actors.customer.token, order, [(0, 2)])
    assert [e["code"] for e in refused["errors"]] == ["QUANTITY_EXCEEDS_RETURNABLE"]
    accepted = await request_return(gql, actors.customer.token, order, [(0, 1)])
    assert accepted["errors"] == []
    return_id = accepted["returnRequest"]["id"]
    assert (await set_status(gql, actors.support.token, return_id, "AUTHORIZED"))["errors"] == []
    received = await set_status(gql, actors.support.token, return_id, "RECEIVED", restock=True)
    assert received["errors"] == []
    assert (await Product.get(sku="A")).stock == 10  # 3 shipped, 3 back: never 11


async def test_restock_bounds_are_exact_and_count_every_line(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Exactly the units left may be restocked, not one more, and two lines for one item
    count together against that bound."""
    order = await paid_order(gql, actors)  # 3 of A shipped
    item = order["items"][0]["id"]
    token = actors.admin.token
    split = await refund(
        gql,
        token,
        order,
        amount="1.00",
        restock=True,
        items=[{"orderItemId": item, "quantity": 2}, {"orderItemId": item, "quantity": 2}],
    )
    assert [(e["code"], e["field"]) for e in split["errors"]] == [
        ("QUANTITY_EXCEEDS_RETURNABLE", ["items", "1", "quantity"])
    ]
    exact = await refund(
        gql, token, order, amount="1.00", restock=True, items=[{"orderItemId": item, "quantity": 3}]
    )
    assert exact["errors"] == []
    assert (await Product.get(sku="A")).stock == 10
    more = await refund(
        gql, token, order, amount="1.00", restock=True, items=[{"orderItemId": item, "quantity": 1}]
    )
    assert [e["code"] for e in more["errors"]] == ["QUANTITY_EXCEEDS_RETURNABLE"]


async def test_a_refund_cannot_settle_another_orders_return(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors)
    other = await paid(gql, actors.other_customer.token, [("A", 1)], actors.admin.token)
    await ship(gql, actors.admin.token, other)
    theirs = await request_return(gql, actors.other_customer.token, other, [(0, 1)])
    result = await refund(
        gql, actors.admin.token, order, amount="5.00", returnId=theirs["returnRequest"]["id"]
    )
    assert [(e["code"], e["field"]) for e in result["errors"]] == [("NOT_FOUND", ["returnId"])]
    assert await Refund.all().count() == 0


async def test_each_bad_line_is_named_and_nothing_is_refunded(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors)  # 3 of A, 60.00 paid
    item = order["items"][0]["id"]
    other = await paid(gql, actors.other_customer.token, [("A", 1)], actors.admin.token)
    token = actors.admin.token
    result = await refund(
        gql,
        token,
        order,
        amount="5.00",
        reason="x" * 2001,
        items=[
            {"orderItemId": item, "quantity": 0},
            {"orderItemId": other["items"][0]["id"], "quantity": 1},
        ],
    )
    assert [(e["code"], e["field"], e["message"]) for e in result["errors"]] == [
        ("INVALID_INPUT", ["reason"], "At most 2000 characters."),
        ("INVALID_INPUT", ["items", "0", "quantity"], "At least one unit."),
    ]
    foreign = await refund(
        gql,
        token,
        order,
        amount="5.00",
        items=[{"orderItemId": other["items"][0]["id"], "quantity": 1}],
    )
    assert [(e["code"], e["field"], e["message"]) for e in foreign["errors"]] == [
        ("NOT_FOUND", ["items", "0", "orderItemId"], "Not an item of this order.")
    ]
    # without restock the bound is what was ordered, and the message says refunded
    too_many = await refund(
        gql, token, order, amount="5.00", items=[{"orderItemId": item, "quantity": 4}]
    )
    assert [(e["code"], e["message"]) for e in too_many["errors"]] == [
        ("QUANTITY_EXCEEDS_RETURNABLE", "Only 3 unit(s) of A can be refunded.")
    ]
    restock = await refund(
        gql,
        token,
        order,
        amount="5.00",
        restock=True,
        items=[{"orderItemId": item, "quantity": 4}],
    )
    assert [e["message"] for e in restock["errors"]] == ["Only 3 unit(s) of A can be restocked."]
    no_return = await refund(gql, token, order, amount="5.00", returnId="UmV0dXJuOjk5OTk=")
    assert [(e["code"], e["message"]) for e in no_return["errors"]] == [
        ("NOT_FOUND", "Return not found.")
    ]
    assert await Refund.all().count() == 0
    # exactly the longest reason, and every unit ordered without restocking any
    exact = await refund(
        gql,
        token,
        order,
        amount="5.00",
        reason="y" * 2000,
        items=[{"orderItemId": item, "quantity": 3}],
    )
    assert exact["errors"] == []
    assert exact["refund"]["reason"] == "y" * 2000
    assert exact["refund"]["restocked"] is False
    padded = await refund(gql, token, order, amount="1.00", reason="  late parcel \n")
    assert padded["refund"]["reason"] == "late parcel"
    assert (await Product.get(sku="A")).stock == 6  # 10 - 3 - 1 shipped or held, none back


async def test_a_refund_records_who_and_how_in_the_ledger_and_on_the_timeline(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors)  # paid by card through the order's provider
    row = await Order.get(number=order["number"])
    result = await refund(gql, actors.admin.token, order, amount="7.25")
    assert result["errors"] == []
    query = """query($id: ID!) { order(id: $id) {
      refunds { id amount createdBy }
      payment { transactions { kind amount provider method actor } }
      events { edges { node { type data } } } } }"""
    staff = (await gql.data(query, {"id": order["id"]}, actors.admin.token))["order"]
    [made] = staff["refunds"]
    assert made["createdBy"] == actors.admin.email
    refund_row = await Refund.get(order_id=row.id)
    assert refund_row.created_by_id == actors.admin.user_id
    [ledger] = [t for t in staff["payment"]["transactions"] if t["kind"] == "REFUND"]
    assert ledger == {
        "kind": "REFUND",
        "amount": "7.25",
        "provider": row.payment_provider,
        "method": "card",
        "actor": actors.admin.email,
    }
    transaction = await PaymentTransaction.get(order_id=row.id, kind="REFUND")
    [issued] = [e["node"] for e in staff["events"]["edges"] if e["node"]["type"] == "REFUND_ISSUED"]
    assert issued["data"] == {
        "refundId": refund_row.id,
        "transactionId": transaction.id,
        "amount": "7.25",
        "currency": "USD",
    }
    customer = (await gql.data(query, {"id": order["id"]}, actors.customer.token))["order"]
    assert [r["createdBy"] for r in customer["refunds"]] == ["store"]


async def test_a_refund_reported_by_the_provider_keeps_its_provider_and_method(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await paid_order(gql, actors, shipped=False)
    reported = await record_payment(
        gql,
        actors.admin.token,
        order,
        kind="REFUND",
        amount="3.00",
        reference="re_9",
        provider="adyen",
        method="sepa",
    )
    assert reported["errors"] == []
    row = await Order.get(number=order["number"])
    assert await PaymentTransaction.filter(order_id=row.id, kind="REFUND").values_list(
        "provider", "method", "reference"
    ) == [("adyen", "sepa", "re_9")]


async def test_an_order_takes_at_most_twenty_refunds_and_a_missing_one_is_named(
    gql: GraphQLClient, actors: Actors
) -> None:
    """The twentieth refund is recorded, the twenty-first refused on the order (and only on
    this order: another's refunds do not count); refunding no such order names orderId."""
    order = await paid_order(gql, actors, shipped=False)
    other = await paid(gql, actors.customer.token, [("A", 1)], actors.admin.token)
    assert (await refund(gql, actors.admin.token, other, amount="0.01", items=[]))["errors"] == []
    for _ in range(20):
        made = await refund(gql, actors.admin.token, order, amount="0.01", items=[])
        assert made["errors"] == []
    refused = await refund(gql, actors.admin.token, order, amount="0.01", items=[])
    assert refused["errors"] == [
        {
            "code": "LIMIT_REACHED",
            "message": "An order has at most 20 refunds.",
            "field": ["orderId"],
        }
    ]
    assert await Refund.filter(order__number=order["number"]).count() == 20
    missing = await gql.data(
        REFUND, {"id": MISSING_ORDER, "input": {"amount": "1.00", "items": []}}, actors.admin.token
    )
    assert missing["refundOrder"]["errors"] == [
        {"code": "NOT_FOUND", "message": "Order not found.", "field": ["orderId"]}
    ]


async def test_a_confirmed_refund_request_settles_its_return_and_is_named_in_the_event(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Staff ask for a refund of a received return; the payment back end confirms it by the
    request's id: the refund is the return's (REFUNDED), and REFUND_ISSUED names the request."""
    from tests.factories import timeline
    from tests.test_cancellation import ask

    order = await paid_order(gql, actors)
    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    await set_status(gql, actors.support.token, request["id"], "AUTHORIZED")
    await set_status(gql, actors.support.token, request["id"], "RECEIVED")
    asked = await ask(gql, actors.admin.token, order, amount="20.00", returnId=request["id"])
    assert asked["errors"] == []
    asked_id = asked["refundRequest"]["id"]
    confirmed = await record_payment(
        gql, actors.admin.token, order, kind="REFUND", refundRequestId=asked_id, reference="re_9"
    )
    assert confirmed["errors"] == []
    query = "query($id: ID!) { returnRequest(id: $id) { status refund { amount } } }"
    seen = await gql.data(query, {"id": request["id"]}, actors.customer.token)
    assert seen["returnRequest"] == {"status": "REFUNDED", "refund": {"amount": "20.00"}}
    [issued] = [
        e["data"]
        for e in await timeline(gql, actors.admin.token, order["id"])
        if e["type"] == "REFUND_ISSUED"
    ]
    assert sorted(issued) == ["amount", "currency", "refundId", "refundRequestId", "transactionId"]
    assert (issued["amount"], issued["currency"]) == ("20.00", "USD")
    # the timeline's data holds the database's ids (webhooks turn them into global ids)
    [settled] = await RefundRequest.filter(order__number=order["number"]).values_list(
        "id", "refund_id"
    )
    assert (issued["refundRequestId"], issued["refundId"]) == settled
