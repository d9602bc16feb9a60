"""Every screen of the staff console, in a real Chromium against a real `serve`, at a desk's
1280x800 and a phone's 390x844: axe-core finds no serious or critical violation, and a
screenshot of each is kept in test-artifacts/console/ (axe's full findings beside it, in
test-artifacts/console/axe/).

axe-core comes from tests/console_axe/ (`npm ci`, as .ci/run does). It is injected with
WebDriver's execute_script, which Chromium runs outside the page's Content-Security-Policy
(the console allows no inline script); the test asserts the CSP refused nothing. One served
process and one browser serve the whole module."""

from __future__ import annotations

import base64
import io
import json
import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.console_harness import (
    DEMO_ADMIN,
    ROOT,
    ConsoleServer,
    console_server,
    csp_refusals,
    missing,
    new_browser,
    npm_env,
)

# browser walk-throughs: `scripts/test --all` and CI run them
pytestmark = pytest.mark.heavy

ARTIFACTS = ROOT / "test-artifacts" / "console"
AXE_PROJECT = ROOT / "tests" / "console_axe"
AXE = AXE_PROJECT / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}
BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    with pytest.MonkeyPatch.context() as patch:
        # the settings screen shows a webhook with a failed delivery: to a closed local port
        patch.setenv("BITCART_WEBHOOK_ALLOW_PRIVATE", "1")
        with console_server(tmp_path_factory.mktemp("console-quality")) as site:
            if not AXE.exists():
                install_axe()
            furnish(site)
            yield site


def install_axe() -> None:
    """`npm ci` in tests/console_axe (one small package), with the node that built the
    console; .ci/run does the same before the tests."""
    done = subprocess.run(
        ["nice", "-n", "10", "npm", "ci", "--no-audit", "--no-fund", "--silent"],
        cwd=AXE_PROJECT,
        env=npm_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or not AXE.exists():
        missing(f"needs axe-core (`npm ci` in tests/console_axe failed: {done.stderr[-500:]})")


ORDER = """query($n: Int!) { order(number: $n) { id items { id sku quantity } } }"""


def furnish(site: ConsoleServer) -> None:
    """What the demo lacks for every screen to have something on it: a partial shipment,
    a return, a finished tracking import with failed rows, a webhook with a
    delivery, an API token."""
    hook = site.api(
        """mutation { createWebhook(input: {url: "http://127.0.0.1:9/hook",
        events: ["shipment.created"]}) { errors { code } } }"""
    )
    assert not hook["createWebhook"]["errors"], hook
    order = site.api(ORDER, {"n": 100})["order"]
    first = order["items"][0]
    shipped = site.api(
        """mutation($id: ID!, $input: ShipOrderInput) { shipOrder(orderId: $id, input: $input)
        { shipment { id } errors { code } } }""",
        {"id": order["id"], "input": {"items": [{"orderItemId": first["id"], "quantity": 1}],
                                      "trackingNumber": "1Z999AA10123456784", "carrier": "ups"}},
    )["shipOrder"]  # fmt: skip
    assert not shipped["errors"], shipped
    returned = site.api(
        """mutation($input: RequestReturnInput!) { requestReturn(input: $input)
        { returnRequest { id } errors { code } } }""",
        {"input": {"orderId": order["id"], "customerComment": "Too small",
                   "items": [{"orderItemId": first["id"], "quantity": 1, "reason": "Size"}]}},
    )["requestReturn"]  # fmt: skip
    assert not returned["errors"], returned
    tracking_import(site)
    site.api(
        """mutation { createApiToken(input: {name: "Payments", permissions: [PAYMENTS_WRITE]})
        { errors { code } } }"""
    )


def tracking_import(site: ConsoleServer) -> None:
    """A finished import of three rows: one updated, two failed (no such order; no tracking
    number), so the report has something to filter."""
    csv = (
        b"order_number,tracking_number,carrier\n"
        b"102,RB123456785GB,\n99999,1Z999AA10123456784,\n103,,\n"
    )
    query = """mutation($file: Upload!) { importTracking(file: $file)
      { trackingImport { id } errors { code } } }"""
    answer = httpx.post(
        f"{site.url}/graphql",
        data={
            "operations": json.dumps({"query": query, "variables": {"file": None}}),
            "map": json.dumps({"0": ["variables.file"]}),
        },
        files={"0": ("tracking.csv", io.BytesIO(csv), "text/csv")},
        headers={"Authorization": f"Bearer {site.admin_token}"},
    ).json()
    assert not answer["data"]["importTracking"]["errors"], answer
    import_id: str = answer["data"]["importTracking"]["trackingImport"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        status = site.api(
            "query($id: ID!) { trackingImport(id: $id) { status } }", {"id": import_id}
        )["trackingImport"]["status"]
        if status in ("SUCCEEDED", "FAILED"):
            return
        time.sleep(0.3)
    pytest.fail("the tracking import did not finish")


@pytest.fixture(scope="module")
def browser(served: ConsoleServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    driver = new_browser(tmp_path_factory.mktemp("downloads"))
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


# ---- finding and waiting, by what a screen reader announces -------------------------------

READY = """
const busy = [...document.querySelectorAll('[role=status], [aria-busy=true]')]
  .some((e) => e.getAttribute('aria-busy') === 'true'
    || /^(Loading|Signing in)/.test(e.textContent.trim()));
return !busy && !!document.querySelector(arguments[0]);"""


def wait_for(browser: Any, css: str, seconds: float = 20) -> None:
    """Until an element matching css is there and nothing says it is loading."""
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, seconds, poll_frequency=0.1).until(
        lambda b: b.execute_script(READY, css),
        f"waiting for {css} on {browser.current_url}",
    )


def by_xpath(browser: Any, xpath: str, seconds: float = 20) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.wait import WebDriverWait

    return WebDriverWait(browser, seconds).until(
        ec.element_to_be_clickable((By.XPATH, xpath)), f"waiting for {xpath}"
    )


def button(name: str) -> str:
    return f"//button[normalize-space(.)='{name}' or @aria-label='{name}']"


def sign_in(browser: Any, site: ConsoleServer) -> None:
    wait_for(browser, "form input[type=password]")
    by_xpath(browser, "//label[normalize-space(.)='Email']/following::input[1]").send_keys(
        DEMO_ADMIN[0]
    )
    by_xpath(browser, "//label[normalize-space(.)='Password']/following::input[1]").send_keys(
        DEMO_ADMIN[1]
    )
    by_xpath(browser, button("Sign in")).click()
    wait_for(browser, "nav a[href$='/orders']")


def visit(browser: Any, site: ConsoleServer, path: str, ready: str = "main h1") -> None:
    """Open a console address, signing in first if the tab has no session."""
    browser.get(f"{site.url}/console{path}")
    wait_for(browser, f"{ready}, form input[type=password]")
    if browser.execute_script("return !!document.querySelector('form input[type=password]')"):
        sign_in(browser, site)
        browser.get(f"{site.url}/console{path}")
    wait_for(browser, ready)


def follow_first_row(browser: Any, table: str, ready: str = "main h1") -> None:
    """Open the first row's link of the table named `table`."""
    by_xpath(browser, f"(//table[@aria-label='{table}' or caption[normalize-space(.)="
                      f"'{table}']]//tbody//a)[1]").click()  # fmt: skip
    wait_for(browser, ready)


def open_action(browser: Any, item: str) -> None:
    """The order page's Actions menu, then one of its items; waits for its dialog."""
    by_xpath(browser, button("Actions")).click()
    by_xpath(browser, f"//*[@role='menuitem'][normalize-space(.)='{item}']").click()
    wait_for(browser, "[role=dialog], [role=alertdialog]")


# ---- the screens -----------------------------------------------------------------------


def sign_in_screen(browser: Any, site: ConsoleServer) -> None:
    browser.get(f"{site.url}/console/")
    browser.execute_script("sessionStorage.clear()")
    browser.get(f"{site.url}/console/")
    wait_for(browser, "form input[type=password]")


def order_page(browser: Any, site: ConsoleServer) -> None:
    visit(browser, site, "/orders/100", "main h1")


def action(item: str) -> Callable[[Any, ConsoleServer], None]:
    def opened(browser: Any, site: ConsoleServer) -> None:
        order_page(browser, site)
        open_action(browser, item)

    return opened


def printed(item: str) -> Callable[[Any, ConsoleServer], None]:
    """Print invoice / packing slip open no dialog: the page says when the file is down."""

    def done(browser: Any, site: ConsoleServer) -> None:
        from selenium.webdriver.support.wait import WebDriverWait

        order_page(browser, site)
        by_xpath(browser, button("Actions")).click()
        by_xpath(browser, f"//*[@role='menuitem'][normalize-space(.)='{item}']").click()
        WebDriverWait(browser, 60, poll_frequency=0.2).until(
            lambda b: b.execute_script(
                "return [...document.querySelectorAll('[role=status], [role=alert]')]"
                ".some((e) => /^Downloaded|failed|refused/.test(e.textContent))"
            ),
            f"waiting for {item} to download",
        )

    return done


def dialog_on(path: str, ready: str, opener: str) -> Callable[[Any, ConsoleServer], None]:
    """A screen's own dialog: open the screen, press the first button `opener` finds."""

    def opened(browser: Any, site: ConsoleServer) -> None:
        visit(browser, site, path, ready)
        by_xpath(browser, f"({opener})[1]").click()
        wait_for(browser, "[role=dialog], [role=alertdialog]")

    return opened


def actions_menu(browser: Any, site: ConsoleServer) -> None:
    order_page(browser, site)
    by_xpath(browser, button("Actions")).click()
    wait_for(browser, "[role=menu]")


def return_detail(browser: Any, site: ConsoleServer) -> None:
    visit(browser, site, "/returns", "main table tbody tr")
    follow_first_row(browser, "Returns")


def import_report(browser: Any, site: ConsoleServer) -> None:
    visit(browser, site, "/imports", "main table tbody tr")
    follow_first_row(browser, "Imports", "table[aria-label='Import rows'] tbody tr")


ACTIONS = ("Change status", "Edit order", "Add tracking number", "Ship items",
           "Record payment", "Refund", "Print invoice", "Print packing slip")  # fmt: skip
SCREENS: dict[str, Callable[[Any, ConsoleServer], None]] = {
    "sign-in": sign_in_screen,
    "orders": lambda b, s: visit(b, s, "/orders", "table tbody tr a"),
    "order": order_page,
    "order-actions-menu": actions_menu,
    **{f"order-{name.lower().replace(' ', '-')}": action(name) for name in ACTIONS[:-2]},
    **{f"order-{name.lower().replace(' ', '-')}": printed(name) for name in ACTIONS[-2:]},
    # a phone's orders list with its "Menu" and its "Filters" open (at the desk's size both
    # are simply shown: the buttons are for narrow screens)
    "orders-menu": lambda b, s: visit(b, s, "/orders", "table tbody tr a"),
    "orders-filters": lambda b, s: visit(b, s, "/orders", "table tbody tr a"),
    "shipments": lambda b, s: visit(b, s, "/shipments", "table tbody tr"),
    "shipment-delete": dialog_on(
        "/shipments", "table tbody tr", "//button[starts-with(@aria-label, 'Delete')]"
    ),
    "returns": lambda b, s: visit(b, s, "/returns", "table tbody tr"),
    "return": return_detail,
    "imports": lambda b, s: visit(b, s, "/imports", "main h1"),
    "import-report": import_report,
    "products": lambda b, s: visit(b, s, "/products", "table tbody tr"),
    "product-edit": dialog_on(
        "/products", "table tbody tr", "//button[starts-with(@aria-label, 'Edit ')]"
    ),
    "product-adjust-stock": dialog_on(
        "/products", "table tbody tr", "//button[starts-with(@aria-label, 'Adjust stock of')]"
    ),
    "product-new": dialog_on("/products", "table tbody tr", button("New product")),
    "settings-shipping-methods": lambda b, s: visit(b, s, "/settings", "main table tbody tr"),
    "settings-webhooks": lambda b, s: visit(
        b, s, "/settings?section=webhooks", "table[aria-label=Webhooks] tbody tr"
    ),
    "settings-webhook-deliveries": dialog_on(
        "/settings?section=webhooks",
        "table[aria-label=Webhooks] tbody tr",
        "//button[starts-with(@aria-label, 'Deliveries of')]",
    ),
    "settings-api-tokens": lambda b, s: visit(
        b, s, "/settings?section=tokens", "table[aria-label='API tokens'] tbody tr"
    ),
    "settings-staff": lambda b, s: visit(
        b, s, "/settings?section=staff", "table[aria-label=Staff] tbody tr"
    ),
}


def press_on_phone(name: str) -> Callable[[Any], None]:
    """Press the button `name` (only shown on a phone) and wait for what it controls."""

    def press(browser: Any) -> None:
        pressed = by_xpath(browser, button(name))
        pressed.click()
        shown = pressed.get_attribute("aria-controls")
        from selenium.webdriver.support.wait import WebDriverWait

        WebDriverWait(browser, 10, poll_frequency=0.1).until(
            lambda b: (
                pressed.get_attribute("aria-expanded") == "true"
                and b.find_element("id", shown).is_displayed()
            ),
            f"waiting for {name} to open",
        )

    return press


PHONE_STEPS: dict[str, Callable[[Any], None]] = {
    "orders-menu": press_on_phone("Menu"),
    "orders-filters": press_on_phone("Filters"),
}


# ---- axe -------------------------------------------------------------------------------

RUN_AXE = """const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (r) => done(r.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html.slice(0, 200),
                                summary: n.failureSummary}))}))),
  (e) => done({error: String(e)}));"""


def audit(browser: Any, name: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now; all of them written beside the
    screenshots."""
    if not browser.execute_script("return typeof window.axe === 'object'"):
        browser.execute_script(AXE.read_text())
    violations = browser.execute_async_script(RUN_AXE)
    assert not isinstance(violations, dict), violations
    folder = ARTIFACTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(violations, indent=1))
    found: list[dict[str, Any]] = violations
    return found


SETTLED = """const done = arguments[arguments.length - 1];
const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
(async () => {
  for (let i = 0; i < 50 && document.getAnimations().some((a) => a.playState === "running"); i++)
    await frame();
  await frame();
  await frame();
  done();
})();"""


def settle(browser: Any) -> None:
    """Until no transition runs and the new layout is painted, before colours are measured
    and the screenshot taken."""
    browser.execute_async_script(SETTLED)


def whole_page(browser: Any, path: Path) -> None:
    """The page's whole length, beyond the viewport: what a merchant scrolls to."""
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    path.write_bytes(base64.b64decode(shot["data"]))


def set_viewport(browser: Any, width: int, height: int) -> None:
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def blocking(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen_has_no_serious_accessibility_violation(
    browser: Any, served: ConsoleServer, screen: str
) -> None:
    """Opened once at the desk's size, then looked at again at the phone's: each size
    screenshotted and audited."""
    found = {}
    for size, (width, height) in SIZES.items():
        set_viewport(browser, width, height)
        if size == "desktop":
            SCREENS[screen](browser, served)
        elif screen in PHONE_STEPS:
            PHONE_STEPS[screen](browser)
        settle(browser)
        name = f"{screen}-{size}"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / f"{name}.png"))
        found[size] = blocking(audit(browser, name))
        whole_page(browser, ARTIFACTS / f"{name}-full.png")
    assert found == {size: [] for size in SIZES}
    assert csp_refusals(browser) == []


def test_the_console_scripts_go_out_gzipped(served: ConsoleServer) -> None:
    """The entry script crosses the wire gzipped when the browser asks, and whole when not;
    either way cached for a year."""
    html = httpx.get(f"{served.url}/console/orders").text
    found = re.search(r'src="(/console/assets/[^"]+\.js)"', html)
    assert found is not None, html
    entry = found.group(1)
    raw = (ROOT / "console" / "dist" / entry.removeprefix("/console/")).read_bytes()
    zipped = httpx.get(f"{served.url}{entry}", headers={"Accept-Encoding": "gzip"})
    assert zipped.status_code == 200
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["content-type"] == "text/javascript; charset=utf-8"
    assert zipped.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert int(zipped.headers["content-length"]) < len(raw) / 2
    assert zipped.content == raw  # decoded by httpx
    plain = httpx.get(f"{served.url}{entry}", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == raw
