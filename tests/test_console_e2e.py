"""The staff console end to end, in a real Chromium against a real `serve` (SQLite, or
PostgreSQL when the run has DATABASE_URL): signing in, finding an order by its tracking
number, shipping part of it, live updates in a second window, editing lines, refunding with
restock, a bulk cancel of 50 orders, an export, an invoice, the FULFILLMENT role's limits,
and shipping by keyboard alone. Elements are found by their accessible names."""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys

from tests.console_harness import (
    DEMO_ADMIN,
    DEMO_FULFILMENT,
    ConsoleServer,
    button,
    choose,
    console_server,
    csp_refusals,
    dialog,
    field,
    fill,
    heading,
    link,
    named,
    new_browser,
    region,
    sign_in,
    wait_for,
    wait_for_download,
)

# browser walk-throughs: `scripts/test --all` and CI run them
pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.heavy]

ADDRESS = {
    "firstName": "Edith",
    "lastName": "Clarke",
    "street1": "1 Grid Rd",
    "city": "Austin",
    "country": "US",
}
ORDER = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
  order { id number } errors { code message } } }"""
PRODUCT = """mutation($input: CreateProductInput!) { createProduct(input: $input) {
  product { sku stock } errors { code message } } }"""
READ = """query($n: Int!) { order(number: $n) { id status trackingNumber version
  payment { amountPaid amountRefunded balanceDue refundDue }
  items { sku quantity quantityShipped quantityRestocked }
  shipments { trackingNumber items { sku quantity } } } }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    with console_server(tmp_path_factory.mktemp("console")) as served:
        yield served


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(server: ConsoleServer, downloads: Path) -> Iterator[Any]:
    """One signed-in admin browser for the module."""
    driver = new_browser(downloads)
    try:
        sign_in(driver, server.url, *DEMO_ADMIN)
        yield driver
    finally:
        driver.quit()


def products(server: ConsoleServer, *stock: int) -> list[str]:
    """New products with these stocks; their SKUs."""
    skus = []
    for amount in stock:
        sku = f"E2E-{secrets.token_hex(3).upper()}"
        data = server.api(
            PRODUCT,
            {"input": {"sku": sku, "name": f"Thing {sku}", "price": "10.00", "stock": amount}},
        )
        assert not data["createProduct"]["errors"]
        skus.append(sku)
    return skus


def place(
    server: ConsoleServer, lines: list[tuple[str, int]], *, paid: bool = True, email: str = ""
) -> dict[str, Any]:
    """An order placed by the demo admin (free shipping), paid in full unless not paid."""
    payment = {"method": "card", "provider": "stripe", "status": "PAID" if paid else "PENDING"}
    data = server.api(
        ORDER,
        {
            "input": {
                "email": email or f"buyer-{secrets.token_hex(3)}@example.com",
                "items": [{"sku": sku, "quantity": qty} for sku, qty in lines],
                "billingAddress": ADDRESS,
                "shippingCost": "0.00",
                "payment": payment,
            }
        },
    )
    assert not data["placeOrder"]["errors"], data
    order: dict[str, Any] = data["placeOrder"]["order"]
    return order


def read(server: ConsoleServer, number: int) -> dict[str, Any]:
    order: dict[str, Any] = server.api(READ, {"n": number})["order"]
    return order


def open_order(driver: Any, server: ConsoleServer, number: int) -> None:
    driver.get(f"{server.url}/console/orders/{number}")
    wait_for(driver, lambda d: heading(d) == f"Order {number}")


def open_action(driver: Any, action: str) -> None:
    button(driver, "Actions").click()
    wait_for(driver, lambda d: named(d, "//*[@role='menuitem']", action)).click()


def menu_items(driver: Any) -> list[str]:
    button(driver, "Actions").click()
    items = wait_for(driver, lambda d: d.find_elements("xpath", "//*[@role='menuitem']"))
    names = [item.accessible_name for item in items]
    ActionChains(driver).send_keys(Keys.ESCAPE).perform()
    wait_for(driver, lambda d: not d.find_elements("xpath", "//*[@role='menu']"))
    return names


def status_shown(driver: Any) -> str:
    text: str = driver.find_element("css selector", ".order-head .badge").text
    return text


def test_sign_in_shows_the_console(server: ConsoleServer, downloads: Path) -> None:
    driver = new_browser(downloads)
    try:
        driver.get(f"{server.url}/console/orders")
        assert button(driver, "Sign in").accessible_name == "Sign in"
        field(driver, "Email").send_keys(DEMO_ADMIN[0])
        field(driver, "Password").send_keys("wrong password")
        button(driver, "Sign in").click()
        alert = wait_for(driver, lambda d: d.find_element("css selector", "[role=alert]"))
        assert alert.text
        fill(field(driver, "Password"), DEMO_ADMIN[1])
        button(driver, "Sign in").click()
        nav = wait_for(driver, lambda d: d.find_element("xpath", "//nav[@aria-label='Console']"))
        assert nav.aria_role == "navigation"
        links = [a.text for a in nav.find_elements("tag name", "a")]
        assert links == ["Orders", "Shipments", "Returns", "Imports", "Products", "Settings"]
        table = wait_for(driver, lambda d: named(d, "//table", "Orders"))
        wait_for(
            driver, lambda d: table.find_elements("xpath", ".//tbody//th//a")
        )  # orders, linked
        # the token is kept for the tab only
        assert driver.execute_script("return window.localStorage.length") == 0
        assert driver.execute_script("return sessionStorage.getItem('bitcart.console.token')")
        # a reload keeps the session
        driver.refresh()
        wait_for(driver, lambda d: named(d, "//table", "Orders"))
        assert not csp_refusals(driver)
    finally:
        driver.quit()


def test_find_by_tracking_number_and_ship_part_of_it(server: ConsoleServer, browser: Any) -> None:
    shirt, mug = products(server, 10, 10)
    order = place(server, [(shirt, 3), (mug, 1)])
    tracking = f"E2E{secrets.token_hex(5).upper()}"
    server.api(
        "mutation($o: ID!, $t: String!) { addTracking(orderId: $o, trackingNumber: $t) "
        "{ errors { message } } }",
        {"o": order["id"], "t": tracking},
    )
    browser.get(f"{server.url}/console/orders?tab=all")
    wait_for(browser, lambda d: field(d, "Search orders")).send_keys(tracking)
    wait_for(
        browser,
        lambda d: (
            [
                r.text
                for r in named(d, "//table", "Orders").find_elements("xpath", ".//tbody//th//a")
            ]
            == [str(order["number"])]
        ),
    )
    link(browser, str(order["number"]), named(browser, "//table", "Orders")).click()
    wait_for(browser, lambda d: heading(d) == f"Order {order['number']}")
    open_action(browser, "Ship items")
    ship = wait_for(browser, lambda d: dialog(d, "Ship items"))
    assert field(browser, shirt, ship).get_attribute("value") == "3"
    assert field(browser, "Tracking number", ship).get_attribute("value") == tracking  # R4
    fill(field(browser, shirt, ship), "2")
    fill(field(browser, mug, ship), "0")
    button(browser, "Ship", ship).click()
    wait_for(browser, lambda d: dialog(d, "Ship items") is None)
    wait_for(browser, lambda d: status_shown(d) == "Partially shipped")
    after = read(server, order["number"])
    assert after["status"] == "PARTIALLY_SHIPPED"
    assert after["shipments"] == [
        {"trackingNumber": tracking, "items": [{"sku": shirt, "quantity": 2}]}
    ]
    # the timeline in a merchant's words: what happened, statuses as words, not codes
    timeline = region(browser, "Timeline")
    wait_for(browser, lambda d: "Items shipped" in timeline.text)
    assert "Status changed" in timeline.text
    assert "to Partially shipped" in timeline.text
    assert "PARTIALLY_SHIPPED" not in timeline.text
    assert "SHIPMENT_CREATED" not in timeline.text


def test_a_status_change_arrives_in_a_second_window(
    server: ConsoleServer, browser: Any, downloads: Path
) -> None:
    (sku,) = products(server, 5)
    order = place(server, [(sku, 1)])
    other = new_browser(downloads)
    try:
        sign_in(other, server.url, *DEMO_ADMIN)
        open_order(other, server, order["number"])
        wait_for(other, lambda d: d.find_element("css selector", "[data-live=live]"))
        other.execute_script("window.__notReloaded = true")
        open_order(browser, server, order["number"])
        open_action(browser, "Change status")
        change = wait_for(browser, lambda d: dialog(d, "Change status"))
        choose(browser, "New status", "Awaiting shipment", change)
        button(browser, "Change to Awaiting shipment", change).click()
        wait_for(other, lambda d: status_shown(d) == "Awaiting shipment")
        assert other.execute_script("return window.__notReloaded") is True
        assert read(server, order["number"])["status"] == "AWAITING_SHIPMENT"
        # the list too: a new order appears, and its status is the one just set
        other.find_element("xpath", "//nav[@aria-label='Console']//a[.='Orders']").click()
        table = wait_for(other, lambda d: named(d, "//table", "Orders"))
        fresh = place(server, [(sku, 1)])
        wait_for(
            other,
            lambda d: d.find_elements("xpath", f"//tr[@data-order-number='{fresh['number']}']"),
        )
        assert other.execute_script("return window.__notReloaded") is True
        assert table.find_elements("xpath", f".//tr[@data-order-number='{order['number']}']")
    finally:
        other.quit()


def test_edit_lines_and_see_the_balance_due(server: ConsoleServer, browser: Any) -> None:
    (sku,) = products(server, 10)
    order = place(server, [(sku, 1)])  # 10.00, paid
    before = read(server, order["number"])
    open_order(browser, server, order["number"])
    open_action(browser, "Edit order")
    edit = wait_for(browser, lambda d: dialog(d, "Edit order"))
    fill(field(browser, f"Quantity of {sku}", edit), "3")
    # before saving, the server's preview of the edit: 30.00 owed, 10.00 paid
    previewed = "$20.00"
    wait_for(
        browser,
        lambda d: (
            d.find_element("css selector", "[data-field=preview-balance-due]").text == previewed
        ),
    )
    assert edit.find_element("css selector", "[data-field=preview-refund-due]").text == "$0.00"
    assert read(server, order["number"]) == before  # looking changed nothing
    button(browser, "Save changes", edit).click()
    shown = wait_for(
        browser, lambda d: d.find_element("css selector", "[data-field=edit-balance-due]")
    )
    assert shown.text == previewed  # what was shown before saving is what saving did
    button(browser, "Close").click()
    wait_for(
        browser,
        lambda d: d.find_element("css selector", "[data-field=balance-due]").text == "$20.00",
    )
    after = read(server, order["number"])
    assert (after["payment"]["balanceDue"], after["items"][0]["quantity"]) == ("20.00", 3)


def test_refund_with_restock(server: ConsoleServer, browser: Any) -> None:
    (sku,) = products(server, 4)
    order = place(server, [(sku, 2)])
    server.api(
        "mutation($o: ID!) { shipOrder(orderId: $o) { errors { message } } }", {"o": order["id"]}
    )
    open_order(browser, server, order["number"])
    open_action(browser, "Refund")
    refund = wait_for(browser, lambda d: dialog(d, "Refund"))
    fill(field(browser, "Amount", refund), "10.00")
    field(browser, f"Refund quantity of {sku}", refund).send_keys("1")
    refund.find_element("xpath", ".//label[contains(., 'back in stock')]").click()
    button(browser, "Refund", refund).click()
    wait_for(browser, lambda d: dialog(d, "Refund") is None)
    wait_for(
        browser,
        lambda d: (
            d.find_element("xpath", "//tr[@data-sku='" + sku + "']/td[@data-col='restocked']").text
            == "1"
        ),
    )
    after = read(server, order["number"])
    assert after["payment"]["amountRefunded"] == "10.00"
    assert after["items"][0]["quantityRestocked"] == 1
    stock = server.api("query($s: String!) { product(sku: $s) { stock } }", {"s": sku})
    assert stock["product"]["stock"] == 3  # 4 - 2 shipped + 1 restocked


def test_bulk_cancel_50_orders_then_export_them(
    server: ConsoleServer, browser: Any, downloads: Path
) -> None:
    (sku,) = products(server, 60)
    domain = f"bulk-{secrets.token_hex(3)}.example.com"
    numbers = {place(server, [(sku, 1)], email=f"b{i}@{domain}")["number"] for i in range(50)}
    browser.get(f"{server.url}/console/orders?tab=all&size=50")
    wait_for(browser, lambda d: field(d, "Search orders")).send_keys(domain)
    table = wait_for(browser, lambda d: named(d, "//table", "Orders"))
    wait_for(browser, lambda d: "q=bulk-" in d.current_url)  # the search has been applied
    wait_for(
        browser, lambda d: "50 orders" in d.find_element("xpath", "//nav[@aria-label='Pages']").text
    )
    wait_for(browser, lambda d: len(table.find_elements("xpath", ".//tbody//th//a")) == 50)
    browser.find_element(
        "xpath", "//label[.//input[@aria-label='Select every order on this page']]"
    ).click()
    wait_for(
        browser, lambda d: "50 selected" in d.find_element("css selector", ".selection-bar").text
    )
    button(browser, "Change status").click()
    bulk = wait_for(browser, lambda d: dialog(d, "Change status of selected orders"))
    assert "back to stock" in bulk.text  # CANCELLED, the default, releases stock
    button(browser, "Change 50 orders", bulk).click()
    wait_for(browser, lambda d: d.find_element("xpath", "//*[@role='progressbar']"))
    done = wait_for(
        browser,
        lambda d: (
            "Done: 50 moved to Cancelled, 0 failed"
            in dialog(d, "Change status of selected orders").text
        ),
        60,
    )
    assert done
    assert {read(server, n)["status"] for n in numbers} == {"CANCELLED"}
    assert (
        server.api("query($s: String!) { product(sku: $s) { stock } }", {"s": sku})["product"][
            "stock"
        ]
        == 60
    )
    button(browser, "Close").click()
    # the same search, exported and downloaded
    before = {p.name for p in downloads.iterdir()}
    button(browser, "Export CSV").click()
    exported = wait_for_download(downloads, ".csv", before)
    with exported.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 50
    number_column = next(k for k in rows[0] if "number" in k.lower())
    assert {int(r[number_column]) for r in rows} == numbers


def test_print_an_invoice_and_open_it(server: ConsoleServer, browser: Any, downloads: Path) -> None:
    (sku,) = products(server, 3)
    order = place(server, [(sku, 2)])
    open_order(browser, server, order["number"])
    before = {p.name for p in downloads.iterdir()}
    open_action(browser, "Print invoice")
    pdf = wait_for_download(downloads, ".pdf", before, 60)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert str(order["number"]) in text
    assert "Invoice" in text or "INVOICE" in text
    assert f"Thing {sku}" in text


def test_fulfilment_sees_no_refund_payment_or_settings(
    server: ConsoleServer, downloads: Path
) -> None:
    (sku,) = products(server, 3)
    order = place(server, [(sku, 1)])
    driver = new_browser(downloads)
    try:
        sign_in(driver, server.url, *DEMO_FULFILMENT)
        nav = driver.find_element("xpath", "//nav[@aria-label='Console']")
        assert "Settings" not in [a.text for a in nav.find_elements("tag name", "a")]
        open_order(driver, server, order["number"])
        assert menu_items(driver) == [
            "Add tracking number",
            "Ship items",
            "Print invoice",
            "Print packing slip",
        ]
        notes = region(driver, "Staff notes")
        assert notes is not None
        assert not notes.find_elements("xpath", ".//button")  # read, never edited
        assert region(driver, "Timeline") is not None
        driver.get(f"{server.url}/console/orders?tab=all")
        table = wait_for(driver, lambda d: named(d, "//table", "Orders"))
        # the table is there before its rows are
        wait_for(driver, lambda d: table.find_element("xpath", ".//tbody//label")).click()
        bar = driver.find_element("css selector", ".selection-bar")
        assert "1 selected" in bar.text
        offered = {b.text for b in bar.find_elements("tag name", "button")}
        assert {"Print invoices", "Print packing slips", "Export CSV"} <= offered
        assert "Change status" not in offered
    finally:
        driver.quit()


def test_a_phone_gets_a_menu_filters_and_orders_as_cards(
    server: ConsoleServer, downloads: Path
) -> None:
    """At 390x844 the bound names stay: the "Console" navigation's links (behind "Menu"),
    "Search orders" (the other filters behind "Filters"), the table "Orders" with its
    order links, each row laid out as a card, and nothing wider than the phone."""
    (sku,) = products(server, 3)
    order = place(server, [(sku, 1)])
    driver = new_browser(downloads, "390,844")
    try:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True},
        )
        sign_in(driver, server.url, *DEMO_ADMIN)
        driver.get(f"{server.url}/console/orders?tab=all")
        table = wait_for(driver, lambda d: named(d, "//table", "Orders"))
        number = str(order["number"])
        card = f".//tbody/tr[@data-order-number={number}]"
        row = wait_for(driver, lambda d: table.find_element("xpath", card))
        assert row.value_of_css_property("display") == "grid"  # a card, not a table row
        assert link(driver, number, row).is_displayed()
        assert driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        # the links wait behind "Menu"; it opens and closes them
        nav = driver.find_element("xpath", "//nav[@aria-label='Console']")
        shipments = link(driver, "Shipments", nav)
        assert not shipments.is_displayed()
        menu = button(driver, "Menu", nav)
        assert menu.get_attribute("aria-expanded") == "false"
        menu.click()
        wait_for(driver, lambda d: shipments.is_displayed())
        assert menu.get_attribute("aria-expanded") == "true"
        assert [a.text for a in nav.find_elements("tag name", "a")] == [
            "Orders", "Shipments", "Returns", "Imports", "Products", "Settings",
        ]  # fmt: skip
        # the search is always there; the other filters behind "Filters"
        search = field(driver, "Search orders")
        assert search.is_displayed()
        status = field(driver, "Status")
        assert not status.is_displayed()
        filters = button(driver, "Filters")
        filters.click()
        wait_for(driver, lambda d: status.is_displayed())
        assert filters.get_attribute("aria-expanded") == "true"
        # following a link closes the menu
        shipments.click()
        wait_for(driver, lambda d: heading(d) == "Shipments")
        assert menu.get_attribute("aria-expanded") == "false"
        assert not link(driver, "Orders", nav).is_displayed()
    finally:
        driver.quit()


def test_ship_an_order_by_keyboard_alone(server: ConsoleServer, browser: Any) -> None:
    (sku,) = products(server, 5)
    order = place(server, [(sku, 2)])
    open_order(browser, server, order["number"])

    def press(*keys: str) -> None:
        ActionChains(browser).send_keys(*keys).perform()

    def focused() -> Any:
        return browser.switch_to.active_element

    for _ in range(40):  # Tab through the page to the Actions button
        press(Keys.TAB)
        if focused().text == "Actions":
            break
    assert focused().text == "Actions"
    press(Keys.ENTER)
    wait_for(browser, lambda d: focused().get_attribute("role") == "menuitem")
    for _ in range(10):
        if focused().text == "Ship items":
            break
        press(Keys.ARROW_DOWN)
    assert focused().text == "Ship items"
    press(Keys.ENTER)
    ship = wait_for(browser, lambda d: dialog(d, "Ship items"))
    for _ in range(10):  # into the first quantity field: all not yet shipped
        press(Keys.TAB)
        if focused().get_attribute("id") == field(browser, sku, ship).get_attribute("id"):
            break
    assert focused().get_attribute("value") == "2"
    press(Keys.ENTER)  # submits the form: Ship
    wait_for(browser, lambda d: dialog(d, "Ship items") is None)
    wait_for(browser, lambda d: status_shown(d) == "Shipped")
    assert read(server, order["number"])["status"] == "SHIPPED"


def test_the_console_reconnects_after_the_server_restarts(
    server: ConsoleServer, browser: Any
) -> None:
    """Last in the module: it restarts the shared server."""
    (sku,) = products(server, 5)
    order = place(server, [(sku, 1)])
    open_order(browser, server, order["number"])
    wait_for(browser, lambda d: d.find_element("css selector", "[data-live=live]"))
    browser.execute_script("window.__notReloaded = true")
    server.restart()
    # the socket comes back by itself and the page hears about changes made after it
    wait_for(browser, lambda d: d.find_element("css selector", "[data-live=live]"), 30)
    server.api(
        "mutation($o: ID!) { setStatus(orderId: $o, status: AWAITING_PICKUP) "
        "{ errors { message } } }",
        {"o": order["id"]},
    )
    wait_for(browser, lambda d: status_shown(d) == "Awaiting pickup")
    assert browser.execute_script("return window.__notReloaded") is True
