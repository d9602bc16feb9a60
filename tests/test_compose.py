"""docker-compose.yml: valid, and what it starts works when started directly (no Docker here)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import jsonschema
import pytest
import yaml

from app.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
APP_SERVICES = ("migrate", "api", "worker")


def test_compose_file_is_valid_against_the_compose_specification() -> None:
    schema = json.loads((ROOT / "tests" / "compose_spec" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(COMPOSE)]
    assert problems == []


def test_compose_requires_its_secrets_and_pins_its_images() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("SECRET_KEY", "POSTGRES_PASSWORD", "REDIS_PASSWORD", "BITCART_METRICS_TOKEN"):
        uses = re.findall(r"\$\{" + secret + r"(:?[?-])?", text)
        # every use fails with a message when unset; none falls back to a default
        assert uses, secret
        assert set(uses) == {":?"}, (secret, uses)
    for name, service in COMPOSE["services"].items():
        if "build" in service:
            continue
        # a release, not a moving tag like latest or a bare major version
        assert re.fullmatch(r"[a-z0-9/_-]+:\d+\.\d+(\.\d+)?[a-z0-9.-]*", service["image"]), name
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^USER (?!root)\w+", dockerfile, re.M)
    assert "HEALTHCHECK" in dockerfile
    assert "/readyz" in dockerfile


def test_only_the_proxy_publishes_a_port_and_is_the_trusted_proxy() -> None:
    services = COMPOSE["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    address = services["proxy"]["networks"]["backend"]["ipv4_address"]
    for name in APP_SERVICES:
        assert services[name]["environment"]["BITCART_TRUSTED_PROXIES"] == f"{address}/32"
    assert (ROOT / "deploy" / "Caddyfile").exists()
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    for name in ("api", "worker", "postgres", "redis"):
        assert services[name]["healthcheck"]["test"], name


def test_compose_has_the_production_shape() -> None:
    services = COMPOSE["services"]
    assert set(services) == {"proxy", "postgres", "redis", "migrate", "api", "worker"}
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["REDIS_URL"].startswith("redis://:")
        command = services[name]["command"]
        assert command[0] == "bitcart-orders"
        build_parser().parse_args(command[1:])  # every command is one the CLI knows
    # health checks: the api's readiness, the worker's sign of life
    assert "/readyz" in " ".join(services["api"]["healthcheck"]["test"])
    worker_check = services["worker"]["healthcheck"]["test"]
    assert worker_check[:2] == ["CMD", "bitcart-orders"]
    assert build_parser().parse_args(worker_check[2:]).check is True
    assert services["api"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }
    assert services["worker"]["depends_on"]["migrate"] == {
        "condition": "service_completed_successfully"
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.skipif(
    not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")),
    reason="needs a PostgreSQL and a Redis (DATABASE_URL and REDIS_URL), as in CI",
)
async def test_compose_commands_run_against_postgres_and_redis(tmp_path: Path) -> None:
    base = urlsplit(os.environ["DATABASE_URL"])
    database = f"bitcart_compose_{os.getpid()}"
    server = urlunsplit(base._replace(scheme="postgresql", path="/postgres"))
    conn = await asyncpg.connect(server)
    await conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
    await conn.execute(f'CREATE DATABASE "{database}"')
    await conn.close()
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(base._replace(path=f"/{database}")),
        "REDIS_URL": os.environ["REDIS_URL"],
        "SECRET_KEY": "compose-test",
        "BITCART_DATA_DIR": str(tmp_path),
    }
    try:
        await asyncio.to_thread(_start_like_compose, env)
    finally:
        conn = await asyncpg.connect(server)
        await conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await conn.close()


LOGIN = 'mutation { login(email: "ops@shop.test", password: "compose password") { token } }'


def _start_like_compose(env: dict[str, str]) -> None:
    """migrate, then api and worker, with compose's commands; then use the api."""
    port = _free_port()

    def command(service: str) -> list[str]:
        args: list[str] = COMPOSE["services"][service]["command"][1:]
        args = [str(port) if a == "8000" else ("127.0.0.1" if a == "0.0.0.0" else a) for a in args]
        return [sys.executable, "-m", "app", *args]

    def run(args: list[str], given: str | None = None) -> None:
        done = subprocess.run(
            args, env=env, capture_output=True, text=True, timeout=120, input=given
        )
        assert done.returncode == 0, done.stderr

    processes: list[subprocess.Popen[Any]] = []
    try:
        run(command("migrate"))
        run(
            [
                sys.executable,
                "-m",
                "app",
                "create-staff",
                "--email",
                "ops@shop.test",
                "--password-stdin",
                "--role",
                "ADMIN",
            ],
            given="compose password\n",
        )
        for service in ("api", "worker"):
            processes.append(
                subprocess.Popen(
                    command(service), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if client.get("/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "api did not start: " + shlex.join(
                    command("api")
                )
                time.sleep(0.2)
            token = client.post("/graphql", json={"query": LOGIN}).json()["data"]["login"]["token"]
            me = client.post(
                "/graphql",
                json={"query": "{ me { role } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert me.json()["data"] == {"me": {"role": "ADMIN"}}
        assert processes[1].poll() is None, "the worker exited"
    finally:
        for process in processes:
            process.terminate()
            process.communicate(timeout=30)
