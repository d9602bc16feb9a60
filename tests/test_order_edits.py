"""editOrder: lines added, changed and removed in one change; stock, totals and balances follow.
addOrderNote: staff and customer notes on the timeline, staff ones never shown to customers."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from app.models import InventoryMovement, Order, OrderEvent, OrderItem, Product
from app.schema.ids import to_global_id
from tests.conftest import Actors, GraphQLClient, app_settings
from tests.factories import ORDER_FIELDS, create_product, paid, placed
from tests.test_fulfilment import set_status
from tests.test_shipments import ship

EDIT = f"""mutation($id: ID!, $input: EditOrderInput!, $key: String) {{
  editOrder(orderId: $id, input: $input, idempotencyKey: $key) {{
    order {{ {ORDER_FIELDS} payment {{ balanceDue refundDue }} }}
    errors {{ code message field }} }} }}"""
NOTE = """mutation($id: ID!, $m: String!, $v: EventVisibility) {
  addOrderNote(orderId: $id, message: $m, visibility: $v) {
    order { number } errors { code message field } } }"""
TIMELINE = """query($id: ID!) { order(id: $id) {
  events(first: 100) { edges { node { type message visibility data } } } } }"""


async def edit(
    gql: GraphQLClient, token: str | None, order: dict[str, Any], **input_: Any
) -> dict[str, Any]:
    data = await gql.data(EDIT, {"id": order["id"], "input": input_}, token)
    payload: dict[str, Any] = data["editOrder"]
    return payload


def item(order: dict[str, Any], sku: str) -> dict[str, Any]:
    return next(i for i in order["items"] if i["sku"] == sku)


async def stock(sku: str) -> int:
    product = await Product.get(sku=sku)
    ledger = sum(
        await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
    )
    assert product.stock == ledger  # the ledger explains every figure
    return product.stock


async def catalog(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    await create_product(gql, token, "TEE-M", stock=10, price="20.00", name="Tee M")
    await create_product(gql, token, "TEE-L", stock=10, price="20.00", name="Tee L")
    await create_product(gql, token, "MUG", stock=10, price="8.00", name="Mug")


async def test_add_change_and_remove_in_one_edit(
    gql: GraphQLClient, actors: Actors, app: Any
) -> None:
    await catalog(gql, actors)
    order = await paid(gql, actors.customer.token, [("TEE-M", 1), ("MUG", 1)], actors.admin.token)
    assert (await stock("TEE-M"), await stock("MUG")) == (9, 9)
    with app_settings(app, tax_rate=Decimal("0.10")):
        result = await edit(
            gql,
            actors.support.token,
            order,
            expectedVersion=order["version"],
            remove=[item(order, "TEE-M")["id"]],
            add=[{"sku": "TEE-L", "quantity": 1}],
            change=[{"orderItemId": item(order, "MUG")["id"], "quantity": 3, "unitPrice": "7.50"}],
            note="Customer phoned: swap to L, two more mugs at the phone price.",
        )
    assert result["errors"] == []
    edited = result["order"]
    assert sorted(
        (i["sku"], i["quantity"], i["unitPrice"], i["total"]) for i in edited["items"]
    ) == [
        ("MUG", 3, "7.50", "22.50"),
        ("TEE-L", 1, "20.00", "20.00"),
    ]
    # 42.50 + 10 % tax on the subtotal; the free standard shipping stays
    assert (edited["subtotal"], edited["taxTotal"], edited["total"]) == ("42.50", "4.25", "46.75")
    assert edited["version"] == order["version"] + 1
    # paid 28.00 before: 18.75 left to collect, and the payment is part-paid again
    assert edited["payment"]["balanceDue"] == "18.75"
    assert edited["payment"]["refundDue"] == "0.00"
    assert edited["payment"]["status"] == "PARTIALLY_PAID"
    assert (await stock("TEE-M"), await stock("TEE-L"), await stock("MUG")) == (10, 9, 7)
    # one public summary for the customer; prices and the note for staff only
    seen = await gql.data(TIMELINE, {"id": order["id"]}, actors.customer.token)
    public = [
        e["node"] for e in seen["order"]["events"]["edges"] if e["node"]["type"] == "ORDER_EDITED"
    ]
    assert [e["message"] for e in public] == ["Order edited: Tee M → Tee L, Mug: 1 → 3"]
    staff = await gql.data(TIMELINE, {"id": order["id"]}, actors.admin.token)
    [details] = [
        e["node"]
        for e in staff["order"]["events"]["edges"]
        if e["node"]["type"] == "ORDER_EDIT_DETAILS"
    ]
    assert details["visibility"] == "STAFF"
    assert details["message"].startswith("Customer phoned")
    assert details["data"]["prices"] == ["MUG 8.00 → 7.50", "TEE-L at 20.00"]
    assert "ORDER_EDIT_DETAILS" not in str(seen)


async def test_lowering_the_total_shows_what_to_pay_back(
    gql: GraphQLClient, actors: Actors
) -> None:
    await catalog(gql, actors)
    order = await paid(gql, None, [("TEE-M", 2), ("MUG", 1)], actors.admin.token)
    result = await edit(
        gql, actors.admin.token, order, remove=[item(order, "MUG")["id"]], shippingCost="0.00"
    )
    payment = result["order"]["payment"]
    # paid 48.00, the order is 40.00 now
    assert (payment["balanceDue"], payment["refundDue"]) == ("0.00", "8.00")
    summary = (await OrderEvent.filter(type="ORDER_EDITED").get()).message
    assert summary == "Order edited: Mug removed"
    added = await edit(
        gql, actors.admin.token, result["order"], add=[{"sku": "MUG", "quantity": 2}]
    )
    assert added["errors"] == []
    latest = await OrderEvent.filter(type="ORDER_EDITED").order_by("-id").first()
    assert latest is not None
    assert latest.message == "Order edited: 2 × Mug added"  # noqa: RUF001


async def test_refusals_change_nothing(gql: GraphQLClient, actors: Actors) -> None:
    await catalog(gql, actors)
    token = actors.admin.token
    order = await paid(gql, None, [("TEE-M", 3), ("MUG", 1)], token)
    tee, mug = item(order, "TEE-M"), item(order, "MUG")
    await ship(gql, token, order, items=[(order["items"].index(tee), 2)])
    other = await placed(gql, None, [("MUG", 1)])
    before = (
        await Order.all().order_by("id").values_list("version", "total"),
        await OrderItem.all().order_by("id").values_list("quantity", "unit_price"),
        await InventoryMovement.all().count(),
    )

    async def codes(token: str | None = token, **input_: Any) -> list[tuple[str, list[str]]]:
        payload = await edit(gql, token, order, **input_)
        assert payload["order"] is None
        return [(e["code"], e["field"]) for e in payload["errors"]]

    assert await codes(change=[{"orderItemId": tee["id"], "quantity": 1}]) == [
        ("QUANTITY_BELOW_SHIPPED", ["change", "0", "quantity"])
    ]
    assert await codes(remove=[tee["id"]]) == [("QUANTITY_BELOW_SHIPPED", ["remove", "0"])]
    assert await codes(add=[{"sku": "MUG", "quantity": 1}]) == [
        ("INVALID_INPUT", ["add", "0", "sku"])
    ]
    assert await codes(add=[{"sku": "NOPE", "quantity": 1}]) == [
        ("UNKNOWN_SKU", ["add", "0", "sku"])
    ]
    assert await codes(add=[{"sku": "TEE-L", "quantity": 11}]) == [
        ("INSUFFICIENT_STOCK", ["items"])
    ]
    assert await codes(remove=[item(other, "MUG")["id"]]) == [("NOT_FOUND", ["remove", "0"])]
    assert await codes(expectedVersion=1, change=[{"orderItemId": mug["id"], "quantity": 2}]) == [
        ("VERSION_CONFLICT", ["expectedVersion"])
    ]
    assert await codes() == [("INVALID_INPUT", ["input"])]
    assert await codes(change=[{"orderItemId": mug["id"], "quantity": 0, "unitPrice": "-1"}]) == [
        ("INVALID_INPUT", ["change", "0", "quantity"]),
        ("INVALID_INPUT", ["change", "0", "unitPrice"]),
    ]
    for refused in (None, actors.customer.token, actors.fulfillment.token):
        assert (await codes(token=refused, remove=[mug["id"]]))[0][0] in {
            "UNAUTHENTICATED",
            "FORBIDDEN",
        }
    after = (
        await Order.all().order_by("id").values_list("version", "total"),
        await OrderItem.all().order_by("id").values_list("quantity", "unit_price"),
        await InventoryMovement.all().count(),
    )
    assert after == before
    # closed orders are not edited
    await set_status(gql, token, order, "COMPLETED")
    assert await codes(change=[{"orderItemId": mug["id"], "quantity": 2}]) == [
        ("ORDER_NOT_EDITABLE", ["orderId"])
    ]


async def test_concurrent_edits_never_oversell(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "LAST", stock=5, price="1.00")
    await create_product(gql, actors.admin.token, "X", stock=100, price="1.00")
    orders = [await placed(gql, None, [("X", 1)]) for _ in range(8)]
    results = await asyncio.gather(
        *(edit(gql, actors.admin.token, o, add=[{"sku": "LAST", "quantity": 2}]) for o in orders)
    )
    done = [r for r in results if not r["errors"]]
    assert len(done) == 2
    assert {e["code"] for r in results if r["errors"] for e in r["errors"]} == {
        "INSUFFICIENT_STOCK"
    }
    assert await stock("LAST") == 1
    # the same order edited twice at once: the second is told, not lost
    order = orders[0]
    version = (await Order.get(number=order["number"])).version
    first, second = await asyncio.gather(
        edit(gql, actors.admin.token, order, expectedVersion=version, shippingCost="1.00"),
        edit(gql, actors.admin.token, order, expectedVersion=version, shippingCost="2.00"),
    )
    assert sorted(bool(r["errors"]) for r in (first, second)) == [False, True]


async def test_notes_from_staff_and_customers(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    mine = await placed(gql, actors.customer.token, [("A", 1)])
    theirs = await placed(gql, actors.other_customer.token, [("A", 1)])

    async def note(
        token: str | None, order: dict[str, Any], message: str, visibility: str | None = None
    ) -> list[str]:
        data = await gql.data(NOTE, {"id": order["id"], "m": message, "v": visibility}, token)
        return [e["code"] for e in data["addOrderNote"]["errors"]]

    assert await note(actors.fulfillment.token, mine, "Box dented, repacked") == []
    assert await note(actors.support.token, mine, "We added a sticker.", "PUBLIC") == []
    assert await note(actors.customer.token, mine, "Please ring twice.") == []
    assert await note(actors.customer.token, mine, "psst", "STAFF") == ["FORBIDDEN"]
    assert await note(actors.customer.token, theirs, "hello") == ["NOT_FOUND"]
    assert await note(None, mine, "hello") == ["UNAUTHENTICATED"]
    assert await note(actors.admin.token, mine, "   ") == ["INVALID_INPUT"]
    assert await note(actors.admin.token, mine, "x" * 2001) == ["INVALID_INPUT"]
    customer_view = await gql.data(TIMELINE, {"id": mine["id"]}, actors.customer.token)
    notes = [
        (e["node"]["message"], e["node"]["visibility"])
        for e in customer_view["order"]["events"]["edges"]
        if e["node"]["type"] == "NOTE"
    ]
    # R1: the staff note never reaches the customer
    assert notes == [("We added a sticker.", "PUBLIC"), ("Please ring twice.", "PUBLIC")]
    staff_view = await gql.data(TIMELINE, {"id": mine["id"]}, actors.admin.token)
    assert [
        e["node"]["visibility"]
        for e in staff_view["order"]["events"]["edges"]
        if e["node"]["type"] == "NOTE"
    ] == ["STAFF", "PUBLIC", "PUBLIC"]


async def test_each_bad_part_of_an_edit_names_its_field(gql: GraphQLClient, actors: Actors) -> None:
    await catalog(gql, actors)
    order = await placed(gql, actors.customer.token, [("TEE-M", 1), ("MUG", 1)])
    token = actors.admin.token
    tee = item(order, "TEE-M")["id"]
    bad = await edit(
        gql,
        token,
        order,
        add=[{"sku": "MUG", "quantity": 0}, {"sku": " ", "quantity": 1}],
        change=[{"orderItemId": tee, "quantity": 2}],
        remove=[tee],
        shippingCost="1.001",
        note="n" * 2001,
    )
    assert [(e["field"], e["message"]) for e in bad["errors"]] == [
        (["add", "0", "quantity"], "Quantity is 1 to 10000."),
        (["add", "1", "sku"], "A SKU has 1 to 64 characters."),
        (["shippingCost"], "A non-negative amount with at most two decimals."),
        (["note"], "At most 2000 characters."),
        (["change"], "Each line is changed or removed once per edit."),
    ]
    # an edit is bounded: 300 line changes at most, and only 200 changes are checked
    too_many = await edit(
        gql, token, order, remove=[to_global_id("OrderItem", n) for n in range(1, 302)]
    )
    assert [(e["field"], e["message"]) for e in too_many["errors"]] == [
        (["input"], "At most 300 line changes in one edit.")
    ]
    lots = await edit(
        gql,
        token,
        order,
        change=[
            {"orderItemId": to_global_id("OrderItem", n), "quantity": 1}
            for n in range(10_000, 10_200)
        ]
        + [{"orderItemId": tee, "quantity": 0}],
    )
    assert {e["code"] for e in lots["errors"]} == {"NOT_FOUND"}  # the 201st is not looked at
    fine = await edit(
        gql, token, order, remove=[to_global_id("OrderItem", n) for n in range(10_000, 10_300)]
    )
    assert {e["code"] for e in fine["errors"]} == {"NOT_FOUND"}


async def test_added_lines_take_the_price_given_or_the_products_and_come_once(
    gql: GraphQLClient, actors: Actors
) -> None:
    await catalog(gql, actors)
    await create_product(gql, actors.admin.token, "X", stock=5, price="3.00", name="X")
    order = await placed(gql, actors.customer.token, [("TEE-M", 1)])
    token = actors.admin.token
    twice = await edit(gql, token, order, add=[{"sku": "MUG", "quantity": 1}] * 2)
    assert [(e["field"], e["message"]) for e in twice["errors"]] == [
        (["add", "1", "sku"], "MUG is a line of this order already: change its quantity.")
    ]
    done = await edit(
        gql,
        token,
        order,
        add=[{"sku": "MUG", "quantity": 2, "unitPrice": "1.50"}, {"sku": "X", "quantity": 1}],
        shippingCost="5.00",
    )
    assert done["errors"] == []
    lines = {i["sku"]: (i["quantity"], i["unitPrice"]) for i in done["order"]["items"]}
    assert lines == {"TEE-M": (1, "20.00"), "MUG": (2, "1.50"), "X": (1, "3.00")}
    row = await Order.get(number=order["number"])
    details = (await OrderEvent.filter(order_id=row.id, type="ORDER_EDIT_DETAILS"))[0].data
    assert details["prices"] == ["MUG at 1.50", "X at 3.00", "shipping 0.00 → 5.00"]
    assert details["totalAfter"] == str(row.total)
    # the same shipping cost again is no price change
    same = await edit(gql, token, order, shippingCost="5.00")
    assert same["errors"] == []
    last = await OrderEvent.filter(order_id=row.id, type="ORDER_EDIT_DETAILS").order_by("-id")
    assert last[0].data["prices"] == []


async def test_a_note_on_a_missing_or_foreign_order_names_the_order(
    gql: GraphQLClient, actors: Actors
) -> None:
    await catalog(gql, actors)
    order = await placed(gql, actors.customer.token, [("MUG", 1)])
    missing = "T3JkZXI6OTk5OTk="
    for token, order_id, visibility in (
        (actors.admin.token, missing, None),
        (actors.other_customer.token, order["id"], None),
        (actors.customer.token, missing, None),
    ):
        data = await gql.data(NOTE, {"id": order_id, "m": "hello", "v": visibility}, token)
        assert [(e["code"], e["field"]) for e in data["addOrderNote"]["errors"]] == [
            ("NOT_FOUND", ["orderId"])
        ]
    staff_only = await gql.data(
        NOTE, {"id": order["id"], "m": "hello", "v": "STAFF"}, actors.customer.token
    )
    assert [(e["code"], e["field"]) for e in staff_only["addOrderNote"]["errors"]] == [
        ("FORBIDDEN", ["visibility"])
    ]
