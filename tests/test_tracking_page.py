"""The customer's tracking page: plain HTML with a strict CSP, the same answer for a wrong
email and a missing order, and in a real headless Chromium: fill the form, follow a link."""

from __future__ import annotations

import base64
import os
import re
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.carriers import carrier_name
from tests.conftest import Actors, GraphQLClient
from tests.factories import REFUND, address, create_product, paid, placed
from tests.processes import demo_admin_token, free_port, serve, wait_healthy
from tests.test_returns import request_return, set_status
from tests.test_shipments import ship

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


async def test_the_page_shows_the_public_view_and_nothing_else(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> None:
    await create_product(gql, actors.admin.token, "TEE", stock=5, name="Tee <b>bold</b>")
    order = await placed(
        gql, None, [("TEE", 2)], email="ann@example.com", billingAddress=address(first="Ann")
    )
    await gql.data(
        """mutation($id: ID!) { updateOrder(id: $id, input: {staffNotes: "SECRET note"}) {
          errors { code } } }""",
        {"id": order["id"]},
        actors.admin.token,
    )
    await ship(gql, actors.admin.token, order, items=[(0, 1)], trackingNumber="1Z999AA10123456784")
    form = await http.get("/track")
    assert form.status_code == 200
    assert '<label for="number">' in form.text
    csp = form.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # nothing runs at all
    found = await http.get("/track", params={"number": order["number"], "email": "ANN@example.com"})
    assert found.status_code == 200
    page = found.text
    assert f"Order {order['number']}" in page
    assert "Partly shipped" in page
    assert "Tee &lt;b&gt;bold&lt;/b&gt;" in page  # text, never markup
    assert "1Z999AA10123456784" in page
    assert "SECRET" not in page  # R1
    assert "Ann" not in page  # no personal details beyond what the buyer typed
    wrong = await http.get("/track", params={"number": order["number"], "email": "x@example.com"})
    missing = await http.get("/track", params={"number": 99999, "email": "ann@example.com"})
    assert wrong.status_code == missing.status_code == 404
    assert wrong.text.replace("x@example.com", "E") == missing.text.replace(
        "ann@example.com", "E"
    ).replace("99999", str(order["number"]))
    bad_link = await http.get("/track/100-forged")
    assert bad_link.status_code == 404


async def test_the_page_counts_against_the_tracking_limit(
    app: Any, http: httpx.AsyncClient
) -> None:
    before = app.state.settings
    app.state.settings = replace(before, tracking_rate_limit=2)
    try:
        for _ in range(2):
            await http.get("/track", params={"number": 1, "email": "a@example.com"})
        limited = await http.get("/track", params={"number": 1, "email": "a@example.com"})
    finally:
        app.state.settings = before
    assert limited.status_code == 429
    assert int(limited.headers["retry-after"]) >= 1
    assert "Too many look-ups" in limited.text


NOTE = """mutation($id: ID!, $text: String!, $visibility: EventVisibility) {
  addOrderNote(orderId: $id, message: $text, visibility: $visibility) { errors { code } } }"""
TOKEN = "query($id: ID!) { order(id: $id) { trackingToken } }"
UPS = "1Z999AA10123456784"


def section(page: str, heading: str) -> str:
    """The HTML of one section of the page: from its heading to the next."""
    start = page.index(f"<h2>{heading}</h2>")
    end = page.find("<h2>", start + 1)
    return page[start : end if end > 0 else None]


async def test_the_page_tells_the_whole_story_once(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors, app: Any
) -> None:
    """The issue's page: an order date, a progress line, the store's public notes (never a
    staff one), the returns and their states, each tracking number once after a re-ship,
    and carriers by name."""
    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=10, price="20.00", name="Tee")
    order = await paid(gql, actors.customer.token, [("TEE", 3)], admin)
    await ship(gql, admin, order, items=[(0, 1)], trackingNumber=UPS)
    await ship(gql, admin, order, items=[(0, 2)], trackingNumber=UPS)  # re-shipped, same box
    for text, visibility in (("Your parcel left today.", "PUBLIC"), ("SECRET fraud?", "STAFF")):
        noted = await gql.data(
            NOTE, {"id": order["id"], "text": text, "visibility": visibility}, admin
        )
        assert noted["addOrderNote"]["errors"] == []
    asked = await request_return(gql, actors.customer.token, order, [(0, 1)])
    await set_status(gql, admin, asked["returnRequest"]["id"], "AUTHORIZED", note="SECRET note")
    refunded = await gql.data(
        REFUND, {"id": order["id"], "input": {"amount": "5.00", "reason": "SECRET why"}}, admin
    )
    assert refunded["refundOrder"]["errors"] == []
    token = (await gql.data(TOKEN, {"id": order["id"]}, admin))["order"]["trackingToken"]
    before = app.state.settings
    app.state.settings = replace(before, return_address="Returns desk\n4 Dock Road, Leeds")
    try:
        response = await http.get(f"/track/{token}")
    finally:
        app.state.settings = before
    assert response.status_code == 200
    page = response.text
    assert "SECRET" not in page  # R1: staff notes, return notes, refund reasons
    assert "<script" not in page
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert '<p class="placed">Placed on <time datetime="' in page
    steps = section(page, "Progress")
    labels = re.findall(r'<li class="(done|todo)"[^>]*>([^<]+)<', steps)
    assert labels == [
        ("done", "Placed"),
        ("done", "Paid"),
        ("done", "Shipped"),
        ("done", "Partly refunded"),
    ]
    parcels = section(page, "Shipments")
    assert parcels.count(f"Track {UPS}") == 1  # once, with both dates and all three tees
    assert f"Track {UPS}</a> (UPS). 3 × Tee" in parcels  # noqa: RUF001
    assert parcels.count("<time") == 1  # both boxes left the same day
    assert "(ups)" not in page
    returns = section(page, "Returns")
    assert "1 × Tee" in returns  # noqa: RUF001
    assert "<strong>Authorized: please send the items back</strong>" in returns
    assert "Send the items to: Returns desk, 4 Dock Road, Leeds" in returns
    updates = section(page, "Updates")
    assert "The store wrote: Your parcel left today." in updates
    assert "Refunded 5.00 USD." in updates
    assert "Return: Authorized: please send the items back." in updates
    assert updates.index("Refunded 5.00 USD.") < updates.index("Order placed.")  # newest first


async def test_a_cancelled_order_ends_its_progress_at_the_cancellation(
    gql: GraphQLClient, http: httpx.AsyncClient, actors: Actors
) -> None:
    from tests.test_cancellation import cancel

    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=10, price="20.00", name="Tee")
    order = await placed(gql, None, [("TEE", 1)], email="ann@example.com")
    assert (await cancel(gql, admin, order, reason="CUSTOMER"))["errors"] == []
    found = await http.get("/track", params={"number": order["number"], "email": "ann@example.com"})
    steps = section(found.text, "Progress")
    assert re.findall(r'<li class="(done|todo)"[^>]*>([^<]+)<', steps) == [
        ("done", "Placed"),
        ("done", "Cancelled"),
    ]
    assert "Order cancelled at the customer&#x27;s request." in section(found.text, "Updates")


async def test_the_api_names_carriers_too(gql: GraphQLClient, actors: Actors) -> None:
    admin = actors.admin.token
    await create_product(gql, admin, "TEE", stock=10)
    order = await paid(gql, actors.customer.token, [("TEE", 2)], admin)
    await ship(gql, admin, order, items=[(0, 1)], trackingNumber="RR123456785GB", carrier="s10")
    token = (await gql.data(TOKEN, {"id": order["id"]}, admin))["order"]["trackingToken"]
    public = await gql.data(
        "query($t: String) { orderTracking(token: $t) { carrierName "
        "shipments { carrier carrierName } } }",
        {"t": token},
    )
    assert public["orderTracking"] == {
        "carrierName": "Royal Mail",
        "shipments": [{"carrier": "s10", "carrierName": "Royal Mail"}],
    }
    staff = await gql.data(
        "query($id: ID!) { order(id: $id) { carrierName shipments { carrierName } } }",
        {"id": order["id"]},
        admin,
    )
    assert staff["order"] == {
        "carrierName": "Royal Mail",
        "shipments": [{"carrierName": "Royal Mail"}],
    }


@pytest.mark.parametrize(
    ("carrier", "number", "name"),
    [
        ("ups", UPS, "UPS"),
        ("fedex", "", "FedEx"),
        ("s10", "RR123456785GB", "Royal Mail"),
        ("s10", "RR123456785DE", "Deutsche Post"),
        ("s10", "RR123456785ZZ", "Postal service"),
        ("royal mail", "", "Royal Mail"),
        ("dpd", "", "DPD"),
        ("my local courier", "", "My Local Courier"),
        (None, "", ""),
    ],
)
def test_carriers_are_named_as_people_name_them(
    carrier: str | None, number: str, name: str
) -> None:
    assert carrier_name(carrier, number) == name


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.mark.heavy  # a browser walk-through: `scripts/test --all` and CI
@pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER) and not os.environ.get("BITCART_REQUIRE_BROWSER"),
    reason="needs Debian's chromium and chromium-driver (CI installs them)",
)
def test_tracking_in_a_real_browser(tmp_path: Path) -> None:
    """A customer fills the form, sees the order, and follows the tracking link a store
    sends; screenshots are kept in test-artifacts/."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.wait import WebDriverWait

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = serve(tmp_path, port, "--demo")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=412,915",
    ):
        options.add_argument(flag)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        wait_healthy(url, process)
        token = demo_admin_token(url)
        link = httpx.post(
            f"{url}/graphql",
            json={"query": "{ order(number: 100) { trackingToken } }"},
            headers={"Authorization": f"Bearer {token}"},
        ).json()["data"]["order"]["trackingToken"]
        tell_a_story(url, token)
        browser = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
        try:
            browser.get(f"{url}/track")
            assert browser.find_element(By.TAG_NAME, "h1").text == "Track your order"
            # the form is usable by keyboard: labels name the fields
            number = browser.find_element(By.ID, "number")
            assert browser.find_element(By.CSS_SELECTOR, "label[for=number]").text
            number.send_keys("102")
            browser.find_element(By.ID, "email").send_keys("grace@example.org")
            browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
            # the answer is a new page: wait for it rather than read the form's heading
            WebDriverWait(browser, 15).until(
                expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Order 102")
            )
            assert browser.find_element(By.TAG_NAME, "h1").text == "Order 102"
            text = browser.find_element(By.TAG_NAME, "main").text
            assert "Being prepared" in text
            assert "Baseball cap, navy" in text
            browser.save_screenshot(str(ARTIFACTS / "tracking-form-result.png"))
            # a wrong email: the same answer as a missing order
            browser.get(f"{url}/track?number=102&email=someone%40example.org")
            alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
            assert "could not find an order" in alert
            # the link from the store's email
            browser.get(f"{url}/track/{link}")
            assert browser.find_element(By.TAG_NAME, "h1").text == "Order 100"
            browser.save_screenshot(str(ARTIFACTS / "tracking-link.png"))
            text = browser.find_element(By.TAG_NAME, "main").text
            assert "Placed on" in text
            assert f"Track {UPS} (UPS)" in text
            assert text.count(f"Track {UPS}") == 1  # one parcel, shipped twice
            assert "The store wrote: Your cap ships Monday." in text
            assert "Authorized: please send the items back" in text
            current = browser.find_element(By.CSS_SELECTOR, "[aria-current=step]")
            assert current.text.startswith("Partly shipped")  # the mug is still to come
            # the whole page, as a phone shows it scrolled through
            width, height = browser.execute_script(
                "const e = document.documentElement; return [e.scrollWidth, e.scrollHeight]"
            )
            shot = browser.execute_cdp_cmd(
                "Page.captureScreenshot",
                {
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                },
            )
            (ARTIFACTS / "tracking-progress.png").write_bytes(base64.b64decode(shot["data"]))
            # nothing was refused by the Content-Security-Policy (the page's own style included)
            logged = [entry["message"] for entry in browser.get_log("browser")]
            assert not [m for m in logged if "Content Security Policy" in m or "Refused" in m]
        finally:
            browser.quit()
    finally:
        process.terminate()
        process.wait(30)


def tell_a_story(url: str, token: str) -> None:
    """On the served demo's order 100 (two tees and a mug, paid): a tee shipped, a note to
    the customer, a return of it authorized, and a second box under the same number."""

    def call(query: str, **variables: Any) -> dict[str, Any]:
        answer = httpx.post(
            f"{url}/graphql",
            json={"query": query, "variables": variables},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    order = call("{ order(number: 100) { id items { id } } }")["order"]
    tee = order["items"][0]["id"]
    ship = """mutation($id: ID!, $item: ID!) { shipOrder(orderId: $id, input: {
      items: [{orderItemId: $item, quantity: 1}], trackingNumber: "1Z999AA10123456784" }) {
      errors { code } } }"""
    assert call(ship, id=order["id"], item=tee)["shipOrder"]["errors"] == []
    call(NOTE, id=order["id"], text="Your cap ships Monday.", visibility="PUBLIC")
    asked = call(
        """mutation($id: ID!, $item: ID!) { requestReturn(input: {orderId: $id,
          items: [{orderItemId: $item, quantity: 1, reason: "too small"}]}) {
          returnRequest { id } errors { code } } }""",
        id=order["id"],
        item=tee,
    )["requestReturn"]
    call(
        """mutation($id: ID!) { setReturnStatus(id: $id, status: AUTHORIZED) {
          errors { code } } }""",
        id=asked["returnRequest"]["id"],
    )
    assert call(ship, id=order["id"], item=tee)["shipOrder"]["errors"] == []
