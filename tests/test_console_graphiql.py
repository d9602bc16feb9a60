"""GraphiQL at /graphql works offline: its page and assets come from the project (built with
the console from the npm `graphiql` package), it opens with the sign-in hint, keeps no
token in the browser, and its subscription pane hears live events. Run in a real Chromium
whose every host name but 127.0.0.1 fails to resolve (no internet at all)."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.console_harness import (
    CHROMEDRIVER,
    CHROMIUM,
    ConsoleServer,
    console_server,
    csp_refusals,
    wait_for,
)

# browser walk-throughs: `scripts/test --all` and CI run them
pytestmark = [pytest.mark.filterwarnings("ignore::ResourceWarning"), pytest.mark.heavy]

# the page's script and style addresses
ADDRESSES = re.compile(r"""\b(?:src|href)\s*=\s*["']([^"']+)["']""")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    with console_server(tmp_path_factory.mktemp("graphiql")) as served:
        yield served


@pytest.fixture(scope="module")
def offline_browser(server: ConsoleServer) -> Iterator[Any]:
    """Chromium that can reach 127.0.0.1 and nothing else (no name resolves)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,800",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
        f"--user-data-dir={tempfile.mkdtemp(prefix='graphiql-chromium-')}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_page_names_only_its_own_files_and_runs_only_them(server: ConsoleServer) -> None:
    response = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"}, timeout=30)
    assert response.status_code == 200
    addresses = ADDRESSES.findall(response.text)
    assert any(a.startswith("/console/assets/graphiql-") for a in addresses), addresses
    for address in addresses:  # this origin's files, or inline data
        assert (address.startswith("/") and not address.startswith("//")) or address.startswith(
            "data:"
        ), address
    assert "unpkg.com" not in response.text
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "connect-src 'self'" in policy
    # the sign-in hint is what it opens with, given as data, not as a script to run
    assert '<script type="application/json" id="bitcart-graphiql">' in response.text
    assert "sign in:" in response.text


def editor(driver: Any, css: str) -> Any:
    """The CodeMirror instance inside the element `css` finds."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0] + ' .CodeMirror');"
        "return e && e.CodeMirror ? e : null;",
        css,
    )


def text_of(driver: Any, css: str) -> str:
    value: str = driver.execute_script(
        "return document.querySelector(arguments[0] + ' .CodeMirror').CodeMirror.getValue();", css
    )
    return value


def set_text(driver: Any, css: str, text: str) -> None:
    driver.execute_script(
        "document.querySelector(arguments[0] + ' .CodeMirror').CodeMirror.setValue(arguments[1]);",
        css,
        text,
    )


QUERY_EDITOR = ".graphiql-query-editor"
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
RESULT = ".result-window"


def test_it_renders_offline_with_the_sign_in_hint(
    server: ConsoleServer, offline_browser: Any
) -> None:
    driver = offline_browser
    driver.get(f"{server.url}/graphql")
    wait_for(driver, lambda d: editor(d, QUERY_EDITOR))
    opening = text_of(driver, QUERY_EDITOR)
    assert opening.startswith(
        "# Welcome to BitCart Orders. To act as staff or a customer, sign in:"
    )
    assert "shippingMethods" in opening
    loaded = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert loaded, "nothing loaded"
    assert all(name.startswith(server.url) for name in loaded), loaded
    assert not csp_refusals(driver)

    # the opening query runs (as a guest) and its answer shows
    driver.find_element("css selector", "button[aria-label^='Execute query']").click()
    wait_for(driver, lambda d: '"code": "standard"' in text_of(d, RESULT))


def test_the_subscription_pane_hears_events_and_the_token_is_kept_nowhere(
    server: ConsoleServer, offline_browser: Any
) -> None:
    driver = offline_browser
    driver.get(f"{server.url}/graphql")
    wait_for(driver, lambda d: editor(d, QUERY_EDITOR))
    wait_for(driver, lambda d: editor(d, HEADERS_EDITOR))
    set_text(driver, HEADERS_EDITOR, f'{{"Authorization": "Bearer {server.admin_token}"}}')
    set_text(driver, QUERY_EDITOR, "subscription { orderEvents { type order { number } } }")
    driver.find_element("css selector", "button[aria-label^='Execute query']").click()

    # an order placed meanwhile, by the API: its event reaches the pane
    sku = f"GQL-{server.url.rsplit(':', 1)[1]}"
    server.api(
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { errors { code } } }",
        {"i": {"sku": sku, "name": "Pane test", "price": "1.00", "stock": 5}},
    )

    def place() -> int:
        data = server.api(
            """mutation($i: PlaceOrderInput!) { placeOrder(input: $i) {
              order { number } errors { code } } }""",
            {
                "i": {
                    "email": "pane@example.com",
                    "items": [{"sku": sku, "quantity": 1}],
                    "billingAddress": {
                        "firstName": "Ada",
                        "lastName": "Lovelace",
                        "street1": "1 Analytical St",
                        "city": "London",
                        "country": "GB",
                    },
                }
            },
        )
        number: int = data["placeOrder"]["order"]["number"]
        return number

    # the socket may still be opening when the first order goes in: place until one is heard
    heard = ""
    for _ in range(5):
        number = place()
        try:
            heard = wait_for(
                driver,
                lambda d, n=number: (
                    text_of(d, RESULT) if f'"number": {n}' in text_of(d, RESULT) else ""
                ),
                seconds=8,
            )
            break
        except Exception:
            continue
    assert '"type": "ORDER_PLACED"' in heard, text_of(driver, RESULT)

    stored = driver.execute_script(
        "return JSON.stringify(Object.assign({}, localStorage)) + JSON.stringify("
        "Object.assign({}, sessionStorage))"
    )
    assert server.admin_token not in stored
    assert not csp_refusals(driver)
