"""Documents that match the box: a packing slip per shipment (what is in it) and one per
order (what is left to ship), with the return address; an invoice that tells its payments
in words, line by line, with what is due, country names and the store's tax id. Read back
with pypdf; each is also drawn as PNG into test-artifacts/ to be looked at."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import typst

from app.documents.render import Renderer
from app.models import Document
from app.schema.ids import from_global_id
from app.services import documents
from app.services.addresses import Address
from app.services.postal import address_lines, city_lines, country_name
from app.settings import Settings
from tests.conftest import Actors, GraphQLClient, run_jobs
from tests.factories import create_product, paid, record_payment
from tests.test_cancellation import cancel
from tests.test_documents import download, pdf_text
from tests.test_shipments import ship

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
GENERATE = """mutation($kind: DocumentKind!, $orders: [ID!], $shipments: [ID!]) {
  generateDocuments(kind: $kind, orderIds: $orders, shipmentIds: $shipments) {
    document { id status orders { number } } errors { code message field } } }"""
EDIT = """mutation($id: ID!, $input: EditOrderInput!) {
  editOrder(orderId: $id, input: $input) { order { total } errors { code message } } }"""
RETURN_ADDRESS = "Returns desk\nUnit 4, Dock Road\nLeeds LS1 1AA"


def store(settings: Settings) -> Settings:
    return replace(settings, store_tax_id="GB 123 4567 89", return_address=RETURN_ADDRESS)


async def printed(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    token: str,
    settings: Settings,
    kind: str,
    png: str,
    **ids: list[str],
) -> list[str]:
    """Generate, render with a real worker, download: the PDF's pages as text; the same
    document is drawn into test-artifacts/<png>-<page>.png."""
    data = await gql.data(GENERATE, {"kind": kind, **ids}, token)
    result = data["generateDocuments"]
    assert result["errors"] == [], result["errors"]
    await run_jobs(settings)
    pk = from_global_id("Document", result["document"]["id"])
    response = await download(http, f"/documents/{pk}", token)
    assert response.status_code == 200
    await draw(await Document.get(id=pk), settings, png)
    return pdf_text(response.content)


async def draw(document: Document, settings: Settings, name: str) -> None:
    """The document's template and data, drawn as PNG by Typst (the PDF's own renderer)."""
    renderer = Renderer(settings.template_dir, settings.font_dirs)
    data = await documents.document_data(document, settings, renderer.font_families())
    compiler = typst.Compiler(font_paths=renderer.font_paths, ignore_system_fonts=True)
    pages = compiler.compile(
        input=renderer.template_path(document.kind.value).read_bytes(),
        format="png",
        ppi=110,
        sys_inputs={"data": orjson.dumps(data).decode()},
    )
    ARTIFACTS.mkdir(exist_ok=True)
    for number, page in enumerate(pages if isinstance(pages, list) else [pages], 1):
        (ARTIFACTS / f"{name}-{number}.png").write_bytes(page)


def lines_of(page: str) -> list[str]:
    return [line.rstrip() for line in page.splitlines()]


async def order_100(gql: GraphQLClient, actors: Actors) -> dict[str, Any]:
    """The issue's order 100: two tees and a mug, one tee shipped already."""
    admin = actors.admin.token
    await create_product(gql, admin, "TEE-BLK-M", stock=20, price="19.90", name="T-shirt, black, M")
    await create_product(gql, admin, "MUG", stock=20, price="12.50", name="Ceramic mug")
    order = await paid(
        gql,
        actors.customer.token,
        [("TEE-BLK-M", 2), ("MUG", 1)],
        admin,
        billingAddress={
            "firstName": "Ada",
            "lastName": "Lovelace",
            "street1": "12 St James's Square",
            "city": "London",
            "postalCode": "SW1Y 4JH",
            "country": "GB",
        },
        customerComment="Please gift-wrap the mug.",
    )
    shipped = await ship(gql, admin, order, items=[(0, 1)], trackingNumber="1Z999AA10123456784")
    assert shipped["errors"] == []
    return order


async def test_packing_slips_say_what_is_in_the_box(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    order = await order_100(gql, actors)
    settings = store(settings_with_redis)
    admin = actors.admin.token
    (page,) = await printed(
        gql, http, admin, settings, "PACKING_SLIP", "packing-slip-order", orders=[order["id"]]
    )
    text = lines_of(page)
    # what is left to pack: one tee (of two) and the mug
    to_pack = text.index("To pack")
    assert "TEE-BLK-M T-shirt, black, M 1" in text[to_pack + 2]
    assert "MUG Ceramic mug 1" in text[to_pack + 3]
    assert "Shipped before (not in this box)" in text
    assert any(line.startswith("TEE-BLK-M T-shirt, black, M 1") for line in text[to_pack + 4 :])
    # the address as a label: city then postcode, the country by name; and where returns go
    assert text[text.index("Ship to") + 1 : text.index("Ship to") + 6] == [
        "Ada Lovelace",
        "12 St James's Square",
        "London",
        "SW1Y 4JH",
        "United Kingdom",
    ]
    assert "Unit 4, Dock Road" in text
    assert "Leeds LS1 1AA" in text
    assert "Please gift-wrap the mug." in text
    assert ("19.90" in page, "USD" in page) == (False, False)  # R9: no prices

    # the second parcel: a slip per shipment, listing what is in that box only
    second = await ship(gql, admin, order, trackingNumber="RR123456785GB", carrier="s10")
    assert second["errors"] == []
    shipments = (
        await gql.data(
            "query($id: ID!) { order(id: $id) { shipments { id } } }", {"id": order["id"]}, admin
        )
    )["order"]["shipments"]
    first_box, second_box = await printed(
        gql,
        http,
        admin,
        settings,
        "PACKING_SLIP",
        "packing-slip-shipments",
        shipments=[s["id"] for s in shipments],
    )
    assert "In this box" in first_box
    assert "UPS 1Z999AA10123456784" in first_box
    assert "TEE-BLK-M T-shirt, black, M 1" in first_box
    assert "Ceramic mug" not in first_box
    assert "Royal Mail RR123456785GB" in second_box
    assert "TEE-BLK-M T-shirt, black, M 1" in second_box
    assert "MUG Ceramic mug 1" in second_box
    assert "Unit 4, Dock Road" in second_box
    # everything shipped: the order's slip says so, and lists nothing to pack
    (done,) = await printed(
        gql, http, admin, settings, "PACKING_SLIP", "packing-slip-done", orders=[order["id"]]
    )
    assert "Nothing is left to ship: every item of this order has shipped." in " ".join(
        done.split()
    )


async def test_shipment_slips_are_staff_only_and_bounded(
    gql: GraphQLClient, actors: Actors
) -> None:
    order = await order_100(gql, actors)
    shipment = (
        await gql.data(
            "query($id: ID!) { order(id: $id) { shipments { id } } }",
            {"id": order["id"]},
            actors.admin.token,
        )
    )["order"]["shipments"][0]["id"]

    async def ask(token: str, kind: str = "PACKING_SLIP", **ids: Any) -> list[dict[str, Any]]:
        data = await gql.data(GENERATE, {"kind": kind, **ids}, token)
        errors: list[dict[str, Any]] = data["generateDocuments"]["errors"]
        return errors

    assert (await ask(actors.customer.token, shipments=[shipment]))[0]["code"] == "FORBIDDEN"
    assert (await ask(actors.admin.token, "INVOICE", shipments=[shipment]))[0] == {
        "code": "INVALID_INPUT",
        "message": "Shipments print as packing slips.",
        "field": ["kind"],
    }
    both = await ask(actors.admin.token, shipments=[shipment], orders=[order["id"]])
    assert both[0]["message"] == "Give one of orderIds, a filter or shipmentIds."
    missing = await ask(actors.admin.token, shipments=["U2hpcG1lbnQ6OTk5"])
    assert missing == [
        {"code": "NOT_FOUND", "message": "Shipment not found.", "field": ["shipmentIds", "0"]}
    ]
    assert (await ask(actors.admin.token, shipments=[]))[0]["code"] == "INVALID_INPUT"
    assert await Document.all().count() == 0
    assert await ask(actors.fulfillment.token, shipments=[shipment, shipment]) == []
    (row,) = await Document.all()
    assert (row.order_ids, row.shipment_ids) == ([1], [1])


async def test_the_invoice_tells_the_payments_and_what_is_due(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    """The issue's order 102: paid 53.40, edited to 38.90; then 10.00 refunded."""
    admin = actors.admin.token
    await create_product(gql, admin, "CAP", stock=10, price="24.00", name="Baseball cap, navy")
    await create_product(gql, admin, "NOTE", stock=10, price="9.80", name="Dotted notebook A5")
    order = await paid(
        gql,
        None,
        [("CAP", 1), ("NOTE", 3)],
        admin,
        email="jose@example.es",
        payment={"method": "card", "provider": "stripe"},
        billingAddress={
            "firstName": "José",
            "lastName": "Núñez",
            "street1": "Calle Mayor 5",
            "city": "Madrid",
            "postalCode": "28013",
            "country": "ES",
        },
        shippingAddress={
            "firstName": "José",
            "lastName": "Núñez",
            "street1": "Apartado 12",
            "city": "Hong Kong",
            "country": "HK",
        },
    )
    settings = store(settings_with_redis)
    cap = order["items"][0]["id"]
    edited = await gql.data(
        EDIT, {"id": order["id"], "input": {"change": [{"orderItemId": cap, "unitPrice": "9.50"}]}},
        admin,
    )  # fmt: skip
    assert edited["editOrder"]["order"]["total"] == "38.90"
    (page,) = await printed(
        gql, http, admin, settings, "INVOICE", "invoice-edited", orders=[order["id"]]
    )
    text = lines_of(page)
    assert "Tax ID: GB 123 4567 89" in text
    assert ("Spain" in text, "ES" in text) == (True, False)
    assert "Hong Kong" in text
    assert "Total 38.90 USD" in text
    assert "Paid 53.40" in text
    assert "Refund due 14.50 USD" in text
    assert "Payment: Paid 53.40 USD by card via Stripe; 14.50 USD to be refunded." in " ".join(
        page.split()
    )
    assert any("Payment received, card via Stripe 53.40 USD" in line for line in text)
    assert ("PARTIALLY" in page, "stripe" in page) == (False, False)  # words, not codes

    refunded = await record_payment(gql, admin, order, kind="REFUND", amount="10.00")
    assert refunded["errors"] == []
    (page,) = await printed(
        gql, http, admin, settings, "INVOICE", "invoice-refunded", orders=[order["id"]]
    )
    text = lines_of(page)
    assert "Refunded -10.00" in text
    assert "Refund due 4.50 USD" in text
    assert any("Refund, card via Stripe -10.00 USD" in line for line in text)


async def test_a_cancelled_order_prints_as_such(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, settings_with_redis: Settings
) -> None:
    order = await order_100(gql, actors)
    done = await cancel(gql, actors.admin.token, order, refund=True)
    assert done["errors"] == []
    settings = store(settings_with_redis)
    (slip,) = await printed(
        gql, http, actors.admin.token, settings, "PACKING_SLIP", "packing-slip-cancelled",
        orders=[order["id"]],
    )  # fmt: skip
    assert "This order is cancelled: do not ship." in slip
    assert ("To pack" in slip, "MUG Ceramic mug" in slip) == (False, False)
    (invoice,) = await printed(
        gql, http, actors.admin.token, settings, "INVOICE", "invoice-cancelled",
        orders=[order["id"]],
    )  # fmt: skip
    assert "Order cancelled" in invoice
    assert "Refund due 52.30 USD" in invoice  # asked of the payment side, not yet back
    assert "Balance due" not in invoice


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        (
            {"city": "Arlington", "state": "VA", "postal_code": "22202", "country": "US"},
            ["Arlington, VA 22202", "United States"],
        ),
        ({"city": "Madrid", "postal_code": "28013", "country": "ES"}, ["28013 Madrid", "Spain"]),
        ({"city": "Madrid", "country": "ES"}, ["Madrid", "Spain"]),  # never " Madrid"
        ({"city": "Dublin", "country": "IE"}, ["Dublin", "Ireland"]),
        (
            {"city": "London", "postal_code": "SW1Y 4JH", "country": "GB"},
            ["London", "SW1Y 4JH", "United Kingdom"],
        ),
        ({"city": "Seoul", "country": "KR"}, ["Seoul", "South Korea"]),
        ({"city": "Toronto", "state": "ON", "country": "CA"}, ["Toronto, ON", "Canada"]),
    ],
)
def test_an_address_is_written_as_its_country_writes_it(
    parts: dict[str, str], expected: list[str]
) -> None:
    address = Address(first_name="A", last_name="B", street1="1 Road", **parts)
    assert address_lines(address) == ["A B", "1 Road", *expected]
    assert all(line == line.strip() for line in city_lines(address))


def test_country_names_are_the_everyday_ones() -> None:
    assert [country_name(c) for c in ("GB", "US", "de", "TW", "XX")] == [
        "United Kingdom",
        "United States",
        "Germany",
        "Taiwan",
        "XX",
    ]
