"""Rules that mutation testing (scripts/mutation, issue 28) found untested: each test names
what it pins down. They go through the public API (GraphQL, or a service's public function
where no request can reach the branch), never a private function."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.db import atomic
from app.models import InventoryMovement, Order, Product, TransactionKind
from app.schema.ids import to_global_id
from app.services import transactions
from app.services.auth import SYSTEM
from app.services.errors import DomainError
from app.services.orders import MAX_LINES, MAX_QUANTITY
from tests.conftest import Actors, GraphQLClient, app_settings
from tests.factories import ORDER_FIELDS, create_product, paid, placed, record_payment, timeline
from tests.test_fulfilment import UPS_OK

EDIT = f"""mutation($id: ID!, $input: EditOrderInput!) {{
  editOrder(orderId: $id, input: $input) {{
    order {{ {ORDER_FIELDS} payment {{ balanceDue refundDue }} }}
    errors {{ code message field }} }} }}"""
CANCEL = """mutation($id: ID!, $input: CancelOrderInput) {
  cancelOrder(orderId: $id, input: $input) { errors { code } } }"""
NOTE = """mutation($id: ID!, $m: String!) {
  addOrderNote(orderId: $id, message: $m, visibility: PUBLIC, notifyCustomer: true) {
    errors { code } } }"""
SHIP = """mutation($id: ID!, $input: ShipOrderInput) {
  shipOrder(orderId: $id, input: $input) {
    shipment { id carrier carrierName trackingNumber } order { trackingNumber carrier }
    errors { code } } }"""
SHIPMENTS = """query($search: String) {
  shipments(filter: {search: $search}) { edges { node { trackingNumber } } } }"""


async def edit(gql: GraphQLClient, token: str, order: dict[str, Any], **input_: Any) -> Any:
    data = await gql.data(EDIT, {"id": order["id"], "input": input_}, token)
    return data["editOrder"]


async def stock(sku: str) -> int:
    return (await Product.get(sku=sku)).stock


async def test_an_edit_totals_the_lines_plus_shipping_plus_tax(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    """An edit that sets a shipping cost adds it to the total once (not takes it off), the
    timeline's ORDER_EDITED entry carries the documented keys, and the ledger names the edit."""
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10, price="20.00")
    await create_product(gql, staff, "MUG", stock=10, price="8.00")
    order = await paid(gql, actors.customer.token, [("TEE", 1), ("MUG", 1)], staff)
    tee = next(i for i in order["items"] if i["sku"] == "TEE")

    with app_settings(app, tax_rate=Decimal("0.10")):  # a tax to add, not take off
        payload = await edit(
            gql,
            staff,
            order,
            shippingCost="7.50",
            change=[{"orderItemId": tee["id"], "quantity": 2}],
        )

    assert payload["errors"] == []
    after = payload["order"]
    subtotal = Decimal("48.00")  # 2 x 20.00 + 8.00
    assert Decimal(after["subtotal"]) == subtotal
    assert Decimal(after["shippingCost"]) == Decimal("7.50")
    assert Decimal(after["taxTotal"]) == Decimal("4.80")
    assert Decimal(after["total"]) == Decimal("60.30")  # 48.00 + 7.50 + 4.80
    assert Decimal(after["payment"]["balanceDue"]) == Decimal(after["total"]) - Decimal("28.00")
    # the payment summary is worked out against the new total, not the one before
    assert after["payment"]["status"] == "PARTIALLY_PAID"
    edited = [e for e in await timeline(gql, staff, order["id"]) if e["type"] == "ORDER_EDITED"]
    assert [e["data"] for e in edited] == [
        {"total": after["total"], "totalBefore": order["total"], "currency": "USD"}
    ]
    order_id = (await Order.get(number=order["number"])).id
    moves = await InventoryMovement.filter(order_id=order_id, reason="ORDER_EDITED")
    assert [(m.product_id, m.delta) for m in moves] == [((await Product.get(sku="TEE")).id, -1)]


async def test_lines_an_edit_adds_are_given_back_when_the_order_is_cancelled(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    await create_product(gql, staff, "MUG", stock=10)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    payload = await edit(gql, staff, order, add=[{"sku": "MUG", "quantity": 3}])
    assert payload["errors"] == []
    assert (await stock("TEE"), await stock("MUG")) == (9, 7)

    data = await gql.data(CANCEL, {"id": order["id"], "input": {"restock": True}}, staff)

    assert data["cancelOrder"]["errors"] == []
    assert (await stock("TEE"), await stock("MUG")) == (10, 10)


async def test_an_edit_takes_up_to_exactly_the_largest_quantity(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=2 * MAX_QUANTITY, price="0.01")
    await create_product(gql, staff, "PIN", stock=2 * MAX_QUANTITY, price="0.01")
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    tee = order["items"][0]

    def fields(payload: Any) -> list[tuple[str, list[str]]]:
        return [(e["code"], e["field"]) for e in payload["errors"]]

    over = MAX_QUANTITY + 1
    added = await edit(gql, staff, order, add=[{"sku": "PIN", "quantity": over}])
    assert fields(added) == [("INVALID_INPUT", ["add", "0", "quantity"])]
    changed = await edit(gql, staff, order, change=[{"orderItemId": tee["id"], "quantity": over}])
    assert fields(changed) == [("INVALID_INPUT", ["change", "0", "quantity"])]
    most = await edit(
        gql,
        staff,
        order,
        add=[{"sku": "PIN", "quantity": MAX_QUANTITY}],
        change=[{"orderItemId": tee["id"], "quantity": MAX_QUANTITY}],
    )
    assert most["errors"] == []
    assert (await stock("TEE"), await stock("PIN")) == (MAX_QUANTITY, MAX_QUANTITY)


async def test_each_refusal_of_an_edit_names_its_field_and_code(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    tee = order["items"][0]

    def refused(payload: Any) -> list[tuple[str, list[str], str]]:
        return [(e["code"], e["field"], e["message"]) for e in payload["errors"]]

    price = await edit(gql, staff, order, add=[{"sku": "TEE", "quantity": 1, "unitPrice": "-1"}])
    assert refused(price)[0] == (
        "INVALID_INPUT",
        ["add", "0", "unitPrice"],
        "A non-negative amount with two decimals.",
    )
    long_sku = await edit(gql, staff, order, add=[{"sku": "S" * 65, "quantity": 1}])
    assert [(code, field) for code, field, _ in refused(long_sku)] == [
        ("INVALID_INPUT", ["add", "0", "sku"])
    ]
    everything = await edit(gql, staff, order, remove=[tee["id"]])
    assert [(code, field) for code, field, _ in refused(everything)] == [
        ("INVALID_INPUT", ["remove"])
    ]


async def test_an_order_takes_no_more_than_its_most_lines_by_an_edit(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    await Product.bulk_create(
        [Product(sku=f"P{n}", name=f"P{n}", price=Decimal(1), stock=5) for n in range(MAX_LINES)]
    )
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    adds = [{"sku": f"P{n}", "quantity": 1} for n in range(MAX_LINES)]

    payload = await edit(gql, staff, order, add=adds)

    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("LIMIT_REACHED", ["add"])]


async def test_a_note_emailed_to_the_customer_says_so_on_the_timeline(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])

    data = await gql.data(NOTE, {"id": order["id"], "m": "On its way tomorrow."}, staff)

    assert data["addOrderNote"]["errors"] == []
    notes = [e for e in await timeline(gql, staff, order["id"]) if e["type"] == "NOTE"]
    assert [n["data"] for n in notes] == [{"notifyCustomer": True}]


async def test_a_reference_recorded_meanwhile_on_another_order_is_a_conflict(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    """The race branch: the reference was free when checked and taken when written. No
    request can hold the check open, so the ledger's own function is called as the race
    leaves it: with the reference already on another order."""
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    first = await placed(gql, actors.customer.token, [("TEE", 1)])
    second = await placed(gql, actors.customer.token, [("TEE", 1)])
    payload = await record_payment(gql, staff, first, provider="stripe", reference="ch_1")
    assert payload["errors"] == []
    order = await Order.get(number=second["number"])

    with pytest.raises(DomainError) as refused:
        async with atomic():
            await transactions.add(
                SYSTEM,
                order,
                TransactionKind.CAPTURE,
                Decimal("10.00"),
                provider="stripe",
                reference="ch_1",
            )

    assert [(i.code.value, i.message, i.field) for i in refused.value.issues] == [
        (
            "TRANSACTION_CONFLICT",
            "stripe CAPTURE ch_1 is recorded on another order.",
            ("input", "reference"),
        )
    ]


async def test_a_number_of_no_known_carrier_ships_without_one_and_is_found_spaced(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await paid(gql, actors.customer.token, [("TEE", 2)], staff)

    data = await gql.data(
        SHIP,
        {
            "id": order["id"],
            "input": {
                "trackingNumber": "QX77340091",
                "items": [{"orderItemId": order["items"][0]["id"], "quantity": 1}],
            },
        },
        staff,
    )

    shipped = data["shipOrder"]
    assert shipped["errors"] == []
    assert (shipped["shipment"]["carrier"], shipped["shipment"]["carrierName"]) == (None, None)
    assert shipped["order"] == {"trackingNumber": "QX77340091", "carrier": None}
    found = await gql.data(SHIPMENTS, {"search": "qx 7734 0091"}, staff)
    assert [e["node"]["trackingNumber"] for e in found["shipments"]["edges"]] == ["QX77340091"]
    created = [
        e for e in await timeline(gql, staff, order["id"]) if e["type"] == "SHIPMENT_CREATED"
    ]
    assert [e["data"] for e in created] == [
        {
            "shipmentId": created[0]["data"]["shipmentId"],
            "trackingNumber": "QX77340091",
            "items": [{"sku": "TEE", "quantity": 1}],
        }
    ]
    assert created[0]["data"]["shipmentId"]


async def test_a_note_on_no_such_order_says_the_order_was_not_found(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    """The same answer to staff and to a customer, whose other orders are none of theirs."""
    missing = to_global_id("Order", 999_999)
    query = """mutation($id: ID!) { addOrderNote(orderId: $id, message: "Hello there") {
      errors { code message field } } }"""
    for token in (actors.admin.token, actors.customer.token):
        data = await gql.data(query, {"id": missing}, token)
        assert data["addOrderNote"]["errors"] == [
            {"code": "NOT_FOUND", "message": "Order not found.", "field": ["orderId"]}
        ]


async def test_a_payment_that_moves_the_status_says_so_in_the_status_change(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    assert order["status"] == "AWAITING_PAYMENT"

    payload = await record_payment(gql, staff, order)

    assert payload["errors"] == []
    changes = [e for e in await timeline(gql, staff, order["id"]) if e["type"] == "STATUS_CHANGED"]
    assert [c["data"] for c in changes] == [
        {"from": "AWAITING_PAYMENT", "to": "AWAITING_FULFILLMENT", "reason": "PAYMENT"}
    ]


async def test_a_voided_authorization_sends_the_order_back_to_awaiting_payment_saying_why(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    assert (await record_payment(gql, staff, order, kind="AUTHORIZATION"))["errors"] == []

    voided = await record_payment(gql, staff, order, kind="VOID")

    assert voided["errors"] == []
    assert voided["order"]["status"] == "AWAITING_PAYMENT"
    changes = [e for e in await timeline(gql, staff, order["id"]) if e["type"] == "STATUS_CHANGED"]
    assert [(c["message"], c["data"]) for c in changes[1:]] == [
        (
            "Payment no longer covers the order: status changed from AWAITING_FULFILLMENT "
            "to AWAITING_PAYMENT.",
            {"from": "AWAITING_FULFILLMENT", "to": "AWAITING_PAYMENT", "reason": "PAYMENT"},
        )
    ]


async def test_a_part_payment_leaves_the_status_as_it_was(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])

    part = await record_payment(gql, staff, order, kind="CAPTURE", amount="4.00")

    assert part["errors"] == []
    assert (part["order"]["status"], part["order"]["payment"]["status"]) == (
        "AWAITING_PAYMENT",
        "PARTIALLY_PAID",
    )
    events = await timeline(gql, staff, order["id"])
    assert [e for e in events if e["type"] == "STATUS_CHANGED"] == []


async def test_the_relay_reporting_a_refund_recorded_by_hand_matches_it_on_the_timeline(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10, price="20.00")
    order = await paid(gql, actors.customer.token, [("TEE", 1)], staff)
    hand = await gql.data(
        """mutation($id: ID!) { refundOrder(orderId: $id, input: {amount: "5.00"}) {
          errors { code } } }""",
        {"id": order["id"]},
        staff,
    )
    assert hand["refundOrder"]["errors"] == []

    relayed = await record_payment(
        gql, staff, order, kind="REFUND", amount="5.00", reference="re_9", provider="stripe"
    )

    assert relayed["errors"] == []
    events = await timeline(gql, staff, order["id"])
    matched = [e for e in events if e["type"] == "REFUND_MATCHED"]
    assert [(e["message"], e["actor"], list(e["data"])) for e in matched] == [
        (
            "The stripe refund re_9 is the refund of 5.00 USD recorded by hand.",
            actors.admin.email,
            ["transactionId"],
        )
    ]


async def test_each_refused_part_of_a_payment_names_its_field(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await placed(gql, actors.customer.token, [("TEE", 1)])
    request = to_global_id("RefundRequest", 999_999)

    def fields(payload: Any) -> list[list[str]]:
        return [e["field"] for e in payload["errors"]]

    long = await record_payment(gql, staff, order, method="m" * 51, reference="r" * 256)
    assert fields(long) == [["input", "method"], ["input", "reference"]]
    capture = await record_payment(gql, staff, order, refundRequestId=request)
    assert fields(capture) == [["input", "refundRequestId"]]
    assert (await record_payment(gql, staff, order))["errors"] == []
    refund = await record_payment(gql, staff, order, kind="REFUND", refundRequestId=request)
    assert [(e["code"], e["field"]) for e in refund["errors"]] == [
        ("NOT_FOUND", ["input", "refundRequestId"])
    ]


async def test_each_refusal_to_ship_names_its_field_and_a_deletion_keeps_the_number(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await paid(gql, actors.customer.token, [("TEE", 1)], staff)

    async def ship(**input_: Any) -> Any:
        data = await gql.data(SHIP, {"id": order["id"], "input": input_}, staff)
        return data["shipOrder"]

    query = """mutation($id: ID!, $input: ShipOrderInput) { shipOrder(orderId: $id, input: $input) {
      errors { code message field } } }"""
    long = await gql.data(query, {"id": order["id"], "input": {"comments": "c" * 5001}}, staff)
    assert [(e["code"], e["field"]) for e in long["shipOrder"]["errors"]] == [
        ("INVALID_INPUT", ["comments"])
    ]
    assert long["shipOrder"]["errors"][0]["message"].startswith("At most ")
    bad = await gql.data(query, {"id": order["id"], "input": {"trackingNumber": "!!"}}, staff)
    assert [(e["code"], e["field"]) for e in bad["shipOrder"]["errors"]] == [
        ("INVALID_TRACKING_NUMBER", ["trackingNumber"])
    ]
    shipped = await ship(trackingNumber="QX77340091")
    assert shipped["errors"] == []
    again = await gql.data(query, {"id": order["id"]}, staff)
    assert [(e["code"], e["field"]) for e in again["shipOrder"]["errors"]] == [
        ("NOTHING_TO_SHIP", ["items"])
    ]
    deleted = await gql.data(
        "mutation($id: ID!) { deleteShipment(id: $id) { errors { code } } }",
        {"id": shipped["shipment"]["id"]},
        staff,
    )
    assert deleted["deleteShipment"]["errors"] == []
    gone = [e for e in await timeline(gql, staff, order["id"]) if e["type"] == "SHIPMENT_DELETED"]
    assert [e["data"]["trackingNumber"] for e in gone] == ["QX77340091"]


async def test_a_known_carrier_is_named_as_people_name_it(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    staff = actors.admin.token
    await create_product(gql, staff, "TEE", stock=10)
    order = await paid(gql, actors.customer.token, [("TEE", 1)], staff)

    data = await gql.data(SHIP, {"id": order["id"], "input": {"trackingNumber": UPS_OK}}, staff)

    shipment = data["shipOrder"]["shipment"]
    assert (shipment["carrier"], shipment["carrierName"]) == ("ups", "UPS")
