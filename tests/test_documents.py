"""Invoices and packing slips: rendered by a real worker, read back with pypdf (R9)."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from app.models import Document, DocumentStatus
from app.schema.ids import from_global_id, to_global_id
from app.services import documents
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient, run_jobs
from tests.factories import create_product, paid, placed, shipping_method
from tests.test_shipments import UPDATE

GENERATE = """mutation($ids: [ID!]!, $kind: DocumentKind!) {
  generateDocuments(orderIds: $ids, kind: $kind) {
    document { id kind status url pageCount error } errors { code message field } } }"""
DOCUMENT = """query($id: ID!) { document(id: $id) {
  status url pageCount error finishedAt orders { number } } }"""
NOTE = "STAFF-ONLY: customer is on the fraud watch list"


async def two_orders(gql: GraphQLClient, actors: Actors) -> list[dict[str, Any]]:
    await shipping_method(gql, actors.admin.token, "standard", "5.00")
    await create_product(
        gql, actors.admin.token, "TEE", stock=50, price="19.90", name="Café T-shirt"
    )
    first = await placed(
        gql,
        actors.customer.token,
        [("TEE", 2)],
        customerComment="Gift wrap, s'il vous plaît",
        billingAddress={
            "firstName": "Zoë",
            "lastName": "Ångström",
            "street1": "Ærøgade 1",
            "city": "København",
            "country": "DK",
        },
    )
    second = await placed(
        gql, None, [("TEE", 1)], email="guest@example.net", customerComment="Leave at door"
    )
    for order in (first, second):
        await gql.data(
            UPDATE, {"id": order["id"], "input": {"staffNotes": NOTE}}, actors.admin.token
        )
    return [first, second]


async def generate(
    gql: GraphQLClient, token: str, orders: list[dict[str, Any]], kind: str
) -> dict[str, Any]:
    data = await gql.data(GENERATE, {"ids": [o["id"] for o in orders], "kind": kind}, token)
    result: dict[str, Any] = data["generateDocuments"]
    return result


async def download(http: httpx.AsyncClient, url: str, token: str | None) -> httpx.Response:
    return await http.get(url, headers={"Authorization": f"Bearer {token}"} if token else {})


def pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


async def test_invoice_shows_prices_and_comments_never_staff_notes(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    orders = await two_orders(gql, actors)
    result = await generate(gql, actors.fulfillment.token, orders, "INVOICE")
    assert result["errors"] == []
    assert result["document"]["status"] == "PENDING"
    assert result["document"]["url"] is None
    await run_jobs(settings_with_redis)
    document = (await gql.data(DOCUMENT, {"id": result["document"]["id"]}, actors.admin.token))[
        "document"
    ]
    assert document["status"] == "READY"
    assert document["pageCount"] == 2
    assert [o["number"] for o in document["orders"]] == [orders[0]["number"], orders[1]["number"]]
    response = await download(http, document["url"], actors.admin.token)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pages = pdf_text(response.content)
    assert len(pages) == 2  # a page break per order
    first, second = pages
    assert f"Order no. {orders[0]['number']}" in first
    assert "Invoice" in first
    assert "Café T-shirt" in first
    assert "19.90" in first
    assert "39.80" in first
    assert "44.80 USD" in first
    assert "Gift wrap, s'il vous plaît" in first
    assert "Zoë Ångström" in first
    assert "København" in first
    assert f"Order no. {orders[1]['number']}" in second
    assert "Leave at door" in second
    assert all("STAFF-ONLY" not in page and "fraud" not in page for page in pages)


async def test_packing_slip_has_items_and_quantities_without_prices(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    orders = await two_orders(gql, actors)
    result = await generate(gql, actors.fulfillment.token, orders, "PACKING_SLIP")
    await run_jobs(settings_with_redis)
    document = (await gql.data(DOCUMENT, {"id": result["document"]["id"]}, actors.admin.token))[
        "document"
    ]
    assert document["status"] == "READY"
    assert document["finishedAt"] is not None
    pages = pdf_text((await download(http, document["url"], actors.fulfillment.token)).content)
    assert "Packing slip" in pages[0]
    assert "TEE" in pages[0]
    assert "Café T-shirt" in pages[0]
    assert "Gift wrap" in pages[0]
    text = "\n".join(pages)
    assert "19.90" not in text
    assert "USD" not in text
    assert "STAFF-ONLY" not in text


async def test_unchanged_request_reuses_the_document(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    orders = await two_orders(gql, actors)
    first = await generate(gql, actors.admin.token, orders, "INVOICE")
    await run_jobs(settings_with_redis)
    again = await generate(gql, actors.admin.token, orders, "INVOICE")
    assert again["document"]["id"] == first["document"]["id"]
    assert again["document"]["status"] == "READY"
    # a change to an order makes a new one
    await gql.data(
        UPDATE, {"id": orders[0]["id"], "input": {"customerComment": "changed"}}, actors.admin.token
    )
    changed = await generate(gql, actors.admin.token, orders, "INVOICE")
    assert changed["document"]["id"] != first["document"]["id"]
    assert await Document.all().count() == 2


async def test_download_authorization(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    orders = await two_orders(gql, actors)
    both = await generate(gql, actors.admin.token, orders, "INVOICE")
    own = await generate(gql, actors.customer.token, orders[:1], "INVOICE")
    assert own["errors"] == []
    await run_jobs(settings_with_redis)
    both_url = f"/documents/{await _pk(both)}"
    own_url = f"/documents/{await _pk(own)}"
    assert (await download(http, both_url, None)).status_code == 401
    # a customer may download an invoice of their own orders only
    assert (await download(http, own_url, actors.customer.token)).status_code == 200
    assert (await download(http, both_url, actors.customer.token)).status_code == 404
    assert (await download(http, own_url, actors.other_customer.token)).status_code == 404
    assert (await download(http, both_url, actors.support.token)).status_code == 200
    assert (await download(http, "/documents/99999", actors.admin.token)).status_code == 404
    # Order.documents: staff see both; the customer only the invoice of that order alone
    listed = "query($id: ID!) { order(id: $id) { documents { id kind } } }"
    by_staff = await gql.data(listed, {"id": orders[0]["id"]}, actors.admin.token)
    assert {d["id"] for d in by_staff["order"]["documents"]} == {
        both["document"]["id"],
        own["document"]["id"],
    }
    by_customer = await gql.data(listed, {"id": orders[0]["id"]}, actors.customer.token)
    assert by_customer["order"]["documents"] == [{"id": own["document"]["id"], "kind": "INVOICE"}]
    # customers can't print packing slips, nor anything with another's order
    slip = await generate(gql, actors.customer.token, orders[:1], "PACKING_SLIP")
    assert [e["code"] for e in slip["errors"]] == ["FORBIDDEN"]
    foreign = await generate(gql, actors.other_customer.token, orders[:1], "INVOICE")
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"]


async def _pk(result: dict[str, Any]) -> int:
    return from_global_id("Document", result["document"]["id"])


async def test_a_failing_template_is_failed_with_a_readable_error(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings, tmp_path: Path
) -> None:
    (tmp_path / "invoice.typ").write_text(
        "#let doc = json(bytes(sys.inputs.data))\n#doc.nothing.here\n"
    )
    orders = await two_orders(gql, actors)
    result = await generate(gql, actors.admin.token, orders[:1], "INVOICE")
    await run_jobs(replace(settings_with_redis, template_dir=tmp_path))
    row = await Document.get(id=await _pk(result))
    assert row.status == DocumentStatus.FAILED
    assert row.error.startswith("The invoice template failed:")
    document = (await gql.data(DOCUMENT, {"id": result["document"]["id"]}, actors.admin.token))[
        "document"
    ]
    assert document["status"] == "FAILED"
    assert document["url"] is None
    assert document["finishedAt"] is not None  # failed is finished: nothing more will come
    assert "template failed" in document["error"]


async def test_a_shop_template_overrides_the_packaged_one(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    actors: Actors,
    settings_with_redis: Settings,
    tmp_path: Path,
) -> None:
    (tmp_path / "packing_slip.typ").write_text(
        "#let doc = json(bytes(sys.inputs.data))\n#set text(font: doc.fonts)\n"
        "#for o in doc.orders [Custom slip for #o.number with "
        '#o.items.at(0).keys().join(",") and no more. #pagebreak(weak: true)]\n'
    )
    orders = await two_orders(gql, actors)
    result = await generate(gql, actors.admin.token, orders[:1], "PACKING_SLIP")
    await run_jobs(replace(settings_with_redis, template_dir=tmp_path))
    response = await download(http, f"/documents/{await _pk(result)}", actors.admin.token)
    # a packing slip's data has no prices, so no shop template can print one
    assert f"Custom slip for {orders[0]['number']} with sku,name,quantity and no more." in " ".join(
        pdf_text(response.content)[0].split()
    )


async def test_bounds_and_bad_ids(gql: GraphQLClient, actors: Actors) -> None:
    empty = await gql.data(GENERATE, {"ids": [], "kind": "INVOICE"}, actors.admin.token)
    assert [e["code"] for e in empty["generateDocuments"]["errors"]] == ["INVALID_INPUT"]
    ids = [to_global_id("Order", i) for i in range(1, 502)]
    many = await gql.data(GENERATE, {"ids": ids, "kind": "INVOICE"}, actors.admin.token)
    assert many["generateDocuments"]["errors"] == [
        {
            "code": "INVALID_INPUT",
            "message": "Print 1 to 500 orders at a time.",
            "field": ["orderIds"],
        }
    ]
    missing = await gql.data(
        GENERATE, {"ids": ["T3JkZXI6OTk5OQ=="], "kind": "INVOICE"}, actors.admin.token
    )
    assert missing["generateDocuments"]["errors"] == [
        {"code": "NOT_FOUND", "message": "Order not found.", "field": ["orderIds", "0"]}
    ]
    assert await Document.all().count() == 0


async def test_a_document_prints_up_to_its_limit_of_orders_exactly(
    gql: GraphQLClient, actors: Actors, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "MAX_ORDERS", 2)
    orders = await two_orders(gql, actors)
    ids = [o["id"] for o in orders]
    exact = await gql.data(GENERATE, {"ids": ids, "kind": "INVOICE"}, actors.admin.token)
    assert exact["generateDocuments"]["errors"] == []
    by_filter = """mutation($filter: OrderFilterInput!) {
      generateDocuments(kind: PACKING_SLIP, filter: $filter) {
        document { orders { number } } errors { code message field } } }"""
    every = {"createdAfter": "2000-01-01T00:00:00Z"}
    matched = await gql.data(by_filter, {"filter": every}, actors.admin.token)
    assert matched["generateDocuments"]["errors"] == []
    assert len(matched["generateDocuments"]["document"]["orders"]) == 2
    third = await placed(gql, None, [("TEE", 1)])
    over = await gql.data(
        GENERATE, {"ids": [*ids, third["id"]], "kind": "INVOICE"}, actors.admin.token
    )
    assert [e["message"] for e in over["generateDocuments"]["errors"]] == [
        "Print 1 to 2 orders at a time."
    ]
    too_many = await gql.data(by_filter, {"filter": every}, actors.admin.token)
    assert too_many["generateDocuments"] == {
        "document": None,
        "errors": [
            {
                "code": "INVALID_INPUT",
                "message": "More than 2 orders match; narrow the filter.",
                "field": ["filter"],
            }
        ],
    }


CJK_DIRS = [Path("/usr/share/fonts/truetype/wqy"), Path("/usr/share/fonts/opentype/noto")]


@pytest.mark.skipif(not any(d.is_dir() for d in CJK_DIRS), reason="no CJK font on this machine")
async def test_cjk_renders_where_a_cjk_font_is_present(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    await create_product(gql, actors.admin.token, "TEA", name="抹茶 Matcha")
    order = await placed(
        gql,
        None,
        [("TEA", 1)],
        email="tanaka@example.jp",
        customerComment="ありがとう",
        billingAddress={
            "firstName": "太郎",
            "lastName": "田中",
            "street1": "1-1 Chiyoda",
            "city": "東京",
            "country": "JP",
        },
    )
    result = await generate(gql, actors.admin.token, [order], "INVOICE")
    fonts = tuple(d for d in CJK_DIRS if d.is_dir())
    await run_jobs(replace(settings_with_redis, font_dirs=fonts))
    response = await download(http, f"/documents/{await _pk(result)}", actors.admin.token)
    text = pdf_text(response.content)[0]
    assert "抹茶" in text
    assert "東京" in text
    assert "ありがとう" in text


async def test_a_days_packing_slips_by_filter(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    orders = await two_orders(gql, actors)
    await paid(gql, None, [("TEE", 1)], actors.admin.token, kind="AUTHORIZATION")
    by_filter = """mutation($filter: OrderFilterInput!) {
      generateDocuments(kind: PACKING_SLIP, filter: $filter) {
        document { id orders { number } } errors { code message field } } }"""
    today = {"status": ["AWAITING_PAYMENT"], "createdAfter": "2000-01-01T00:00:00Z"}
    data = await gql.data(by_filter, {"filter": today}, actors.fulfillment.token)
    result = data["generateDocuments"]
    assert result["errors"] == []
    assert [o["number"] for o in result["document"]["orders"]] == [o["number"] for o in orders]
    await run_jobs(settings_with_redis)
    response = await download(http, f"/documents/{await _pk(result)}", actors.fulfillment.token)
    assert len(pdf_text(response.content)) == 2
    none = await gql.data(by_filter, {"filter": {"search": "nobody-at-all"}}, actors.admin.token)
    assert none["generateDocuments"]["errors"][0]["code"] == "NOT_FOUND"
    both = await gql.data(
        "mutation { generateDocuments(kind: INVOICE) { errors { code message } } }",
        token=actors.admin.token,
    )
    assert both["generateDocuments"]["errors"] == [
        {"code": "INVALID_INPUT", "message": "Give either orderIds or a filter."}
    ]


def test_a_page_tree_the_quick_read_misses_is_counted_by_pypdf() -> None:
    """page_count reads /Count from the page tree's dictionary; one it cannot read that way
    (a nested dictionary in it) is counted by pypdf, imported only then."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, NumberObject

    from app.documents.render import _PAGE_TREE, page_count

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(100, 100)
    nested = DictionaryObject({NameObject("/Y"): NumberObject(1)})
    writer._root_object["/Pages"].get_object()[NameObject("/Extra")] = nested
    out = io.BytesIO()
    writer.write(out)
    pdf = out.getvalue()
    assert not list(_PAGE_TREE.finditer(pdf))  # the quick read finds nothing here
    assert page_count(pdf) == 3
