"""Ship items: R4 tracking copy, R5 status, R6 bounds (also concurrent), R7 delete."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest

from app.db import atomic
from app.models import InventoryMovement, Order, OrderEvent, OrderItem, Product, Shipment
from app.services.errors import DomainError, ErrorCode, Issue
from app.services.shipments import _mark_shipped
from tests.conftest import Actors, GraphQLClient
from tests.factories import create_product, paid, placed, timeline
from tests.test_fulfilment import ADD_TRACKING, SET_STATUS, UPS_OK

SHIP = """mutation($id: ID!, $input: ShipOrderInput) {
  shipOrder(orderId: $id, input: $input) {
    shipment {
      id trackingNumber carrier trackingUrl shippingMethod comments createdBy
      shippedTo { firstName lastName city country }
      items { sku quantity orderItem { sku } }
    }
    order { status trackingNumber items { sku quantityShipped } }
    errors { code message field }
  }
}"""
DELETE = """mutation($id: ID!) { deleteShipment(id: $id) {
  deletedShipmentId order { status fulfillmentStatus trackingNumber items { quantityShipped } }
  errors { code } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateOrderInput!) {
  updateOrder(id: $id, input: $input) { errors { code } } }"""


async def ship(
    gql: GraphQLClient,
    token: str | None,
    order: dict[str, Any],
    items: list[tuple[int, int]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    input_: dict[str, Any] = dict(extra)
    if items is not None:
        input_["items"] = [
            {"orderItemId": order["items"][i]["id"], "quantity": q} for i, q in items
        ]
    data = await gql.data(SHIP, {"id": order["id"], "input": input_}, token)
    result: dict[str, Any] = data["shipOrder"]
    return result


async def product_stock(sku: str) -> int:
    return (await Product.get(sku=sku)).stock


async def two_line_order(gql: GraphQLClient, actors: Actors) -> dict[str, Any]:
    await create_product(gql, actors.admin.token, "A", stock=50)
    await create_product(gql, actors.admin.token, "B", stock=50)
    return await paid(
        gql,
        actors.customer.token,
        [("A", 3), ("B", 1)],
        actors.admin.token,
        kind="AUTHORIZATION",
        shippingMethod="Standard",
    )


async def test_r4_shipment_takes_the_orders_tracking_number(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, actors.admin.token)
    result = await ship(gql, actors.fulfillment.token, order, comments="Fragile")
    shipment = result["shipment"]
    assert (shipment["trackingNumber"], shipment["carrier"]) == (UPS_OK, "ups")
    assert shipment["trackingUrl"].endswith(UPS_OK)
    assert shipment["shippingMethod"] == "standard"
    assert shipment["comments"] == "Fragile"
    assert shipment["createdBy"] == actors.fulfillment.email
    assert shipment["shippedTo"] == {
        "firstName": "Alice",
        "lastName": "Liddell",
        "city": "Oxford",
        "country": "GB",
    }
    assert [(i["sku"], i["quantity"], i["orderItem"]["sku"]) for i in shipment["items"]] == [
        ("A", 3, "A"),
        ("B", 1, "B"),
    ]


async def test_a_given_tracking_number_wins_and_fills_an_empty_order(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    result = await ship(gql, actors.admin.token, order, trackingNumber="RB123456785GB")
    assert result["shipment"]["trackingNumber"] == "RB123456785GB"
    assert result["order"]["trackingNumber"] == "RB123456785GB"
    typo = await two_line_order_again(gql, actors)
    refused = await ship(
        gql, actors.admin.token, typo, trackingNumber="1Z999AA10123456785", carrier="ups"
    )
    assert [e["code"] for e in refused["errors"]] == ["INVALID_TRACKING_NUMBER"]
    assert await Shipment.filter(order_id=int(typo["number"]) - 99).count() == 0


async def two_line_order_again(gql: GraphQLClient, actors: Actors) -> dict[str, Any]:
    return await placed(gql, actors.customer.token, [("A", 1)])


async def test_r5_partial_then_full(gql: GraphQLClient, actors: Actors) -> None:
    order = await two_line_order(gql, actors)
    token = actors.fulfillment.token
    first = await ship(gql, token, order, items=[(0, 2)])
    assert first["order"]["status"] == "PARTIALLY_SHIPPED"
    assert [i["quantityShipped"] for i in first["order"]["items"]] == [2, 0]
    second = await ship(gql, token, order)  # the rest by default
    assert [(i["sku"], i["quantity"]) for i in second["shipment"]["items"]] == [("A", 1), ("B", 1)]
    assert second["order"]["status"] == "SHIPPED"
    nothing = await ship(gql, token, order)
    assert [e["code"] for e in nothing["errors"]] == ["NOTHING_TO_SHIP"]


async def test_r6_never_more_than_ordered_minus_shipped(gql: GraphQLClient, actors: Actors) -> None:
    order = await two_line_order(gql, actors)
    token = actors.fulfillment.token
    await ship(gql, token, order, items=[(0, 2)])
    too_many = await ship(gql, token, order, items=[(0, 2)])
    assert too_many["errors"] == [
        {
            "code": "QUANTITY_EXCEEDS_UNSHIPPED",
            "message": "Only 1 of A are left to ship.",
            "field": ["items", "0", "quantity"],
        }
    ]
    split = await ship(gql, token, order, items=[(0, 1), (0, 1)])  # the same line twice adds up
    assert [e["code"] for e in split["errors"]] == ["QUANTITY_EXCEEDS_UNSHIPPED"]
    zero = await ship(gql, token, order, items=[(1, 0)])
    assert [e["code"] for e in zero["errors"]] == ["INVALID_INPUT"]
    assert await OrderItem.filter(sku="A").values_list("quantity_shipped", flat=True) == [2]
    assert await Shipment.all().count() == 1


async def test_r6_concurrent_ship_calls_make_one_shipment(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    results = await asyncio.gather(*(ship(gql, actors.fulfillment.token, order) for _ in range(8)))
    made = [r for r in results if r["shipment"] is not None]
    assert len(made) == 1
    assert sorted({e["code"] for r in results for e in r["errors"]}) == ["NOTHING_TO_SHIP"]
    assert await Shipment.all().count() == 1
    assert await OrderItem.all().order_by("id").values_list("quantity_shipped", flat=True) == [3, 1]


async def test_items_of_another_order_are_not_found(gql: GraphQLClient, actors: Actors) -> None:
    order = await two_line_order(gql, actors)
    other = await placed(gql, None, [("A", 1)])
    foreign = other["items"][0]["id"]
    data = await gql.data(
        SHIP,
        {"id": order["id"], "input": {"items": [{"orderItemId": foreign, "quantity": 1}]}},
        actors.admin.token,
    )
    assert data["shipOrder"]["errors"][0]["code"] == "NOT_FOUND"
    assert data["shipOrder"]["errors"][0]["field"] == ["items", "0", "orderItemId"]


async def test_unshippable_statuses_are_refused(gql: GraphQLClient, actors: Actors) -> None:
    order = await two_line_order(gql, actors)
    for status in ("CANCELLED", "DECLINED", "REFUNDED", "INCOMPLETE"):
        await gql.data(SET_STATUS, {"id": order["id"], "status": status}, actors.admin.token)
        result = await ship(gql, actors.admin.token, order)
        assert result["errors"] == [
            {
                "code": "ORDER_NOT_SHIPPABLE",
                "message": f"A {status} order cannot be shipped.",
                "field": ["orderId"],
            }
        ]
    assert await Shipment.all().count() == 0


async def test_r7_deleting_a_shipment_leaves_the_order_as_it_was(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, token)
    await gql.data(UPDATE, {"id": order["id"], "input": {"staffNotes": "check box"}}, token)
    shipped = await ship(gql, token, order)
    assert shipped["order"]["status"] == "SHIPPED"
    before = await Order.get(number=order["number"])
    data = await gql.data(DELETE, {"id": shipped["shipment"]["id"]}, token)
    result = data["deleteShipment"]
    assert result["errors"] == []
    assert result["deletedShipmentId"] == shipped["shipment"]["id"]
    assert result["order"]["status"] == "SHIPPED"
    # nothing is shipped any more: the derived fulfillment says so (the status stays, R7)
    assert result["order"]["fulfillmentStatus"] == "UNFULFILLED"
    assert result["order"]["trackingNumber"] == UPS_OK
    assert [i["quantityShipped"] for i in result["order"]["items"]] == [0, 0]
    after = await Order.get(number=order["number"])
    assert (
        after.status,
        after.tracking_number,
        after.carrier,
        after.staff_notes,
        after.version,
    ) == (
        before.status,
        before.tracking_number,
        before.carrier,
        before.staff_notes,
        before.version,
    )
    # its quantities can be shipped again
    again = await ship(gql, token, order)
    assert [(i["sku"], i["quantity"]) for i in again["shipment"]["items"]] == [("A", 3), ("B", 1)]
    # the deletion is on the staff timeline only
    events = await OrderEvent.filter(order_id=after.id, type="SHIPMENT_DELETED").values_list(
        "visibility", flat=True
    )
    assert events == ["STAFF"]
    gone = await gql.data(DELETE, {"id": shipped["shipment"]["id"]}, token)
    assert gone["deleteShipment"]["errors"] == [{"code": "NOT_FOUND"}]


async def test_shipment_permissions(gql: GraphQLClient, actors: Actors) -> None:
    order = await two_line_order(gql, actors)
    for token, code in (
        (actors.support.token, "FORBIDDEN"),
        (actors.customer.token, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        result = await ship(gql, token, order)
        assert [e["code"] for e in result["errors"]] == [code]
    made = await ship(gql, actors.fulfillment.token, order)
    for token in (actors.support.token, actors.customer.token):
        data = await gql.data(DELETE, {"id": made["shipment"]["id"]}, token)
        assert data["deleteShipment"]["errors"] == [{"code": "FORBIDDEN"}]
    assert await Shipment.all().count() == 1


SHIPMENTS = """query($filter: ShipmentFilterInput, $first: Int) {
  shipments(first: $first, filter: $filter) { totalCount edges { node {
    trackingNumber createdBy order { number } shippedTo { lastName } } } } }"""


async def test_shipments_list_answers_when_to_whom_where(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=50)
    token = actors.admin.token
    alice = await placed(gql, actors.customer.token, [("A", 1)])
    bob = await placed(
        gql,
        actors.other_customer.token,
        [("A", 1)],
        billingAddress={
            "firstName": "Bob",
            "lastName": "Builder",
            "street1": "1 Yard",
            "city": "Leeds",
            "country": "GB",
        },
    )
    await ship(gql, token, alice, trackingNumber=UPS_OK)
    await ship(gql, token, bob, trackingNumber="RB123456785GB")

    async def found(filter: dict[str, Any], viewer: str = token) -> list[int]:
        data = await gql.data(SHIPMENTS, {"filter": filter}, viewer)
        return [e["node"]["order"]["number"] for e in data["shipments"]["edges"]]

    assert await found({}) == [bob["number"], alice["number"]]
    assert await found({"search": "builder"}) == [bob["number"]]
    assert await found({"search": "1z999aa1"}) == [alice["number"]]
    assert await found({"search": str(alice["number"])}) == [alice["number"]]
    assert await found({"orderId": bob["id"]}) == [bob["number"]]
    assert await found({"createdBefore": "2000-01-01T00:00:00Z"}) == []
    # a customer lists only shipments of their own orders, and sees no staff names
    assert await found({}, actors.customer.token) == [alice["number"]]
    data = await gql.data(SHIPMENTS, {}, actors.customer.token)
    assert data["shipments"]["edges"][0]["node"]["createdBy"] == "store"
    # orders are found by their shipments' tracking numbers too
    orders = await gql.data(
        '{ orders(filter: {search: "RB12345"}) { edges { node { number } } } }', token=token
    )
    assert [e["node"]["number"] for e in orders["orders"]["edges"]] == [bob["number"]]


async def test_customer_sees_own_shipment_by_id_not_others(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    made = await ship(gql, actors.admin.token, order)
    query = "query($id: ID!) { shipment(id: $id) { trackingNumber order { number } } }"
    mine = await gql.data(query, {"id": made["shipment"]["id"]}, actors.customer.token)
    assert mine["shipment"]["order"]["number"] == order["number"]
    theirs = await gql(query, {"id": made["shipment"]["id"]}, actors.other_customer.token)
    assert theirs == {"data": {"shipment": None}}


async def test_a_cancelled_order_takes_back_exactly_what_it_gave_back(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Ship 2 of 5, cancel, delete the shipment, reinstate, ship all: 5 units leave, not 7."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10)
    order = await placed(gql, None, [("A", 5)])
    first = await ship(gql, token, order, items=[(0, 2)])
    assert await product_stock("A") == 5
    await gql.data(SET_STATUS, {"id": order["id"], "status": "CANCELLED"}, token)
    assert await product_stock("A") == 8  # the 3 still held
    deleted = await gql.data(DELETE, {"id": first["shipment"]["id"]}, token)
    assert deleted["deleteShipment"]["errors"] == []
    assert await product_stock("A") == 10  # a cancelled order holds nothing
    back = await gql.data(SET_STATUS, {"id": order["id"], "status": "AWAITING_FULFILLMENT"}, token)
    assert back["setStatus"]["errors"] == []
    assert await product_stock("A") == 5
    assert (await ship(gql, token, order))["errors"] == []
    assert await product_stock("A") == 5


async def test_a_shipment_whose_units_came_back_cannot_be_deleted(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    shipped = await ship(gql, token, order)
    request = await gql.data(
        """mutation($input: RequestReturnInput!) {
             requestReturn(input: $input) { errors { code } } }""",
        {
            "input": {
                "orderId": order["id"],
                "items": [{"orderItemId": order["items"][0]["id"], "quantity": 1}],
            }
        },
        actors.customer.token,
    )
    assert request["requestReturn"]["errors"] == []
    before = await OrderItem.filter(order__number=order["number"]).values_list(
        "quantity_shipped", flat=True
    )
    data = await gql.data(DELETE, {"id": shipped["shipment"]["id"]}, token)
    assert data["deleteShipment"]["errors"] == [{"code": "SHIPMENT_HAS_RETURNS"}]
    assert await Shipment.filter(id__isnull=False).count() == 1
    after = await OrderItem.filter(order__number=order["number"]).values_list(
        "quantity_shipped", flat=True
    )
    assert after == before == [3, 1]


async def test_an_order_has_at_most_ten_shipments(gql: GraphQLClient, actors: Actors) -> None:
    """Order.shipments declares 10 as its most, for the query-cost bound: creation keeps it."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=20)
    order = await placed(gql, None, [("A", 12)])
    for _ in range(10):
        assert (await ship(gql, token, order, items=[(0, 1)]))["errors"] == []
    refused = await ship(gql, token, order, items=[(0, 1)])
    assert refused["errors"] == [
        {
            "code": "LIMIT_REACHED",
            "message": "An order has at most 10 shipments; ship the rest together.",
            "field": ["orderId"],
        }
    ]
    assert await Shipment.filter(order__number=order["number"]).count() == 10


async def test_exactly_the_units_left_may_be_shipped_and_a_zero_line_is_named(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)  # 3 A, 1 B
    token = actors.admin.token
    assert (await ship(gql, token, order, items=[(0, 1)]))["errors"] == []
    exact = await ship(gql, token, order, items=[(0, 2), (1, 1)])
    assert exact["errors"] == []
    assert exact["order"]["status"] == "SHIPPED"
    # nothing left of A: a line of 0 units is refused for that, and only that
    zero = await ship(gql, token, order, items=[(0, 0)])
    assert [(e["code"], e["field"], e["message"]) for e in zero["errors"]] == [
        ("INVALID_INPUT", ["items", "0", "quantity"], "Ship at least one unit.")
    ]


async def test_a_shipment_tells_the_timeline_and_moves_the_order_version(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    row = await Order.get(number=order["number"])
    first = await ship(gql, token, order, items=[(0, 1)])
    version = (await Order.get(id=row.id)).version
    # a second partial shipment leaves every order column as it was, yet the order changed
    second = await ship(gql, token, order, items=[(0, 1)])
    assert second["order"]["status"] == "PARTIALLY_SHIPPED"
    assert (await Order.get(id=row.id)).version == version + 1
    messages = (
        await OrderEvent.filter(order_id=row.id, type="SHIPMENT_CREATED")
        .order_by("id")
        .values_list("message", flat=True)
    )
    assert messages == ["1 item(s) shipped.", "1 item(s) shipped."]
    assert first["shipment"]["createdBy"] == actors.admin.email
    assert await Shipment.filter(order_id=row.id, created_by_id=actors.admin.user_id).count() == 2
    # a number and carrier given with the shipment become the order's
    last = await ship(gql, token, order, trackingNumber="abc12345", carrier="DHL")
    assert last["errors"] == []
    seen = await Order.get(id=row.id)
    assert (seen.tracking_number, seen.carrier) == ("ABC12345", "dhl")
    assert await OrderEvent.filter(
        order_id=row.id, message="2 item(s) shipped, tracking number ABC12345."
    ).exists()


async def test_deleting_names_what_is_missing_and_what_came_back(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    missing = await gql.data(
        """mutation($id: ID!) { deleteShipment(id: $id) { errors { code field message } } }""",
        {"id": "U2hpcG1lbnQ6OTk5OTk="},
        token,
    )
    assert missing["deleteShipment"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["id"], "message": "Shipment not found."}
    ]
    shipment = (await ship(gql, token, order))["shipment"]
    from tests.test_returns import request_return, set_status

    request = (await request_return(gql, actors.customer.token, order, [(0, 1)]))["returnRequest"]
    await set_status(gql, actors.support.token, request["id"], "AUTHORIZED")
    await set_status(gql, actors.support.token, request["id"], "RECEIVED")
    refused = await gql.data(
        """mutation($id: ID!) { deleteShipment(id: $id) { errors { code field message } } }""",
        {"id": shipment["id"]},
        token,
    )
    assert refused["deleteShipment"]["errors"] == [
        {
            "code": "SHIPMENT_HAS_RETURNS",
            "field": ["id"],
            "message": "A from this shipment was returned or restocked; "
            "a shipment whose units came back cannot be deleted.",
        }
    ]


async def test_deleting_a_shipment_of_a_cancelled_order_gives_its_units_back_by_whom(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    shipment = (await ship(gql, token, order, items=[(0, 2)]))["shipment"]
    await gql.data(SET_STATUS, {"id": order["id"], "status": "CANCELLED"}, token)
    deleted = await gql.data(DELETE, {"id": shipment["id"]}, actors.fulfillment.token)
    assert deleted["deleteShipment"]["errors"] == []
    assert await product_stock("A") == 50
    last = await InventoryMovement.filter(reason="ORDER_RELEASED").order_by("-id").first()
    assert last is not None
    assert (last.delta, last.actor_id) == (2, actors.fulfillment.user_id)
    # the ledger row names the order it came back from
    assert last.order_id == (await Order.get(number=order["number"])).id


async def test_shipments_created_after_a_moment(gql: GraphQLClient, actors: Actors) -> None:
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    await ship(gql, token, order, items=[(0, 1)])
    row = await Order.get(number=order["number"])
    old = await Shipment.get(order_id=row.id)
    old.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    await old.save(update_fields=["created_at"])
    new = (await ship(gql, token, order, items=[(0, 1)]))["shipment"]
    query = """query($after: DateTime!) { shipments(filter: {createdAfter: $after}) {
      edges { node { id } } } }"""
    seen = await gql.data(query, {"after": "2021-01-01T00:00:00Z"}, token)
    assert [e["node"]["id"] for e in seen["shipments"]["edges"]] == [new["id"]]


async def test_a_long_shipping_method_is_cut_and_a_deletion_tells_the_staff_timeline(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A shipment keeps the first 100 characters of the method it was given; deleting it
    leaves a staff entry whose data names the shipment and its number (documented keys)."""
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    shipped = await ship(
        gql, token, order, items=[(0, 1)], shippingMethod="m" * 150, trackingNumber=UPS_OK
    )
    assert shipped["errors"] == []
    assert shipped["shipment"]["shippingMethod"] == "m" * 100
    deleted = await gql.data(DELETE, {"id": shipped["shipment"]["id"]}, token)
    assert deleted["deleteShipment"]["errors"] == []
    entries = {e["type"]: e for e in await timeline(gql, token, order["id"])}
    shipment_id = entries["SHIPMENT_CREATED"]["data"]["shipmentId"]
    assert shipment_id
    assert entries["SHIPMENT_DELETED"]["data"] == {
        "shipmentId": shipment_id,
        "trackingNumber": UPS_OK,
    }


async def test_a_line_shipped_meanwhile_is_refused_not_shipped_twice(
    gql: GraphQLClient, actors: Actors
) -> None:
    """R6's second guard: each line's update is conditional, so a plan made from a stale
    read (were the order's lock ever not taken first) ships nothing more than was ordered."""
    order = await two_line_order(gql, actors)  # 3 A, 1 B
    row = await Order.get(number=order["number"])
    stale = await OrderItem.get(order_id=row.id, sku="A")  # 0 of 3 shipped, as read
    assert (await ship(gql, actors.admin.token, order, items=[(0, 2)]))["errors"] == []
    with pytest.raises(DomainError) as refused:
        async with atomic():
            await _mark_shipped([(stale, 3)])
    assert refused.value.issues == [
        Issue(ErrorCode.QUANTITY_EXCEEDS_UNSHIPPED, "A was shipped meanwhile.", ("items",))
    ]
    assert await OrderItem.filter(id=stale.id).values_list("quantity_shipped", flat=True) == [2]


async def test_deleting_one_shipment_twice_at_once_gives_its_units_back_once(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Concurrent deletions: one wins; each other one says the shipment is not found (on
    PostgreSQL, one that read it before the winner's lock finds it gone at its delete)."""
    order = await two_line_order(gql, actors)
    token = actors.admin.token
    shipment = (await ship(gql, token, order))["shipment"]
    query = """mutation($id: ID!) { deleteShipment(id: $id) {
      deletedShipmentId errors { code message field } } }"""
    results = await asyncio.gather(
        *(gql.data(query, {"id": shipment["id"]}, token) for _ in range(6))
    )
    answers = [r["deleteShipment"] for r in results]
    assert [a["deletedShipmentId"] for a in answers if not a["errors"]] == [shipment["id"]]
    missing = {"code": "NOT_FOUND", "message": "Shipment not found.", "field": ["id"]}
    assert [a["errors"] for a in answers if a["errors"]] == [[missing]] * 5
    assert await OrderItem.filter(order__number=order["number"]).order_by("id").values_list(
        "quantity_shipped", flat=True
    ) == [0, 0]
