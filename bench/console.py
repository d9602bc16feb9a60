"""The staff console's figures against issue 23's budgets: initial JavaScript gzipped
(<= 200 kB), the orders list's first row visible with 100,000 orders on PostgreSQL
(<= 1.0 s, Chromium's Performance API), and Lighthouse on the orders list and an order
(performance >= 90, accessibility >= 95). Not a test: it prints the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres nice -n 10 .venv/bin/python \\
        bench/console.py [--orders 100000] [--runs 10] [--no-lighthouse] [--reuse]

The orders are bulk-loaded with COPY as bench/scale.py does (names, statuses and tracking
numbers vary), with three lines each; `serve` runs on them as a merchant would (embedded
Valkey, in-process worker) on port 8190. The first row is found by a MutationObserver that
Chromium adds to every document before the console's own scripts (CDP
`Page.addScriptToEvaluateOnNewDocument`): it sets `performance.mark`s when a row of the
table named "Orders" with an order link is in the DOM, and again one frame later (painted).
Times are from the navigation's start (`performance.timeOrigin`): a full load of
/console/orders with the HTTP cache cleared (cold) and kept (warm, median of the runs), and
the in-app navigation from the Shipments screen by clicking the "Orders" link.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIST = ROOT / "console" / "dist"
LIGHTHOUSE = ROOT / "bench" / "lighthouse"
EMAIL, PASSWORD = "bench-admin@shop.test", "bench admin password"
JS_BUDGET, FIRST_ROW_BUDGET = 200 * 1024, 1.0

# Static imports in Vite's minified output: `import{a as b}from"./x.js"`, `import"./y.js"`,
# `export{c}from"./z.js"`; never `import("./lazy.js")`, which a route loads later.
STATIC_IMPORT = re.compile(
    r"""(?:\bimport|\bexport)\s*(?:[\w$*{}\s,]*?\bfrom\s*)?["']([^"']+\.js)["']"""
)
ENTRY = re.compile(
    r"""<script\b[^>]*\btype=["']module["'][^>]*\bsrc=["']([^"']+)["']"""
    r"""|<link\b[^>]*\brel=["']modulepreload["'][^>]*\bhref=["']([^"']+)["']"""
)


def initial_javascript(dist: Path = DIST) -> tuple[list[str], int, int]:
    """The JavaScript a first visit downloads before any route's own chunk: index.html's
    module entry and preloads, and every chunk they import statically. (files, raw bytes,
    gzipped bytes at level 9)."""
    html = (dist / "index.html").read_text()
    base = "/console/index.html"
    pending = [urljoin(base, a or b) for a, b in ENTRY.findall(html)]
    seen: list[str] = []
    while pending:
        url = pending.pop()
        if url in seen:
            continue
        seen.append(url)
        text = (dist / _relative(url)).read_text()
        pending += [urljoin(url, spec) for spec in STATIC_IMPORT.findall(text) if "/" in spec]
    blobs = [(dist / _relative(url)).read_bytes() for url in seen]
    return (
        [_relative(url) for url in seen],
        sum(len(b) for b in blobs),
        sum(len(gzip.compress(b, 9)) for b in blobs),
    )


def _relative(url: str) -> str:
    path = urlsplit(url).path
    return path.removeprefix("/console/")


def build() -> None:
    subprocess.run(["nice", "-n", "10", str(ROOT / "scripts" / "build-console")], check=True)


async def _seed(count: int) -> None:
    from decimal import Decimal

    from tortoise import Tortoise, connections

    from app.db import atomic, migrate_database, tortoise_config
    from app.models import Product, Role
    from app.services.accounts import create_staff
    from app.services.auth import SYSTEM
    from app.settings import load_settings
    from bench.scale import load

    settings = load_settings()
    await migrate_database(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        await Product.bulk_create(
            [
                Product(sku=f"SKU-{k}", name=f"Product {k}", price=Decimal("9.90"), stock=500)
                for k in range(1, 4)
            ]
        )
        await load(count)
        await connections.get("default").execute_script(
            """INSERT INTO order_items (order_id, product_id, sku, name, quantity, unit_price,
                 total, quantity_shipped, quantity_returned, quantity_restocked)
               SELECT o.id, k, 'SKU-' || k, 'Product ' || k, 1, 9.90, 9.90, 0, 0, 0
               FROM orders o CROSS JOIN generate_series(1, 3) AS k;
               ANALYZE order_items"""
        )
        async with atomic():
            await create_staff(SYSTEM, EMAIL, PASSWORD, Role.ADMIN, "Bench", "Admin")
    finally:
        await Tortoise.close_connections()


def seed(count: int) -> float:
    """A fresh PostgreSQL database `bench_console` with `count` orders; seconds taken."""
    from bench.common import scratch_environment

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("bench/console.py measures on PostgreSQL: set DATABASE_URL=postgres://…")
    scratch_environment("bench_console")
    started = time.perf_counter()
    asyncio.run(_seed(count))
    return time.perf_counter() - started


def reuse() -> None:
    """The environment seed() makes, on the database a previous run left."""
    base = urlsplit(os.environ.get("DATABASE_URL", ""))
    if not base.scheme.startswith("postgres"):
        sys.exit("bench/console.py measures on PostgreSQL: set DATABASE_URL=postgres://…")
    os.environ["DATABASE_URL"] = urlunsplit(base._replace(path="/bench_console"))
    os.environ["BITCART_DATA_DIR"] = tempfile.mkdtemp(prefix="bench_console-")
    os.environ.setdefault("SECRET_KEY", "bench")
    os.environ.pop("REDIS_URL", None)


def start_serve(port: int) -> subprocess.Popen[bytes]:
    import httpx

    log = open(Path(os.environ["BITCART_DATA_DIR"]) / "serve.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        ["nice", "-n", "10", sys.executable, "-m", "app", "serve", "--port", str(port)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.3)
    process.terminate()
    sys.exit(f"serve did not come up; see {log.name}")


OBSERVER = r"""(() => {
  const name = (t) => {
    const label = t.getAttribute("aria-label");
    if (label) return label.trim();
    const by = t.getAttribute("aria-labelledby");
    if (by) return by.split(/\s+/).map((id) =>
      (document.getElementById(id)?.textContent ?? "")).join(" ").trim();
    return (t.querySelector("caption")?.textContent ?? "").trim();
  };
  const row = () => {
    for (const t of document.querySelectorAll("table")) {
      if (name(t) !== "Orders") continue;
      const link = t.querySelector("tbody tr a[href]");
      if (link && link.getBoundingClientRect().top < innerHeight) return true;
    }
    return false;
  };
  const watch = () => {
    const observer = new MutationObserver(() => {
      if (!row()) return;
      observer.disconnect();
      performance.mark("bench:first-order-row");
      requestAnimationFrame(() => setTimeout(() =>
        performance.mark("bench:first-order-row-painted"), 0));
    });
    observer.observe(document, { childList: true, subtree: true });
  };
  window.__benchWatchOrders = watch;
  watch();
})();"""

READ_MARKS = """
const mark = (n) => performance.getEntriesByName(n).at(-1)?.startTime ?? null;
const nav = performance.getEntriesByType("navigation")[0];
const api = performance.getEntriesByType("resource").filter((r) => r.name.includes("/graphql"));
return {
  row: mark("bench:first-order-row"), painted: mark("bench:first-order-row-painted"),
  consoleMarks: performance.getEntriesByType("mark").filter((m) => !m.name.startsWith("bench:"))
    .map((m) => [m.name, Math.round(m.startTime)]),
  domContentLoaded: nav ? nav.domContentLoadedEventEnd : null,
  api: api.map((r) => [Math.round(r.startTime), Math.round(r.responseEnd)]),
};"""


def _browser(width: int = 1280, height: int = 800) -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--window-size={width},{height}",
        f"--user-data-dir={tempfile.mkdtemp(prefix='bench-console-chromium-')}",
    ):  # fmt: skip
        options.add_argument(flag)
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


def _sign_in(browser: Any, url: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.wait import WebDriverWait

    browser.get(f"{url}/console/")
    wait = WebDriverWait(browser, 30)
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "input[type=email]")))
    browser.find_element(By.CSS_SELECTOR, "input[type=email]").send_keys(EMAIL)
    browser.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.presence_of_element_located((By.TAG_NAME, "nav")))


def _marks(browser: Any) -> dict[str, Any]:
    from selenium.webdriver.support.wait import WebDriverWait

    WebDriverWait(browser, 30, poll_frequency=0.05).until(
        lambda b: b.execute_script(
            "return performance.getEntriesByName('bench:first-order-row-painted').length"
        )
    )
    marks: dict[str, Any] = browser.execute_script(READ_MARKS)
    return marks


def first_row(url: str, runs: int) -> dict[str, Any]:
    """Seconds from navigation start to the first order row (in the DOM, and painted)."""
    from selenium.webdriver.common.by import By

    browser = _browser()
    try:
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": OBSERVER})
        _sign_in(browser, url)
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.clearBrowserCache", {})
        browser.get(f"{url}/console/orders")
        cold = _marks(browser)
        warm = []
        for _ in range(runs):
            browser.get(f"{url}/console/orders")
            warm.append(_marks(browser))
        in_app = []
        for _ in range(runs):
            browser.find_element(By.LINK_TEXT, "Shipments").click()
            time.sleep(1.0)  # the Shipments screen settles
            browser.execute_script("performance.clearMarks(); window.__benchWatchOrders()")
            start = browser.execute_script(
                "const t = performance.now();"
                "document.querySelector('nav a[href$=\"/orders\"]').click(); return t"
            )
            marks = _marks(browser)
            in_app.append(marks["painted"] - start)
        return {"cold": cold, "warm": warm, "in_app_ms": in_app}
    finally:
        browser.quit()


def lighthouse(url: str, paths: list[str], out: Path) -> list[dict[str, Any]]:
    if not (LIGHTHOUSE / "node_modules" / "lighthouse").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=LIGHTHOUSE, check=True
        )
    done = subprocess.run(
        ["nice", "-n", "10", "node", "audit.mjs", url, EMAIL, PASSWORD, str(out), *paths],
        cwd=LIGHTHOUSE,
        capture_output=True,
        text=True,
        env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"},
        check=False,
    )
    if done.returncode != 0:
        print(done.stderr[-3000:], file=sys.stderr)
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _first_order_number(url: str) -> int:
    import httpx

    token = httpx.post(
        f"{url}/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
            "{ token } }",
            "variables": {"e": EMAIL, "p": PASSWORD},
        },
    ).json()["data"]["login"]["token"]
    answer = httpx.post(
        f"{url}/graphql",
        json={"query": "{ orders(first: 1) { edges { node { number } } } }"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    number: int = answer["data"]["orders"]["edges"][0]["node"]["number"]
    return number


def report_size() -> None:
    files, raw, gzipped = initial_javascript()
    verdict = "within" if gzipped <= JS_BUDGET else "OVER"
    print(f"Initial JavaScript: {len(files)} files, {raw / 1024:.1f} kB raw, "
          f"{gzipped / 1024:.1f} kB gzipped ({verdict} the 200 kB budget)")  # fmt: skip
    for name in files:
        print(f"  {name}")


def _phases(run: dict[str, Any]) -> str:
    """Where the time went: the sign-in check's answer, the list's request and answer, the
    row in the DOM and painted (ms from the navigation's start)."""
    api = run["api"]
    me_end = api[0][1] if api else 0
    start, end = api[-1] if len(api) > 1 else (0, 0)
    return (
        f"sign-in check answered {me_end:.0f}, list asked {start:.0f}, answered {end:.0f} "
        f"({end - start:.0f} on the server and wire), row in DOM {run['row']:.0f}, "
        f"painted {run['painted']:.0f}"
    )


def report_first_row(result: dict[str, Any], count: int) -> None:
    cold, warm = result["cold"], result["warm"]
    painted = sorted(w["painted"] for w in warm)
    middle = sorted(warm, key=lambda w: w["painted"])[len(warm) // 2]
    print(f"Orders list, first row visible, {count:,} orders on PostgreSQL (budget 1,000 ms):")
    print(f"  cold (HTTP cache cleared)   {cold['painted']:6.0f} ms: {_phases(cold)}")
    print(f"  warm, median of {len(painted):<2}         {statistics.median(painted):6.0f} ms "
          f"(min {painted[0]:.0f}, max {painted[-1]:.0f}); the median run: "
          f"{_phases(middle)}")  # fmt: skip
    in_app = result["in_app_ms"]
    print(f"  in-app, Shipments -> Orders {statistics.median(in_app):6.0f} ms "
          f"(median of {len(in_app)}; max {max(in_app):.0f})")  # fmt: skip
    print(f"  load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--port", type=int, default=8190)
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-lighthouse", action="store_true")
    parser.add_argument("--lighthouse-runs", type=int, default=3)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the bench_console database a run left"
    )
    args = parser.parse_args()
    if not args.no_build:
        build()
    report_size()
    if args.reuse:
        reuse()
    else:
        seconds = seed(args.orders)
        print(f"Seeded {args.orders:,} orders (3 lines each) in {seconds:.0f} s")
    url = f"http://127.0.0.1:{args.port}"
    process = start_serve(args.port)
    try:
        report_first_row(first_row(url, args.runs), args.orders)
        if args.no_lighthouse:
            return
        number = _first_order_number(url)
        out = Path(os.environ["BITCART_DATA_DIR"]) / "lighthouse"
        print(f"Lighthouse, median of {args.lighthouse_runs} runs (reports in {out}; "
              "budget performance >= 90, accessibility >= 95):")  # fmt: skip
        paths = ["/console/orders", f"/console/orders/{number}"] * args.lighthouse_runs
        runs = lighthouse(url, paths, out)
        for key in dict.fromkeys((row["path"], row["formFactor"]) for row in runs):
            rows = [row for row in runs if (row["path"], row["formFactor"]) == key]
            middle = sorted(rows, key=lambda row: row["performance"])[len(rows) // 2]
            print(f"  {key[0]:<24} {key[1]:<8} performance {middle['performance']:>3} "
                  f"(runs {[row['performance'] for row in rows]})  accessibility "
                  f"{middle['accessibility']:>3}  best practices {middle['bestPractices']:>3}  "
                  f"LCP {middle['lcpMs'] or 0:.0f} ms  TBT {middle['tbtMs'] or 0:.0f} ms"
                  + (f"  failing: {middle['accessibilityFailing']}"
                     if middle["accessibilityFailing"] else ""))  # fmt: skip
        print(f"  load average after Lighthouse: {os.getloadavg()[0]:.1f}")
    finally:
        process.terminate()
        process.wait(30)


if __name__ == "__main__":
    main()
