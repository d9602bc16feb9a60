"""Returns: the state machine, returnable quantities, restock once, authorization, R1."""

from __future__ import annotations

from typing import Any

import pytest

from app.models import InventoryMovement, Order, OrderEvent, Product, Return
from app.services.lifecycle import RETURN_TRANSITIONS as TRANSITIONS
from tests.conftest import Actors, GraphQLClient
from tests.factories import create_product, paid
from tests.test_shipments import ship

REQUEST = """mutation($input: RequestReturnInput!) {
  requestReturn(input: $input) {
    returnRequest { id status customerComment items { quantity reason action orderItem { sku } } }
    errors { code message field }
  }
}"""
SET = """mutation($id: ID!, $status: ReturnStatus!, $note: String! = "",
                 $restock: Boolean! = false) {
  setReturnStatus(id: $id, status: $status, note: $note, restock: $restock) {
    returnRequest { status restocked } errors { code message field }
  }
}"""
STATUSES = ["PENDING", "AUTHORIZED", "RECEIVED", "REPAIRED", "REFUNDED", "REJECTED", "CANCELLED"]


async def shipped_order(
    gql: GraphQLClient, actors: Actors, ship_quantities: list[tuple[int, int]] | None = None
) -> dict[str, Any]:
    await create_product(gql, actors.admin.token, "A", stock=20, price="10.00")
    await create_product(gql, actors.admin.token, "B", stock=20, price="5.00")
    order = await paid(gql, actors.customer.token, [("A", 3), ("B", 2)], actors.admin.token)
    await ship(gql, actors.admin.token, order, items=ship_quantities)
    return order


async def request_return(
    gql: GraphQLClient,
    token: str | None,
    order: dict[str, Any],
    lines: list[tuple[int, int]],
    comment: str = "",
) -> dict[str, Any]:
    items = [
        {"orderItemId": order["items"][i]["id"], "quantity": q, "reason": "too small"}
        for i, q in lines
    ]
    data = await gql.data(
        REQUEST,
        {"input": {"orderId": order["id"], "items": items, "customerComment": comment}},
        token,
    )
    result: dict[str, Any] = data["requestReturn"]
    return result


async def set_status(
    gql: GraphQLClient, token: str | None, return_id: str, status: str, **extra: Any
) -> dict[str, Any]:
    data = await gql.data(SET, {"id": return_id, "status": status, **extra}, token)
    result: dict[str, Any] = data["setReturnStatus"]
    return result


async def test_customer_requests_a_return_of_shipped_items(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_order(gql, actors)
    result = await request_return(gql, actors.customer.token, order, [(0, 2)], comment="Wrong size")
    assert result["errors"] == []
    request = result["returnRequest"]
    assert request["status"] == "PENDING"
    assert request["customerComment"] == "Wrong size"
    assert request["items"] == [
        {"quantity": 2, "reason": "too small", "action": "REFUND", "orderItem": {"sku": "A"}}
    ]
    events = await OrderEvent.filter(type="RETURN_REQUESTED").values_list("visibility", flat=True)
    assert events == ["PUBLIC"]


async def test_returnable_quantity_with_partial_shipments_and_several_returns(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_order(gql, actors, ship_quantities=[(0, 2)])  # 2 of 3 A shipped, no B
    token = actors.customer.token
    unshipped = await request_return(gql, token, order, [(1, 1)])
    assert unshipped["errors"][0]["code"] == "QUANTITY_EXCEEDS_RETURNABLE"
    first = await request_return(gql, token, order, [(0, 1)])
    assert first["errors"] == []
    too_many = await request_return(gql, token, order, [(0, 2)])
    assert too_many["errors"] == [
        {
            "code": "QUANTITY_EXCEEDS_RETURNABLE",
            "message": "Only 1 shipped unit(s) of this item can be returned.",
            "field": ["items", "0", "quantity"],
        }
    ]
    # the same line twice adds up
    doubled = await request_return(gql, token, order, [(0, 1), (0, 1)])
    assert doubled["errors"][0]["code"] == "QUANTITY_EXCEEDS_RETURNABLE"
    second = await request_return(gql, token, order, [(0, 1)])
    assert second["errors"] == []
    # a cancelled request frees its units again
    assert (await set_status(gql, token, first["returnRequest"]["id"], "CANCELLED"))["errors"] == []
    third = await request_return(gql, token, order, [(0, 1)])
    assert third["errors"] == []
    # ship the rest: those units become returnable
    await ship(gql, actors.admin.token, order)
    later = await request_return(gql, token, order, [(0, 1), (1, 2)])
    assert later["errors"] == []
    assert await Return.all().count() == 4


@pytest.mark.parametrize("start", STATUSES)
@pytest.mark.parametrize("target", STATUSES)
def test_the_state_machine_is_data(start: str, target: str) -> None:
    legal = {
        ("PENDING", "AUTHORIZED"),
        ("PENDING", "REJECTED"),
        ("PENDING", "CANCELLED"),
        ("AUTHORIZED", "RECEIVED"),
        ("AUTHORIZED", "CANCELLED"),
        ("RECEIVED", "REFUNDED"),
        ("RECEIVED", "REPAIRED"),
    }
    assert (target in {s.value for s in TRANSITIONS[start]}) == ((start, target) in legal)  # type: ignore[index]


async def walk(
    gql: GraphQLClient, actors: Actors, path: list[str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    order = await shipped_order(gql, actors)
    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    results = [await set_status(gql, actors.support.token, request["id"], s) for s in path]
    return request, results


@pytest.mark.parametrize(
    "path",
    [
        ["AUTHORIZED", "RECEIVED", "REFUNDED"],
        ["AUTHORIZED", "RECEIVED", "REPAIRED"],
        ["AUTHORIZED", "CANCELLED"],
        ["REJECTED"],
        ["CANCELLED"],
    ],
)
async def test_every_legal_path_over_the_api(
    gql: GraphQLClient, actors: Actors, path: list[str]
) -> None:
    _, results = await walk(gql, actors, path)
    assert [r["errors"] for r in results] == [[]] * len(path)
    assert [r["returnRequest"]["status"] for r in results] == path


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], "RECEIVED"),
        ([], "REFUNDED"),
        (["AUTHORIZED"], "REFUNDED"),
        (["AUTHORIZED"], "REJECTED"),
        (["REJECTED"], "AUTHORIZED"),
        (["AUTHORIZED", "RECEIVED"], "CANCELLED"),
        (["AUTHORIZED", "RECEIVED", "REFUNDED"], "RECEIVED"),
        (["CANCELLED"], "PENDING"),
    ],
)
async def test_illegal_moves_are_refused(
    gql: GraphQLClient, actors: Actors, path: list[str], illegal: str
) -> None:
    request, _ = await walk(gql, actors, path)
    result = await set_status(gql, actors.support.token, request["id"], illegal)
    assert [e["code"] for e in result["errors"]] == ["INVALID_STATUS_TRANSITION"]
    row = await Return.all().first()
    assert row is not None
    assert row.status == (path[-1] if path else "PENDING")


async def test_restock_once_and_order_returned(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_order(gql, actors)
    assert (await Product.get(sku="A")).stock == 17
    token = actors.support.token
    request = (await request_return(gql, actors.customer.token, order, [(0, 3), (1, 2)]))[
        "returnRequest"
    ]
    refused = await set_status(gql, token, request["id"], "AUTHORIZED", restock=True)
    assert refused["errors"][0]["field"] == ["restock"]
    await set_status(gql, token, request["id"], "AUTHORIZED")
    received = await set_status(gql, token, request["id"], "RECEIVED", restock=True)
    assert received["returnRequest"]["restocked"] is True
    assert (await Product.get(sku="A")).stock == 20
    assert (await Product.get(sku="B")).stock == 20
    # every shipped unit is back: the order is RETURNED
    row = await Order.get(number=order["number"])
    assert row.status == "RETURNED"
    # the receipt cannot happen twice, so neither can the restock
    again = await set_status(gql, token, request["id"], "RECEIVED", restock=True)
    assert again["errors"][0]["code"] == "INVALID_STATUS_TRANSITION"
    assert (await Product.get(sku="A")).stock == 20
    deltas = await InventoryMovement.filter(reason="RETURN_RESTOCKED").values_list(
        "delta", flat=True
    )
    assert sorted(deltas) == [2, 3]
    for sku in ("A", "B"):
        product = await Product.get(sku=sku)
        assert product.stock == sum(
            await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
        )


async def test_received_without_restock_keeps_stock(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_order(gql, actors)
    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    await set_status(gql, actors.support.token, request["id"], "AUTHORIZED")
    await set_status(gql, actors.support.token, request["id"], "RECEIVED")
    assert (await Product.get(sku="A")).stock == 17
    query = "query($id: ID!) { order(id: $id) { status items { quantityReturned } } }"
    seen = await gql.data(query, {"id": order["id"]}, actors.admin.token)
    assert seen["order"] == {
        "status": "SHIPPED",
        "items": [{"quantityReturned": 1}, {"quantityReturned": 0}],
    }


async def test_authorization(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_order(gql, actors)
    foreign = await request_return(gql, actors.other_customer.token, order, [(0, 1)])
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]
    anonymous = await request_return(gql, None, order, [(0, 1)])
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    fulfillment = await request_return(gql, actors.fulfillment.token, order, [(0, 1)])
    assert [e["code"] for e in fulfillment["errors"]] == ["FORBIDDEN"]
    by_staff = await request_return(gql, actors.support.token, order, [(0, 1)])
    assert by_staff["errors"] == []
    request_id = by_staff["returnRequest"]["id"]
    # the customer may only cancel; another customer sees nothing
    assert [
        e["code"]
        for e in (await set_status(gql, actors.customer.token, request_id, "AUTHORIZED"))["errors"]
    ] == ["FORBIDDEN"]
    assert [
        e["code"]
        for e in (await set_status(gql, actors.other_customer.token, request_id, "CANCELLED"))[
            "errors"
        ]
    ] == ["NOT_FOUND"]
    assert [
        e["code"]
        for e in (await set_status(gql, actors.fulfillment.token, request_id, "AUTHORIZED"))[
            "errors"
        ]
    ] == ["FORBIDDEN"]
    await set_status(gql, actors.support.token, request_id, "AUTHORIZED")
    late = await set_status(gql, actors.customer.token, request_id, "CANCELLED")
    assert [e["code"] for e in late["errors"]] == ["INVALID_STATUS_TRANSITION"]
    # listing: customers see their own, others none
    query = "{ returns { edges { node { status order { number } } } } }"
    mine = await gql.data(query, token=actors.customer.token)
    assert [e["node"]["order"]["number"] for e in mine["returns"]["edges"]] == [order["number"]]
    theirs = await gql.data(query, token=actors.other_customer.token)
    assert theirs["returns"]["edges"] == []
    one = "query($id: ID!) { returnRequest(id: $id) { status } }"
    assert (await gql.data(one, {"id": request_id}, actors.other_customer.token))[
        "returnRequest"
    ] is None
    assert (await gql.data(one, {"id": request_id}, actors.customer.token))["returnRequest"] == {
        "status": "AUTHORIZED"
    }


async def test_r1_return_staff_notes(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_order(gql, actors)
    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    noted = await set_status(
        gql, actors.support.token, request["id"], "AUTHORIZED", note="Box was opened - SUSPICIOUS"
    )
    assert noted["errors"] == []
    query = """query($id: ID!, $o: ID!) { returnRequest(id: $id) { staffNotes }
      order(id: $o) { events { edges { node { type message } } } } }"""
    staff = await gql.data(query, {"id": request["id"], "o": order["id"]}, actors.admin.token)
    assert staff["returnRequest"]["staffNotes"] == "Box was opened - SUSPICIOUS"
    body = await gql(
        query, {"id": request["id"], "o": order["id"]}, actors.customer.token, expect_errors=True
    )
    assert body["data"]["returnRequest"]["staffNotes"] is None
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "SUSPICIOUS" not in str(body)


async def test_the_timeline_tells_the_return_and_the_returned_order(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A customer's note on their return is PUBLIC, a staff note is STAFF, and the order
    becoming RETURNED is on the timeline customers see."""
    order = await shipped_order(gql, actors)
    token = actors.support.token
    request = (await request_return(gql, actors.customer.token, order, [(0, 3), (1, 2)]))[
        "returnRequest"
    ]
    await set_status(gql, actors.customer.token, request["id"], "CANCELLED", note="Kept them")
    again = (await request_return(gql, actors.customer.token, order, [(0, 3), (1, 2)]))[
        "returnRequest"
    ]
    await set_status(gql, token, again["id"], "AUTHORIZED", note="Label sent by post")
    await set_status(gql, token, again["id"], "RECEIVED", restock=True)
    row = await Order.get(number=order["number"])
    timeline = (
        await OrderEvent.filter(order_id=row.id)
        .order_by("id")
        .values_list("type", "visibility", "message")
    )
    notes = [(v, m) for t, v, m in timeline if t == "RETURN_NOTE"]
    assert notes == [("PUBLIC", "Kept them"), ("STAFF", "Label sent by post")]
    assert (
        "STATUS_CHANGED",
        "PUBLIC",
        "Status changed from SHIPPED to RETURNED.",
    ) in timeline


async def test_claims_are_counted_per_item_and_a_received_return_keeps_its_units(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_order(gql, actors)  # 3 A and 2 B shipped
    token = actors.customer.token
    first = await request_return(gql, token, order, [(0, 1), (1, 2)])
    assert first["errors"] == []
    # B's two units are claimed; A still has two
    assert [e["code"] for e in (await request_return(gql, token, order, [(1, 1)]))["errors"]] == [
        "QUANTITY_EXCEEDS_RETURNABLE"
    ]
    request_id = first["returnRequest"]["id"]
    await set_status(gql, actors.support.token, request_id, "AUTHORIZED")
    received = await set_status(gql, actors.support.token, request_id, "RECEIVED")
    assert received["errors"] == []
    # received without restock: the unit is back with the store, not returnable again
    again = await request_return(gql, token, order, [(0, 3)])
    assert [(e["code"], e["message"]) for e in again["errors"]] == [
        ("QUANTITY_EXCEEDS_RETURNABLE", "Only 2 shipped unit(s) of this item can be returned.")
    ]
    assert (await request_return(gql, token, order, [(0, 2)]))["errors"] == []


async def test_units_restocked_by_a_refund_and_on_their_way_back_both_count(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_order(gql, actors)  # 3 A shipped
    token = actors.customer.token
    refunded = await gql.data(
        """mutation($id: ID!, $input: RefundOrderInput!) {
          refundOrder(orderId: $id, input: $input) { errors { code } } }""",
        {
            "id": order["id"],
            "input": {
                "amount": "10.00",
                "restock": True,
                "items": [{"orderItemId": order["items"][0]["id"], "quantity": 1}],
            },
        },
        actors.admin.token,
    )
    assert refunded["refundOrder"]["errors"] == []
    assert (await request_return(gql, token, order, [(0, 1)]))["errors"] == []
    # 3 shipped, 1 restocked, 1 on its way back: one left with the customer
    too_many = await request_return(gql, token, order, [(0, 2)])
    assert [e["message"] for e in too_many["errors"]] == [
        "Only 1 shipped unit(s) of this item can be returned."
    ]
    assert (await request_return(gql, token, order, [(0, 1)]))["errors"] == []


async def test_bad_requests_name_their_field(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_order(gql, actors)
    other = await paid(gql, actors.other_customer.token, [("A", 1)], actors.admin.token)
    token = actors.customer.token
    empty = await gql.data(REQUEST, {"input": {"orderId": order["id"], "items": []}}, token)
    assert [(e["code"], e["field"], e["message"]) for e in empty["requestReturn"]["errors"]] == [
        ("INVALID_INPUT", ["items"], "Choose 1 to 100 lines to return.")
    ]
    foreign_item = await gql.data(
        REQUEST,
        {
            "input": {
                "orderId": order["id"],
                "items": [{"orderItemId": other["items"][0]["id"], "quantity": 1}],
            }
        },
        token,
    )
    assert [
        (e["code"], e["field"], e["message"]) for e in foreign_item["requestReturn"]["errors"]
    ] == [("NOT_FOUND", ["items", "0", "orderItemId"], "Not an item of this order.")]
    foreign_order = await request_return(gql, actors.other_customer.token, order, [(0, 1)])
    assert [(e["code"], e["field"], e["message"]) for e in foreign_order["errors"]] == [
        ("NOT_FOUND", ["orderId"], "Order not found.")
    ]
    assert await Return.all().count() == 0
    # ten requests an order, each cancelled so its units are free again
    for _ in range(10):
        made = await request_return(gql, token, order, [(0, 1)])
        assert made["errors"] == []
        await set_status(gql, token, made["returnRequest"]["id"], "CANCELLED")
    eleventh = await request_return(gql, token, order, [(0, 1)])
    assert [(e["code"], e["field"]) for e in eleventh["errors"]] == [("LIMIT_REACHED", ["orderId"])]


async def test_a_note_of_exactly_the_limit_is_kept_and_one_more_is_refused(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_order(gql, actors)
    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    long = await set_status(gql, actors.support.token, request["id"], "AUTHORIZED", note="n" * 2001)
    assert [(e["code"], e["field"], e["message"]) for e in long["errors"]] == [
        ("INVALID_INPUT", ["note"], "At most 2000 characters.")
    ]
    exact = await set_status(
        gql, actors.support.token, request["id"], "AUTHORIZED", note="n" * 2000
    )
    assert exact["errors"] == []


async def test_the_timeline_carries_each_return_move_and_its_id(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await shipped_order(gql, actors)
    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    await set_status(gql, actors.support.token, request["id"], "AUTHORIZED")
    await set_status(gql, actors.support.token, request["id"], "RECEIVED", restock=True)
    row = await Order.get(number=order["number"])
    return_id = (await Return.get(order_id=row.id)).id
    timeline = (
        await OrderEvent.filter(
            order_id=row.id, type__in=["RETURN_REQUESTED", "RETURN_STATUS_CHANGED"]
        )
        .order_by("id")
        .values_list("type", "data")
    )
    assert timeline == [
        ("RETURN_REQUESTED", {"returnId": return_id}),
        ("RETURN_STATUS_CHANGED", {"returnId": return_id, "from": "PENDING", "to": "AUTHORIZED"}),
        ("RETURN_STATUS_CHANGED", {"returnId": return_id, "from": "AUTHORIZED", "to": "RECEIVED"}),
    ]
    [movement] = await InventoryMovement.filter(reason="RETURN_RESTOCKED")
    assert movement.actor_id == actors.support.user_id


async def test_returns_filtered_by_order(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_order(gql, actors)
    other = await paid(gql, actors.customer.token, [("A", 1)], actors.admin.token)
    await ship(gql, actors.admin.token, other)
    await request_return(gql, actors.customer.token, order, [(0, 1)])
    await request_return(gql, actors.customer.token, other, [(0, 1)])
    query = """query($o: ID!) { returns(filter: {orderId: $o}) {
      edges { node { order { number } } } } }"""
    for token in (actors.admin.token, actors.customer.token):
        seen = await gql.data(query, {"o": other["id"]}, token)
        assert [e["node"]["order"]["number"] for e in seen["returns"]["edges"]] == [other["number"]]


async def test_more_return_edges_name_their_field(gql: GraphQLClient, actors: Actors) -> None:
    order = await shipped_order(gql, actors)
    token = actors.customer.token
    long = await request_return(gql, token, order, [(0, 1)], comment="c" * 2001)
    assert [(e["field"], e["message"]) for e in long["errors"]] == [
        (["customerComment"], "At most 2000 characters.")
    ]
    first = await request_return(gql, token, order, [(0, 1)], comment="c" * 2000)
    assert first["errors"] == []
    second = await request_return(gql, token, order, [(1, 1)])
    missing_order = await gql.data(
        REQUEST,
        {
            "input": {
                "orderId": "T3JkZXI6OTk5OTk=",
                "items": [{"orderItemId": order["items"][0]["id"], "quantity": 1}],
            }
        },
        actors.support.token,
    )
    assert [e["field"] for e in missing_order["requestReturn"]["errors"]] == [["orderId"]]
    missing = await set_status(gql, actors.support.token, "UmV0dXJuOjk5OTk5", "AUTHORIZED")
    assert [(e["code"], e["field"]) for e in missing["errors"]] == [("NOT_FOUND", ["id"])]
    customer = await set_status(gql, token, first["returnRequest"]["id"], "AUTHORIZED")
    assert [(e["code"], e["field"]) for e in customer["errors"]] == [("FORBIDDEN", ["status"])]
    listed = await gql.data("{ returns { edges { node { id } } } }", token=actors.admin.token)
    assert [e["node"]["id"] for e in listed["returns"]["edges"]] == [
        second["returnRequest"]["id"],
        first["returnRequest"]["id"],
    ]


async def test_each_line_of_a_return_is_checked_and_kept_as_asked(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A line of no units and a reason past 500 characters are named by their index; a line's
    action is kept; 100 lines are taken and 101 refused."""
    order = await shipped_order(gql, actors)  # 3 A and 2 B shipped
    token = actors.customer.token
    a, b = (item["id"] for item in order["items"])

    async def ask(items: list[dict[str, Any]]) -> dict[str, Any]:
        data = await gql.data(REQUEST, {"input": {"orderId": order["id"], "items": items}}, token)
        result: dict[str, Any] = data["requestReturn"]
        return result

    bad = await ask(
        [
            {"orderItemId": a, "quantity": 0},
            {"orderItemId": b, "quantity": 1, "reason": "r" * 501},
        ]
    )
    assert bad["errors"] == [
        {
            "code": "INVALID_INPUT",
            "message": "Return at least one unit.",
            "field": ["items", "0", "quantity"],
        },
        {
            "code": "INVALID_INPUT",
            "message": "At most 500 characters.",
            "field": ["items", "1", "reason"],
        },
    ]
    kept = await ask([{"orderItemId": b, "quantity": 1, "reason": "r" * 500, "action": "REPAIR"}])
    assert kept["errors"] == []
    assert [(i["action"], i["reason"]) for i in kept["returnRequest"]["items"]] == [
        ("REPAIR", "r" * 500)
    ]
    await create_product(gql, actors.admin.token, "C", stock=100)
    await create_product(gql, actors.admin.token, "D", stock=100)
    many = await paid(gql, actors.customer.token, [("C", 51), ("D", 51)], actors.admin.token)
    await ship(gql, actors.admin.token, many)
    c, d = ({"orderItemId": item["id"], "quantity": 1} for item in many["items"])
    too_many = await gql.data(
        REQUEST, {"input": {"orderId": many["id"], "items": [c, d] * 50 + [c]}}, token
    )
    assert too_many["requestReturn"]["errors"] == [
        {
            "code": "INVALID_INPUT",
            "message": "Choose 1 to 100 lines to return.",
            "field": ["items"],
        }
    ]
    most = await gql.data(REQUEST, {"input": {"orderId": many["id"], "items": [c, d] * 50}}, token)
    assert most["requestReturn"]["errors"] == []
    assert len(most["requestReturn"]["returnRequest"]["items"]) == 100


async def test_received_and_pending_returns_both_claim_their_units(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A received return (not restocked) and a pending one of the same item each keep their
    unit: of 3 shipped, 1 is left to return. The list filters by status; an illegal move
    names the status; restocking at receipt is kept on the return and the ledger names the
    order; staff and customer notes name their return."""
    order = await shipped_order(gql, actors)  # 3 A shipped
    staff, customer = actors.support.token, actors.customer.token
    first = (await request_return(gql, customer, order, [(0, 1)]))["returnRequest"]
    await set_status(gql, staff, first["id"], "AUTHORIZED", note="Label sent")
    assert (await set_status(gql, staff, first["id"], "RECEIVED"))["errors"] == []
    second = (await request_return(gql, customer, order, [(0, 1)]))["returnRequest"]
    two = await request_return(gql, customer, order, [(0, 2)])
    assert [(e["code"], e["message"]) for e in two["errors"]] == [
        ("QUANTITY_EXCEEDS_RETURNABLE", "Only 1 shipped unit(s) of this item can be returned.")
    ]
    pending = await gql.data(
        "{ returns(filter: {status: [PENDING]}) { edges { node { id } } } }", token=staff
    )
    assert [e["node"]["id"] for e in pending["returns"]["edges"]] == [second["id"]]
    illegal = await set_status(gql, staff, second["id"], "RECEIVED")
    assert illegal["errors"] == [
        {
            "code": "INVALID_STATUS_TRANSITION",
            "message": "A PENDING return cannot become RECEIVED.",
            "field": ["status"],
        }
    ]
    await set_status(gql, customer, second["id"], "CANCELLED", note="Kept it")
    third = (await request_return(gql, customer, order, [(0, 1)]))["returnRequest"]
    await set_status(gql, staff, third["id"], "AUTHORIZED")
    assert (await set_status(gql, staff, third["id"], "RECEIVED", restock=True))["errors"] == []
    seen = await gql.data(
        "query($id: ID!) { returnRequest(id: $id) { restocked } }", {"id": third["id"]}, staff
    )
    assert seen == {"returnRequest": {"restocked": True}}
    row = await Order.get(number=order["number"])
    [movement] = await InventoryMovement.filter(reason="RETURN_RESTOCKED")
    assert (movement.delta, movement.order_id) == (1, row.id)
    ids = await Return.filter(order_id=row.id).order_by("id").values_list("id", flat=True)
    notes = (
        await OrderEvent.filter(order_id=row.id, type="RETURN_NOTE")
        .order_by("id")
        .values_list("visibility", "data")
    )
    assert notes == [("STAFF", {"returnId": ids[0]}), ("PUBLIC", {"returnId": ids[1]})]
