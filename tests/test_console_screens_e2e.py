"""The console's shipments, returns, imports, products and settings screens end to end, in a
real Chromium against a real `serve` (SQLite, or PostgreSQL when the run has DATABASE_URL):
deleting a shipment leaves its order as it was; a return authorized, received with restock
and refunded; a CSV imported and watched to its report; a product created, repriced and its
stock adjusted; a webhook whose secret is shown once; a staff member added who then signs in.
Elements are found by their accessible names (tests/console_harness.py)."""

from __future__ import annotations

import csv
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

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
    named,
    new_browser,
    sign_in,
    wait_for,
    wait_for_download,
)

# browser walk-throughs: `scripts/test --all` and CI run them
pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.heavy]

ADDRESS = {
    "firstName": "Grace",
    "lastName": "Hopper",
    "street1": "1 Compiler Way",
    "city": "Arlington",
    "country": "US",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    with console_server(tmp_path_factory.mktemp("console-screens")) as served:
        yield served


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("screens-downloads")


@pytest.fixture(scope="module")
def browser(server: ConsoleServer, downloads: Path) -> Iterator[Any]:
    driver = new_browser(downloads)
    try:
        sign_in(driver, server.url, *DEMO_ADMIN)
        yield driver
    finally:
        driver.quit()


def product(server: ConsoleServer, stock: int = 10, price: str = "10.00") -> str:
    sku = f"SCR-{secrets.token_hex(3).upper()}"
    data = server.api(
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { message } } }",
        {"i": {"sku": sku, "name": f"Thing {sku}", "price": price, "stock": stock}},
    )
    assert data["createProduct"]["errors"] == []
    return sku


def paid_order(server: ConsoleServer, lines: list[tuple[str, int]]) -> dict[str, Any]:
    data = server.api(
        """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) {
          order { id number items { id sku } } errors { message } } }""",
        {
            "i": {
                "email": f"buyer-{secrets.token_hex(3)}@example.com",
                "items": [{"sku": sku, "quantity": qty} for sku, qty in lines],
                "billingAddress": ADDRESS,
                "shippingCost": "0.00",
                "payment": {"method": "card", "provider": "stripe", "status": "PAID"},
            }
        },
    )
    assert data["placeOrder"]["errors"] == [], data
    order: dict[str, Any] = data["placeOrder"]["order"]
    return order


def ship(
    server: ConsoleServer, order: dict[str, Any], tracking: str, carrier: str | None = None
) -> None:
    data = server.api(
        """mutation($o: ID!, $t: String!, $c: String) {
          shipOrder(orderId: $o, input: { trackingNumber: $t, carrier: $c })
          { errors { message } } }""",
        {"o": order["id"], "t": tracking, "c": carrier},
    )
    assert data["shipOrder"]["errors"] == []


ORDER = """query($n: Int!) { order(number: $n) { status trackingNumber version
  payment { amountPaid amountRefunded }
  items { sku quantityShipped quantityReturned quantityRestocked } shipments { id } } }"""
STOCK = "query($s: String!) { product(sku: $s) { name price stock active } }"


def click_in(driver: Any, box: Any, name: str) -> None:
    button(driver, name, box).click()


def notice(driver: Any, text: str) -> Any:
    return wait_for(
        driver,
        lambda d: [e for e in d.find_elements("css selector", "[role=status]") if text in e.text],
    )


def test_deleting_a_shipment_leaves_the_order_as_it_was(
    server: ConsoleServer, browser: Any
) -> None:
    sku = product(server)
    order = paid_order(server, [(sku, 2)])
    tracking = f"SCR{secrets.token_hex(5).upper()}"
    ship(server, order, tracking, "fedex")
    before = server.api(ORDER, {"n": order["number"]})["order"]
    assert before["status"] == "SHIPPED"
    assert len(before["shipments"]) == 1

    browser.get(f"{server.url}/console/shipments")
    wait_for(browser, lambda d: field(d, "Search shipments")).send_keys(tracking)
    table = wait_for(browser, lambda d: named(d, "//table", "Shipments"))
    wait_for(browser, lambda d: tracking in table.text and "Grace Hopper" in table.text)
    assert "Arlington" in table.text
    assert "FedEx" in table.text  # the carrier as the API names it, not its code
    assert "fedex" not in table.text
    wait_for(browser, lambda d: named(d, "//button", f"Delete shipment {tracking}")).click()
    box = wait_for(browser, lambda d: dialog(d, "Delete shipment"))
    assert "The order is not changed" in box.text
    click_in(browser, box, "Delete shipment")
    notice(browser, f"Order {order['number']} is unchanged.")

    after = server.api(ORDER, {"n": order["number"]})["order"]
    assert after["shipments"] == []
    # R7: status and tracking number as they were; the units are shippable again
    assert (after["status"], after["trackingNumber"]) == (
        before["status"],
        before["trackingNumber"],
    )
    assert after["items"][0]["quantityShipped"] == 0
    assert not csp_refusals(browser)


def test_a_return_is_authorized_received_with_restock_and_refunded(
    server: ConsoleServer, browser: Any
) -> None:
    sku = product(server, stock=5, price="12.50")
    order = paid_order(server, [(sku, 2)])
    ship(server, order, f"RET{secrets.token_hex(4).upper()}")
    made = server.api(
        """mutation($i: RequestReturnInput!) { requestReturn(input: $i) {
          returnRequest { id } errors { message } } }""",
        {
            "i": {
                "orderId": order["id"],
                "items": [
                    {"orderItemId": order["items"][0]["id"], "quantity": 2, "reason": "late"}
                ],
            }
        },
    )["requestReturn"]
    return_id = made["returnRequest"]["id"]
    assert server.api(STOCK, {"s": sku})["product"]["stock"] == 3

    browser.get(f"{server.url}/console/returns")
    table = wait_for(browser, lambda d: named(d, "//table", "Returns"))
    wait_for(
        browser,
        lambda d: named(d, "//a", f"Open the return for order {order['number']}, Pending"),
    ).click()
    wait_for(browser, lambda d: heading(d) == f"Return for order {order['number']}")
    assert table is not None

    def status() -> str:
        found: str = browser.find_element("css selector", "[data-return-status]").get_attribute(
            "data-return-status"
        )
        return found

    wait_for(browser, lambda d: named(d, "//button", "Authorize")).click()
    click_in(browser, wait_for(browser, lambda d: dialog(d, "Authorize return")), "Authorize")
    wait_for(browser, lambda d: status() == "AUTHORIZED")

    wait_for(browser, lambda d: named(d, "//button", "Mark received")).click()
    box = wait_for(browser, lambda d: dialog(d, "Receive return"))
    restock = box.find_element("xpath", ".//input[@type='checkbox']")
    assert restock.is_selected()  # restock on receipt is the default
    click_in(browser, box, "Mark received")
    wait_for(browser, lambda d: status() == "RECEIVED")
    assert server.api(STOCK, {"s": sku})["product"]["stock"] == 5

    wait_for(browser, lambda d: named(d, "//button", "Refund")).click()
    box = wait_for(browser, lambda d: dialog(d, "Refund return"))
    assert field(browser, "Amount", box).get_attribute("value") == "25.00"
    click_in(browser, box, "Refund $25.00")
    wait_for(browser, lambda d: status() == "REFUNDED")
    after = server.api(ORDER, {"n": order["number"]})["order"]
    assert after["payment"]["amountRefunded"] == "25.00"
    assert after["items"][0]["quantityReturned"] == 2
    assert server.api(
        "query($id: ID!) { returnRequest(id: $id) { status restocked } }", {"id": return_id}
    )["returnRequest"] == {"status": "REFUNDED", "restocked": True}
    assert server.api(STOCK, {"s": sku})["product"]["stock"] == 5  # restocked once only


def test_a_csv_import_is_watched_to_its_report(
    server: ConsoleServer, browser: Any, downloads: Path, tmp_path: Path
) -> None:
    sku = product(server)
    good = [paid_order(server, [(sku, 1)]) for _ in range(3)]
    tracked = paid_order(server, [(sku, 1)])  # has a number already: skipped, overwrite off
    server.api(
        'mutation($o: ID!) { addTracking(orderId: $o, trackingNumber: "OLD123") '
        "{ errors { message } } }",
        {"o": tracked["id"]},
    )
    lines = ["order,tracking,carrier"]
    lines += [f"{o['number']},IMP{secrets.token_hex(4).upper()},parcelforce" for o in good]
    lines += ["999999,IMPNOSUCHORDER,parcelforce", ",,"]  # a missing order; a blank line
    lines += [f"{tracked['number']},IMPNEW123,parcelforce"]
    path = tmp_path / "carrier.csv"
    path.write_text("\n".join(lines) + "\n")

    browser.get(f"{server.url}/console/imports")
    picker = wait_for(browser, lambda d: d.find_element("css selector", "input[type=file]"))
    browser.execute_script("arguments[0].style.display = 'block'", picker)
    picker.send_keys(str(path))
    wait_for(browser, lambda d: "Ready: carrier.csv" in d.page_source)
    button(browser, "Import").click()
    wait_for(browser, lambda d: heading(d) == "Import of carrier.csv")
    wait_for(
        browser,
        lambda d: (
            d.find_element("css selector", "[data-import-status]").get_attribute(
                "data-import-status"
            )
            == "SUCCEEDED"
        ),
        seconds=60,
    )
    rows = wait_for(browser, lambda d: named(d, "//table", "Import rows"))
    wait_for(browser, lambda d: len(rows.find_elements("xpath", ".//tbody/tr")) == 5)
    status_line = browser.find_element("css selector", "[data-import-status]").text
    assert "3 shipped" in status_line
    assert "1 skipped" in status_line
    assert "1 failed" in status_line
    assert "1 row failed" in [h.text for h in browser.find_elements("tag name", "h2")]

    choose(browser, "Show", "Failed")
    wait_for(
        browser,
        lambda d: (
            [r.get_attribute("data-outcome") for r in rows.find_elements("xpath", ".//tbody/tr")]
            == ["FAILED"]
        ),
    )
    before = {p.name for p in downloads.iterdir()}
    button(browser, "Download the report").click()
    report = wait_for_download(downloads, ".csv", before)
    with report.open(newline="") as handle:
        outcomes = [row["outcome"] for row in csv.DictReader(handle)]
    assert sorted(outcomes) == sorted(["SHIPPED"] * 3 + ["FAILED", "SKIPPED"])
    for placed in good:
        assert server.api(ORDER, {"n": placed["number"]})["order"]["status"] == "SHIPPED"


def test_a_file_without_the_columns_fails_under_a_heading_that_says_so(
    server: ConsoleServer, browser: Any, tmp_path: Path
) -> None:
    """A CSV with no order number or tracking number column: the worker refuses the file
    itself, and the import's page says so under its own heading, with the server's reason."""
    sku = product(server)
    order = paid_order(server, [(sku, 1)])
    path = tmp_path / "wrong.csv"
    path.write_text(f"name,parcel\n{order['number']},IMPWRONG1\n")
    browser.get(f"{server.url}/console/imports")
    picker = wait_for(browser, lambda d: d.find_element("css selector", "input[type=file]"))
    browser.execute_script("arguments[0].style.display = 'block'", picker)
    picker.send_keys(str(path))
    wait_for(browser, lambda d: "Ready: wrong.csv" in d.page_source)
    button(browser, "Import").click()
    wait_for(browser, lambda d: heading(d) == "Import of wrong.csv")
    failure = wait_for(
        browser,
        lambda d: d.find_element(
            "xpath",
            "//*[@role='alert'][.//h2[normalize-space(.)='The file could not be imported']]",
        ),
        seconds=60,
    )
    assert "No header with an order number column" in failure.text
    assert "No order was changed." in failure.text
    assert "upload it again" in [a.text for a in failure.find_elements("tag name", "a")]
    assert server.api(ORDER, {"n": order["number"]})["order"]["status"] != "SHIPPED"


def test_a_product_is_created_repriced_and_its_stock_adjusted(
    server: ConsoleServer, browser: Any
) -> None:
    sku = f"NEW-{secrets.token_hex(3).upper()}"
    browser.get(f"{server.url}/console/products")
    wait_for(browser, lambda d: named(d, "//button", "New product")).click()
    box = wait_for(browser, lambda d: dialog(d, "New product"))
    field(browser, "SKU", box).send_keys(sku)
    field(browser, "Name", box).send_keys("Enamel mug")
    field(browser, "Price", box).send_keys("8.00")
    fill(field(browser, "Starting stock", box), "12")
    click_in(browser, box, "Create product")
    notice(browser, f"Created {sku}.")
    assert server.api(STOCK, {"s": sku})["product"] == {
        "name": "Enamel mug",
        "price": "8.00",
        "stock": 12,
        "active": True,
    }

    fill(field(browser, "Search products"), sku)
    wait_for(browser, lambda d: named(d, "//button", f"Edit {sku}")).click()
    box = wait_for(browser, lambda d: dialog(d, f"Edit {sku}"))
    fill(field(browser, "Price", box), "9.50")
    click_in(browser, box, "Save")
    notice(browser, f"Saved {sku}.")

    wait_for(browser, lambda d: named(d, "//button", f"Adjust stock of {sku}")).click()
    box = wait_for(browser, lambda d: dialog(d, f"Adjust stock of {sku}"))
    field(browser, "Change", box).send_keys("-2")
    field(browser, "Reason", box).send_keys("two chipped in the stock count")
    click_in(browser, box, "Adjust stock")
    notice(browser, f"{sku} has 10 in stock.")
    assert server.api(STOCK, {"s": sku})["product"] == {
        "name": "Enamel mug",
        "price": "9.50",
        "stock": 10,
        "active": True,
    }


def test_a_webhooks_secret_is_shown_once(server: ConsoleServer, browser: Any) -> None:
    # an address literal: createWebhook resolves the host, and this machine has no DNS
    # beyond its own; a public one (private addresses are refused)
    url = f"https://93.184.215.14/bitcart/{secrets.token_hex(4)}"
    browser.get(f"{server.url}/console/settings?section=webhooks")
    wait_for(browser, lambda d: named(d, "//button", "New webhook")).click()
    box = wait_for(browser, lambda d: dialog(d, "New webhook"))
    fill(field(browser, "Address", box), url)
    box.find_element("xpath", ".//label[contains(normalize-space(.), 'order.created')]").click()
    click_in(browser, box, "Create webhook")
    shown = wait_for(browser, lambda d: dialog(d, "Webhook secret"))
    secret = shown.find_element("tag name", "output").text
    assert secret.startswith("whsec_")
    assert "shown this once" in shown.text
    click_in(browser, shown, "I have saved it")
    wait_for(browser, lambda d: not dialog(d, "Webhook secret"))
    table = wait_for(browser, lambda d: named(d, "//table", "Webhooks"))
    wait_for(browser, lambda d: url in table.text)
    assert secret not in browser.page_source
    browser.refresh()
    wait_for(browser, lambda d: url in getattr(named(d, "//table", "Webhooks"), "text", ""))
    assert secret not in browser.page_source
    listed = server.api("{ webhooks(first: 50) { edges { node { id url events active } } } }")
    [mine] = [e["node"] for e in listed["webhooks"]["edges"] if e["node"]["url"] == url]
    assert (mine["events"], mine["active"]) == (["order.created"], True)
    # nothing is posted to it by the tests that follow
    server.api(
        "mutation($id: ID!) { deleteWebhook(id: $id) { errors { code } } }", {"id": mine["id"]}
    )


def test_a_staff_member_is_added_and_signs_in_with_their_role(
    server: ConsoleServer, browser: Any, downloads: Path
) -> None:
    email = f"packer-{secrets.token_hex(3)}@example.com"
    password = "a long enough password"
    browser.get(f"{server.url}/console/settings?section=staff")
    wait_for(browser, lambda d: named(d, "//button", "Add staff")).click()
    box = wait_for(browser, lambda d: dialog(d, "Add staff"))
    field(browser, "Email", box).send_keys(email)
    field(browser, "Password", box).send_keys(password)
    field(browser, "First name", box).send_keys("Pat")
    choose(browser, "Role", "Support: orders, returns, payments and documents", box)
    click_in(browser, box, "Add staff")
    notice(browser, f"Added {email}.")
    table = wait_for(browser, lambda d: named(d, "//table", "Staff"))
    wait_for(browser, lambda d: email in table.text)

    driver = new_browser(downloads)
    try:
        sign_in(driver, server.url, email, password)
        nav = driver.find_element("xpath", "//nav[@aria-label='Console']")
        assert "Settings" not in nav.text  # support manages no settings
        assert f"{email} (support)" in driver.find_element("css selector", ".who").text
        driver.get(f"{server.url}/console/products")
        wait_for(driver, lambda d: named(d, "//button", "New product"))  # ORDERS_WRITE
    finally:
        driver.quit()


def test_fulfilment_is_offered_no_refund_product_change_or_settings(
    server: ConsoleServer, downloads: Path
) -> None:
    sku = product(server, stock=5)
    order = paid_order(server, [(sku, 1)])
    ship(server, order, f"FUL{secrets.token_hex(4).upper()}")
    driver = new_browser(downloads)
    try:
        sign_in(driver, server.url, *DEMO_FULFILMENT)
        driver.get(f"{server.url}/console/products")
        wait_for(driver, lambda d: named(d, "//table", "Products"))
        assert not named(driver, "//button", "New product")
        assert not driver.find_elements(
            "xpath", "//button[starts-with(normalize-space(.), 'Edit')]"
        )
        driver.get(f"{server.url}/console/settings")
        wait_for(driver, lambda d: "Your role has no settings to change." in d.page_source)
        driver.get(f"{server.url}/console/shipments")
        wait_for(driver, lambda d: named(d, "//table", "Shipments"))
        # a packer may delete a shipment made by mistake (SHIPMENTS_WRITE)
        wait_for(
            driver, lambda d: d.find_elements("xpath", "//button[normalize-space(.)='Delete']")
        )
    finally:
        driver.quit()


def test_a_csv_dropped_on_the_imports_screen_is_taken(
    server: ConsoleServer, browser: Any, tmp_path: Path
) -> None:
    """A file dragged from the desktop: Chromium's own drag events (DevTools' Input domain)
    carrying a real file, dropped on the drop zone."""
    path = tmp_path / "dropped.csv"
    path.write_text("order,tracking\n1,X\n")
    browser.get(f"{server.url}/console/imports")
    zone = wait_for(browser, lambda d: d.find_element("css selector", ".dropzone"))
    box = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.left + 20, r.top + 20];", zone
    )
    data = {"items": [], "files": [str(path)], "dragOperationsMask": 1}
    for kind in ("dragEnter", "dragOver", "drop"):
        browser.execute_cdp_cmd(
            "Input.dispatchDragEvent", {"type": kind, "x": box[0], "y": box[1], "data": data}
        )
    wait_for(browser, lambda d: "Ready: dropped.csv" in d.page_source)
    assert named(browser, "//button", "Import").is_enabled()
