"""bulkUpdateOrders: many orders moved by a worker in sets, each under the setStatus rules."""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from app.models import (
    ApiToken,
    BulkOperation,
    BulkOperationRow,
    ImportStatus,
    InventoryMovement,
    Order,
    OrderEvent,
    Product,
)
from app.schema.ids import from_global_id
from app.services import bulk, leases
from app.services.auth import acting_as
from app.services.import_sets import LeaseLost
from app.services.leases import Lease, held_while
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient, run_jobs
from tests.factories import create_product, paid, placed, record_payment, timeline
from tests.test_fulfilment import set_status
from tests.test_shipments import ship

BULK = """mutation($input: BulkUpdateOrdersInput!, $key: String) {
  bulkUpdateOrders(input: $input, idempotencyKey: $key) {
    bulkOperation { id status targetStatus total processed succeeded failed }
    errors { code message field } } }"""
OPERATION = """query($id: ID!) { bulkOperation(id: $id) {
  status total processed succeeded failed finishedAt
  rows(first: 100) { edges { node { orderNumber outcome code message } } } } }"""


async def start(
    gql: GraphQLClient, token: str | None, key: str | None = None, **input_: Any
) -> dict[str, Any]:
    data = await gql.data(BULK, {"input": input_, "key": key}, token)
    payload: dict[str, Any] = data["bulkUpdateOrders"]
    return payload


async def outcome(gql: GraphQLClient, token: str, operation_id: str) -> dict[str, Any]:
    found: dict[str, Any] = (await gql.data(OPERATION, {"id": operation_id}, token))[
        "bulkOperation"
    ]
    return found


async def stock_of(sku: str) -> int:
    product = await Product.get(sku=sku)
    ledger = sum(
        await InventoryMovement.filter(product_id=product.id).values_list("delta", flat=True)
    )
    assert product.stock == ledger
    return product.stock


async def test_mixed_outcomes_each_with_its_reason(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=6)
    first = await paid(gql, None, [("A", 3)], token)
    second = await paid(gql, None, [("A", 3)], token)
    assert await stock_of("A") == 0
    # cancel both: their units come back, with a staff note on each
    ids = [first["id"], second["id"]]
    started = await start(gql, token, orderIds=ids, status="CANCELLED", note="Fraud batch 12")
    assert started["errors"] == []
    operation = started["bulkOperation"]
    assert (operation["status"], operation["total"], operation["processed"]) == ("QUEUED", 2, 0)
    await run_jobs(settings_with_redis)
    done = await outcome(gql, token, operation["id"])
    assert (done["status"], done["processed"], done["succeeded"], done["failed"]) == (
        "SUCCEEDED",
        2,
        2,
        0,
    )
    assert done["finishedAt"] is not None
    assert await stock_of("A") == 6
    # someone buys 2 units; of the 4 left, reinstating both can take back only one's 3
    await placed(gql, None, [("A", 2)])
    again = await start(gql, token, orderIds=ids, status="AWAITING_FULFILLMENT")
    await run_jobs(settings_with_redis)
    result = await outcome(gql, token, again["bulkOperation"]["id"])
    rows = [e["node"] for e in result["rows"]["edges"]]
    assert [(r["orderNumber"], r["outcome"], r["code"]) for r in rows] == [
        (first["number"], "SUCCEEDED", None),
        (second["number"], "FAILED", "INSUFFICIENT_STOCK"),
    ]
    assert rows[1]["message"] == "Not enough stock of A."
    assert (result["succeeded"], result["failed"]) == (1, 1)
    assert await stock_of("A") == 1
    statuses = {o.number: o.status.value for o in await Order.all()}
    assert statuses[first["number"]] == "AWAITING_FULFILLMENT"
    assert statuses[second["number"]] == "CANCELLED"
    # the note is staff-only; the move is public
    row = await Order.get(number=first["number"])
    kinds = (
        await OrderEvent.filter(order_id=row.id)
        .order_by("id")
        .values_list("type", "visibility", "message")
    )
    assert ("STATUS_NOTE", "STAFF", "Fraud batch 12") in kinds
    # both entries name the operation that made them
    operation_id = from_global_id("BulkOperation", operation["id"])
    noted = await OrderEvent.filter(order_id=row.id, type="STATUS_NOTE").values_list(
        "data", flat=True
    )
    assert noted == [{"bulkOperationId": operation_id}]
    assert (
        "STATUS_CHANGED",
        "PUBLIC",
        "Status changed from AWAITING_FULFILLMENT to CANCELLED.",
    ) in kinds


async def test_the_same_operation_twice_changes_nothing_more(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=50)
    orders = [await placed(gql, None, [("A", 1)]) for _ in range(5)]
    await set_status(gql, token, orders[0], "COMPLETED")
    # by filter: the open orders awaiting payment, resolved when asked
    by_filter = {"filter": {"status": ["AWAITING_PAYMENT"]}, "status": "AWAITING_SHIPMENT"}
    first = await start(gql, token, key="k-1", **by_filter)
    retry = await start(gql, token, key="k-1", **by_filter)
    assert retry["bulkOperation"]["id"] == first["bulkOperation"]["id"]
    assert first["bulkOperation"]["total"] == 4
    await run_jobs(settings_with_redis)
    events = await OrderEvent.filter(type="STATUS_CHANGED").count()
    versions = await Order.all().order_by("id").values_list("version", flat=True)
    # asked again for the same orders (by id now): every one is UNCHANGED, nothing is written
    ids = [o["id"] for o in orders[1:]]
    second = await start(gql, token, orderIds=ids, status="AWAITING_SHIPMENT")
    await run_jobs(settings_with_redis)
    result = await outcome(gql, token, second["bulkOperation"]["id"])
    assert {e["node"]["outcome"] for e in result["rows"]["edges"]} == {"UNCHANGED"}
    assert (result["succeeded"], result["failed"]) == (4, 0)
    assert await OrderEvent.filter(type="STATUS_CHANGED").count() == events
    assert await Order.all().order_by("id").values_list("version", flat=True) == versions


async def test_a_worker_stopped_midway_is_resumed_without_applying_twice(
    gql: GraphQLClient, actors: Actors
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=50)
    orders = [await placed(gql, None, [("A", 2)]) for _ in range(5)]
    started = await start(gql, token, orderIds=[o["id"] for o in orders], status="CANCELLED")
    operation = await BulkOperation.get(total=5)
    # a first worker claims it, commits one set of two orders, and dies (no release)
    lease = Lease(BulkOperation, operation.id, uuid.uuid4().hex, timedelta(seconds=30))
    assert await lease.claim()
    rows = list(
        await BulkOperationRow.filter(operation_id=operation.id)
        .order_by("id")
        .limit(2)
        .values_list("id", "order_id")
    )
    await bulk._apply_set(operation, rows, acting_as(operation), lease.owner)
    progress = await outcome(gql, token, started["bulkOperation"]["id"])
    assert (progress["status"], progress["processed"], progress["total"]) == ("RUNNING", 2, 5)
    # while its lease holds nobody else takes it; once the heartbeat is old, the next does
    assert await bulk.run(operation.id, set_size=2) is None
    await BulkOperation.filter(id=operation.id).update(
        heartbeat_at=datetime.now(UTC) - timedelta(minutes=5)
    )
    assert await bulk.run(operation.id, set_size=2) is not None
    done = await outcome(gql, token, started["bulkOperation"]["id"])
    assert (done["status"], done["processed"], done["succeeded"]) == ("SUCCEEDED", 5, 5)
    for order in orders:
        row = await Order.get(number=order["number"])
        assert row.status.value == "CANCELLED"
        assert await OrderEvent.filter(order_id=row.id, type="STATUS_CHANGED").count() == 1
    assert await stock_of("A") == 50
    # the dead worker's late set (its lease is gone) would commit nothing
    late = list(
        await BulkOperationRow.filter(operation_id=operation.id)
        .order_by("id")
        .limit(1)
        .values_list("id", "order_id")
    )
    with pytest.raises(LeaseLost):
        await bulk._apply_set(operation, late, acting_as(operation), lease.owner)
    assert await stock_of("A") == 50


async def test_only_order_writers_start_and_staff_read(gql: GraphQLClient, actors: Actors) -> None:
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, actors.customer.token, [("A", 1)])
    for token in (None, actors.customer.token, actors.fulfillment.token):
        refused = await start(gql, token, orderIds=[order["id"]], status="CANCELLED")
        assert refused["errors"][0]["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}
    both = await start(
        gql, actors.admin.token, orderIds=[order["id"]], filter={}, status="CANCELLED"
    )
    assert [e["code"] for e in both["errors"]] == ["INVALID_INPUT"]
    started = await start(gql, actors.support.token, orderIds=[order["id"]], status="CANCELLED")
    operation_id = started["bulkOperation"]["id"]
    seen = await gql(OPERATION, {"id": operation_id}, actors.customer.token, expect_errors=True)
    assert seen["data"]["bulkOperation"] is None
    assert seen["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await outcome(gql, actors.fulfillment.token, operation_id))["total"] == 1
    # an integration that may write orders and not read them still follows its operation
    writer = await gql.data(
        """mutation { createApiToken(input: {name: "bulk writer", permissions: [ORDERS_WRITE]}) {
             token errors { code } } }""",
        token=actors.admin.token,
    )
    token = writer["createApiToken"]["token"]
    followed = await outcome(gql, token, operation_id)
    assert (followed["total"], len(followed["rows"]["edges"])) == (1, 1)
    await ApiToken.filter(name="bulk writer").delete()


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="row locks are PostgreSQL's (SQLite serialises)"
)
async def test_a_set_locks_the_stock_it_takes_back(gql: GraphQLClient, actors: Actors) -> None:
    """Reinstating orders reads the stock it may take under a row lock: a sale committed
    meanwhile is waited for and seen, so stock never goes below zero."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=3)
    order = await placed(gql, None, [("A", 3)])
    await set_status(gql, token, order, "CANCELLED")
    assert await stock_of("A") == 3
    await start(gql, token, orderIds=[order["id"]], status="AWAITING_FULFILLMENT")
    operation = await BulkOperation.get(total=1)
    lease = Lease(BulkOperation, operation.id, uuid.uuid4().hex, timedelta(seconds=30))
    assert await lease.claim()
    rows = list(
        await BulkOperationRow.filter(operation_id=operation.id).values_list("id", "order_id")
    )
    product = await Product.get(sku="A")
    other = await asyncpg.connect(
        os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    )
    try:
        sale = other.transaction()
        await sale.start()
        await other.execute("SELECT stock FROM products WHERE id = $1 FOR UPDATE", product.id)
        applying = asyncio.create_task(
            bulk._apply_set(operation, rows, acting_as(operation), lease.owner)
        )
        await asyncio.sleep(0.5)
        assert not applying.done()  # waiting for the sale's lock
        await other.execute("UPDATE products SET stock = 0 WHERE id = $1", product.id)
        await sale.commit()
        await applying
    finally:
        await other.close()
    outcome = await BulkOperationRow.get(operation_id=operation.id)
    assert (outcome.outcome.value, outcome.code) == ("FAILED", "INSUFFICIENT_STOCK")
    assert (await Product.get(sku="A")).stock == 0


async def test_a_bulk_change_refuses_what_it_cannot_do_before_queueing_anything(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    orders = [await placed(gql, actors.customer.token, [("A", 1)]) for _ in range(3)]
    token = actors.admin.token
    ids = [o["id"] for o in orders]
    cases: list[tuple[dict[str, Any], tuple[str, list[str], str]]] = [
        ({}, ("INVALID_INPUT", ["input"], "Give either orderIds or a filter.")),
        (
            {"orderIds": ids, "filter": {}},
            ("INVALID_INPUT", ["input"], "Give either orderIds or a filter."),
        ),
        (
            {"orderIds": ids, "note": "n" * 2001},
            ("INVALID_INPUT", ["note"], "At most 2000 characters."),
        ),
        (
            {"orderIds": [*ids, "T3JkZXI6OTk5OTk="]},
            ("NOT_FOUND", ["orderIds"], "1 of the orders not found."),
        ),
    ]
    for input_, expected in cases:
        payload = await start(gql, token, status="CANCELLED", **input_)
        assert [(e["code"], e["field"], e["message"]) for e in payload["errors"]] == [expected]
    monkeypatch.setattr(bulk, "MAX_ORDERS", 2)
    many = await start(gql, token, status="CANCELLED", orderIds=ids)
    assert [(e["code"], e["field"]) for e in many["errors"]] == [("LIMIT_REACHED", ["orderIds"])]
    matched = await start(gql, token, status="CANCELLED", filter={})
    assert [(e["code"], e["field"], e["message"]) for e in matched["errors"]] == [
        ("LIMIT_REACHED", ["filter"], "The filter matches more than 2 orders; narrow it.")
    ]
    # the same id twice counts once
    twice = await start(gql, token, status="CANCELLED", orderIds=[ids[0], ids[0], ids[1]])
    assert twice["errors"] == []
    assert twice["bulkOperation"]["total"] == 2
    assert await BulkOperation.all().count() == 1


async def test_a_bulk_operation_runs_once_and_not_while_another_worker_holds_it(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    order = await placed(gql, actors.customer.token, [("A", 1)])
    started = await start(gql, actors.admin.token, status="CANCELLED", orderIds=[order["id"]])
    operation = await BulkOperation.get()
    assert await bulk.run(999_999) is None
    await BulkOperation.filter(id=operation.id).update(
        lease="theirs", heartbeat_at=datetime.now(UTC), status="RUNNING"
    )
    assert await bulk.run(operation.id) is None
    assert (await Order.get(number=order["number"])).status.value != "CANCELLED"
    await BulkOperation.filter(id=operation.id).update(lease="", status="QUEUED")
    assert await bulk.run(operation.id) is ImportStatus.SUCCEEDED
    assert (await Order.get(number=order["number"])).status.value == "CANCELLED"
    assert await bulk.run(operation.id) is ImportStatus.SUCCEEDED  # finished: not run again
    assert await OrderEvent.filter(type="STATUS_CHANGED").count() == 1
    assert started["errors"] == []


async def test_a_held_lease_is_renewed_while_the_work_runs_and_released_after(
    gql: GraphQLClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "A", stock=10)
    order = await placed(gql, actors.customer.token, [("A", 1)])
    await start(gql, actors.admin.token, status="CANCELLED", orderIds=[order["id"]])
    operation = await BulkOperation.get()
    lease = Lease(BulkOperation, operation.id, "me", timedelta(milliseconds=100))
    assert await lease.claim()
    claimed_at = (await BulkOperation.get(id=operation.id)).heartbeat_at
    seen: list[datetime | None] = []

    async def work() -> str:
        await asyncio.sleep(0.15)  # several renewals (every fifth of the lease)
        seen.append((await BulkOperation.get(id=operation.id)).heartbeat_at)
        return "done"

    assert await held_while(lease, work()) == "done"
    assert claimed_at is not None
    assert seen[0] is not None
    assert seen[0] > claimed_at
    assert (await BulkOperation.get(id=operation.id)).lease == ""


async def test_a_bulk_change_is_the_staff_members_to_staff_and_the_stores_to_the_customer(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """The worker acts as the staff member who started the operation: staff read their
    name on the timeline, the customer reads "store", as for a change made by hand."""
    await create_product(gql, actors.admin.token, "A", stock=2)
    order = await paid(gql, actors.customer.token, [("A", 1)], actors.admin.token)
    started = await start(gql, actors.support.token, orderIds=[order["id"]], status="CANCELLED")
    assert started["errors"] == []
    await run_jobs(settings_with_redis)

    for token, actor in (
        (actors.admin.token, "support@shop.test (bulk)"),
        (actors.customer.token, "store"),
    ):
        events = await timeline(gql, token, order["id"])
        assert [e["actor"] for e in events if e["type"] == "STATUS_CHANGED"][-1:] == [actor]
    assert (await Order.get(number=order["number"])).status.value == "CANCELLED"


async def test_a_running_operation_is_stalled_after_a_lease_without_a_sign_of_life(
    app: Any,
) -> None:
    """What the worker's sweep takes over: RUNNING rows whose heartbeat, or start when no
    heartbeat came yet, is older than the lease; never a queued or finished one."""
    now = datetime.now(UTC)
    lease = 30
    old, recent = now - timedelta(seconds=lease + 5), now - timedelta(seconds=lease - 5)

    async def operation(status: ImportStatus, **times: Any) -> int:
        row = await BulkOperation.create(
            status=status, target_status="CANCELLED", started_at=times.pop("started_at", now)
        )
        await BulkOperation.filter(id=row.id).update(**times)
        return row.id

    silent = await operation(ImportStatus.RUNNING, heartbeat_at=old)
    await operation(ImportStatus.RUNNING, heartbeat_at=recent)
    never_beat = await operation(ImportStatus.RUNNING, started_at=old)
    await operation(ImportStatus.RUNNING, started_at=recent)
    await operation(ImportStatus.QUEUED, heartbeat_at=old, started_at=old)
    await operation(ImportStatus.SUCCEEDED, heartbeat_at=old, started_at=old)

    found = sorted(await bulk.stalled_operations(lease))
    assert [row_id for row_id, _ in found] == [silent, never_beat]
    assert found[0][1] is not None
    assert abs((found[0][1] - old).total_seconds()) < 1  # the last sign of life, for the job id
    assert found[1][1] is None


async def test_a_lease_claims_renews_and_releases_its_own_row_only(app: Any) -> None:
    """One worker may hold several rows; each lease touches its row alone, and renews it
    only while it is still that worker's."""
    duration = timedelta(seconds=0.5)

    async def queued() -> int:
        row = await BulkOperation.create(status=ImportStatus.QUEUED, target_status="CANCELLED")
        return row.id

    one, two, taken = await queued(), await queued(), await queued()
    first = Lease(BulkOperation, one, "worker-1", duration)
    assert await first.claim()
    leases = dict(await BulkOperation.all().values_list("id", "lease"))
    assert leases == {one: "worker-1", two: "", taken: ""}
    assert (await BulkOperation.get(id=two)).status == ImportStatus.QUEUED
    second = Lease(BulkOperation, two, "worker-1", duration)
    assert await second.claim()
    # a row worker-1 held and lost to worker-2 (it stalled): worker-1's heartbeat leaves it
    lost = Lease(BulkOperation, taken, "worker-1", duration)
    assert await lost.claim()
    old = datetime.now(UTC) - timedelta(minutes=5)
    await BulkOperation.filter(id=taken).update(lease="worker-2")
    await BulkOperation.filter(id__in=[one, taken]).update(heartbeat_at=old)
    beating = [asyncio.create_task(lease.keep_alive()) for lease in (first, lost)]
    await asyncio.sleep(duration.total_seconds() / 5 * 2.5)
    for task in beating:
        task.cancel()
    await asyncio.gather(*beating, return_exceptions=True)
    beats = dict(await BulkOperation.all().values_list("id", "heartbeat_at"))
    assert beats[one] > old + timedelta(minutes=4)
    assert abs((beats[taken] - old).total_seconds()) < 1
    await first.release()
    await lost.release()  # worker-1 letting go of a row it lost takes nothing from worker-2
    leases = dict(await BulkOperation.all().values_list("id", "lease"))
    assert leases == {one: "", two: "worker-1", taken: "worker-2"}


async def test_a_release_that_hangs_never_holds_the_job_past_its_wait(
    app: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stopping worker whose database stops answering still ends its job: the release
    is given RELEASE_WAIT_SECONDS, and the lease then simply runs out."""

    answered = asyncio.Event()

    @dataclass(frozen=True)
    class Stuck(Lease):
        async def release(self) -> None:
            await answered.wait()

    async def work() -> str:
        return "done"

    monkeypatch.setattr(leases, "RELEASE_WAIT_SECONDS", 0.05)
    row = await BulkOperation.create(status=ImportStatus.QUEUED, target_status="CANCELLED")
    stuck = Stuck(BulkOperation, row.id, "worker-1", timedelta(seconds=30))
    assert await asyncio.wait_for(held_while(stuck, work()), timeout=30) == "done"
    answered.set()  # the database answers at last: the release left behind ends


async def test_a_stopped_job_waits_for_its_set_in_flight_then_stops() -> None:
    """SIGTERM cancels the job, never the set it is applying: the set ends first (commits or
    rolls back), then the job stops."""
    ended: list[str] = []

    async def a_set() -> None:
        await asyncio.sleep(0.2)
        ended.append("set")

    job = asyncio.create_task(leases.apply_uncut(a_set()))
    await asyncio.sleep(0.05)
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    assert ended == ["set"]


async def test_one_set_counts_failures_of_two_kinds_and_moves_an_order_holding_nothing(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """In one set: two orders short of different products fail, each with its own reason,
    and both count; a cancelled order whose units all shipped comes back with no stock to
    take. Each move's timeline entry names the operation."""
    token = actors.admin.token
    for sku in ("A", "B", "C"):
        await create_product(gql, token, sku, stock=1)
    short_a = await paid(gql, None, [("A", 1)], token)
    short_b = await paid(gql, None, [("B", 1)], token)
    shipped = await paid(gql, None, [("C", 1)], token)
    assert (await ship(gql, token, shipped))["errors"] == []
    for order in (short_a, short_b, shipped):
        assert (await set_status(gql, token, order, "CANCELLED"))["errors"] == []
    await placed(gql, None, [("A", 1)])  # the units given back are sold again
    await placed(gql, None, [("B", 1)])
    orders = [short_a, short_b, shipped]
    started = await start(
        gql, token, orderIds=[o["id"] for o in orders], status="AWAITING_FULFILLMENT"
    )
    await run_jobs(settings_with_redis)
    result = await outcome(gql, token, started["bulkOperation"]["id"])
    rows = [e["node"] for e in result["rows"]["edges"]]
    assert [(r["outcome"], r["message"]) for r in rows] == [
        ("FAILED", "Not enough stock of A."),
        ("FAILED", "Not enough stock of B."),
        ("SUCCEEDED", ""),
    ]
    assert (result["processed"], result["succeeded"], result["failed"]) == (3, 1, 2)
    assert [await stock_of(sku) for sku in ("A", "B", "C")] == [0, 0, 0]
    back = await Order.get(number=shipped["number"])
    assert (back.status.value, back.stock_released) == ("AWAITING_FULFILLMENT", False)
    moved = await OrderEvent.filter(order_id=back.id, type="STATUS_CHANGED").order_by("-id").first()
    assert moved is not None
    operation_id = from_global_id("BulkOperation", started["bulkOperation"]["id"])
    assert moved.data["bulkOperationId"] == operation_id


async def test_an_operation_takes_up_to_its_limit_of_orders_exactly(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "MAX_ORDERS", 2)
    token = actors.admin.token
    await create_product(gql, token, "A", stock=5)
    two = [await placed(gql, None, [("A", 1)]) for _ in range(2)]
    ids = [o["id"] for o in two]
    for chosen in ({"orderIds": ids}, {"filter": {}}):
        taken = await start(gql, token, status="CANCELLED", **chosen)
        assert taken["errors"] == [], chosen
        assert taken["bulkOperation"]["total"] == 2
    third = await placed(gql, None, [("A", 1)])
    over_ids = await start(gql, token, status="CANCELLED", orderIds=[*ids, third["id"]])
    over_filter = await start(gql, token, status="CANCELLED", filter={})
    assert [(e["code"], e["message"]) for e in over_ids["errors"] + over_filter["errors"]] == [
        ("LIMIT_REACHED", "At most 2 orders at once."),
        ("LIMIT_REACHED", "The filter matches more than 2 orders; narrow it."),
    ]


async def test_a_bulk_change_is_staff_chosen_beats_each_set_and_names_a_deleted_order(
    gql: GraphQLClient, actors: Actors
) -> None:
    """Rows wait as PENDING with no code; each set's commit is a heartbeat; a status set in
    bulk is staff's choice, so a payment that does not cover the order leaves it there; an
    order gone by the time its row is worked fails alone, saying so."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10)
    kept = await placed(gql, actors.customer.token, [("A", 1)])
    gone = await placed(gql, actors.customer.token, [("A", 1)])
    started = await start(
        gql, token, status="AWAITING_FULFILLMENT", orderIds=[kept["id"], gone["id"]]
    )
    operation_id = started["bulkOperation"]["id"]
    waiting = await outcome(gql, token, operation_id)
    assert [(e["node"]["outcome"], e["node"]["code"], e["node"]["message"]) for e in
            waiting["rows"]["edges"]] == [("PENDING", None, "")] * 2  # fmt: skip
    await Order.filter(number=gone["number"]).delete()
    operation = await BulkOperation.get()
    assert await bulk.run(operation.id, set_size=1) is ImportStatus.SUCCEEDED
    done = await outcome(gql, token, operation_id)
    assert [
        (e["node"]["orderNumber"], e["node"]["outcome"], e["node"]["code"], e["node"]["message"])
        for e in done["rows"]["edges"]
    ] == [
        (kept["number"], "SUCCEEDED", None, ""),
        (gone["number"], "FAILED", "NOT_FOUND", "The order was deleted."),
    ]
    assert (done["succeeded"], done["failed"]) == (1, 1)
    beaten = await BulkOperation.get(id=operation.id)
    assert beaten.started_at is not None
    assert beaten.heartbeat_at is not None
    assert beaten.heartbeat_at > beaten.started_at  # a set committed after the start
    row = await Order.get(number=kept["number"])
    assert (row.status.value, row.status_manual) == ("AWAITING_FULFILLMENT", True)
    partial = await record_payment(gql, token, kept, amount="1.00")
    assert partial["errors"] == []
    assert (await Order.get(id=row.id)).status.value == "AWAITING_FULFILLMENT"


async def test_a_bulk_change_moves_each_order_on_once_at_the_time_it_is_written(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Each order a set moves gets its version one up (an editor holding the old one
    conflicts, R7) and its updatedAt now, in UTC as every time the API gives, the moment its
    timeline entry carries; an order the set leaves as it was keeps both."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10)
    moving = [await placed(gql, None, [("A", 1)]) for _ in range(2)]
    kept = await placed(gql, None, [("A", 1)])
    assert (await set_status(gql, token, kept, "CANCELLED"))["errors"] == []
    query = """query($id: ID!) { order(id: $id) {
      version updatedAt events(first: 20) { edges { node { type createdAt } } } } }"""

    async def seen(order: dict[str, Any]) -> tuple[int, datetime, list[datetime]]:
        found = (await gql.data(query, {"id": order["id"]}, token))["order"]
        moves = [
            datetime.fromisoformat(e["node"]["createdAt"])
            for e in found["events"]["edges"]
            if e["node"]["type"] == "STATUS_CHANGED"
        ]
        return found["version"], datetime.fromisoformat(found["updatedAt"]), moves

    before = {o["number"]: await seen(o) for o in (*moving, kept)}
    started = await start(
        gql, token, orderIds=[o["id"] for o in (*moving, kept)], status="CANCELLED"
    )
    asked = datetime.now(UTC)
    await run_jobs(settings_with_redis)
    done = datetime.now(UTC)
    result = await outcome(gql, token, started["bulkOperation"]["id"])
    assert (result["succeeded"], result["failed"]) == (3, 0)
    for order in moving:
        version, updated, moves = await seen(order)
        assert version == before[order["number"]][0] + 1
        assert asked <= updated <= done
        assert moves[-1] == updated
    assert await seen(kept) == before[kept["number"]]
    assert await stock_of("A") == 10


async def test_one_set_takes_back_the_stock_of_two_orders_when_it_covers_both_exactly(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Orders of one product reinstated in one set each take from what the earlier ones
    left: when the stock covers all of them to the unit, none is refused."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=5)
    orders = [await placed(gql, None, [("A", units)]) for units in (2, 3)]
    for order in orders:
        assert (await set_status(gql, token, order, "CANCELLED"))["errors"] == []
    assert await stock_of("A") == 5
    started = await start(
        gql, token, orderIds=[o["id"] for o in orders], status="AWAITING_FULFILLMENT"
    )
    await run_jobs(settings_with_redis)
    result = await outcome(gql, token, started["bulkOperation"]["id"])
    assert (result["succeeded"], result["failed"]) == (2, 0)
    assert await stock_of("A") == 0
