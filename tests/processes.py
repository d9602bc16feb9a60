"""Running the command line as a user does: separate processes, waited for over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def cli_env(data_dir: Path, *, keep_databases: bool = False) -> dict[str, str]:
    """This environment on a fresh data folder; without keep_databases, on its defaults
    (SQLite and an embedded Valkey) whatever the test run uses."""
    dropped = {"SECRET_KEY"} if keep_databases else {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["BITCART_DATA_DIR"] = str(data_dir)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_healthy(url: str, process: subprocess.Popen[str], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail("serve did not come up")
        time.sleep(0.2)


def serve(
    data_dir: Path,
    port: int,
    *args: str,
    capture: bool = False,
    keep_databases: bool = False,
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "app", "serve", "--port", str(port), *args],
        env=cli_env(data_dir, keep_databases=keep_databases),
        stdout=subprocess.PIPE if capture else subprocess.DEVNULL,
        stderr=subprocess.STDOUT if capture else subprocess.DEVNULL,
        text=True,
    )
