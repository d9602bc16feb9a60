"""Bulk tracking import: every kind of bad row, R8 (run twice, killed halfway), options."""

from __future__ import annotations

import io
import re
from csv import DictReader
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq import create_pool
from tortoise import connections

from app.db import MAX_ID, is_postgres
from app.main import create_app
from app.models import ImportStatus, Order, OrderEvent, Shipment, TrackingImport, TrackingImportRow
from app.redis import redis_settings
from app.schema.ids import from_global_id
from app.services import import_sets, imports
from app.services.auth import SYSTEM
from app.settings import Settings
from app.storage import LocalStorage
from tests.conftest import Actors, GraphQLClient, count_queries, run_jobs, upload
from tests.factories import check_stall_sweep, create_product, placed, timeline
from tests.test_fulfilment import ADD_TRACKING, SET_STATUS, UPS_OK

IMPORT = """mutation($file: Upload!, $options: ImportOptionsInput) {
  importTracking(file: $file, options: $options) {
    trackingImport { id status filename } errors { code message field } } }"""
STATUS = """query($id: ID!, $outcome: TrackingImportOutcome) { trackingImport(id: $id) {
  status totalRows processedRows updated shipped unchanged skipped failed error resultUrl
  finishedAt rows(first: 100, outcome: $outcome) {
    edges { node { line orderNumber trackingNumber outcome code message } } }
} }"""
S10 = "RB123456785GB"
FEDEX = "449044304137821"


async def orders(gql: GraphQLClient, actors: Actors, count: int = 3) -> list[dict[str, Any]]:
    await create_product(gql, actors.admin.token, "A", stock=100)
    return [await placed(gql, actors.customer.token, [("A", 2)]) for _ in range(count)]


async def start(
    http: httpx.AsyncClient, content: bytes, token: str | None, **options: Any
) -> dict[str, Any]:
    body = await upload(http, IMPORT, {"options": options or None}, content, token)
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]["importTracking"]
    return result


async def finished(
    gql: GraphQLClient,
    actors: Actors,
    settings: Settings,
    result: dict[str, Any],
    outcome: str | None = None,
) -> dict[str, Any]:
    await run_jobs(settings)
    data = await gql.data(
        STATUS, {"id": result["trackingImport"]["id"], "outcome": outcome}, actors.admin.token
    )
    status: dict[str, Any] = data["trackingImport"]
    assert (status["finishedAt"] is not None) == (status["status"] in ("SUCCEEDED", "FAILED"))
    return status


async def one_row_import(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> tuple[dict[str, Any], dict[str, Any], int]:
    """An order and a queued import of one line giving it a UPS number: the order, the
    importTracking answer and the import's id."""
    [order] = await orders(gql, actors, 1)
    csv = f"Order Number,Tracking Number\n{order['number']},{UPS_OK}\n".encode()
    result = await start(http, csv, actors.admin.token)
    return order, result, int(from_global_id("TrackingImport", result["trackingImport"]["id"]))


def outcomes(status: dict[str, Any]) -> list[tuple[int, str, str | None]]:
    return [
        (e["node"]["line"], e["node"]["outcome"], e["node"]["code"])
        for e in status["rows"]["edges"]
    ]


async def test_every_kind_of_row_gets_an_outcome(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    a, b, c = await orders(gql, actors)
    await gql.data(ADD_TRACKING, {"id": b["id"], "n": UPS_OK}, actors.admin.token)
    await gql.data(ADD_TRACKING, {"id": c["id"], "n": S10}, actors.admin.token)
    csv = (
        "Order Number,Tracking Number,Carrier\n"
        f"{a['number']},{FEDEX},\n"  # 2 UPDATED (carrier detected)
        f"{b['number']},{UPS_OK},ups\n"  # 3 UNCHANGED
        f"{c['number']},{FEDEX},\n"  # 4 SKIPPED: has another number, overwrite off
        ",1Z999AA10123456784,\n"  # 5 FAILED: no order number
        "abc,1Z999AA10123456784,\n"  # 6 FAILED: not a number
        "99999,1Z999AA10123456784,\n"  # 7 FAILED: no such order
        f"{a['number']},not valid!,\n"  # 8 FAILED: bad characters
        f"{a['number']},1Z999AA10123456785,UPS\n"  # 9 FAILED: check digit
        "\n"  # blank: not a row
        f"#{a['number']},,\n"  # 11 FAILED: tracking missing
    ).encode()
    result = await start(http, csv, actors.fulfillment.token)
    assert result["errors"] == []
    assert result["trackingImport"]["status"] == "QUEUED"
    assert result["trackingImport"]["filename"] == "tracking.csv"
    status = await finished(gql, actors, settings_with_redis, result)
    assert outcomes(status) == [
        (2, "UPDATED", None),
        (3, "UNCHANGED", None),
        (4, "SKIPPED", "TRACKING_EXISTS"),
        (5, "FAILED", "INVALID_INPUT"),
        (6, "FAILED", "INVALID_INPUT"),
        (7, "FAILED", "NOT_FOUND"),
        (8, "FAILED", "INVALID_TRACKING_NUMBER"),
        (9, "FAILED", "INVALID_TRACKING_NUMBER"),
        (11, "FAILED", "INVALID_TRACKING_NUMBER"),
    ]
    assert (status["status"], status["totalRows"], status["processedRows"]) == ("SUCCEEDED", 9, 9)
    assert (status["updated"], status["unchanged"], status["skipped"], status["failed"]) == (
        1,
        1,
        1,
        6,
    )
    assert ((await Order.get(id=from_global_id("Order", a["id"]))).tracking_number,) == (FEDEX,)
    row_a = await Order.get(id=from_global_id("Order", a["id"]))
    assert row_a.carrier == "fedex"
    assert (await Order.get(id=from_global_id("Order", c["id"]))).tracking_number == S10
    events = await OrderEvent.filter(order_id=row_a.id, type="TRACKING_NUMBER_SET").count()
    assert events == 1
    failed_only = await gql.data(
        STATUS, {"id": result["trackingImport"]["id"], "outcome": "FAILED"}, actors.admin.token
    )
    assert len(failed_only["trackingImport"]["rows"]["edges"]) == 6


async def test_the_same_file_twice_changes_nothing_the_second_time(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    made = await orders(gql, actors)
    csv = "order_number;tracking\n" + "".join(
        f"{o['number']};{FEDEX if i else S10}\n" for i, o in enumerate(made)
    )
    first = await finished(
        gql, actors, settings_with_redis, await start(http, csv.encode(), actors.admin.token)
    )
    assert first["updated"] == 3
    before = [
        (o.tracking_number, o.version, o.updated_at) for o in await Order.all().order_by("id")
    ]
    events_before = await OrderEvent.all().count()
    second = await finished(
        gql, actors, settings_with_redis, await start(http, csv.encode(), actors.admin.token)
    )
    assert (second["updated"], second["unchanged"]) == (0, 3)
    after = [(o.tracking_number, o.version, o.updated_at) for o in await Order.all().order_by("id")]
    assert after == before
    assert await OrderEvent.all().count() == events_before


async def test_a_job_killed_halfway_resumes_without_applying_a_row_twice(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    settings_with_redis: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = await orders(gql, actors, count=5)
    csv = "Order ID\tTracking Number\n" + "".join(f"{o['number']}\t{FEDEX}\n" for o in made)
    result = await start(http, csv.encode(), actors.admin.token)
    import_id = from_global_id("TrackingImport", result["trackingImport"]["id"])
    real = import_sets.process_set
    calls = 0

    class Killed(BaseException):
        """Not an Exception, so nothing catches it (SystemExit would stop the event loop)."""

    async def dies_on_the_second_set(*args: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise Killed("worker killed")
        await real(*args)

    monkeypatch.setattr(import_sets, "process_set", dies_on_the_second_set)
    with pytest.raises(Killed):
        await imports.run_import(import_id, LocalStorage(settings_with_redis.data_dir), set_size=2)
    # progress is visible while it is unfinished
    midway = await gql.data(STATUS, {"id": result["trackingImport"]["id"]}, actors.admin.token)
    assert (midway["trackingImport"]["status"], midway["trackingImport"]["processedRows"]) == (
        "RUNNING",
        2,
    )
    monkeypatch.setattr(import_sets, "process_set", real)
    # the queued job runs again, in sets of 2 rows
    small_sets = replace(settings_with_redis, import_set_size=2)
    status = await finished(gql, actors, small_sets, result)
    assert (status["status"], status["processedRows"], status["updated"]) == ("SUCCEEDED", 5, 5)
    assert [line for line, _, _ in outcomes(status)] == [2, 3, 4, 5, 6]
    assert await TrackingImportRow.filter(tracking_import_id=import_id).count() == 5
    for order in await Order.all():
        assert await OrderEvent.filter(order_id=order.id, type="TRACKING_NUMBER_SET").count() == 1
        assert order.version == 2


async def test_headers_encodings_and_delimiters(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    a, b, c = await orders(gql, actors)
    files = [
        "\ufeffOrder ID,Tracking\r\n" + f"{a['number']},{FEDEX}\r\n",
        f"Order #;Shipping Provider;Tracking No\n{b['number']};USPS;{S10}\n",
        f"tracking_number\torder_number\tcarrier\n{UPS_OK}\t{c['number']}\tUPS\n",
    ]
    encodings = ["utf-8", "utf-8", "utf-8"]
    for text, encoding in zip(files, encodings, strict=True):
        status = await finished(
            gql,
            actors,
            settings_with_redis,
            await start(http, text.encode(encoding), actors.admin.token),
        )
        assert (status["status"], status["updated"]) == ("SUCCEEDED", 1), status
    carriers = {o.number: (o.tracking_number, o.carrier) for o in await Order.all()}
    assert carriers[b["number"]] == (S10, "usps")
    assert carriers[c["number"]] == (UPS_OK, "ups")
    # Windows-1252 from an old spreadsheet: é is one byte, not UTF-8
    legacy = f"Numéro,Order Number,Tracking Number\nx,{a['number']},{UPS_OK}\n".encode("cp1252")
    status = await finished(
        gql,
        actors,
        settings_with_redis,
        await start(http, legacy, actors.admin.token, overwrite=True),
    )
    assert (status["status"], status["updated"]) == ("SUCCEEDED", 1)


async def test_garbage_uploads_fail_with_a_readable_error(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    status = await finished(
        gql, actors, settings_with_redis, await start(http, png, actors.admin.token)
    )
    assert status["status"] == "FAILED"
    assert "No header with an order number column" in status["error"]
    no_columns = await finished(
        gql,
        actors,
        settings_with_redis,
        await start(http, b"name,email\nx,y\n", actors.admin.token),
    )
    assert no_columns["status"] == "FAILED"
    empty = await upload(http, IMPORT, {}, b"  \n", actors.admin.token)
    assert empty["data"]["importTracking"]["errors"] == [
        {"code": "INVALID_INPUT", "message": "The file is empty.", "field": ["file"]}
    ]


async def test_upload_size_is_bounded(
    http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    small = create_app(replace(settings_with_redis, max_upload_bytes=10_000))
    small.state.redis = None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=small), base_url="http://t"
    ) as client:
        over = await upload(client, IMPORT, {}, b"x" * 20_000, actors.admin.token)
        assert over["data"]["importTracking"]["errors"] == [
            {
                "code": "INVALID_INPUT",
                "message": "The file is larger than 9.8 KB.",
                "field": ["file"],
            }
        ]
        response = await client.post(
            "/graphql",
            content=b"x" * 200_000,
            headers={
                "content-type": "multipart/form-data; boundary=x",
                "Authorization": f"Bearer {actors.admin.token}",
            },
        )
        assert response.status_code == 413
    assert await TrackingImport.all().count() == 0


async def test_create_shipments_and_set_status(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    a, b, c = await orders(gql, actors)
    await gql.data(SET_STATUS, {"id": c["id"], "status": "CANCELLED"}, actors.admin.token)
    lines = [f"{a['number']},{FEDEX}", f"{b['number']},{UPS_OK}", f"{c['number']},{S10}"]
    csv = ("order,tracking\n" + "\n".join(lines) + "\n").encode()
    status = await finished(
        gql,
        actors,
        settings_with_redis,
        await start(http, csv, actors.admin.token, createShipments=True, setStatus="COMPLETED"),
    )
    assert outcomes(status) == [
        (2, "SHIPPED", None),
        (3, "SHIPPED", None),
        (4, "FAILED", "ORDER_NOT_SHIPPABLE"),
    ]
    shipments = {s.order_id: s.tracking_number for s in await Shipment.all()}
    assert shipments == {
        from_global_id("Order", a["id"]): FEDEX,
        from_global_id("Order", b["id"]): UPS_OK,
    }
    assert (await Order.get(id=from_global_id("Order", a["id"]))).status == "COMPLETED"
    cancelled = await Order.get(id=from_global_id("Order", c["id"]))
    assert (cancelled.status, cancelled.tracking_number) == (
        "CANCELLED",
        "",
    )  # a failed row applies nothing
    again = await finished(
        gql,
        actors,
        settings_with_redis,
        await start(http, csv, actors.admin.token, createShipments=True, setStatus="COMPLETED"),
    )
    assert [o for _, o, _ in outcomes(again)] == ["UNCHANGED", "UNCHANGED", "FAILED"]
    assert await Shipment.all().count() == 2
    # an import's status change carries no note of its own
    assert not await OrderEvent.filter(type="STATUS_NOTE").exists()


async def test_import_permissions(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    a, _, _ = await orders(gql, actors)
    csv = f"order,tracking\n{a['number']},{FEDEX}\n".encode()
    for token, code in (
        (actors.customer.token, "FORBIDDEN"),
        (actors.support.token, "FORBIDDEN"),
        (None, "UNAUTHENTICATED"),
    ):
        body = await upload(http, IMPORT, {}, csv, token)
        assert [e["code"] for e in body["data"]["importTracking"]["errors"]] == [code]
    token_query = """mutation {
      createApiToken(input: {name: "carrier", permissions: [IMPORTS_WRITE]}) { token } }"""
    carrier = (await gql.data(token_query, token=actors.admin.token))["createApiToken"]["token"]
    refused = await upload(http, IMPORT, {"options": {"createShipments": True}}, csv, carrier)
    assert [e["code"] for e in refused["data"]["importTracking"]["errors"]] == ["FORBIDDEN"]
    status = await finished(gql, actors, settings_with_redis, await start(http, csv, carrier))
    assert status["updated"] == 1
    assert await TrackingImport.all().count() == 1


async def test_result_csv_is_safe_against_formula_injection(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    a, _, _ = await orders(gql, actors)
    csv = f'order,tracking\n"=HYPERLINK(""http://evil"",""x"")",{FEDEX}\n{a["number"]},@SUM(1)\n+1,-2\n'.encode()
    status = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.admin.token)
    )
    response = await http.get(
        status["resultUrl"], headers={"Authorization": f"Bearer {actors.fulfillment.token}"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.splitlines()
    assert lines[0] == "line,order_number,tracking_number,carrier,outcome,code,message"
    assert lines[1].startswith("2,\"'=HYPERLINK(")
    assert ",'@SUM(1)," in lines[2]
    assert lines[3].startswith("4,'+1,'-2,")
    # every row has all seven cells, a failed row's message among them
    table = list(DictReader(io.StringIO(response.text)))
    assert all(len(row) == 7 and None not in row.values() for row in table)
    assert (table[0]["outcome"], bool(table[0]["message"])) == ("FAILED", True)
    assert all(
        not cell.startswith(("=", "+", "-", "@")) for line in lines[1:] for cell in line.split(",")
    )
    denied = await http.get(
        status["resultUrl"], headers={"Authorization": f"Bearer {actors.customer.token}"}
    )
    assert denied.status_code == 403


async def test_a_row_that_cannot_be_read_fails_alone(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """R8: a 200,000-character cell (past the CSV reader's field limit) fails its own row;
    the good rows before and after it are applied."""
    a, b, _ = await orders(gql, actors)
    csv = (
        "order,tracking\n"
        f"{a['number']},{FEDEX}\n"
        f"{b['number']},{'x' * 200_000}\n"
        f"{b['number']},{S10}\n"
    ).encode()
    status = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.admin.token)
    )
    assert status["status"] == "SUCCEEDED"
    assert outcomes(status) == [
        (2, "UPDATED", None),
        (3, "FAILED", "INVALID_INPUT"),
        (4, "UPDATED", None),
    ]
    assert "not readable CSV" in status["rows"]["edges"][1]["node"]["message"]
    assert await Order.filter(tracking_number__in=[FEDEX, S10]).count() == 2


async def test_with_overwrite_the_files_last_line_for_an_order_decides_it(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    a, _, _ = await orders(gql, actors)
    csv = (
        f"order,tracking\n{a['number']},{FEDEX}\n{a['number']},{S10}\n{a['number']},bad!\n"
    ).encode()
    first = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.admin.token, overwrite=True)
    )
    assert outcomes(first) == [
        (2, "SKIPPED", "SUPERSEDED"),
        (3, "UPDATED", None),
        (4, "FAILED", "INVALID_TRACKING_NUMBER"),
    ]
    order = await Order.get(id=from_global_id("Order", a["id"]))
    assert order.tracking_number == S10
    events = await OrderEvent.filter(order_id=order.id).count()
    second = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.admin.token, overwrite=True)
    )
    assert outcomes(second) == [
        (2, "SKIPPED", "SUPERSEDED"),
        (3, "UNCHANGED", None),
        (4, "FAILED", "INVALID_TRACKING_NUMBER"),
    ]
    again = await Order.get(id=order.id)
    assert (again.tracking_number, again.version) == (S10, order.version)
    assert await OrderEvent.filter(order_id=order.id).count() == events


async def test_a_message_never_shows_what_the_importer_may_not_read(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    a, _, _ = await orders(gql, actors)
    await gql.data(ADD_TRACKING, {"id": a["id"], "n": UPS_OK}, actors.admin.token)
    token_query = """mutation {
      createApiToken(input: {name: "carrier", permissions: [IMPORTS_WRITE]}) { token } }"""
    carrier = (await gql.data(token_query, token=actors.admin.token))["createApiToken"]["token"]
    csv = f"order,tracking\n{a['number']},{FEDEX}\n".encode()
    status = await finished(gql, actors, settings_with_redis, await start(http, csv, carrier))
    [row] = [e["node"] for e in status["rows"]["edges"]]
    assert (row["outcome"], row["code"]) == ("SKIPPED", "TRACKING_EXISTS")
    assert UPS_OK not in row["message"]
    # staff who can read orders are told the number
    status = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.admin.token)
    )
    assert UPS_OK in status["rows"]["edges"][0]["node"]["message"]


async def test_row_by_row_a_failed_row_is_followed_by_good_ones(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """With setStatus each row goes through the services on its own: a row that fails
    (an unknown order) does not stop the rows after it, which write their number and status."""
    first, second = await orders(gql, actors, 2)
    csv = (
        "Order Number,Tracking Number\n"
        f"99999,{S10}\n"
        f"{first['number']},1Z999AA10123456784\n"
        f"{second['number']},{FEDEX}\n"
    ).encode()
    result = await start(http, csv, actors.admin.token, setStatus="AWAITING_PICKUP")
    status = await finished(gql, actors, settings_with_redis, result)
    rows = [e["node"] for e in status["rows"]["edges"]]
    assert [(r["line"], r["outcome"]) for r in rows] == [
        (2, "FAILED"),
        (3, "UPDATED"),
        (4, "UPDATED"),
    ]
    for order, number in ((first, "1Z999AA10123456784"), (second, FEDEX)):
        row = await Order.get(number=order["number"])
        assert (row.tracking_number, row.status.value) == (number, "AWAITING_PICKUP")


async def test_two_rows_for_one_order_in_a_set_keep_the_last(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Applied as a set (no options), two rows for one order: the later one is what stays,
    and each row is told what happened to it."""
    [order] = await orders(gql, actors, 1)
    csv = (
        "Order Number,Tracking Number\n"
        f"{order['number']},1Z999AA10123456784\n"
        f"{order['number']},1Z999AA10123456784\n"
    ).encode()
    status = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.admin.token)
    )
    assert [e["node"]["outcome"] for e in status["rows"]["edges"]] == ["UPDATED", "UNCHANGED"]
    row = await Order.get(number=order["number"])
    assert row.tracking_number == "1Z999AA10123456784"
    assert await OrderEvent.filter(order_id=row.id, type="TRACKING_NUMBER_SET").count() == 1


BOOM = "ZZ999999"


async def _refuse_tracking(number: str) -> None:
    """A trigger that makes the database refuse one tracking number, as an unexpected
    failure in the middle of a set would."""
    conn = connections.get("default")
    if is_postgres():
        await conn.execute_script(
            "CREATE FUNCTION refuse_tracking() RETURNS trigger AS $$ BEGIN "
            f"IF NEW.tracking_number = '{number}' THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$ LANGUAGE plpgsql; "
            "CREATE TRIGGER refuse_tracking BEFORE UPDATE ON orders "
            "FOR EACH ROW EXECUTE FUNCTION refuse_tracking();"
        )
    else:
        await conn.execute_script(
            "CREATE TRIGGER refuse_tracking BEFORE UPDATE OF tracking_number ON orders "
            f"WHEN NEW.tracking_number = '{number}' BEGIN SELECT RAISE(ABORT, 'refused'); END;"
        )


async def _allow_tracking() -> None:
    conn = connections.get("default")
    await conn.execute_script(
        "DROP TRIGGER IF EXISTS refuse_tracking"
        + (" ON orders; DROP FUNCTION IF EXISTS refuse_tracking();" if is_postgres() else ";")
    )


@pytest.mark.parametrize("options", [{}, {"setStatus": "AWAITING_PICKUP"}])
async def test_a_set_that_fails_unexpectedly_is_applied_row_by_row(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    settings_with_redis: Settings,
    options: dict[str, Any],
) -> None:
    """The set's transaction rolls back whole; each row is then tried on its own, so the
    good rows land and the one the database refuses is FAILED with INTERNAL_ERROR."""
    first, second, third = await orders(gql, actors, 3)
    csv = (
        "Order Number,Tracking Number,Carrier\n"
        f"{first['number']},{UPS_OK},\n"
        f"{second['number']},{BOOM},dhl\n"
        f"{third['number']},{FEDEX},\n"
    ).encode()
    await _refuse_tracking(BOOM)
    try:
        status = await finished(
            gql, actors, settings_with_redis, await start(http, csv, actors.admin.token, **options)
        )
    finally:
        await _allow_tracking()
    rows = [e["node"] for e in status["rows"]["edges"]]
    assert [(r["line"], r["outcome"], r["code"]) for r in rows] == [
        (2, "UPDATED", None),
        (3, "FAILED", "INTERNAL_ERROR"),
        (4, "UPDATED", None),
    ]
    assert rows[1]["message"].startswith("This row could not be applied (")
    assert (status["processedRows"], status["updated"], status["failed"]) == (3, 2, 1)
    numbers = {o.number: o.tracking_number for o in await Order.all()}
    assert numbers == {first["number"]: UPS_OK, second["number"]: "", third["number"]: FEDEX}
    # the set path tells the timeline which line set the number
    row = await Order.get(number=first["number"])
    [event] = await OrderEvent.filter(order_id=row.id, type="TRACKING_NUMBER_SET")
    assert event.data["trackingNumber"] == UPS_OK
    if not options:
        assert event.data["importLine"] == 2


async def test_a_set_commits_nothing_once_another_worker_holds_the_import(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> None:
    order, _, import_id = await one_row_import(gql, http, actors)
    await TrackingImport.filter(id=import_id).update(lease="theirs")
    row = import_sets.Row(2, str(order["number"]), UPS_OK, "")
    import_sets.check_row(row)
    with pytest.raises(import_sets.LeaseLost):
        await import_sets.process_set(import_id, [row], import_sets.ImportOptions(), SYSTEM, "mine")
    assert (await Order.get(number=order["number"])).tracking_number == ""
    assert await TrackingImportRow.filter(tracking_import_id=import_id).count() == 0
    # the holder's sets do commit, and show it is alive
    fresh = import_sets.Row(2, str(order["number"]), UPS_OK, "")
    import_sets.check_row(fresh)
    await import_sets.process_set(import_id, [fresh], import_sets.ImportOptions(), SYSTEM, "theirs")
    held = await TrackingImport.get(id=import_id)
    assert (held.processed_rows, held.updated, held.heartbeat_at is not None) == (1, 1, True)


async def test_only_a_running_import_silent_for_the_lease_time_is_stalled(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> None:
    _, _, import_id = await one_row_import(gql, http, actors)
    await check_stall_sweep(TrackingImport, import_id, imports.stalled_imports, ["SUCCEEDED"])


async def test_the_sweep_never_queues_twice_an_import_that_is_still_queued(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    from app.workers import jobs as worker_jobs

    _, result, import_id = await one_row_import(gql, http, actors)
    old = datetime.now(UTC) - timedelta(minutes=5)
    await TrackingImport.filter(id=import_id).update(created_at=old)
    assert settings_with_redis.redis_url
    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    try:
        assert await worker_jobs.requeue_stale({"settings": settings_with_redis, "redis": pool})
        queued = [job_id.decode() for job_id in await pool.zrange("arq:queue", 0, -1)]
        assert queued == [f"tracking-import:{import_id}"]
    finally:
        await pool.aclose()
    status = await finished(gql, actors, settings_with_redis, result)
    assert (status["status"], status["updated"]) == ("SUCCEEDED", 1)


async def test_row_by_row_an_unknown_order_and_overwrite_are_told(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    [order] = await orders(gql, actors, 1)
    await gql.data(ADD_TRACKING, {"id": order["id"], "n": S10}, actors.admin.token)
    long_number = "9" * 150
    csv = (
        "Order Number,Tracking Number\n"
        f"99999,{UPS_OK}\n"
        f"{order['number']},{FEDEX}\n"
        f"{order['number']},{long_number}\n"
    ).encode()
    status = await finished(
        gql,
        actors,
        settings_with_redis,
        await start(http, csv, actors.admin.token, createShipments=True, overwrite=True),
    )
    rows = {e["node"]["line"]: e["node"] for e in status["rows"]["edges"]}
    assert (rows[2]["outcome"], rows[2]["code"], rows[2]["message"]) == (
        "FAILED",
        "NOT_FOUND",
        "Order 99999 not found.",
    )
    assert rows[3]["outcome"] == "SHIPPED"
    # a number too long for any carrier is kept in the result as given, up to 100 characters
    assert (rows[4]["outcome"], rows[4]["trackingNumber"]) == ("FAILED", "9" * 100)
    seen = await Order.get(number=order["number"])
    assert seen.tracking_number == FEDEX  # overwrite replaced the S10 number
    [shipment] = await Shipment.filter(order_id=seen.id)
    assert shipment.tracking_number == FEDEX


async def test_an_import_runs_once_by_one_worker_and_is_listed_newest_first(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    [order] = await orders(gql, actors, 1)
    token = actors.admin.token
    first = await start(
        http, f"Order Number,Tracking Number\n{order['number']},{UPS_OK}\n".encode(), token
    )
    second = await start(
        http, f"Order Number,Tracking Number\n{order['number']},{S10}\n".encode(), token
    )
    import_id = int(from_global_id("TrackingImport", first["trackingImport"]["id"]))
    storage = LocalStorage(settings_with_redis.data_dir)
    assert await imports.run_import(999_999, storage) is None
    await TrackingImport.filter(id=import_id).update(
        lease="theirs", heartbeat_at=datetime.now(UTC), status="RUNNING"
    )
    assert await imports.run_import(import_id, storage) is None
    assert (await Order.get(number=order["number"])).tracking_number == ""
    await TrackingImport.filter(id=import_id).update(lease="", status="QUEUED")
    assert await imports.run_import(import_id, storage) is ImportStatus.SUCCEEDED
    assert await imports.run_import(import_id, storage) is ImportStatus.SUCCEEDED
    assert await TrackingImportRow.filter(tracking_import_id=import_id).count() == 1
    listed = await gql.data("{ trackingImports(first: 10) { edges { node { id } } } }", token=token)
    assert [e["node"]["id"] for e in listed["trackingImports"]["edges"]] == [
        second["trackingImport"]["id"],
        first["trackingImport"]["id"],
    ]
    missing = await http.get(
        "/imports/999999/result.csv", headers={"Authorization": f"Bearer {token}"}
    )
    assert missing.status_code == 404


async def test_row_by_row_after_a_failed_set_a_superseded_line_stays_skipped(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """With overwrite the file's last line for an order decides it, on the fallback path too:
    the earlier line is not applied (no second number on the timeline)."""
    first, second = await orders(gql, actors, 2)
    csv = (
        "Order Number,Tracking Number,Carrier\n"
        f"{first['number']},{FEDEX},\n"
        f"{second['number']},{BOOM},dhl\n"
        f"{first['number']},{UPS_OK},\n"
    ).encode()
    await _refuse_tracking(BOOM)
    try:
        status = await finished(
            gql,
            actors,
            settings_with_redis,
            await start(http, csv, actors.admin.token, overwrite=True),
        )
    finally:
        await _allow_tracking()
    assert outcomes(status) == [
        (2, "SKIPPED", "SUPERSEDED"),
        (3, "FAILED", "INTERNAL_ERROR"),
        (4, "UPDATED", None),
    ]
    messages = {e["node"]["line"]: e["node"]["message"] for e in status["rows"]["edges"]}
    assert messages[2] == "Line 4 sets this order's tracking number."
    # the failure is named by the kind of error the row met
    assert messages[3].startswith("This row could not be applied (")
    assert messages[3] != "This row could not be applied (NoneType)."
    row = await Order.get(number=first["number"])
    assert row.tracking_number == UPS_OK
    assert await OrderEvent.filter(order_id=row.id, type="TRACKING_NUMBER_SET").count() == 1


def test_the_running_total_counts_the_lines_below_the_header_that_hold_something(
    tmp_path: Path,
) -> None:
    """totalRows while an import runs (the exact count replaces it when it is done)."""
    path = tmp_path / "tracking.csv"
    path.write_text("order,tracking\n101,1Z999AA10123456784\n\n   \n102,RB123456785GB\n")
    reader = imports.RowReader(path)
    assert reader.check() is None
    assert reader.count_lines() == 2
    path.write_text("order,tracking\n")
    assert reader.count_lines() == 0


@pytest.mark.parametrize(
    ("size", "told"),
    [
        (500, "500 bytes"),
        (1023, "1023 bytes"),
        (1024, "1 KB"),
        (10_000, "9.8 KB"),
        (1024 * 1024, "1 MB"),
        (10 * 1024 * 1024, "10 MB"),
        (25_000_000, "23.8 MB"),
    ],
)
def test_an_upload_limit_is_told_in_the_unit_that_reads_best(size: int, told: str) -> None:
    assert imports.readable_size(size) == told


async def test_an_imports_changes_are_the_uploaders_to_staff_and_the_stores_to_the_customer(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    (order,) = await orders(gql, actors, count=1)
    csv = f"order,tracking\n{order['number']},{FEDEX}\n".encode()
    status = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.fulfillment.token)
    )
    assert status["updated"] == 1
    for token, actor in (
        (actors.admin.token, f"{actors.fulfillment.email} (import)"),
        (actors.customer.token, "store"),
    ):
        events = await timeline(gql, token, order["id"])
        assert [e["actor"] for e in events if e["type"] == "TRACKING_NUMBER_SET"] == [actor]


async def test_an_imported_number_moves_the_order_on_exactly_once(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """The set path's one UPDATE (tracking_plan._update): number and carrier written, the
    version one up (R7: a change staff can see), updated_at moved; other orders untouched."""
    first, second, _ = await orders(gql, actors)
    before = {o.number: o for o in await Order.all()}
    csv = f"order,tracking,carrier\n{first['number']},{FEDEX},fedex\n".encode()
    status = await finished(
        gql, actors, settings_with_redis, await start(http, csv, actors.admin.token)
    )
    assert status["updated"] == 1
    after = {o.number: o for o in await Order.all()}
    moved, kept = after[first["number"]], after[second["number"]]
    assert (moved.tracking_number, moved.carrier) == (FEDEX, "fedex")
    assert moved.version == before[first["number"]].version + 1
    assert moved.updated_at > before[first["number"]].updated_at
    assert (kept.version, kept.tracking_number) == (
        before[second["number"]].version,
        before[second["number"]].tracking_number,
    )


async def test_row_by_row_each_refusal_says_why_and_a_named_carrier_ships(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """With createShipments: order number 0 is no order number; a cancelled order's refusal
    is told to staff who may read orders; a number kept (no overwrite) is named; a carrier
    named in the file goes on the shipment; a carrier cell is kept up to 100 characters."""
    cancelled, kept, named, long = await orders(gql, actors, 4)
    token = actors.admin.token
    await gql.data(SET_STATUS, {"id": cancelled["id"], "status": "CANCELLED"}, token)
    await gql.data(ADD_TRACKING, {"id": kept["id"], "n": S10}, token)
    csv = (
        "Order Number,Tracking Number,Carrier\n"
        f"#0,{UPS_OK},\n"
        f"{cancelled['number']},{UPS_OK},\n"
        f"{kept['number']},{FEDEX},\n"
        f"{named['number']},AB-12345-X,acme\n"
        f"{long['number']},{UPS_OK},{'c' * 150}\n"
        f"{MAX_ID},{UPS_OK},\n"
        f"{'1' * 150},{UPS_OK},\n"
    ).encode()
    query = STATUS.replace("outcome code message", "outcome code message carrier")
    started = await start(http, csv, token, createShipments=True)
    await run_jobs(settings_with_redis)
    status = (await gql.data(query, {"id": started["trackingImport"]["id"]}, token))[
        "trackingImport"
    ]
    rows = {e["node"]["line"]: e["node"] for e in status["rows"]["edges"]}
    told = {line: (r["outcome"], r["code"], r["message"]) for line, r in rows.items()}
    assert told[2] == ("FAILED", "INVALID_INPUT", "'#0' is not an order number.")
    assert told[3] == ("FAILED", "ORDER_NOT_SHIPPABLE", "A CANCELLED order cannot be shipped.")
    assert told[4] == (
        "SKIPPED",
        "TRACKING_EXISTS",
        f"The order has a tracking number {S10}; overwrite is off.",
    )
    assert told[5] == ("SHIPPED", None, "")
    shipment = await Shipment.get(order__number=named["number"])
    assert (shipment.tracking_number, shipment.carrier) == ("AB-12345-X", "acme")
    assert told[6] == (
        "FAILED",
        "INVALID_TRACKING_NUMBER",
        "A carrier is a short name like ups, usps, fedex or dhl.",
    )
    assert rows[6]["carrier"] == "c" * 100
    # the largest number an order can have is looked for; a cell is kept up to 100 characters
    assert told[7] == ("FAILED", "NOT_FOUND", f"Order {MAX_ID} not found.")
    assert (rows[8]["outcome"], rows[8]["orderNumber"]) == ("FAILED", "1" * 100)
    assert (status["shipped"], status["skipped"], status["failed"]) == (1, 1, 5)


async def test_a_set_of_rows_is_applied_in_a_few_statements_not_row_by_row(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Thirty rows that only set numbers are one set: one locking read, one UPDATE, one
    INSERT of events and of outcomes (the row-by-row path, for a set that failed, takes
    several statements a row)."""
    placed_orders = await orders(gql, actors, 30)
    csv = "Order Number,Tracking Number\n" + "".join(
        f"{o['number']},QX{7734000 + i}\n" for i, o in enumerate(placed_orders)
    )
    started = await start(http, csv.encode(), actors.admin.token)
    with count_queries() as counted:
        await run_jobs(settings_with_redis)
    status = (await gql.data(STATUS, {"id": started["trackingImport"]["id"]}, actors.admin.token))[
        "trackingImport"
    ]
    assert (status["status"], status["updated"], status["failed"]) == ("SUCCEEDED", 30, 0)
    # a number of no known format, given with no carrier, leaves the order's carrier empty
    first = await Order.get(number=placed_orders[0]["number"])
    assert (first.tracking_number, first.carrier) == ("QX7734000", "")
    # fifteen on SQLite, the claim, the file and the finish included: fewer than one a row
    assert counted.count < 30, counted.statements


async def test_a_set_of_numbers_is_written_by_one_update_whatever_its_size(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """The set path is one UPDATE of the orders for the whole set (an import of thousands of
    lines costs a statement a set, not one a line), and each order gets its own line's
    number: a set that fails is not quietly redone row by row."""
    made = await orders(gql, actors)
    numbers = [FEDEX, UPS_OK, S10]
    lines = "".join(f"{o['number']},{n}\n" for o, n in zip(made, numbers, strict=True))
    result = await start(http, f"order,tracking\n{lines}".encode(), actors.admin.token)
    with count_queries() as counter:
        status = await finished(gql, actors, settings_with_redis, result)
    assert status["updated"] == 3
    updates = [s for s in counter.statements if re.search(r'UPDATE "?orders"? SET', s, re.I)]
    assert len(updates) == 1, updates
    written = {o.number: o.tracking_number for o in await Order.all()}
    assert written == {o["number"]: n for o, n in zip(made, numbers, strict=True)}
