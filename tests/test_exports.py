"""exportOrders: a CSV written by a worker, read back with the csv module."""

from __future__ import annotations

import csv
import io
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.models import Export, ImportStatus, Order
from app.schema.ids import from_global_id
from app.services import exports
from app.settings import Settings
from app.storage import LocalStorage
from tests.conftest import Actors, GraphQLClient, run_jobs
from tests.factories import REFUND, address, create_product, paid, placed
from tests.test_fulfilment import set_status
from tests.test_shipments import ship

EXPORT = """mutation($filter: OrderFilterInput, $g: ExportGranularity!) {
  exportOrders(filter: $filter, granularity: $g) {
    export { id status granularity rowCount url } errors { code message field } } }"""
READ = "query($id: ID!) { export(id: $id) { status rowCount url error finishedAt } }"
UPDATE = """mutation($id: ID!, $notes: String!) {
  updateOrder(id: $id, input: {staffNotes: $notes}) { errors { code } } }"""


async def exported(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    settings: Settings,
    token: str,
    granularity: str = "ORDER",
    **filter_: Any,
) -> tuple[dict[str, Any], httpx.Response]:
    """An export asked for, written by the worker and downloaded: its status and the file."""
    started = await gql.data(EXPORT, {"filter": filter_ or None, "g": granularity}, token)
    payload = started["exportOrders"]
    assert payload["errors"] == [], payload["errors"]
    assert payload["export"]["status"] == "QUEUED"
    await run_jobs(settings)
    done: dict[str, Any] = (await gql.data(READ, {"id": payload["export"]["id"]}, token))["export"]
    assert done["status"] == "SUCCEEDED", done
    assert done["finishedAt"] is not None
    response = await http.get(done["url"], headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "\r\n" not in response.text  # lines end in \n on either path, as COPY writes them
    return done, response


async def export_rows(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    settings: Settings,
    token: str,
    granularity: str = "ORDER",
    **filter_: Any,
) -> list[dict[str, str]]:
    done, response = await exported(gql, http, settings, token, granularity, **filter_)
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == done["rowCount"]
    return rows


async def test_orders_export_is_safe_and_keeps_staff_notes_out(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    settings_with_redis: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # several keyset sets for five orders on the csv module's path (PostgreSQL's is one COPY)
    monkeypatch.setattr(exports, "SET_SIZE", 2)
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100, price="10.00")
    await create_product(gql, token, "=B", stock=100, price="2.50", name="@SUM(1+1)")
    hostile = address(first='=HYPERLINK("http://x")', last="-2+3", company="+cmd")
    first = await paid(gql, None, [("A", 2), ("=B", 1)], token, billingAddress=hostile)
    for _ in range(4):
        await placed(gql, None, [("A", 1)])
    await gql.data(UPDATE, {"id": first["id"], "notes": "SECRET staff note"}, token)
    rows = await export_rows(gql, http, settings_with_redis, actors.fulfillment.token)
    assert len(rows) == 5
    assert list(rows[0]) == list(exports.ORDER_COLUMNS)
    row = rows[0]
    assert row["order_number"] == str(first["number"])
    assert row["billing_name"] == '\'=HYPERLINK("http://x") -2+3'
    assert row["billing_company"] == "'+cmd"
    assert (row["status"], row["total"], row["payment_status"], row["amount_paid"]) == (
        "AWAITING_FULFILLMENT",
        "22.50",
        "PAID",
        "22.50",
    )
    assert [r["order_number"] for r in rows] == sorted(r["order_number"] for r in rows)
    # the same cells whichever path wrote them
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00", row["created_at"])
    assert (row["tracking_number"], row["carrier"], row["shipping_method"]) == ("", "", "standard")
    response_text = str(rows)
    assert "SECRET" not in response_text

    items = await export_rows(gql, http, settings_with_redis, token, "ITEM")
    assert list(items[0]) == list(exports.ITEM_COLUMNS)
    assert [(r["order_number"], r["sku"], r["name"], r["quantity"]) for r in items[:2]] == [
        (str(first["number"]), "A", "Product A", "2"),
        (str(first["number"]), "'=B", "'@SUM(1+1)", "1"),
    ]
    assert len(items) == 6
    # a filter narrows it
    paid_only = await export_rows(
        gql, http, settings_with_redis, token, status=["AWAITING_FULFILLMENT"]
    )
    assert [r["order_number"] for r in paid_only] == [str(first["number"])]


async def test_customers_cannot_export_or_download(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "A")
    await placed(gql, actors.customer.token, [("A", 1)])
    refused = await gql.data(EXPORT, {"g": "ORDER"}, actors.customer.token)
    assert [e["code"] for e in refused["exportOrders"]["errors"]] == ["FORBIDDEN"]
    anonymous = await gql.data(EXPORT, {"g": "ORDER"})
    assert [e["code"] for e in anonymous["exportOrders"]["errors"]] == ["UNAUTHENTICATED"]
    started = await gql.data(EXPORT, {"g": "ORDER"}, actors.support.token)
    export_id = started["exportOrders"]["export"]["id"]
    await run_jobs(settings_with_redis)
    url = (await gql.data(READ, {"id": export_id}, actors.support.token))["export"]["url"]
    for token, status in ((actors.customer.token, 403), (None, 401), ("bogus", 401)):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        assert (await http.get(url, headers=headers)).status_code == status
    # any ORDERS_READ holder may fetch it, not only whoever asked
    other = await http.get(url, headers={"Authorization": f"Bearer {actors.fulfillment.token}"})
    assert other.status_code == 200
    assert (
        await http.get("/exports/999999", headers={"Authorization": f"Bearer {actors.admin.token}"})
    ).status_code == 404


async def test_an_export_is_written_once_by_one_worker_and_a_failure_is_told(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    tmp_path: Path,
) -> None:
    await create_product(gql, actors.admin.token, "A")
    await placed(gql, actors.customer.token, [("A", 1)])
    token = actors.admin.token
    started = (await gql.data(EXPORT, {"g": "ORDER"}, token))["exportOrders"]["export"]
    export_id = int(from_global_id("Export", started["id"]))
    # not written yet: the download says so
    early = await http.get(f"/exports/{export_id}", headers={"Authorization": f"Bearer {token}"})
    assert early.status_code == 404
    assert await exports.run(999_999, LocalStorage(tmp_path)) is None
    # another worker holds it: this one leaves it alone
    await Export.filter(id=export_id).update(
        lease="theirs", heartbeat_at=datetime.now(UTC), status=ImportStatus.RUNNING
    )
    assert await exports.run(export_id, LocalStorage(tmp_path)) is None
    await Export.filter(id=export_id).update(lease="", status=ImportStatus.QUEUED)
    # storage that cannot take the file: FAILED with the reason, and the error raised
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the folder should be")
    with pytest.raises(OSError):
        await exports.run(export_id, LocalStorage(blocked))
    failed = (await gql.data(READ, {"id": started["id"]}, token))["export"]
    assert failed["status"] == "FAILED"
    assert failed["error"].startswith("The export could not be written (")
    # a finished export is not written again
    assert await exports.run(export_id, LocalStorage(tmp_path)) is ImportStatus.FAILED
    assert not (tmp_path / "exports").exists()


ORDER_NUMBERS = """query($filter: OrderFilterInput) {
  orders(first: 50, filter: $filter) { edges { node { number } } } }"""


async def test_every_filter_narrows_the_export_as_it_narrows_the_order_list(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100, price="10.00")
    ann = await paid(
        gql,
        None,
        [("A", 2)],
        token,
        email="ann@example.com",
        billingAddress=address(first="Ann", country="FR"),
    )
    bob = await placed(gql, None, [("A", 1)], email="bob@example.com")
    cat = await paid(gql, None, [("A", 1)], token, email="cat@example.com")
    assert (await set_status(gql, token, cat, "CANCELLED"))["errors"] == []
    shipped = await ship(gql, token, ann, [(0, 1)])
    assert shipped["errors"] == []
    for order, when in (
        (ann, datetime(2026, 1, 5, tzinfo=UTC)),
        (bob, datetime(2026, 6, 5, tzinfo=UTC)),
    ):
        await Order.filter(number=order["number"]).update(created_at=when)
    filters: list[dict[str, Any]] = [
        {"isOpen": True},
        {"isOpen": False},
        {"createdAfter": "2026-03-01T00:00:00Z"},
        {"createdBefore": "2026-03-01T00:00:00Z"},
        {"createdAfter": "2026-03-01T00:00:00Z", "createdBefore": "2026-09-01T00:00:00Z"},
        {"email": "bob@example.com"},
        {"search": "ann@example"},
    ]
    everyone = {str(o["number"]) for o in (ann, bob, cat)}
    for chosen in filters:
        listed = await gql.data(ORDER_NUMBERS, {"filter": chosen}, token)
        expected = sorted(str(e["node"]["number"]) for e in listed["orders"]["edges"])
        assert 0 < len(expected) < 3, chosen  # each narrows, none to nothing
        rows = await export_rows(gql, http, settings_with_redis, token, **chosen)
        assert [r["order_number"] for r in rows] == expected, chosen
        assert set(expected) <= everyone
    # the billing country, and the units shipped of each line
    (row,) = await export_rows(gql, http, settings_with_redis, token, email="ann@example.com")
    assert (row["billing_name"], row["billing_country"]) == ("Ann Liddell", "FR")
    (line,) = await export_rows(
        gql, http, settings_with_redis, token, "ITEM", email="ann@example.com"
    )
    assert (line["quantity"], line["quantity_shipped"], line["quantity_returned"]) == (
        "2",
        "1",
        "0",
    )


async def test_an_order_without_a_billing_address_exports_empty_cells(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """Orders migrated from before addresses were required have an empty one."""
    await create_product(gql, actors.admin.token, "A")
    order = await placed(gql, None, [("A", 1)])
    await Order.filter(number=order["number"]).update(billing_address={})
    (row,) = await export_rows(gql, http, settings_with_redis, actors.admin.token)
    assert (row["billing_name"], row["billing_company"], row["billing_country"]) == ("", "", "")


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL"), reason="COPY is PostgreSQL's; SQLite has one writer"
)
async def test_copy_and_the_csv_module_write_the_same_bytes(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    settings_with_redis: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """PostgreSQL's COPY writes the export; the csv module writes it elsewhere. Every kind
    of cell (hostile text, empty ones, amounts, times, enums, tracking) comes out the same."""
    monkeypatch.setattr(exports, "SET_SIZE", 2)
    token = actors.admin.token
    await create_product(gql, token, "A", stock=100, price="10.00")
    await create_product(gql, token, "-B", stock=100, price="0.05", name='\tTabbed, "quoted"')
    hostile = address(first="@me", last="\rreturn", company="=1+1", country="DE")
    first = await paid(gql, None, [("A", 3), ("-B", 2)], token, billingAddress=hostile)
    await ship(gql, token, first, items=[(0, 1)], trackingNumber="1Z999AA10123456784")
    refund = {"amount": "1.25", "reason": "r"}
    assert (await gql.data(REFUND, {"id": first["id"], "input": refund}, token))["refundOrder"][
        "errors"
    ] == []
    second = await placed(gql, actors.customer.token, [("-B", 1)], email="+plus@example.com")
    await Order.filter(number=second["number"]).update(billing_address={}, shipping_method="")
    for _ in range(3):
        await placed(gql, None, [("A", 1), ("-B", 1)])
    await set_status(gql, token, first, "CANCELLED")

    async def written(granularity: str) -> bytes:
        done, response = await exported(gql, http, settings_with_redis, token, granularity)
        assert done["rowCount"] == len(response.content.splitlines()) - 1  # the header aside
        return response.content

    shipped_to = address(first="Zoë", last="\t=x", company="@co", country="ES", street2="+2")
    await placed(gql, None, [("A", 1)], shippingAddress=shipped_to)

    for granularity in ("ORDER", "ITEM"):
        by_copy = await written(granularity)
        with monkeypatch.context() as patched:
            patched.setattr(exports, "is_postgres", lambda: False)
            by_csv = await written(granularity)
        assert by_copy == by_csv
        assert len(by_copy.splitlines()) == (7 if granularity == "ORDER" else 11)
    # a filter is the list's own query inside the COPY, its values as parameters
    chosen: list[dict[str, Any]] = [
        {"status": ["CANCELLED"]},
        {"search": "Zoë"},
        {"sku": "-B", "isOpen": True},
        {"shippingCountry": "ES"},
        {"email": actors.customer.email},
        {"createdAfter": "2000-01-01T00:00:00+00:00", "paymentStatus": ["PENDING", "VOIDED"]},
    ]
    for filter_ in chosen:
        _, response = await exported(gql, http, settings_with_redis, token, "ITEM", **filter_)
        with monkeypatch.context() as patched:
            patched.setattr(exports, "is_postgres", lambda: False)
            _, by_csv = await exported(gql, http, settings_with_redis, token, "ITEM", **filter_)
        assert response.content == by_csv.content, filter_
        assert len(response.content.splitlines()) > 1, filter_  # the filter matched something
    with_mark = await export_rows_bytes(gql, http, settings_with_redis, token, bom=True)
    with monkeypatch.context() as patched:
        patched.setattr(exports, "is_postgres", lambda: False)
        assert with_mark == await export_rows_bytes(gql, http, settings_with_redis, token, bom=True)
    assert with_mark.startswith(b"\xef\xbb\xbf")


BOM_EXPORT = """mutation($bom: Boolean!) {
  exportOrders(granularity: ORDER, byteOrderMark: $bom) {
    export { id byteOrderMark } errors { code message } } }"""


async def test_shipping_address_columns_and_a_byte_order_mark_for_excel(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """The demo's José Núñez, shipped to another address than he is billed at: the
    shipping columns are that address; with byteOrderMark the file starts with EF BB BF,
    which Excel on Windows needs to read UTF-8 (other spreadsheets and the csv module skip
    it as "utf-8-sig")."""
    token = actors.admin.token
    await create_product(gql, token, "A", stock=10, price="10.00")
    shipping = address(
        first="José", last="Núñez", company="=Calle", street1="Calle Mayor 5",
        street2="2º izq.", city="Madrid", postalCode="28013", country="ES", phone="+34 600",
        state="",
    )  # fmt: skip
    order = await placed(gql, None, [("A", 1)], shippingAddress=shipping)
    rows = await export_rows(gql, http, settings_with_redis, token)
    (row,) = rows
    assert row["order_number"] == str(order["number"])
    assert row["billing_name"] == "Alice Liddell"
    assert {k: row[k] for k in exports.SHIPPING_COLUMNS} == {
        "shipping_name": "José Núñez",
        "shipping_company": "'=Calle",  # still no formula
        "shipping_street1": "Calle Mayor 5",
        "shipping_street2": "2º izq.",
        "shipping_city": "Madrid",
        "shipping_state": "",
        "shipping_postal_code": "28013",
        "shipping_country": "ES",
        "shipping_phone": "'+34 600",
    }
    plain = await export_rows_bytes(gql, http, settings_with_redis, token, bom=False)
    assert plain.startswith(b"order_number,")
    marked = await export_rows_bytes(gql, http, settings_with_redis, token, bom=True)
    assert marked.startswith(b"\xef\xbb\xbforder_number,")
    assert marked[3:] == plain
    assert "José Núñez" in marked.decode("utf-8-sig")


async def export_rows_bytes(
    gql: GraphQLClient, http: httpx.AsyncClient, settings: Settings, token: str, *, bom: bool
) -> bytes:
    started = (await gql.data(BOM_EXPORT, {"bom": bom}, token))["exportOrders"]
    assert started["errors"] == []
    assert started["export"]["byteOrderMark"] is bom
    await run_jobs(settings)
    done = (await gql.data(READ, {"id": started["export"]["id"]}, token))["export"]
    response = await http.get(done["url"], headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.content
