"""The customer's tracking page: plain HTML with a strict CSP, the same answer for a wrong
email and a missing order, and in a real headless Chromium: fill the form, follow a link."""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Actors, GraphQLClient
from tests.factories import address, create_product, placed
from tests.processes import demo_admin_token, free_port, serve, wait_healthy
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


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


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
            # nothing was refused by the Content-Security-Policy (the page's own style included)
            logged = [entry["message"] for entry in browser.get_log("browser")]
            assert not [m for m in logged if "Content Security Policy" in m or "Refused" in m]
        finally:
            browser.quit()
    finally:
        process.terminate()
        process.wait(30)
