"""setStatus with its stock effects (R2), tracking numbers and carriers (R3)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from app.carriers import InvalidTrackingNumber, Tracking, resolve
from app.models import InventoryMovement, Order, OrderEvent, Product, Shipment
from app.schema.ids import to_global_id
from app.services.catalog import MAX_STOCK
from tests.conftest import Actors, GraphQLClient
from tests.factories import create_product, placed, timeline
from tests.test_catalog import ADJUST

SET_STATUS = """mutation($id: ID!, $status: OrderStatus!, $note: String! = "") {
  setStatus(orderId: $id, status: $status, note: $note) {
    order { status version shipments { id } } errors { code message field } } }"""
ADD_TRACKING = """mutation($id: ID!, $n: String!, $c: String) {
  addTracking(orderId: $id, trackingNumber: $n, carrier: $c) {
    order { trackingNumber carrier trackingUrl } errors { code message field } } }"""
SHIP = """mutation($id: ID!, $input: ShipOrderInput) {
  shipOrder(orderId: $id, input: $input) {
    shipment { id trackingNumber carrier } order { status } errors { code message field } } }"""

UPS_OK = "1Z999AA10123456784"
UPS_TYPO = "1Z999AA10123456785"


async def stock(sku: str) -> int:
    return (await Product.get(sku=sku)).stock


async def ledger(sku: str) -> int:
    product = await Product.get(sku=sku)
    return sum(
        await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
    )


async def set_status(
    gql: GraphQLClient, token: str, order: dict[str, Any], status: str, note: str = ""
) -> dict[str, Any]:
    data = await gql.data(SET_STATUS, {"id": order["id"], "status": status, "note": note}, token)
    result: dict[str, Any] = data["setStatus"]
    return result


async def test_cancelling_returns_unshipped_stock_exactly_once(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10)
    order = await placed(gql, None, [("A", 4)])
    assert await stock("A") == 6
    # ship one unit, then cancel: the three still held come back, the shipped one does not
    item_id = order["items"][0]["id"]
    await gql.data(
        SHIP,
        {"id": order["id"], "input": {"items": [{"orderItemId": item_id, "quantity": 1}]}},
        token,
    )
    assert (await set_status(gql, token, order, "CANCELLED"))["order"]["status"] == "CANCELLED"
    assert await stock("A") == 9
    # cancelled -> declined -> refunded: still released, no second return
    await set_status(gql, token, order, "DECLINED")
    await set_status(gql, token, order, "REFUNDED")
    assert await stock("A") == 9
    # back to an open status takes the units again
    assert (await set_status(gql, token, order, "AWAITING_FULFILLMENT"))["errors"] == []
    assert await stock("A") == 6
    assert await ledger("A") == 6
    reasons = (
        await InventoryMovement.filter(order_id__isnull=False)
        .order_by("id")
        .values_list("reason", "delta")
    )
    assert reasons == [("ORDER_PLACED", -4), ("ORDER_RELEASED", 3), ("ORDER_REINSTATED", -3)]


async def test_reinstating_without_stock_fails_and_changes_nothing(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=2)
    order = await placed(gql, None, [("A", 2)])
    await set_status(gql, token, order, "CANCELLED")
    await placed(gql, None, [("A", 2)])  # someone else buys the returned units
    result = await set_status(gql, token, order, "PENDING")
    assert result["order"] is None
    assert [(e["code"], e["message"]) for e in result["errors"]] == [
        ("INSUFFICIENT_STOCK", "Not enough stock of A.")
    ]
    row = await Order.get(id=int(order["number"]) - 99)
    assert (row.status, row.stock_released) == ("CANCELLED", True)
    assert await stock("A") == 0
    assert await ledger("A") == 0


async def test_stock_follows_a_status_change_up_to_its_bounds_exactly(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Reinstating may take the last units there are; releasing may fill a product up to
    MAX_STOCK and not a unit past it (refused as adjustStock refuses it, nothing changed)."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=4)
    order = await placed(gql, None, [("A", 2)])
    assert (await set_status(gql, token, order, "CANCELLED"))["errors"] == []
    await placed(gql, None, [("A", 2)])  # two units left: exactly what the order held
    assert (await set_status(gql, token, order, "PENDING"))["errors"] == []
    assert (await stock("A"), await ledger("A")) == (0, 0)

    await create_product(gql, token, "B", stock=MAX_STOCK)
    full = await placed(gql, None, [("B", 2)])
    assert (await set_status(gql, token, full, "CANCELLED"))["errors"] == []
    assert await stock("B") == MAX_STOCK  # back to the limit, not past it
    assert (await set_status(gql, token, full, "PENDING"))["errors"] == []
    adjusted = await gql.data(ADJUST, {"sku": "B", "d": 1, "r": "count"}, token)
    assert adjusted["adjustStock"]["errors"] == []
    refused = await set_status(gql, token, full, "CANCELLED")
    assert [(e["code"], e["message"]) for e in refused["errors"]] == [
        ("INVALID_INPUT", f"Stock of B would pass {MAX_STOCK} units.")
    ]
    row = await Order.get(number=full["number"])
    assert (row.status, row.stock_released) == ("PENDING", False)
    assert (await stock("B"), await ledger("B")) == (MAX_STOCK - 1, MAX_STOCK - 1)


async def test_a_status_changes_ledger_rows_are_stamped_when_it_is_made(
    gql: GraphQLClient, actors: Actors
) -> None:
    """The stock ledger is the audit of every unit: the rows a status change writes carry
    the moment of the change (UTC), not a clock hours off."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10)
    order = await placed(gql, None, [("A", 2)])
    asked = datetime.now(UTC)
    assert (await set_status(gql, token, order, "CANCELLED"))["errors"] == []
    assert (await set_status(gql, token, order, "PENDING"))["errors"] == []
    answered = datetime.now(UTC)
    rows = await InventoryMovement.filter(
        reason__in=["ORDER_RELEASED", "ORDER_REINSTATED"]
    ).values_list("reason", "created_at", "note")
    assert sorted(reason for reason, _, _ in rows) == ["ORDER_REINSTATED", "ORDER_RELEASED"]
    assert all(asked <= at <= answered for _, at, _ in rows), (asked, rows, answered)
    # the reason code says it all; a note is the words staff give adjustStock
    assert [note for _, _, note in rows] == ["", ""]


async def test_a_line_shipped_in_full_gives_nothing_back_on_cancelling(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Cancelling gives back only what is still held: a line whose units all went out writes
    no ledger row at all (not one of 0 units), the other line's held units come back."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10)
    await create_product(gql, token, "B", stock=10)
    order = await placed(gql, None, [("A", 2), ("B", 3)])
    line_a = next(i["id"] for i in order["items"] if i["sku"] == "A")
    shipped = await gql.data(
        SHIP,
        {"id": order["id"], "input": {"items": [{"orderItemId": line_a, "quantity": 2}]}},
        token,
    )
    assert shipped["shipOrder"]["errors"] == []
    assert (await set_status(gql, token, order, "CANCELLED"))["errors"] == []
    released = await InventoryMovement.filter(reason="ORDER_RELEASED").values_list(
        "product__sku", "delta"
    )
    assert released == [("B", 3)]
    assert (await stock("A"), await stock("B")) == (8, 10)


async def test_r2_setting_shipped_creates_no_shipment(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A")
    order = await placed(gql, None, [("A", 2)])
    result = await set_status(gql, token, order, "SHIPPED", note="marked by hand")
    assert result["order"]["status"] == "SHIPPED"
    assert result["order"]["shipments"] == []
    assert await Shipment.all().count() == 0
    row = await Order.get(number=order["number"])
    events = (
        await OrderEvent.filter(order_id=row.id)
        .order_by("id")
        .values_list("type", "visibility", "message")
    )
    assert events[1:] == [
        ("STATUS_CHANGED", "PUBLIC", "Status changed from AWAITING_PAYMENT to SHIPPED."),
        ("STATUS_NOTE", "STAFF", "marked by hand"),
    ]
    # the items are still unshipped and can be shipped for real
    shipped = await gql.data(SHIP, {"id": order["id"]}, token)
    assert shipped["shipOrder"]["errors"] == []


async def test_set_status_permissions(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, actors.customer.token, [("A", 1)])
    for token, code in (
        (actors.fulfillment.token, "FORBIDDEN"),
        (actors.customer.token, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        result = (
            await set_status(gql, token, order, "CANCELLED")
            if token
            else (
                (await gql.data(SET_STATUS, {"id": order["id"], "status": "CANCELLED"}))[
                    "setStatus"
                ]
            )
        )
        assert [e["code"] for e in result["errors"]] == [code]
    assert (await Order.get(number=order["number"])).status == "AWAITING_PAYMENT"
    support = await set_status(gql, actors.support.token, order, "AWAITING_FULFILLMENT")
    assert support["errors"] == []


async def test_add_tracking_detects_the_carrier(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    data = await gql.data(
        ADD_TRACKING, {"id": order["id"], "n": " 1z999aa1 0123456784 "}, actors.fulfillment.token
    )
    assert data["addTracking"] == {
        "order": {
            "trackingNumber": UPS_OK,
            "carrier": "ups",
            "trackingUrl": f"https://www.ups.com/track?tracknum={UPS_OK}",
        },
        "errors": [],
    }


async def test_add_tracking_refuses_a_typo_for_a_named_carrier(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    data = await gql.data(
        ADD_TRACKING, {"id": order["id"], "n": UPS_TYPO, "c": "UPS"}, actors.admin.token
    )
    assert data["addTracking"]["order"] is None
    assert data["addTracking"]["errors"] == [
        {
            "code": "INVALID_TRACKING_NUMBER",
            "message": f"{UPS_TYPO} is not a valid UPS number: its check digit fails.",
            "field": ["trackingNumber"],
        }
    ]
    bad = await gql.data(ADD_TRACKING, {"id": order["id"], "n": "no way!"}, actors.admin.token)
    assert bad["addTracking"]["errors"] == [
        {
            "code": "INVALID_TRACKING_NUMBER",
            "message": "A tracking number has 1 to 50 letters, digits or dashes.",
            "field": ["trackingNumber"],
        }
    ]
    assert (await Order.get(number=order["number"])).tracking_number == ""


async def test_r3_add_tracking_never_changes_a_shipment(gql: GraphQLClient, actors: Actors) -> None:
    token = actors.admin.token
    order = await one_placed(gql, actors, units=2)
    await gql.data(ADD_TRACKING, {"id": order["id"], "n": "RB123456785GB"}, token)
    item = order["items"][0]["id"]
    first = await gql.data(
        SHIP, {"id": order["id"], "input": {"items": [{"orderItemId": item, "quantity": 1}]}}, token
    )
    assert first["shipOrder"]["shipment"]["trackingNumber"] == "RB123456785GB"
    await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, token)
    query = (
        "query($id: ID!) { order(id: $id) { trackingNumber shipments { trackingNumber carrier } } }"
    )
    # the customer sees the new number on the order at once; the shipment keeps its own
    seen = await gql.data(query, {"id": order["id"]}, actors.customer.token)
    assert seen["order"] == {
        "trackingNumber": UPS_OK,
        "shipments": [{"trackingNumber": "RB123456785GB", "carrier": "s10"}],
    }
    assert "updateShipment" not in str(
        await gql("{ __schema { mutationType { fields { name } } } }")
    )


async def test_add_tracking_permissions(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, actors.customer.token, [("A", 1)])
    for token, code in ((actors.customer.token, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        data = await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, token)
        assert [e["code"] for e in data["addTracking"]["errors"]] == [code]
    # the refusal names the permissions that would do, any one of them
    assert data["addTracking"]["errors"] == [
        {"code": "UNAUTHENTICATED", "message": "Sign in to do this.", "field": None}
    ]
    refused = await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, actors.customer.token)
    assert refused["addTracking"]["errors"] == [
        {
            "code": "FORBIDDEN",
            "message": "This needs one of SHIPMENTS_WRITE, ORDERS_WRITE.",
            "field": None,
        }
    ]
    data = await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, actors.support.token)
    assert data["addTracking"]["errors"] == []


async def test_an_import_only_token_learns_nothing_from_add_tracking(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A token that may only import tracking files may not call addTracking: it is refused
    before the number is checked or the order looked up, so it cannot probe which orders
    exist or which numbers pass; the order keeps its number."""
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, actors.customer.token, [("A", 1)])
    made = await gql.data(
        'mutation { createApiToken(input: {name: "carrier", permissions: [IMPORTS_WRITE]}) '
        "{ token } }",
        token=actors.admin.token,
    )
    importer = made["createApiToken"]["token"]
    unknown = to_global_id("Order", 999_999)
    for order_id, number in ((order["id"], UPS_OK), (order["id"], "no way!"), (unknown, UPS_OK)):
        data = await gql.data(ADD_TRACKING, {"id": order_id, "n": number}, importer)
        assert [e["code"] for e in data["addTracking"]["errors"]] == ["FORBIDDEN"], number
    assert (await Order.get(number=order["number"])).tracking_number == ""


async def test_add_tracking_moves_the_order_on_once_at_the_time_it_is_written(
    gql: GraphQLClient, actors: Actors
) -> None:
    """A new number moves the order's version one up and its updatedAt to now (UTC, as every
    time the API gives), the timeline's entry carries the same moment; the same number and
    carrier again change neither."""
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, actors.customer.token, [("A", 1)])
    query = """query($id: ID!) { order(id: $id) {
      version updatedAt events(first: 10) { edges { node { type createdAt } } } } }"""

    async def seen() -> tuple[int, datetime, dict[str, datetime]]:
        found = (await gql.data(query, {"id": order["id"]}, actors.admin.token))["order"]
        events = {
            e["node"]["type"]: datetime.fromisoformat(e["node"]["createdAt"])
            for e in found["events"]["edges"]
        }
        return found["version"], datetime.fromisoformat(found["updatedAt"]), events

    version, _, _ = await seen()
    asked = datetime.now(UTC)
    data = await gql.data(
        """mutation($id: ID!, $n: String!) { addTracking(orderId: $id, trackingNumber: $n) {
          order { version updatedAt } errors { code } } }""",
        {"id": order["id"], "n": UPS_OK},
        actors.admin.token,
    )
    answered = datetime.now(UTC)
    assert data["addTracking"]["errors"] == []
    after, updated, events = await seen()
    # the answer tells the order as it now is: what a reload shows, not another clock
    answer = data["addTracking"]["order"]
    assert (answer["version"], datetime.fromisoformat(answer["updatedAt"])) == (after, updated)
    assert after == version + 1
    assert asked <= updated <= answered
    assert events["TRACKING_NUMBER_SET"] == updated
    again = await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, actors.admin.token)
    assert again["addTracking"]["errors"] == []
    assert (await seen())[:2] == (after, updated)


async def test_a_tracking_number_is_told_on_the_timeline_with_its_carrier_if_known(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, actors.customer.token, [("A", 1)])
    for number in (UPS_OK, "ABC123456"):  # detected as UPS; of no known carrier
        data = await gql.data(ADD_TRACKING, {"id": order["id"], "n": number}, actors.admin.token)
        assert data["addTracking"]["errors"] == []
    told = [
        (e["message"], e["data"])
        for e in await timeline(gql, actors.customer.token, order["id"])
        if e["type"] == "TRACKING_NUMBER_SET"
    ]
    assert told == [
        (f"Tracking number {UPS_OK} (ups) added.", {"trackingNumber": UPS_OK, "carrier": "ups"}),
        ("Tracking number ABC123456 added.", {"trackingNumber": "ABC123456", "carrier": None}),
    ]


@pytest.mark.parametrize(
    ("number", "carrier"),
    [
        ("1Z999AA10123456784", "ups"),
        ("RB123456785GB", "s10"),
        ("EC123456785US", "s10"),
        ("449044304137821", "fedex"),
        ("9400111899223197428497", "usps"),
        ("3318810025", "dhl"),
    ],
)
def test_carrier_detection_on_real_format_numbers(number: str, carrier: str) -> None:
    assert resolve(number).carrier == carrier
    # the same number one digit off: no longer detected, and refused when the carrier is named
    last = number[-1] if number[-1].isdigit() else number[-3]
    wrong = str((int(last) + 1) % 10)
    typo = number[:-1] + wrong if number[-1].isdigit() else number[:-3] + wrong + number[-2:]
    with pytest.raises(InvalidTrackingNumber, match="check digit fails"):
        resolve(typo)
    with pytest.raises(InvalidTrackingNumber, match="check digit fails"):
        resolve(typo, carrier)


def test_unknown_carriers_are_kept_as_given() -> None:
    tracking = resolve("abc-123", "Acme Couriers")
    assert (tracking.number, tracking.carrier, tracking.url) == ("ABC-123", "acme couriers", None)


@pytest.mark.parametrize(
    ("number", "carrier", "says"),
    [
        ("hello", None, "no known carrier format"),
        ("hello", "acme", "too short"),
        ("TRACKINGNUMBER", "acme", "no digits"),
        ("12345", "acme", "too short"),
        (UPS_OK, "fedex", "is a UPS number, not FEDEX"),
        (UPS_TYPO, None, "form of a UPS number but its check digit fails"),
        ("RB123456785GB", "ups", "is a S10 number, not UPS"),
        # a number two carriers' formats and check digits take: both are named
        ("92970032475636370210", "ups", "is a FEDEX or USPS number, not UPS;"),
        ("88500465333620351309", None, "form of a FEDEX or USPS number but its check digit"),
    ],
)
async def test_add_tracking_refuses_nonsense_and_records_nothing(
    gql: GraphQLClient, actors: Actors, number: str, carrier: str | None, says: str
) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    events = await OrderEvent.filter(order__number=order["number"]).count()
    data = await gql.data(
        ADD_TRACKING, {"id": order["id"], "n": number, "c": carrier}, actors.admin.token
    )
    [error] = data["addTracking"]["errors"]
    assert (error["code"], error["field"]) == ("INVALID_TRACKING_NUMBER", ["trackingNumber"])
    assert says in error["message"]
    saved = await Order.get(number=order["number"])
    assert (saved.tracking_number, saved.carrier, saved.version) == ("", "", order["version"])
    assert await OrderEvent.filter(order__number=order["number"]).count() == events


@pytest.mark.parametrize(
    ("number", "carrier", "stored"),
    [
        ("EC123456785US", "usps", "usps"),  # postal carriers deliver S10 numbers
        ("RB123456785GB", "royal mail", "royal mail"),
        ("AB-12345-X", "Acme Couriers", "acme couriers"),  # no known format, carrier named
        (UPS_OK, "UPS", "ups"),
    ],
)
def test_numbers_that_agree_with_their_carrier_are_kept(
    number: str, carrier: str, stored: str
) -> None:
    assert resolve(number, carrier).carrier == stored


async def test_another_number_of_the_same_carrier_replaces_the_first(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    token = actors.admin.token
    first = await gql.data(ADD_TRACKING, {"id": order["id"], "n": "1Z999AA10123456784"}, token)
    assert first["addTracking"]["order"]["carrier"] == "ups"
    second = await gql.data(ADD_TRACKING, {"id": order["id"], "n": "1Z12345E6605272234"}, token)
    assert second["addTracking"]["errors"] == []
    row = await Order.get(number=order["number"])
    assert (row.tracking_number, row.carrier) == ("1Z12345E6605272234", "ups")
    events = await OrderEvent.filter(order_id=row.id, type="TRACKING_NUMBER_SET").count()
    assert events == 2


MISSING_ORDER = "T3JkZXI6OTk5OTk="  # Order:99999


async def one_placed(gql: GraphQLClient, actors: Actors, units: int = 1) -> dict[str, Any]:
    """An order of `units` of product A (10 in stock), placed by the customer."""
    await create_product(gql, actors.admin.token, "A", stock=10)
    return await placed(gql, actors.customer.token, [("A", units)])


def test_resolve_keeps_a_number_of_no_known_format_open_and_links_known_carriers() -> None:
    assert resolve("abc 12345") == Tracking("ABC12345", None, None)
    assert resolve(UPS_OK) == Tracking(
        UPS_OK, "ups", f"https://www.ups.com/track?tracknum={UPS_OK}"
    )
    assert resolve("abc12345", "DHL") == Tracking(
        "ABC12345", "dhl", "https://www.dhl.com/en/express/tracking.html?AWB=ABC12345&brand=DHL"
    )
    with pytest.raises(InvalidTrackingNumber, match="A carrier is a short name like ups"):
        resolve("abc12345", "ups!")


async def test_a_missing_order_is_named_in_every_fulfilment_mutation(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    tracked = await gql.data(ADD_TRACKING, {"id": MISSING_ORDER, "n": UPS_OK}, token)
    status = await gql.data(SET_STATUS, {"id": MISSING_ORDER, "status": "SHIPPED"}, token)
    shipped = await gql.data(SHIP, {"id": MISSING_ORDER}, token)
    for errors in (
        tracked["addTracking"]["errors"],
        status["setStatus"]["errors"],
        shipped["shipOrder"]["errors"],
    ):
        assert [(e["code"], e["field"], e["message"]) for e in errors] == [
            ("NOT_FOUND", ["orderId"], "Order not found.")
        ]


async def test_the_same_number_again_is_no_change_but_another_carrier_is(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    order = await one_placed(gql, actors)
    row = await Order.get(number=order["number"])

    async def tracking_events() -> int:
        return await OrderEvent.filter(order_id=row.id, type="TRACKING_NUMBER_SET").count()

    await gql.data(ADD_TRACKING, {"id": order["id"], "n": "ABC12345", "c": "dhl"}, token)
    again = await gql.data(ADD_TRACKING, {"id": order["id"], "n": "abc 12345", "c": "DHL"}, token)
    assert again["addTracking"]["errors"] == []
    assert await tracking_events() == 1
    other = await gql.data(ADD_TRACKING, {"id": order["id"], "n": "ABC12345", "c": "gls"}, token)
    assert other["addTracking"]["order"] == {
        "trackingNumber": "ABC12345",
        "carrier": "gls",
        "trackingUrl": None,
    }
    assert await tracking_events() == 2


async def test_setting_the_status_it_has_changes_nothing_but_marks_it_chosen(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    order = await one_placed(gql, actors)
    before = await Order.get(number=order["number"])
    assert before.status_manual is False
    same = await set_status(gql, token, order, before.status.value)
    assert same["errors"] == []
    assert same["order"]["version"] == before.version + 1  # status_manual changed
    again = await set_status(gql, token, order, before.status.value)
    assert again["order"]["version"] == same["order"]["version"]  # nothing at all changed
    after = await Order.get(number=order["number"])
    assert after.status_manual is True
    assert await OrderEvent.filter(order_id=after.id, type="STATUS_CHANGED").count() == 0


async def test_a_status_note_has_a_limit_and_released_stock_names_who(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    order = await one_placed(gql, actors, units=2)
    long = await set_status(gql, token, order, "CANCELLED", note="n" * 2001)
    assert [(e["code"], e["field"], e["message"]) for e in long["errors"]] == [
        ("INVALID_INPUT", ["note"], "At most 2000 characters.")
    ]
    assert (await set_status(gql, token, order, "CANCELLED", note="n" * 2000))["errors"] == []
    [movement] = await InventoryMovement.filter(reason="ORDER_RELEASED")
    assert (movement.delta, movement.actor_id) == (2, actors.admin.user_id)


async def test_only_an_import_may_set_tracking_on_imports_write_alone(
    gql: GraphQLClient, actors: Actors
) -> None:
    """tracking_plan.require_writer: IMPORTS_WRITE lets a token import numbers, never set one
    by hand; SHIPMENTS_WRITE (FULFILLMENT) sets one by hand."""
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    made = await gql.data(
        """mutation { createApiToken(input: {name: "carrier", permissions: [IMPORTS_WRITE]}) {
          token } }""",
        token=actors.admin.token,
    )
    importer = made["createApiToken"]["token"]
    refused = await gql.data(ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, importer)
    assert refused["addTracking"]["order"] is None
    assert [e["code"] for e in refused["addTracking"]["errors"]] == ["FORBIDDEN"]
    assert (await Order.get(number=order["number"])).tracking_number in ("", None)
    allowed = await gql.data(
        ADD_TRACKING, {"id": order["id"], "n": UPS_OK}, actors.fulfillment.token
    )
    assert allowed["addTracking"]["order"]["trackingNumber"] == UPS_OK


async def test_add_tracking_answers_the_order_one_version_on(
    gql: GraphQLClient, actors: Actors
) -> None:
    """The order addTracking answers is the saved one: its version moved on once, as an
    editor holding the old one would be told."""
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    query = """mutation($id: ID!, $n: String!) { addTracking(orderId: $id, trackingNumber: $n) {
      order { version } errors { code } } }"""
    data = await gql.data(query, {"id": order["id"], "n": UPS_OK}, actors.admin.token)
    saved = await Order.get(number=order["number"])
    assert data["addTracking"]["order"]["version"] == saved.version == order["version"] + 1
