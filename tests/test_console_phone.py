"""The order page on a phone (390x844), in a real Chromium against a real `serve`: an order of
several lines, shipped in part, with a return, a refund and so two payment transactions. A
merchant reads every line without scrolling sideways: nothing on the page (the document, a
section, a table or its wrapper, a dialog) is wider than its box, each line is a card whose
product, quantity and price are on screen, each cell shows its column's header, and Chromium
still gives a screen reader a table with its column headers. At a desk (1280x800) the tables
are tables again. Full-page screenshots go to test-artifacts/console/."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from typing import Any

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
