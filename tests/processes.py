"""Running the command line as a user does: separate processes, waited for over HTTP."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

from app.settings import Settings


def cli_env(data_dir: Path, *, keep_databases: bool = False) -> dict[str, str]:
    """This environment on a fresh data folder; without keep_databases, on its defaults
    (SQLite and an embedded Valkey) whatever the test run uses."""
    dropped = {"SECRET_KEY"} if keep_databases else {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env["BITCART_DATA_DIR"] = str(data_dir)
    return env


SQLITE_FILE = "bitcart.sqlite3"  # in the data folder (app/settings.py)
_template: list[Path] = []
_template_lock = threading.Lock()


def migrated_data_folder(data_dir: Path) -> Path:
    """`data_dir` with a SQLite database already migrated, copied from one this test process
    migrated once (`python -m app migrate`): migrating a fresh file costs a served process
    about 1.2 s of CPU, which only the tests of a first start (test_cli) need to see."""
    with _template_lock:
        if not _template:
            folder = Path(tempfile.mkdtemp(prefix="bitcart-migrated-"))
            subprocess.run(
                [sys.executable, "-m", "app", "migrate"],
                env=cli_env(folder),
                capture_output=True,
                timeout=120,
                check=True,
            )
            _template.append(folder / SQLITE_FILE)
    data_dir.mkdir(parents=True, exist_ok=True)
    if not (data_dir / SQLITE_FILE).exists():
        shutil.copyfile(_template[0], data_dir / SQLITE_FILE)
    return data_dir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_healthy(
    url: str, process: subprocess.Popen[str], seconds: float = 60, log: Path | None = None
) -> None:
    """Until `url` answers /healthz; a failure with what serve printed (its `log` file or
    captured output) when it exits first."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            said = ""
            if log is not None and log.exists():
                said = ":\n" + log.read_text(errors="replace")[-4000:]
            elif process.stdout is not None and process.poll() is not None:
                said = ":\n" + process.stdout.read()[-4000:]
            pytest.fail(f"serve did not come up (exit code {process.poll()}){said}")
        time.sleep(0.2)


@contextmanager
def own_postgres_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database beside the test run's, dropped afterwards; its URL.

    For a served process in a test with no `app` fixture: the worker's own database
    (conftest) exists only once a test of that worker has asked for `app`."""
    given = os.environ["BITCART_TEST_GIVEN_DATABASE_URL"]
    name = f"bitcart_served_{uuid.uuid4().hex[:12]}"
    server = given.replace("postgres://", "postgresql://", 1)

    async def run(sql: str) -> None:
        import asyncpg

        conn = await asyncpg.connect(server)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(given)._replace(path=f"/{name}"))
    finally:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def serve(
    data_dir: Path,
    port: int,
    *args: str,
    capture: bool = False,
    keep_databases: bool = False,
    env: dict[str, str] | None = None,
    log_file: Path | None = None,
    fresh: bool = False,
) -> subprocess.Popen[str]:
    """`bitcart-orders serve`; its output captured (capture), written to log_file, or
    dropped. On the defaults (SQLite) its data folder gets a migrated database first
    (migrated_data_folder), unless `fresh`: a first start from nothing."""
    if not fresh and not keep_databases and "DATABASE_URL" not in (env or {}):
        migrated_data_folder(data_dir)
    output: Any = subprocess.PIPE if capture else subprocess.DEVNULL
    if log_file is not None:
        output = log_file.open("w")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), *args],
            env={**cli_env(data_dir, keep_databases=keep_databases), **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT if capture or log_file is not None else subprocess.DEVNULL,
            text=True,
        )
    finally:
        if log_file is not None:
            output.close()  # the child has its own copy


def demo_admin_token(url: str) -> str:
    """Sign in to a served `--demo` as its printed admin login; the session token."""
    from app.services.demo import DEMO_LOGINS

    admin = DEMO_LOGINS[0]
    answer = httpx.post(
        f"{url}/graphql",
        json={
            "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) "
            "{ token } }",
            "variables": {"e": admin.email, "p": admin.password},
        },
    ).json()
    token: str = answer["data"]["login"]["token"]
    return token


def stop(process: subprocess.Popen[str]) -> None:
    """SIGTERM, as an orchestrator stops it; killed if it has not gone within 30 s."""
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class Forwarder:
    """A TCP forwarder to a real server (PostgreSQL, Redis) that a test can cut and restore,
    as a network outage would."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.server: asyncio.Server | None = None
        self.links: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", self.port)

    async def stop(self) -> None:
        """Refuse new connections and cut the open ones."""
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for writer in list(self.links):
            writer.close()
        self.links.clear()

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self.links.update({writer, up_writer})

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65536):
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                sink.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def start_worker(settings: Settings, **env: str) -> asyncio.subprocess.Process:
    """`bitcart-orders worker` on the test run's database and Redis (imports in sets of 20)."""
    assert settings.redis_url
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "worker",
        env={
            **os.environ,
            "REDIS_URL": settings.redis_url,
            "BITCART_DATA_DIR": str(settings.data_dir),
            "BITCART_IMPORT_SET_SIZE": "20",
            **env,
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
