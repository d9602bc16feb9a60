"""The lifecycle as data (app/services/lifecycle.py): derived fulfilment, what "open" means,
the automatic moves as rows, and transactions a service asserts."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from app.db import OutsideTransaction, atomic
from app.models import (
    BulkOperation,
    BulkOperationRow,
    FulfillmentStatus,
    Order,
    OrderStatus,
    PaymentStatus,
)
from app.schema.ids import from_global_id
from app.services import bulk, lifecycle
from app.services.auth import acting_as
from app.services.leases import Lease
from app.services.lifecycle import Facts, Trigger, fulfillment_of, transition
from app.services.orders import lock_order
from tests.conftest import Actors, GraphQLClient, count_queries
from tests.factories import REFUND, create_product, paid, placed
from tests.test_bulk import BULK
from tests.test_cancellation import cancel
from tests.test_fulfilment import set_status
from tests.test_order_edits import edit
from tests.test_returns import request_return
from tests.test_shipments import ship

F = FulfillmentStatus
S = OrderStatus

STATE = """query($id: ID!) { order(id: $id) { status isOpen fulfillmentStatus } }"""
OPEN = """{ open: orders(first: 20, filter: {isOpen: true}) { edges { node { number } } }
  closed: orders(first: 20, filter: {isOpen: false}) { edges { node { number } } } }"""
SET_RETURN = """mutation($id: ID!, $s: ReturnStatus!) {
  setReturnStatus(id: $id, status: $s, restock: false) { errors { code } } }"""


def test_fulfilment_is_derived_from_shipped_and_returned_units() -> None:
    assert fulfillment_of([]) is F.UNFULFILLED
    assert fulfillment_of([(2, 0, 0), (1, 0, 0)]) is F.UNFULFILLED
    assert fulfillment_of([(2, 1, 0), (1, 0, 0)]) is F.PARTIALLY_FULFILLED
    # units still to ship decide, whatever came back of the rest
    assert fulfillment_of([(2, 1, 1), (1, 0, 0)]) is F.PARTIALLY_FULFILLED
    assert fulfillment_of([(2, 2, 0), (1, 1, 0)]) is F.FULFILLED
    assert fulfillment_of([(2, 2, 1), (1, 1, 0)]) is F.PARTIALLY_RETURNED
    assert fulfillment_of([(2, 2, 2), (1, 1, 1)]) is F.RETURNED


def test_the_fulfilment_column_is_written_only_when_it_moves() -> None:
    assert lifecycle.fulfillment_changes(F.UNFULFILLED, [(2, 0, 0)]) == {}
    assert lifecycle.fulfillment_changes(F.FULFILLED, [(2, 2, 0)]) == {}
    assert lifecycle.fulfillment_changes(F.UNFULFILLED, [(2, 2, 0)]) == {
        "fulfillment_status": F.FULFILLED
    }


def test_open_needs_an_open_status_and_units_left_to_ship() -> None:
    assert lifecycle.is_open(S.AWAITING_FULFILLMENT, F.UNFULFILLED)
    assert lifecycle.is_open(S.PARTIALLY_REFUNDED, F.PARTIALLY_FULFILLED)
    assert not lifecycle.is_open(S.PARTIALLY_REFUNDED, F.FULFILLED)
    assert not lifecycle.is_open(S.DISPUTED, F.PARTIALLY_RETURNED)
    assert not lifecycle.is_open(S.CANCELLED, F.UNFULFILLED)
    assert not lifecycle.ships_from(S.CANCELLED)
    assert lifecycle.ships_from(S.PARTIALLY_REFUNDED)


def test_the_automatic_moves_are_rows_with_guards() -> None:
    def to(trigger: Trigger, **facts: Any) -> OrderStatus | None:
        row = transition(trigger, Facts(**facts))
        return row.to if row else None

    assert to(Trigger.PAYMENT, status=S.PENDING, covered=True) is S.AWAITING_FULFILLMENT
    assert to(Trigger.PAYMENT, status=S.PENDING, covered=True, manual=True) is None
    assert to(Trigger.PAYMENT, status=S.AWAITING_FULFILLMENT, covered=False) is (S.AWAITING_PAYMENT)
    assert to(Trigger.PAYMENT, status=S.SHIPPED, covered=False) is None
    assert to(Trigger.SHIPMENT, status=S.AWAITING_FULFILLMENT, fulfillment=F.FULFILLED) is (
        S.SHIPPED
    )
    assert to(Trigger.SHIPMENT, status=S.SHIPPED, fulfillment=F.FULFILLED) is None
    assert to(Trigger.SHIPMENT, status=S.PENDING, fulfillment=F.PARTIALLY_FULFILLED) is (
        S.PARTIALLY_SHIPPED
    )
    assert to(Trigger.REFUND, status=S.SHIPPED) is S.PARTIALLY_REFUNDED
    assert to(Trigger.REFUND, status=S.SHIPPED, fully_refunded=True) is S.REFUNDED
    assert to(Trigger.REFUND, status=S.CANCELLED, fully_refunded=True) is None
    assert to(Trigger.RETURN, status=S.SHIPPED, shipped_back=True) is S.RETURNED
    assert to(Trigger.RETURN, status=S.SHIPPED) is None
    unpaid = {"status": S.AWAITING_PAYMENT, "payment": PaymentStatus.VOIDED}
    assert to(Trigger.EXPIRY, **unpaid) is S.CANCELLED
    assert to(Trigger.EXPIRY, **unpaid, manual=True) is None
    assert to(Trigger.EXPIRY, status=S.AWAITING_PAYMENT, payment=PaymentStatus.AUTHORIZED) is None
    assert to(Trigger.EXPIRY, status=S.AWAITING_FULFILLMENT) is None


def test_where_an_order_starts_and_what_it_owes() -> None:
    assert lifecycle.placed_status(True) is S.AWAITING_FULFILLMENT
    assert lifecycle.placed_status(False) is S.AWAITING_PAYMENT
    d = Decimal
    # (status, total, paid, refunded, requested) -> (balance due, refund due)
    assert lifecycle.dues(S.AWAITING_PAYMENT, d(10), d(4), d(0), d(0)) == (d(6), d(0))
    assert lifecycle.dues(S.SHIPPED, d(10), d(12), d(1), d(0)) == (d(0), d(1))
    # a cancelled order keeps nothing: what was paid, less refunded and asked for, is owed
    assert lifecycle.dues(S.CANCELLED, d(10), d(10), d(3), d(2)) == (d(0), d(5))


async def state(gql: GraphQLClient, token: str, order: dict[str, Any]) -> tuple[str, bool, str]:
    found = (await gql.data(STATE, {"id": order["id"]}, token))["order"]
    return found["status"], found["isOpen"], found["fulfillmentStatus"]


async def test_a_partly_refunded_shipped_order_stays_closed(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Changed meaning of "open": a partial refund leaves a SHIPPED order PARTIALLY_REFUNDED,
    which once made it open, editable and cancellable again; what was shipped now decides."""
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=10)
    order = await paid(gql, actors.customer.token, [("A", 2)], admin)
    other = await paid(gql, actors.customer.token, [("A", 1)], admin)
    assert await state(gql, admin, order) == ("AWAITING_FULFILLMENT", True, "UNFULFILLED")
    assert not (await ship(gql, admin, order, items=[(0, 1)]))["errors"]
    assert await state(gql, admin, order) == ("PARTIALLY_SHIPPED", True, "PARTIALLY_FULFILLED")
    assert not (await ship(gql, admin, order))["errors"]
    assert await state(gql, admin, order) == ("SHIPPED", False, "FULFILLED")
    refund = await gql.data(REFUND, {"id": order["id"], "input": {"amount": "1.00"}}, admin)
    assert refund["refundOrder"]["errors"] == []
    assert await state(gql, admin, order) == ("PARTIALLY_REFUNDED", False, "FULFILLED")
    edited = await edit(gql, admin, order, shippingCost="1.00")
    assert [e["code"] for e in edited["errors"]] == ["ORDER_NOT_EDITABLE"]
    refused = await cancel(gql, admin, order)
    assert [e["code"] for e in refused["errors"]] == ["INVALID_STATUS_TRANSITION"]
    listed = await gql.data(OPEN, token=admin)
    numbers = {k: [e["node"]["number"] for e in v["edges"]] for k, v in listed.items()}
    assert numbers == {"open": [other["number"]], "closed": [order["number"]]}


async def test_fulfilment_follows_shipments_returns_and_deleted_shipments(
    gql: GraphQLClient, actors: Actors
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=10)
    order = await paid(gql, actors.customer.token, [("A", 2)], admin)
    assert not (await ship(gql, admin, order))["errors"]
    assert (await Order.get(id=order_pk(order))).fulfillment_status is F.FULFILLED
    asked = await request_return(gql, actors.customer.token, order, [(0, 1)])
    for status in ("AUTHORIZED", "RECEIVED"):
        moved = await gql.data(SET_RETURN, {"id": asked["returnRequest"]["id"], "s": status}, admin)
        assert moved["setReturnStatus"]["errors"] == []
    assert await state(gql, admin, order) == ("SHIPPED", False, "PARTIALLY_RETURNED")


async def test_a_deleted_shipment_makes_the_order_unfulfilled_again(
    gql: GraphQLClient, actors: Actors
) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=10)
    order = await paid(gql, actors.customer.token, [("A", 2)], admin)
    shipment = (await ship(gql, admin, order))["shipment"]
    version = (await Order.get(id=order_pk(order))).version
    data = await gql.data(
        "mutation($id: ID!) { deleteShipment(id: $id) { errors { code } } }",
        {"id": shipment["id"]},
        admin,
    )
    assert data["deleteShipment"]["errors"] == []
    # R7: the status stays; fulfilment is derived, as the payment status is
    assert await state(gql, admin, order) == ("SHIPPED", False, "UNFULFILLED")
    assert (await Order.get(id=order_pk(order))).version == version


def order_pk(order: dict[str, Any]) -> int:
    return int(from_global_id("Order", order["id"]))


async def test_a_lock_outside_a_transaction_is_refused(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    order = await paid(gql, actors.customer.token, [("A", 1)], actors.admin.token)
    with pytest.raises(OutsideTransaction):
        await lock_order(order_pk(order))
    async with atomic():
        assert (await lock_order(order_pk(order))).number == order["number"]


def test_every_job_kind_is_a_worker_function_and_its_ids_are_its_own() -> None:
    """Job kinds and their ids are spelled once (app.services.jobs.KINDS): each names a job
    the worker runs, and no two share an id prefix."""
    from datetime import UTC, datetime

    from app.services.jobs import KINDS, Job
    from app.workers.settings import FUNCTIONS

    names = {f.__name__ for f in FUNCTIONS}
    assert {kind.function for kind in KINDS} <= names
    assert len({kind.prefix for kind in KINDS}) == len(KINDS)
    export = next(kind for kind in KINDS if kind.prefix == "export")
    assert export.job(7) == Job("run_export", (7,), "export:7")
    stalled_at = datetime(2026, 1, 1, tzinfo=UTC)
    assert export.retry(7, stalled_at).job_id == f"export:7:{int(stalled_at.timestamp() * 1000)}"
    assert export.retry(7, None).job_id == "export:7:never"


async def bulk_statements(gql: GraphQLClient, actors: Actors, count: int) -> int:
    """The statements one bulk set sends to cancel `count` orders of the same products."""
    orders = [
        await placed(gql, None, [("A", 1), ("B", 2)], email="set@example.net") for _ in range(count)
    ]
    data = await gql.data(
        BULK,
        {"input": {"orderIds": [o["id"] for o in orders], "status": "CANCELLED"}},
        actors.admin.token,
    )
    operation = await BulkOperation.get(
        id=from_global_id("BulkOperation", data["bulkUpdateOrders"]["bulkOperation"]["id"])
    )
    lease = Lease(BulkOperation, operation.id, uuid.uuid4().hex, timedelta(seconds=30))
    assert await lease.claim()
    rows = list(
        await BulkOperationRow.filter(operation_id=operation.id).values_list("id", "order_id")
    )
    with count_queries() as counter:
        await bulk._apply_set(operation, rows, acting_as(operation), lease.owner)
    assert await Order.filter(status="CANCELLED").count() >= count
    return counter.count


async def test_a_bulk_set_is_planned_and_written_set_based(
    gql: GraphQLClient, actors: Actors
) -> None:
    """The status planner reads and writes a set in the same few statements however many
    orders it holds (no statement per order)."""
    for sku in ("A", "B"):
        await create_product(gql, actors.admin.token, sku, stock=100)
    assert await bulk_statements(gql, actors, 2) == await bulk_statements(gql, actors, 7)


async def test_a_closed_status_lists_an_order_as_closed_with_nothing_shipped(
    gql: GraphQLClient, actors: Actors
) -> None:
    """The isOpen filter asks both halves of is_open: a cancelled order and one set SHIPPED
    by hand (R2: no shipment, so UNFULFILLED) are closed, though units are left to send."""
    admin = actors.admin.token
    await create_product(gql, admin, "A", stock=10)
    cancelled, marked, open_ = [await placed(gql, None, [("A", 1)]) for _ in range(3)]
    assert (await set_status(gql, admin, cancelled, "CANCELLED"))["errors"] == []
    assert (await set_status(gql, admin, marked, "SHIPPED"))["errors"] == []
    assert await state(gql, admin, marked) == ("SHIPPED", False, "UNFULFILLED")
    listed = await gql.data(OPEN, token=admin)
    numbers = {k: sorted(e["node"]["number"] for e in v["edges"]) for k, v in listed.items()}
    assert numbers == {
        "open": [open_["number"]],
        "closed": sorted([cancelled["number"], marked["number"]]),
    }
