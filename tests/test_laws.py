"""The stock and money laws, over random histories of the whole order lifecycle.

A Hypothesis state machine drives placeOrder, editOrder (lines added, changed, removed),
recordPayment (any kind and amount),
shipOrder (partial), deleteShipment, setStatus (any status), bulkUpdateOrders and
importTracking (each with its worker's run), updateOrder,
requestReturn/setReturnStatus (with restock), refundOrder (with restock), cancelOrder (with
restock or a write-off, and a refund request), requestRefund, the payment side's confirmation
of a request (recordPayment REFUND naming it) and its withdrawal, and adjustStock
through the GraphQL API, and after every step
checks, against its own record of starting stock and adjustments:

- per product: stock = start + adjustments - units held by orders whose stock is not released
  - units shipped + units restocked, and the ledger agrees;
- per order: the payment amounts are the sums of its transactions, 0 <= refunded <= paid,
  what pending refund requests ask for is their sum and refunded + requested <= paid,
  restocked <= shipped <= ordered, returned <= shipped, and the payment status
  agrees with the amounts;
- a refused step changes nothing;
- per order (taxed at TAX_RATE): every line's total, the subtotal, tax and total add up to the
  cent, every line is held through its own product, and payment.balanceDue / refundDue are
  what the ledger makes them;
- every timeline entry's data has its keys, and every webhook body written for it has the
  shape docs/notifications.md documents (with the API's field names).

The machine runs in a thread; each step is sent to the test's event loop, where the app and
its database live. BITCART_LAW_EXAMPLES sets how many histories are tried (CI runs more).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import re
from collections.abc import Coroutine
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from app.models import (
    ImportStatus,
    InventoryMovement,
    Order,
    OrderEvent,
    OrderItem,
    PaymentStatus,
    PaymentTransaction,
    Product,
    RefundRequest,
    Webhook,
    WebhookDelivery,
)
from app.schema.ids import from_global_id, to_global_id
from app.services import bulk, imports, outbox
from app.services.lifecycle import fulfillment_of
from app.services.money import money
from tests import sameness
from tests.conftest import Actors, GraphQLClient, app_settings, empty_tables, upload
from tests.factories import PLACE_ORDER, order_input

T = TypeVar("T")
SKUS = ("A", "B", "C")
START = 12
TAX_RATE = Decimal("0.0825")
STATUSES = [
    "PENDING",
    "AWAITING_PAYMENT",
    "AWAITING_FULFILLMENT",
    "AWAITING_SHIPMENT",
    "PARTIALLY_SHIPPED",
    "SHIPPED",
    "COMPLETED",
    "CANCELLED",
    "DECLINED",
    "REFUNDED",
    "PARTIALLY_REFUNDED",
    "DISPUTED",
    "RETURNED",
]
RELEASING = {"CANCELLED", "DECLINED", "REFUNDED"}
RETURN_STATUSES = ["AUTHORIZED", "RECEIVED", "REFUNDED", "REPAIRED", "REJECTED", "CANCELLED"]

SHIP = """mutation($id: ID!, $input: ShipOrderInput) { shipOrder(orderId: $id, input: $input) {
  shipment { id } errors { code } } }"""
DELETE = "mutation($id: ID!) { deleteShipment(id: $id) { errors { code } } }"
SET_STATUS = """mutation($id: ID!, $s: OrderStatus!) { setStatus(orderId: $id, status: $s) {
  errors { code } } }"""
UPDATE = """mutation($id: ID!, $input: UpdateOrderInput!) { updateOrder(id: $id, input: $input) {
  errors { code } } }"""
REQUEST_RETURN = """mutation($input: RequestReturnInput!) { requestReturn(input: $input) {
  returnRequest { id } errors { code } } }"""
SET_RETURN = """mutation($id: ID!, $s: ReturnStatus!, $restock: Boolean!) {
  setReturnStatus(id: $id, status: $s, restock: $restock) { errors { code } } }"""
REFUND = """mutation($id: ID!, $input: RefundOrderInput!) {
  refundOrder(orderId: $id, input: $input) { errors { code } } }"""
EDIT = """mutation($id: ID!, $input: EditOrderInput!) {
  editOrder(orderId: $id, input: $input) { order { items { id sku } } errors { code } } }"""
RECORD = """mutation($id: ID!, $input: RecordPaymentInput!) {
  recordPayment(orderId: $id, input: $input) { errors { code } } }"""
KINDS = ["AUTHORIZATION", "CAPTURE", "VOID", "REFUND"]
ADJUST = """mutation($sku: String!, $d: Int!) {
  adjustStock(sku: $sku, delta: $d, reason: "count") { errors { code } } }"""
CANCEL = """mutation($id: ID!, $input: CancelOrderInput) {
  cancelOrder(orderId: $id, input: $input) { errors { code } } }"""
ASK = """mutation($id: ID!, $input: RequestRefundInput) {
  requestRefund(orderId: $id, input: $input) { errors { code } } }"""
WITHDRAW = "mutation($id: ID!) { cancelRefundRequest(id: $id) { errors { code } } }"
BULK = """mutation($input: BulkUpdateOrdersInput!) { bulkUpdateOrders(input: $input) {
  bulkOperation { id } errors { code } } }"""
IMPORT = """mutation($file: Upload!, $options: ImportOptionsInput) {
  importTracking(file: $file, options: $options) { trackingImport { id } errors { code } } }"""
TRACKING_NUMBERS = ["1Z999AA10123456784", "449044304137821", "RB123456785GB"]


async def snapshot() -> tuple[Any, ...]:
    """What a refused step must leave as it was."""
    return (
        await Product.all().order_by("id").values_list("sku", "stock"),
        await Order.all()
        .order_by("id")
        .values_list(
            "status",
            "amount_authorized",
            "amount_paid",
            "amount_refunded",
            "payment_status",
            "amount_refund_requested",
            "version",
        ),
        await RefundRequest.all().order_by("id").values_list("status", "amount"),
        await PaymentTransaction.all().count(),
        await OrderItem.all()
        .order_by("id")
        .values_list("quantity_shipped", "quantity_returned", "quantity_restocked"),
        await InventoryMovement.all().count(),
    )


async def check_laws(start: dict[str, int], adjusted: dict[str, int]) -> None:
    orders = {o.id: o for o in await Order.all()}
    expected = {sku: start[sku] + adjusted[sku] for sku in start}
    for item in await OrderItem.all():
        order = orders[item.order_id]
        where = f"order {order.number} {item.sku}"
        assert 0 <= item.quantity_shipped <= item.quantity, where
        assert 0 <= item.quantity_returned <= item.quantity_shipped, where
        assert 0 <= item.quantity_restocked <= item.quantity_shipped, where
        held = 0 if order.status.value in RELEASING else item.quantity - item.quantity_shipped
        expected[item.sku] += -held - item.quantity_shipped + item.quantity_restocked
    for product in await Product.all():
        ledger = sum(
            await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
        )
        assert product.stock == expected[product.sku] == ledger, (product.sku, expected, ledger)
    sums: dict[tuple[int, str], Decimal] = {}
    open_authorization: dict[int, Decimal] = {}
    for order_id, kind, amount in (
        await PaymentTransaction.all().order_by("id").values_list("order_id", "kind", "amount")
    ):
        sums[order_id, kind] = sums.get((order_id, kind), Decimal(0)) + Decimal(amount)
        held = open_authorization.get(order_id, Decimal(0))
        if kind == "AUTHORIZATION":
            held += amount
        elif kind in ("CAPTURE", "VOID"):  # uses up what is authorized at that moment
            held -= min(held, amount)
        open_authorization[order_id] = held
    requested: dict[int, Decimal] = {}
    for order_id, amount in await RefundRequest.filter(status="PENDING").values_list(
        "order_id", "amount"
    ):
        requested[order_id] = requested.get(order_id, Decimal(0)) + amount
    for order in orders.values():

        def total_of(kind: str, order_id: int = order.id) -> Decimal:
            return sums.get((order_id, kind), Decimal(0))

        where = f"order {order.number}"
        assert order.amount_paid == total_of("CAPTURE"), where
        assert order.amount_refunded == total_of("REFUND"), where
        assert order.amount_authorized == open_authorization.get(order.id, 0), where
        assert total_of("VOID") <= total_of("AUTHORIZATION"), where
        # an edit may lower the total below what was paid: that is refundDue, not an error
        assert 0 <= order.amount_refunded <= order.amount_paid, where
        asked = requested.get(order.id, Decimal(0))
        assert order.amount_refund_requested == asked, where
        assert order.amount_refunded + asked <= order.amount_paid, where
        if order.amount_refunded > 0:
            fully = order.amount_refunded == order.amount_paid
            assert order.payment_status is (
                PaymentStatus.REFUNDED if fully else PaymentStatus.PARTIALLY_REFUNDED
            ), where
        elif order.amount_paid > 0:
            fully = order.amount_paid >= order.total
            assert order.payment_status is (
                PaymentStatus.PAID if fully else PaymentStatus.PARTIALLY_PAID
            ), where
        elif order.amount_authorized > 0:
            assert order.payment_status is PaymentStatus.AUTHORIZED, where
        elif total_of("VOID") > 0:
            assert order.payment_status is PaymentStatus.VOIDED, where
        else:
            assert order.payment_status is PaymentStatus.PENDING, where


async def check_fulfilment() -> None:
    """Every order's fulfilment status is what its lines say (lifecycle.fulfillment_of)."""
    lines: dict[int, list[tuple[int, int, int]]] = {}
    for order_id, *units in await OrderItem.all().values_list(
        "order_id", "quantity", "quantity_shipped", "quantity_returned"
    ):
        lines.setdefault(order_id, []).append(tuple(units))
    for order in await Order.all():
        expected = fulfillment_of(lines.get(order.id, []))
        assert order.fulfillment_status is expected, (order.number, lines.get(order.id))


# The order's arithmetic and dues, and what it tells the world, against what is documented.
ROOT = Path(__file__).resolve().parent.parent
DUES = """{ orders(first: 100) { edges { node { number status total
  payment { amountPaid amountRefunded refundRequested balanceDue refundDue } } } } }"""
ENTITIES = {
    "the order": "Order",
    "the shipment": "Shipment",
    "the return request": "Return",
    "the refund": "Refund",
    "the request": "RefundRequest",
    "the transaction": "PaymentTransaction",
    "the import": "TrackingImport",
    "the document": "Document",
}


def documented_topics() -> dict[str, str]:
    """docs/notifications.md's table of webhook events: topic -> what `data` is."""
    text = (ROOT / "docs" / "notifications.md").read_text()
    return {
        topic: data
        for topic, data in re.findall(r"^\| `([a-z_.]+)` \| [^|]+ \| (.+) \|$", text, re.M)
    }


def graphql_fields() -> dict[str, set[str]]:
    """Each object type's field names, from the printed schema."""
    text = (ROOT / "schema.graphql").read_text()
    fields: dict[str, set[str]] = {}
    for name, body in re.findall(r"^type (\w+)[^{]*\{(.*?)^\}", text, re.M | re.S):
        body = re.sub(r'"""(.*?)"""', "", body, flags=re.S)
        fields[name] = set(re.findall(r"^  (\w+)\b", body, re.M))
    return fields


TOPICS = documented_topics()
# sent, though docs/notifications.md does not say so (yet)
UNDOCUMENTED: dict[str, set[str]] = {}
FIELDS = graphql_fields()
# the timeline entries' data as the dispatcher and the API's `data` read it: the keys each
# type always carries (STATUS_CHANGED may carry more, named by its cause)
EVENT_KEYS: dict[str, set[str]] = {
    "ORDER_PLACED": {"status"},
    "ORDER_EDITED": {"total", "totalBefore", "currency"},
    "ORDER_EDIT_DETAILS": {"prices", "totalBefore", "totalAfter", "note"},
    "STATUS_CHANGED": {"from", "to"},
    "SHIPMENT_CREATED": {"shipmentId", "trackingNumber", "items"},
    "SHIPMENT_DELETED": {"shipmentId", "trackingNumber"},
    "PAYMENT_RECORDED": {"transactionId", "kind", "amount", "currency"},
    "REFUND_REQUESTED": {"refundRequestId", "amount", "currency"},
    "REFUND_REQUEST_CANCELLED": {"refundRequestId"},
    "ORDER_CANCELLED": {"reason", "restocked", "refundAmount", "currency", "notifyCustomer"},
    "RETURN_REQUESTED": {"returnId"},
}


async def check_arithmetic(tax_rate: Decimal) -> None:
    """Every line, subtotal, tax and total to the cent; every line held through its product."""
    products = dict(await Product.all().values_list("id", "sku"))
    lines: dict[int, list[OrderItem]] = {}
    for item in await OrderItem.all():
        lines.setdefault(item.order_id, []).append(item)
    for order in await Order.all():
        items = lines.get(order.id, [])
        where = f"order {order.number}"
        for item in items:
            assert item.total == money(item.unit_price * item.quantity), (where, item.sku)
            # stock is held and given back through the line's product: a line without one
            # would keep units that no cancellation returns
            assert item.product_id is not None, (where, item.sku)
            assert products[item.product_id] == item.sku, (where, item.sku)
        subtotal = sum((item.total for item in items), Decimal(0))
        assert order.subtotal == subtotal, where
        assert order.tax_total == money(subtotal * tax_rate), where
        assert order.total == subtotal + order.shipping_cost + order.tax_total, where


async def check_dues(gql: GraphQLClient, token: str) -> None:
    """balanceDue and refundDue as the API documents them, from the ledger."""
    paid: dict[int, Decimal] = {}
    refunded: dict[int, Decimal] = {}
    requested: dict[int, Decimal] = {}
    numbers = dict(await Order.all().values_list("id", "number"))
    for order_id, kind, amount in await PaymentTransaction.all().values_list(
        "order_id", "kind", "amount"
    ):
        into = {"CAPTURE": paid, "REFUND": refunded}.get(kind)
        if into is not None:
            into[numbers[order_id]] = into.get(numbers[order_id], Decimal(0)) + amount
    for order_id, amount in await RefundRequest.filter(status="PENDING").values_list(
        "order_id", "amount"
    ):
        requested[numbers[order_id]] = requested.get(numbers[order_id], Decimal(0)) + amount
    unchecked = sameness.checking.set(False)  # one query asked after every step: once
    try:
        data = await gql.data(DUES, token=token)
    finally:
        sameness.checking.reset(unchecked)
    for edge in data["orders"]["edges"]:
        order = edge["node"]
        number, payment = order["number"], order["payment"]
        got = paid.get(number, Decimal(0))
        left = got - refunded.get(number, Decimal(0)) - requested.get(number, Decimal(0))
        total = Decimal(order["total"])
        assert Decimal(payment["amountPaid"]) == got, number
        if order["status"] in RELEASING:
            balance, due = Decimal(0), max(Decimal(0), left)
        else:
            balance, due = max(Decimal(0), total - got), max(Decimal(0), left - total)
        assert Decimal(payment["balanceDue"]) == balance, (number, payment)
        assert Decimal(payment["refundDue"]) == due, (number, payment)


async def check_events(seen: int) -> int:
    """Every timeline entry since `seen` carries its documented data keys; the last id."""
    last = seen
    for event in await OrderEvent.filter(id__gt=seen).order_by("id"):
        last = event.id
        kind = str(event.type)
        keys = EVENT_KEYS.get(kind)
        if keys is None:
            continue
        if kind == "STATUS_CHANGED":
            assert keys <= set(event.data), (event.type, event.data)
        else:
            assert set(event.data) == keys, (event.type, event.data)
        if kind == "SHIPMENT_CREATED":
            items = event.data["items"]
            assert items, event.data
            assert all(set(i) == {"sku", "quantity"} and i["quantity"] > 0 for i in items)
    return last


def check_body(topic: str, body: dict[str, Any]) -> None:
    """One webhook body against docs/notifications.md and the API's types."""
    assert set(body) == {"type", "timestamp", "data"}, body
    assert body["type"] == topic, body
    documented = TOPICS[topic]
    data = body["data"]
    exact = re.fullmatch(r"`\{([\w, ]+)\}`", documented)
    if exact:
        assert set(data) == {k.strip() for k in exact.group(1).split(",")}, (topic, data)
        return
    entity = next(
        ENTITIES[e] for e in sorted(ENTITIES, key=len, reverse=True) if documented.startswith(e)
    )
    assert data["id"], (topic, data)
    # besides the type's own fields: the order it belongs to (as {id, number}) and what the
    # table names; UNDOCUMENTED lists what is sent though no document says so
    allowed = FIELDS[entity] | {"change", "order"} | set(re.findall(r"`(\w+)`", documented))
    extra = set(data) - allowed - UNDOCUMENTED.get(topic, set())
    assert not extra, (topic, entity, extra)
    if "order" in data and entity != "Order":
        assert set(data["order"]) == {"id", "number"}, (topic, data)
    change = re.search(r"`change: \{([\w, ]+)\}`", documented)
    if change:
        keys = set(data["change"])
        named = {k.strip() for k in change.group(1).split(",")}
        # and the keys the table names beside it, sent when they apply
        optional = set(re.findall(r"`(\w+)`", documented)) | UNDOCUMENTED.get(topic, set())
        assert named <= keys <= named | optional, (topic, data["change"])
    if topic == "order.updated" and "total" in data["change"] and "totalBefore" in data["change"]:
        # an edit of the lines: the documented three keys, the new total the order's
        assert set(data["change"]) == {"total", "totalBefore", "currency"}, data
        assert data["change"]["total"] == data["total"], data


async def listen_to_everything() -> None:
    """A webhook for every documented topic (never sent: the deliveries are only read)."""
    if not await Webhook.all().exists():
        await Webhook.create(url="https://erp.example.com/hook", events=list(TOPICS), secret="x")


async def check_webhooks(settings: Any) -> None:
    """Dispatch what is waiting; every body written is of a documented shape."""
    while (done := await outbox.dispatch(settings)).events or done.deliveries:
        pass
    for delivery in await WebhookDelivery.filter(status="PENDING"):
        check_body(delivery.event, json.loads(delivery.payload))
    await WebhookDelivery.all().delete()


def lifecycle_machine(
    loop: asyncio.AbstractEventLoop, app: Any, gql: GraphQLClient, actors: Actors
) -> type[RuleBasedStateMachine]:
    def run(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(timeout=120)

    staff = actors.admin.token
    config = dataclasses.replace(app.state.settings, notify=False)

    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            run(empty_tables(app))
            self.start = dict.fromkeys(SKUS, START)
            self.adjusted = dict.fromkeys(SKUS, 0)
            self.orders: list[dict[str, Any]] = []
            self.shipments: list[str] = []
            self.returns: list[str] = []
            for sku in SKUS:
                run(
                    gql.data(
                        """mutation($i: CreateProductInput!) { createProduct(input: $i) {
                             errors { code } } }""",
                        {"i": {"sku": sku, "name": sku, "price": "10.00", "stock": START}},
                        staff,
                    )
                )

        def step(self, query: str, variables: dict[str, Any], token: str = staff) -> Any:
            """Run one mutation; a refusal must leave everything as it was."""
            before = run(snapshot())
            body = run(gql(query, variables, token, expect_errors=True))
            if "errors" in body:  # refused as a whole (text with a NUL character, say)
                codes = [e["extensions"]["code"] for e in body["errors"]]
                assert codes == ["INVALID_INPUT"], body["errors"]
                assert run(snapshot()) == before, (query, body["errors"])
                return {"errors": body["errors"]}
            payload = next(iter(body["data"].values()))
            if payload["errors"]:
                assert run(snapshot()) == before, (query, payload["errors"])
            return payload

        order_lines = st.lists(
            st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3
        )
        payments = st.sampled_from(["PAID", "AUTHORIZED", "PENDING"])

        @initialize(lines=order_lines, payment=payments)
        def first_order(self, lines: list[tuple[str, int]], payment: str) -> None:
            self.place_order(lines, payment)

        @rule(lines=order_lines, payment=payments)
        def place_order(self, lines: list[tuple[str, int]], payment: str) -> None:
            merged: dict[str, int] = {}
            for sku, qty in lines:
                merged[sku] = merged.get(sku, 0) + qty
            before = run(snapshot())
            data = run(
                gql.data(
                    PLACE_ORDER,
                    {"input": order_input(list(merged.items()))},
                    actors.customer.token,
                )
            )
            payload = data["placeOrder"]
            if payload["errors"]:
                assert [e["code"] for e in payload["errors"]] == ["INSUFFICIENT_STOCK"]
                assert run(snapshot()) == before
                return
            order = payload["order"]
            self.orders.append(order)
            kind = {"PAID": "CAPTURE", "AUTHORIZED": "AUTHORIZATION"}.get(payment)
            if kind is not None:  # paid in full, as the payment back end reports it
                assert not self.step(RECORD, {"id": order["id"], "input": {"kind": kind}})["errors"]

        @rule(data=st.data())
        def edit_order(self, data: st.DataObject) -> None:
            index = data.draw(st.integers(0, len(self.orders) - 1))
            order = self.orders[index]
            lines = order["items"]
            change = data.draw(
                st.lists(
                    st.builds(
                        lambda line, q: {"orderItemId": line["id"], "quantity": q},
                        st.sampled_from(lines),
                        st.integers(1, 5),
                    ),
                    max_size=2,
                    unique_by=lambda c: c["orderItemId"],
                )
            )
            changed = {c["orderItemId"] for c in change}
            remove = data.draw(
                st.lists(
                    st.sampled_from([i["id"] for i in lines if i["id"] not in changed]),
                    max_size=1,
                    unique=True,
                )
                if len(lines) > len(changed)
                else st.just([])
            )
            add = data.draw(
                st.lists(
                    st.builds(
                        lambda sku, q: {"sku": sku, "quantity": q},
                        st.sampled_from(SKUS),
                        st.integers(1, 4),
                    ),
                    max_size=1,
                )
            )
            edit = {"change": change, "remove": remove, "add": add}
            payload = self.step(EDIT, {"id": order["id"], "input": edit})
            if payload.get("order"):
                self.orders[index] = {**order, "items": payload["order"]["items"]}

        @rule(
            data=st.data(),
            kind=st.sampled_from(KINDS),
            amount=st.none() | st.decimals(Decimal("0.01"), Decimal("60"), places=2),
        )
        def record_payment(self, data: st.DataObject, kind: str, amount: Decimal | None) -> None:
            order = data.draw(st.sampled_from(self.orders))
            payment: dict[str, Any] = {"kind": kind}
            if amount is not None:
                payment["amount"] = str(amount)
            self.step(RECORD, {"id": order["id"], "input": payment})

        @rule(data=st.data())
        def ship(self, data: st.DataObject) -> None:
            order = data.draw(st.sampled_from(self.orders))
            items = data.draw(
                st.none()
                | st.lists(
                    st.tuples(st.sampled_from(order["items"]), st.integers(1, 3)),
                    min_size=1,
                    max_size=2,
                )
                | st.lists(
                    st.tuples(st.sampled_from(order["items"]), st.integers(1, 3)),
                    min_size=1,
                    max_size=2,
                )
            )
            lines = (
                None
                if items is None
                else [{"orderItemId": i["id"], "quantity": q} for i, q in items]
            )
            payload = self.step(SHIP, {"id": order["id"], "input": {"items": lines}})
            if payload.get("shipment"):
                self.shipments.append(payload["shipment"]["id"])

        @precondition(lambda self: self.shipments)
        @rule(data=st.data())
        def delete_shipment(self, data: st.DataObject) -> None:
            shipment = data.draw(st.sampled_from(self.shipments))
            if not self.step(DELETE, {"id": shipment})["errors"]:
                self.shipments.remove(shipment)

        # the releasing statuses and back again are where stock goes wrong: weight them
        @rule(data=st.data(), status=st.sampled_from(sorted(RELEASING)) | st.sampled_from(STATUSES))
        def set_status(self, data: st.DataObject, status: str) -> None:
            order = data.draw(st.sampled_from(self.orders))
            self.step(SET_STATUS, {"id": order["id"], "s": status})

        @rule(data=st.data(), note=st.text(max_size=20))
        def update_order(self, data: st.DataObject, note: str) -> None:
            order = data.draw(st.sampled_from(self.orders))
            self.step(UPDATE, {"id": order["id"], "input": {"staffNotes": note}})

        @rule(data=st.data())
        def request_return(self, data: st.DataObject) -> None:
            order = data.draw(st.sampled_from(self.orders))
            item = data.draw(st.sampled_from(order["items"]))
            quantity = data.draw(st.sampled_from([1, 1, 2, 3]))
            payload = self.step(
                REQUEST_RETURN,
                {
                    "input": {
                        "orderId": order["id"],
                        "items": [{"orderItemId": item["id"], "quantity": quantity}],
                    }
                },
                actors.customer.token,
            )
            if payload.get("returnRequest"):
                self.returns.append(payload["returnRequest"]["id"])

        @precondition(lambda self: self.returns)
        @rule(data=st.data(), status=st.sampled_from(RETURN_STATUSES), restock=st.booleans())
        def set_return_status(self, data: st.DataObject, status: str, restock: bool) -> None:
            request = data.draw(st.sampled_from(self.returns))
            self.step(SET_RETURN, {"id": request, "s": status, "restock": restock})

        @rule(data=st.data(), restock=st.booleans())
        def refund(self, data: st.DataObject, restock: bool) -> None:
            order = data.draw(st.sampled_from(self.orders))
            amount = data.draw(st.decimals(Decimal("0.01"), Decimal("25"), places=2))
            items = data.draw(
                st.lists(st.tuples(st.sampled_from(order["items"]), st.integers(1, 3)), max_size=2)
            )
            lines = [{"orderItemId": i["id"], "quantity": q} for i, q in items]
            self.step(
                REFUND,
                {
                    "id": order["id"],
                    "input": {"amount": str(amount), "items": lines, "restock": restock},
                },
            )

        @rule(sku=st.sampled_from(SKUS), delta=st.integers(-5, 5).filter(bool))
        def adjust_stock(self, sku: str, delta: int) -> None:
            payload = self.step(ADJUST, {"sku": sku, "d": delta})
            if not payload["errors"]:
                self.adjusted[sku] += delta

        @rule(
            data=st.data(),
            restock=st.booleans(),
            refund=st.booleans(),
            amount=st.none() | st.decimals(Decimal("0.01"), Decimal("40"), places=2),
        )
        def cancel_order(
            self, data: st.DataObject, restock: bool, refund: bool, amount: Decimal | None
        ) -> None:
            order = data.draw(st.sampled_from(self.orders))
            held = run(self.held(order["number"]))
            cancel: dict[str, Any] = {"restock": restock, "refund": refund}
            if refund and amount is not None:
                cancel["refundAmount"] = str(amount)
            payload = self.step(CANCEL, {"id": order["id"], "input": cancel})
            if not payload["errors"] and not restock:  # written off: as an adjustment
                for sku, quantity in held.items():
                    self.adjusted[sku] -= quantity

        async def requests(self) -> list[tuple[int, int]]:
            return list(await RefundRequest.all().order_by("id").values_list("id", "order_id"))

        async def held(self, number: int) -> dict[str, int]:
            """The units an order holds now (none once its stock is released)."""
            order = await Order.get(number=number)
            if order.stock_released:
                return {}
            held: dict[str, int] = {}
            for item in await OrderItem.filter(order_id=order.id):
                held[item.sku] = held.get(item.sku, 0) + item.quantity - item.quantity_shipped
            return held

        @rule(
            data=st.data(), amount=st.none() | st.decimals(Decimal("0.01"), Decimal("40"), places=2)
        )
        def request_refund(self, data: st.DataObject, amount: Decimal | None) -> None:
            order = data.draw(st.sampled_from(self.orders))
            ask = {} if amount is None else {"amount": str(amount)}
            self.step(ASK, {"id": order["id"], "input": ask})

        @rule(data=st.data(), confirm=st.booleans())
        def settle_request(self, data: st.DataObject, confirm: bool) -> None:
            """The payment side confirms a request (or one already settled), or withdraws it."""
            requests = run(self.requests())
            if not requests:
                return
            request_id, order_id = data.draw(st.sampled_from(requests))
            request = to_global_id("RefundRequest", request_id)
            if not confirm:
                self.step(WITHDRAW, {"id": request})
                return
            order = to_global_id("Order", order_id)
            self.step(
                RECORD, {"id": order, "input": {"kind": "REFUND", "refundRequestId": request}}
            )

        @rule(
            data=st.data(),
            status=st.sampled_from(sorted(RELEASING)) | st.sampled_from(STATUSES),
            note=st.sampled_from(["", "moved in bulk"]),
        )
        def bulk_update(self, data: st.DataObject, status: str, note: str) -> None:
            """bulkUpdateOrders, then its worker: the set-based path of setStatus."""
            chosen = data.draw(st.lists(st.sampled_from(self.orders), min_size=1, max_size=3))
            ids = list(dict.fromkeys(o["id"] for o in chosen))
            payload = self.step(BULK, {"input": {"orderIds": ids, "status": status, "note": note}})
            assert not payload["errors"], payload["errors"]
            operation = int(from_global_id("BulkOperation", payload["bulkOperation"]["id"]))
            assert run(bulk.run(operation)) is ImportStatus.SUCCEEDED

        @rule(
            data=st.data(),
            overwrite=st.booleans(),
            ship=st.booleans(),
            status=st.none() | st.sampled_from(STATUSES),
        )
        def import_tracking(
            self, data: st.DataObject, overwrite: bool, ship: bool, status: str | None
        ) -> None:
            """importTracking, then its worker: the set path (tracking only) or the row by
            row one (with shipments or a status)."""
            lines = data.draw(
                st.lists(
                    st.tuples(st.sampled_from(self.orders), st.sampled_from(TRACKING_NUMBERS)),
                    min_size=1,
                    max_size=3,
                )
            )
            csv = "Order Number,Tracking Number\n" + "".join(
                f"{order['number']},{number}\n" for order, number in lines
            )
            options: dict[str, Any] = {"overwrite": overwrite, "createShipments": ship}
            if status is not None:
                options["setStatus"] = status
            body = run(upload(gql.http, IMPORT, {"options": options}, csv.encode(), staff))
            payload = body["data"]["importTracking"]
            assert not payload["errors"], payload["errors"]
            started = int(from_global_id("TrackingImport", payload["trackingImport"]["id"]))
            assert run(imports.run_import(started, app.state.storage)) is ImportStatus.SUCCEEDED

        @invariant()
        def fulfilment_is_derived(self) -> None:
            run(check_fulfilment())

        @invariant()
        def laws_hold(self) -> None:
            run(check_laws(self.start, self.adjusted))

        @invariant()
        def arithmetic_holds(self) -> None:
            run(check_arithmetic(TAX_RATE))

        @invariant()
        def dues_follow_the_ledger(self) -> None:
            run(check_dues(gql, staff))

        @invariant()
        def news_has_its_documented_shape(self) -> None:
            run(listen_to_everything())
            self.events_seen = run(check_events(getattr(self, "events_seen", 0)))
            run(check_webhooks(config))

        @rule(data=st.data(), cost=st.decimals(Decimal("0"), Decimal("30"), places=2))
        def edit_shipping_cost(self, data: st.DataObject, cost: Decimal) -> None:
            order = data.draw(st.sampled_from(self.orders))
            self.step(EDIT, {"id": order["id"], "input": {"shippingCost": str(cost)}})

    return Lifecycle


async def test_stock_and_money_laws_hold_over_random_histories(
    app: Any, gql: GraphQLClient, actors: Actors
) -> None:
    machine = lifecycle_machine(asyncio.get_running_loop(), app, gql, actors)
    examples = int(os.environ.get("BITCART_LAW_EXAMPLES", "10"))
    config = settings(
        max_examples=examples,
        stateful_step_count=40,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    # taxed, so that a tax added the wrong way shows in the totals
    with app_settings(app, tax_rate=TAX_RATE):
        await asyncio.to_thread(run_state_machine_as_test, machine, settings=config)
