"""The order page on a phone (390x844), in a real Chromium against a real `serve`: an order of
several lines, shipped in part, with a return, a refund and so two payment transactions. A
merchant reads every line without scrolling sideways: nothing on the page (the document, a
section, a table or its wrapper, a dialog) is wider than its box, each line is a card whose
product, quantity and price are on screen, each cell shows its column's header, and Chromium
still gives a screen reader a table with its column headers. At a desk (1280x800) the tables
are tables again. Full-page screenshots go to test-artifacts/console/."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.console_harness import (
    DEMO_ADMIN,
    ROOT,
    ConsoleServer,
    button,
    console_server,
    csp_refusals,
    dialog,
    field,
    heading,
    named,
    new_browser,
    sign_in,
    wait_for,
)
from tests.processes import free_port

# browser walk-throughs: `scripts/test --all` and CI run them
pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.heavy]

ARTIFACTS = ROOT / "test-artifacts" / "console"
PHONE = (390, 844)
DESK = (1280, 800)
# long on purpose: a name and a tracking number that do not fit a phone's line must wrap
LINES = [
    ("Organic cotton hooded sweatshirt, heather grey, extra large, kangaroo pocket", "49.90", 2),
    ("Ceramic mug, 350 ml", "12.50", 3),
    ("Stainless steel insulated water bottle, 750 ml, matte black", "24.00", 1),
]  # fmt: skip
TRACKING = "JJD0001234567890123456789"

# Everything that could scroll sideways or hold content spilling past its box (scrollWidth
# counts that too): the document, the page's sections and regions, every table, its wrapper
# and rows, a dialog and its overlay.
WIDER_THAN_THEIR_BOX = """
const boxes = [document.documentElement, document.body, ...document.querySelectorAll(
  "main, section, article, [role=region], [role=group], [role=dialog], .modal-overlay, " +
  ".modal, .panel, .table-wrap, table, thead, tbody, tfoot, tr, dl, ul")];
// left out: what is not drawn, and a 1 px box clipped to nothing (visually hidden column
// headers, there for screen readers)
const seen = (e) => e.getClientRects().length > 0 && e.getBoundingClientRect().width > 1;
return boxes
  .filter((e) => seen(e) && e.scrollWidth > e.clientWidth)
  .map((e) => `${e.tagName.toLowerCase()}.${e.className} ` +
    `${e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") || ""}: ` +
    `scrollWidth ${e.scrollWidth} > clientWidth ${e.clientWidth}`);"""

ON_SCREEN = """
const r = arguments[0].getBoundingClientRect();
return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth;"""

LABEL_SHOWN = """return getComputedStyle(arguments[0], "::before").content;"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    # a webhook on this machine, where nothing listens: its deliveries fail here, posting
    # nothing anywhere
    with pytest.MonkeyPatch.context() as env:
        env.setenv("BITCART_WEBHOOK_ALLOW_PRIVATE", "1")
        with console_server(tmp_path_factory.mktemp("console-phone")) as served:
            yield served


@pytest.fixture(scope="module")
def phone(server: ConsoleServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    driver = new_browser(tmp_path_factory.mktemp("downloads"), "390,844")
    try:
        size(driver, *PHONE)
        sign_in(driver, server.url, *DEMO_ADMIN)
        yield driver
    finally:
        driver.quit()


def size(driver: Any, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


@pytest.fixture(scope="module")
def order(server: ConsoleServer) -> dict[str, Any]:
    """Three lines, paid; one line partly shipped with a long tracking number; a return of
    one shipped unit; a refund of 5.00 (a second transaction)."""
    skus = []
    for name, price, _ in LINES:
        sku = f"PHONE-{secrets.token_hex(3).upper()}"
        made = server.api(
            """mutation($input: CreateProductInput!) { createProduct(input: $input)
            { errors { code message } } }""",
            {"input": {"sku": sku, "name": name, "price": price, "stock": 20}},
        )["createProduct"]
        assert not made["errors"], made
        skus.append(sku)
    lines = [{"sku": sku, "quantity": qty} for sku, (_, _, qty) in zip(skus, LINES, strict=True)]
    placed = server.api(
        """mutation($input: PlaceOrderInput!) { placeOrder(input: $input)
        { order { id number items { id sku } } errors { code message } } }""",
        {"input": {
            "email": "a.very.long.mailbox.name@customer-example-domain.com",
            "items": lines,
            "billingAddress": {"firstName": "Edith", "lastName": "Clarke",
                               "street1": "1 Grid Rd", "city": "Austin", "country": "US"},
            "shippingCost": "4.95",
            "payment": {"method": "card", "provider": "stripe", "status": "PAID"},
        }},
    )["placeOrder"]  # fmt: skip
    assert not placed["errors"], placed
    made_order: dict[str, Any] = placed["order"]
    first = made_order["items"][0]["id"]
    shipped = server.api(
        """mutation($id: ID!, $input: ShipOrderInput) { shipOrder(orderId: $id, input: $input)
        { errors { code message } } }""",
        {"id": made_order["id"], "input": {
            "items": [{"orderItemId": first, "quantity": 1}], "trackingNumber": TRACKING}},
    )["shipOrder"]  # fmt: skip
    assert not shipped["errors"], shipped
    returned = server.api(
        """mutation($input: RequestReturnInput!) { requestReturn(input: $input)
        { returnRequest { id } errors { code message } } }""",
        {"input": {"orderId": made_order["id"], "customerComment": "Too big",
                   "items": [{"orderItemId": first, "quantity": 1, "reason": "Size"}]}},
    )["requestReturn"]  # fmt: skip
    assert not returned["errors"], returned
    refunded = server.api(
        """mutation($id: ID!, $input: RefundOrderInput!) { refundOrder(orderId: $id,
        input: $input) { errors { code message } } }""",
        {"id": made_order["id"], "input": {"amount": "5.00", "reason": "Late delivery"}},
    )["refundOrder"]
    assert not refunded["errors"], refunded
    made_order["skus"] = skus
    made_order["return_id"] = returned["returnRequest"]["id"]
    return made_order


# What the other screens' tables hold, long where a phone's line is short: a shipment to a
# company in a town of a long name with a long tracking number, a shipping method for many
# countries, an API token of many permissions, a staff member of a long address.
SHIPMENT_TRACKING = "1ZLONGTRACKING0123456789AB"
TOWN = "Llanfairpwllgwyngyll"
METHOD = ("phone-express", "Express courier, next working day before noon", "18.50",
          ["GB", "IE", "FR", "DE", "NL", "BE", "LU", "AT", "DK", "SE"])  # fmt: skip
TOKEN_NAME = "Warehouse carrier integration (north)"
TOKEN_PERMISSIONS = ["ORDERS_READ", "SHIPMENTS_WRITE", "IMPORTS_WRITE", "DOCUMENTS_WRITE"]
STAFF_EMAIL = "margaret.hamilton.fulfilment-team@warehouse-example.com"
TIMES = "\N{MULTIPLICATION SIGN}"  # the lists say "2 times SKU" with it
IMPORT_TRACKING = "JJD00012345678901234567890"
IMPORT_FILE = "carrier-export-november-2026-warehouse-north.csv"
WEBHOOK_EVENT = "import.finished"
RETURN_COMMENT = "The zip broke the second time I wore it, so I would like my money back"


def seed_screens(server: ConsoleServer) -> dict[str, Any]:
    """An order of one long-named product, shipped whole with a carrier and a long tracking
    number to a company far away, then returned with a long comment; a shipping method, an
    API token and a staff member, each with long values. What each screen's row shows."""
    sku = f"PHONE-{secrets.token_hex(3).upper()}"
    made = server.api(
        """mutation($input: CreateProductInput!) { createProduct(input: $input)
        { errors { code message } } }""",
        {"input": {"sku": sku, "name": LINES[0][0], "price": LINES[0][1], "stock": 9}},
    )["createProduct"]
    assert not made["errors"], made
    placed = server.api(
        """mutation($input: PlaceOrderInput!) { placeOrder(input: $input)
        { order { id number items { id } } errors { code message } } }""",
        {"input": {
            "email": "a.very.long.mailbox.name@customer-example-domain.com",
            "items": [{"sku": sku, "quantity": 2}],
            "billingAddress": {"firstName": "Bartholomew", "lastName": "Featherstonehaugh",
                               "company": "Featherstonehaugh Haberdashery Ltd",
                               "street1": "1 Station Rd", "city": TOWN, "country": "GB"},
            "shippingCost": "4.95",
            "payment": {"method": "card", "provider": "stripe", "status": "PAID"},
        }},
    )["placeOrder"]  # fmt: skip
    assert not placed["errors"], placed
    order = placed["order"]
    shipped = server.api(
        """mutation($id: ID!, $input: ShipOrderInput) { shipOrder(orderId: $id, input: $input)
        { errors { code message } } }""",
        {"id": order["id"], "input": {"trackingNumber": SHIPMENT_TRACKING, "carrier": "ups"}},
    )["shipOrder"]
    assert not shipped["errors"], shipped
    returned = server.api(
        """mutation($input: RequestReturnInput!) { requestReturn(input: $input)
        { errors { code message } } }""",
        {"input": {"orderId": order["id"], "customerComment": RETURN_COMMENT,
                   "items": [{"orderItemId": order["items"][0]["id"], "quantity": 1,
                             "reason": "Broken"}]}},
    )["requestReturn"]  # fmt: skip
    assert not returned["errors"], returned
    code, name, price, countries = METHOD
    method = server.api(
        """mutation($input: CreateShippingMethodInput!) { createShippingMethod(input: $input)
        { errors { code message } } }""",
        {"input": {"code": code, "name": name, "price": price, "freeOver": "150.00",
                   "countries": countries}},
    )["createShippingMethod"]  # fmt: skip
    assert not method["errors"], method
    token = server.api(
        """mutation($input: CreateApiTokenInput!) { createApiToken(input: $input)
        { errors { code message } } }""",
        {"input": {"name": TOKEN_NAME, "permissions": TOKEN_PERMISSIONS,
                   "expiresAt": "2027-06-30T12:00:00+00:00"}},
    )["createApiToken"]  # fmt: skip
    assert not token["errors"], token
    staff = server.api(
        """mutation($input: CreateStaffUserInput!) { createStaffUser(input: $input)
        { errors { code message } } }""",
        {"input": {"email": STAFF_EMAIL, "password": "a-long-enough-password", "role":
                   "FULFILLMENT", "firstName": "Margaret", "lastName": "Hamilton-Featherstone"}},
    )["createStaffUser"]  # fmt: skip
    assert not staff["errors"], staff
    hook_url = f"http://127.0.0.1:{free_port()}/bitcart/a-rather-long-receiver-path/orders"
    hook = server.api(
        """mutation($input: CreateWebhookInput!) { createWebhook(input: $input)
        { errors { code message } } }""",
        {"input": {"url": hook_url, "events": [WEBHOOK_EVENT]}},
    )["createWebhook"]
    assert not hook["errors"], hook
    return {
        "sku": sku,
        "number": order["number"],
        "hook": hook_url,
        "import": tracking_import(server, order["number"]),
    }


def tracking_import(server: ConsoleServer, number: int) -> str:
    """A carrier's CSV of two rows, imported to its end (which the webhook hears of): the
    seeded order, which keeps the number it has, and an order that does not exist."""
    csv = f"order_number,tracking_number,carrier\n{number},1ZOTHER0123456789,ups\n"
    csv += f"999999,{IMPORT_TRACKING},dhl\n"
    operations = {
        "query": "mutation($file: Upload!) { importTracking(file: $file) "
        "{ trackingImport { id } errors { code message } } }",
        "variables": {"file": None},
    }
    answer = httpx.post(
        f"{server.url}/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps({"0": ["variables.file"]})},
        files={"0": (IMPORT_FILE, csv.encode(), "text/csv")},
        headers={"Authorization": f"Bearer {server.admin_token}"},
        timeout=30,
    ).json()["data"]["importTracking"]
    assert not answer["errors"], answer
    made: str = answer["trackingImport"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = server.api("query($id: ID!) { trackingImport(id: $id) { status } }", {"id": made})[
            "trackingImport"
        ]["status"]
        if status in {"SUCCEEDED", "FAILED"}:
            return made
        time.sleep(0.2)
    raise AssertionError(f"the import {made} did not finish")


def open_order(driver: Any, server: ConsoleServer, number: int) -> Any:
    """The order page, drawn; its items table."""
    driver.get(f"{server.url}/console/orders/{number}")
    wait_for(driver, lambda d: heading(d) == f"Order {number}")
    return wait_for(driver, lambda d: named(d, "//table", "Items"))


def shot(driver: Any, name: str) -> None:
    """The page's whole length, beyond the viewport: what a merchant scrolls through."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    taken = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    (ARTIFACTS / f"{name}.png").write_bytes(base64.b64decode(taken["data"]))


def ax_names(driver: Any, css: str, role: str) -> list[str]:
    """What Chromium's accessibility tree (a screen reader's view) holds under the element
    `css`, of this role, by name."""
    root = driver.execute_cdp_cmd("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": css})
    found = driver.execute_cdp_cmd(
        "Accessibility.queryAXTree", {"nodeId": node["nodeId"], "role": role}
    )["nodes"]
    return [n.get("name", {}).get("value", "") for n in found if not n.get("ignored")]


def money(amount: str) -> str:
    return f"${amount}"


def test_a_phone_reads_every_line_of_an_order_without_scrolling_sideways(
    server: ConsoleServer, phone: Any, order: dict[str, Any]
) -> None:
    items = open_order(phone, server, order["number"])
    wait_for(phone, lambda d: d.find_elements("xpath", f"//li[contains(., '{TRACKING}')]"))
    transactions = named(phone, "//table", "Transactions")
    wait_for(phone, lambda d: len(transactions.find_elements("xpath", ".//tbody/tr")) == 2)
    shot(phone, "phone-order-lines-full")

    assert phone.execute_script(WIDER_THAN_THEIR_BOX) == []
    assert phone.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    for sku, (name, price, quantity) in zip(order["skus"], LINES, strict=True):
        row = items.find_element("xpath", f".//tbody/tr[@data-sku='{sku}']")
        assert row.value_of_css_property("display") == "flex"  # a card, not a table row
        product = row.find_element("xpath", "./th")
        shown = {
            "product": (product, sku),
            "name": (row.find_element("xpath", "./td[1]"), name),
            "quantity": (row.find_element("css selector", "[data-col=ordered]"), str(quantity)),
            "price": (row.find_element("css selector", "[data-col=price]"), money(price)),
        }
        for what, (cell, text) in shown.items():
            assert cell.is_displayed(), (sku, what)
            assert phone.execute_script(ON_SCREEN, cell), (sku, what, cell.rect)
            assert cell.text == text, (sku, what)
        # each cell shows its column's header on screen ...
        assert "Ordered" in phone.execute_script(LABEL_SHOWN, shown["quantity"][0])
        assert "Price" in phone.execute_script(LABEL_SHOWN, shown["price"][0])
    # ... while a screen reader still gets a table: its column headers (visually hidden) and
    # a row header and cells per line, the cells named by their contents alone (the label
    # shown on screen has empty alternative text: the header is announced instead)
    table = "table[aria-labelledby=items-title]"
    assert ax_names(phone, table, "columnheader") == [
        "SKU", "Item", "Price", "Ordered", "Shipped", "Returned", "Restocked", "Total",
    ]  # fmt: skip
    assert set(order["skus"]) <= set(ax_names(phone, table, "rowheader"))
    cells = ax_names(phone, table, "cell")
    assert money(LINES[1][1]) in cells
    assert not [c for c in cells if c.startswith(("Price", "Ordered"))]
    assert ax_names(phone, "table[aria-label=Transactions]", "columnheader") == [
        "When", "Kind", "Amount", "Reference", "By",
    ]  # fmt: skip
    assert csp_refusals(phone) == []


@pytest.mark.parametrize("action", ["Ship items", "Refund", "Edit order"])
def test_the_order_dialogs_fit_a_phone(
    server: ConsoleServer, phone: Any, order: dict[str, Any], action: str
) -> None:
    """Each dialog with a table of the order's lines: no sideways scrolling, every line's
    field on screen and named as before."""
    open_order(phone, server, order["number"])
    button(phone, "Actions").click()
    wait_for(phone, lambda d: named(d, "//*[@role='menuitem']", action)).click()
    box = wait_for(phone, lambda d: dialog(d, action))
    shot(phone, f"phone-order-{action.lower().replace(' ', '-')}-full")
    assert phone.execute_script(WIDER_THAN_THEIR_BOX) == []
    label = {
        "Ship items": "{}",
        "Refund": "Refund quantity of {}",
        "Edit order": "Quantity of {}",
    }[action]
    # Ship items offers only what is not yet shipped: all three lines have some left
    for sku in order["skus"]:
        control = field(phone, label.format(sku), box)
        assert control.is_displayed()
        assert phone.execute_script(ON_SCREEN, control), (sku, control.rect)
    ActionChains(phone).send_keys(Keys.ESCAPE).perform()
    wait_for(phone, lambda d: dialog(d, action) is None)


def test_a_return_fits_a_phone(server: ConsoleServer, phone: Any, order: dict[str, Any]) -> None:
    phone.get(f"{server.url}/console/returns/{order['return_id']}")
    table = wait_for(phone, lambda d: named(d, "//table", "Returned items"))
    row = wait_for(phone, lambda d: table.find_element("xpath", ".//tbody/tr"))
    shot(phone, "phone-return-full")
    assert phone.execute_script(WIDER_THAN_THEIR_BOX) == []
    assert row.value_of_css_property("display") == "flex"
    assert row.find_element("xpath", "./th").text == order["skus"][0]
    assert phone.execute_script(ON_SCREEN, row.find_element("xpath", "./th"))


@pytest.fixture(scope="module")
def screens(server: ConsoleServer) -> dict[str, Any]:
    return seed_screens(server)


def screen_rows(seeded: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per screen: its address, its table's name and column headers, the seeded row, what
    its row header says and, by column header, what its cells say (in part)."""
    sku, number = seeded["sku"], str(seeded["number"])
    code, name, price, countries = METHOD
    return {
        "shipments": {
            "path": "shipments", "table": "Shipments",
            "headers": ["Shipped", "Order", "To", "Where", "Carrier and tracking", "Items",
                        "Actions"],
            "row": f".//tbody/tr[contains(., '{SHIPMENT_TRACKING}')]", "head": number,
            "cells": {"Order": number, "To": "Bartholomew Featherstonehaugh", "Where": TOWN,
                      "Carrier and tracking": SHIPMENT_TRACKING, "Items": f"2 {TIMES} {sku}"},
        },
        "returns": {
            "path": "returns", "table": "Returns",
            "headers": ["Return", "Requested", "Order", "Status", "Items",
                        "Customer's comment"],
            "row": f".//tbody/tr[contains(., '{sku}')]", "head": "Open",
            "cells": {"Order": number, "Items": f"1 {TIMES} {sku}",
                      "Customer's comment": RETURN_COMMENT},
        },
        "products": {
            "path": "products", "table": "Products",
            "headers": ["SKU", "Name", "Price", "Stock", "Sold", "Actions"],
            "row": f".//tbody/tr[@data-sku='{sku}']", "head": sku,
            "cells": {"Name": LINES[0][0], "Price": money(LINES[0][1]), "Stock": "7"},
        },
        "shipping methods": {
            "path": "settings?section=shipping", "table": "Shipping methods",
            "headers": ["Code", "Name", "Price", "Free over", "Countries", "Offered",
                        "Actions"],
            "row": f".//tbody/tr[th[normalize-space(.)='{code}']]", "head": code,
            "cells": {"Name": name, "Price": money(price), "Free over": money("150.00"),
                      "Countries": ", ".join(sorted(countries))},
        },
        "API tokens": {
            "path": "settings?section=tokens", "table": "API tokens",
            "headers": ["Name", "Permissions", "Issued", "Last used", "Expires", "Actions"],
            "row": f".//tbody/tr[th[normalize-space(.)='{TOKEN_NAME}']]", "head": TOKEN_NAME,
            "cells": {"Permissions": "Shipments write", "Expires": "2027", "Last used": "Never"},
        },
        "webhooks": {
            "path": "settings?section=webhooks", "table": "Webhooks",
            "headers": ["Address", "Events", "State", "Actions"],
            "row": f".//tbody/tr[th[contains(., '{seeded['hook']}')]]", "head": seeded["hook"],
            "cells": {"Events": WEBHOOK_EVENT},
        },
        "deliveries": {
            "path": "settings?section=webhooks", "press": f"Deliveries of {seeded['hook']}",
            "table": "Deliveries", "headers": ["Event", "Made", "Status", "Answer", "Actions"],
            "row": f".//tbody/tr[th[normalize-space(.)='{WEBHOOK_EVENT}']]",
            "head": WEBHOOK_EVENT, "cells": {"Status": "attempt"},
        },
        "import rows": {
            "path": f"imports/{seeded['import']}", "table": "Import rows",
            "headers": ["Line", "Order", "Tracking number", "Outcome", "Message"],
            "row": ".//tbody/tr[contains(., '999999')]", "head": "3",
            "cells": {"Line": "3", "Order": "999999", "Tracking number": IMPORT_TRACKING,
                      "Outcome": "Failed", "Message": "999999"},
        },
        "staff": {
            "path": "settings?section=staff", "table": "Staff",
            "headers": ["Email", "Name", "Role", "Signs in", "Added", "Actions"],
            "row": f".//tbody/tr[@data-email='{STAFF_EMAIL}']", "head": STAFF_EMAIL,
            "cells": {"Name": "Margaret Hamilton-Featherstone", "Signs in": "Yes"},
        },
    }  # fmt: skip


def open_screen(driver: Any, server: ConsoleServer, screen: dict[str, Any]) -> tuple[Any, Any]:
    """The screen, drawn with its seeded row; its table and that row."""
    driver.get(f"{server.url}/console/{screen['path']}")
    if "press" in screen:  # a dialog's table
        wait_for(driver, lambda d: named(d, "//button", screen["press"])).click()
    table = wait_for(driver, lambda d: named(d, "//table", screen["table"]))
    return table, wait_for(driver, lambda d: table.find_element("xpath", screen["row"]))


SCREENS = [
    "shipments", "returns", "products", "import rows", "shipping methods", "webhooks",
    "deliveries", "API tokens", "staff",
]  # fmt: skip


@pytest.mark.parametrize("which", SCREENS)
def test_the_lists_and_settings_fit_a_phone(
    server: ConsoleServer, phone: Any, screens: dict[str, Any], which: str
) -> None:
    """Each screen's table was wider than a phone (at 390 px: shipments 1011 px of content in
    a 373 px box, returns 699, products 444, an import's rows 739, shipping methods 564,
    webhooks 680, deliveries 640 in the dialog's 321, API tokens 616, staff 866):
    now nothing scrolls sideways, the seeded row is a card whose key values are on screen
    beside their column's header, its buttons too, and a screen reader still gets the column
    headers."""
    screen = screen_rows(screens)[which]
    _, row = open_screen(phone, server, screen)
    shot(phone, f"phone-{which.lower().replace(' ', '-')}-full")
    assert phone.execute_script(WIDER_THAN_THEIR_BOX) == []
    assert phone.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    assert row.value_of_css_property("display") == "flex"  # a card, not a table row
    head = row.find_element("xpath", "./th")
    assert head.is_displayed()
    assert phone.execute_script(ON_SCREEN, head), head.rect
    assert screen["head"] in head.text
    cells = {
        c.get_attribute("data-label"): c for c in row.find_elements("xpath", "./*[@data-label]")
    }
    for label, text in screen["cells"].items():
        cell = cells[label]
        assert cell.is_displayed(), (which, label)
        assert phone.execute_script(ON_SCREEN, cell), (which, label, cell.rect)
        assert text in cell.text, (which, label, cell.text)
        assert label in phone.execute_script(LABEL_SHOWN, cell), (which, label)
    # a row's buttons and links (a member's role too) on screen, still named
    controls = row.find_elements("xpath", ".//button | .//a")
    assert controls
    for control in controls:
        assert control.is_displayed()
        assert phone.execute_script(ON_SCREEN, control), control.rect
        assert control.accessible_name
    css = f"table[aria-label='{screen['table']}']"
    assert ax_names(phone, css, "columnheader") == screen["headers"]
    assert screen["head"] in " ".join(ax_names(phone, css, "rowheader"))


@pytest.mark.parametrize("which", SCREENS)
def test_at_a_desk_the_lists_and_settings_stay_tables(
    server: ConsoleServer, phone: Any, screens: dict[str, Any], which: str
) -> None:
    screen = screen_rows(screens)[which]
    size(phone, *DESK)
    try:
        table, row = open_screen(phone, server, screen)
        assert row.value_of_css_property("display") == "table-row"
        assert [th.text for th in table.find_elements("xpath", "./thead//th")] == screen["headers"]
        for cell in row.find_elements("xpath", "./*[@data-label]"):
            assert phone.execute_script(LABEL_SHOWN, cell) == "none"  # the header says it
        # one line of the table: every cell starts at its top (to the pixel: a cell of
        # buttons in a row of their own sits half a pixel lower)
        tops = [cell.rect["y"] for cell in row.find_elements("xpath", "./*")]
        assert max(tops) - min(tops) < 1, tops
        assert phone.execute_script(WIDER_THAN_THEIR_BOX) == []
    finally:
        size(phone, *PHONE)


def test_at_a_desk_the_tables_stay_tables(
    server: ConsoleServer, phone: Any, order: dict[str, Any]
) -> None:
    """Last: it turns the module's phone into a desk."""
    size(phone, *DESK)
    try:
        items = open_order(phone, server, order["number"])
        row = items.find_element("xpath", f".//tbody/tr[@data-sku='{order['skus'][0]}']")
        assert row.value_of_css_property("display") == "table-row"
        header = items.find_element("xpath", ".//thead//th[normalize-space(.)='Price']")
        assert header.is_displayed()
        price = row.find_element("css selector", "[data-col=price]")
        assert phone.execute_script(LABEL_SHOWN, price) == "none"  # the header says it
        # one line of the table: every cell of the row sits at the same height
        tops = {cell.rect["y"] for cell in row.find_elements("xpath", "./*")}
        assert len(tops) == 1
        assert phone.execute_script(WIDER_THAN_THEIR_BOX) == []
    finally:
        size(phone, *PHONE)
