"""bitcart-orders: serve · worker · migrate · create-staff · seed-demo."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TypeVar

from tortoise import Tortoise

from app.db import atomic, migrate_database, tortoise_config
from app.logs import configure as configure_logs
from app.logs import log, redact_url
from app.models import Role
from app.settings import Settings, get_settings

T = TypeVar("T")


async def _with_database(settings: Settings, action: Callable[[], Awaitable[T]]) -> T:
    await Tortoise.init(config=tortoise_config(settings))
    try:
        async with atomic():
            return await action()
    finally:
        await Tortoise.close_connections()


def _shown_host(host: str) -> str:
    """Where a browser on this machine reaches `host` (a wildcard is every address)."""
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104
    return f"[{shown}]" if ":" in shown else shown


def with_public_url(settings: Settings, host: str, port: int) -> Settings:
    """BITCART_PUBLIC_URL when set; else the address serve listens on, so the links in
    customer emails open this server's pages."""
    if os.environ.get("BITCART_PUBLIC_URL", "").strip():
        return settings
    return replace(settings, public_url=f"http://{_shown_host(host)}:{port}")


def _print_welcome(settings: Settings, host: str, port: int, demo: bool) -> None:
    """Where it listens and what it uses, passwords left out; with JSON logs, as one JSON
    line like every other (the demo logins, printed on purpose, stay plain text)."""
    from app.services.demo import DEMO_LOGINS

    url = f"http://{_shown_host(host)}:{port}/graphql"
    database, redis = redact_url(settings.database_url), redact_url(settings.redis_url)
    lines = []
    if settings.log_format == "json":
        log.info(
            "starting", graphql=url, database=database, redis=redis, public_url=settings.public_url
        )
    else:
        lines += [
            "",
            f"BitCart Orders is starting: GraphiQL at {url}",
            f"  database: {database}",
            f"  redis:    {redis}",
            f"  links in customer emails: {settings.public_url} (BITCART_PUBLIC_URL)",
        ]
    if demo:
        lines += [
            "",
            "Demo logins (run the login mutation, then send 'Authorization: Bearer <token>'):",
        ]
        lines += [f"  {d.role:<12} {d.email:<26} {d.password}" for d in DEMO_LOGINS]
        lines += [
            "",
            '  mutation { login(email: "admin@example.com", password: "demo-admin-pass")'
            " { token errors { code message } } }",
        ]
    if lines:
        print("\n".join(lines) + "\n", flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.main import create_app
    from app.redis import with_embedded_valkey

    settings = with_public_url(get_settings(), args.host, args.port)
    configure_logs(settings.log_format == "json")
    if not args.skip_migrate:
        asyncio.run(migrate_database(settings))
    if args.demo:
        _seed(settings)
    settings, valkey = with_embedded_valkey(settings)
    if valkey is None:  # a configured Redis: said plainly now if it isn't there
        asyncio.run(_ping(settings))
    in_process_worker = valkey is not None or args.with_worker
    _print_welcome(settings, args.host, args.port, args.demo)
    # uvicorn re-raises SIGTERM after its graceful shutdown; exit through `finally` so the
    # embedded Valkey is stopped too (it flushes its append-only file on the way out).
    signal.signal(signal.SIGTERM, _exit_on_signal)
    app = create_app(settings, run_worker=in_process_worker)
    # Everything made so far (the schema, models, templates) lives as long as the process:
    # keep it out of the collector's way, so collections under load are fewer and shorter
    # (a p99 much closer to the p50; as Saleor does)
    gc.collect()
    gc.freeze()
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level="info",
            log_config=None,  # app.logs configured it: one format for every line
            # SIGTERM: stop accepting, let requests in flight finish (bounded), then the
            # lifespan stops the in-process worker, whose jobs go back to the queue
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
            # the app reads X-Forwarded-For itself, from BITCART_TRUSTED_PROXIES only
            proxy_headers=False,
            # a WebSocket message is bounded as a request body is (the app checks too)
            ws_max_size=settings.max_body_bytes,
        )
    finally:
        if valkey is not None:
            valkey.stop()
    return 0


async def _ping(settings: Settings) -> None:
    """Connect to the configured Redis once (arq's pool pings it), without retrying."""
    from arq import create_pool

    from app.redis import redis_settings

    found = replace(redis_settings(settings.redis_url or ""), conn_retries=0, conn_timeout=5)
    pool = await create_pool(found)
    await pool.aclose()


def _exit_on_signal(signum: int, frame: object) -> None:
    sys.exit(128 + signum)


def cmd_worker(args: argparse.Namespace) -> int:
    from app.redis import with_embedded_valkey
    from app.workers.settings import build_worker, worker_is_healthy

    if args.check:
        settings = get_settings()
        if settings.redis_url is None:
            print("worker --check needs REDIS_URL (the worker's Redis).", file=sys.stderr)
            return 2
        healthy = asyncio.run(worker_is_healthy(settings))
        print("worker healthy" if healthy else "worker unhealthy: no recent sign of life")
        return 0 if healthy else 1

    configure_logs(get_settings().log_format == "json")
    metrics_port = os.environ.get("BITCART_WORKER_METRICS_PORT")
    if metrics_port:  # the worker's jobs and queues, for Prometheus to scrape
        from prometheus_client import start_http_server

        start_http_server(int(metrics_port))
    settings, valkey = with_embedded_valkey(get_settings())
    try:
        build_worker(settings, own_database=True).run()
    finally:
        if valkey is not None:
            valkey.stop()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = get_settings()
    applied = asyncio.run(migrate_database(settings))
    where = redact_url(settings.database_url)
    if applied:
        unit = "migration" if len(applied) == 1 else "migrations"
        print(f"Applied {len(applied)} {unit} to {where}: {', '.join(applied)}")
    else:
        print(f"Database is up to date (nothing to apply): {where}")
    return 0


def _staff_password(args: argparse.Namespace) -> str:
    """The new staff member's password: from stdin with --password-stdin (for scripts),
    else asked for twice on the terminal. Never from the command line, where the process
    list and the shell's history would keep it."""
    if args.password is not None:
        raise SystemExit(
            "error: --password would leave the password in the process list and shell "
            "history; pipe it with --password-stdin, or leave it out to be asked for it."
        )
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SystemExit(
            "error: no terminal to ask for the password on; pipe it with --password-stdin."
        )
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != first:
        raise SystemExit("error: the passwords differ.")
    return first


def cmd_create_staff(args: argparse.Namespace) -> int:
    from app.services.accounts import create_staff
    from app.services.auth import SYSTEM
    from app.services.errors import DomainError

    settings = get_settings()
    password = _staff_password(args)
    try:
        user = asyncio.run(
            _with_database(
                settings,
                lambda: create_staff(
                    SYSTEM,
                    args.email,
                    password,
                    Role(args.role),
                    args.first_name,
                    args.last_name,
                ),
            )
        )
    except DomainError as exc:
        for issue in exc.issues:
            where = ".".join(issue.field) if issue.field else ""
            print(
                f"error: {issue.code}: {where} {issue.message}".replace("  ", " "), file=sys.stderr
            )
        return 1
    print(f"Created {user.role} staff member {user.email}")
    return 0


def _seed(settings: Settings) -> bool:
    from app.services.demo import seed_demo

    return asyncio.run(
        _with_database(settings, lambda: seed_demo(settings.tax_rate, settings.currency))
    )


def cmd_seed_demo(args: argparse.Namespace) -> int:
    settings = get_settings()
    created = _seed(settings)
    print("Demo data created." if created else "Demo data is already there.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bitcart-orders", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="Run the API (and, without REDIS_URL, the worker).")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="Add demo data and print logins.")
    serve.add_argument(
        "--skip-migrate", action="store_true", help="Don't migrate first (a migrate job does)."
    )
    serve.add_argument(
        "--with-worker", action="store_true", help="Run a worker in-process even with REDIS_URL."
    )
    serve.set_defaults(func=cmd_serve)

    worker = sub.add_parser("worker", help="Run the job worker.")
    worker.add_argument(
        "--check",
        action="store_true",
        help="Exit 0 if this host's worker showed a sign of life lately, else 1 (a health check).",
    )
    worker.set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="Apply database migrations.").set_defaults(func=cmd_migrate)

    staff = sub.add_parser(
        "create-staff",
        help="Add a staff member (the password is asked for, or read with --password-stdin).",
    )
    staff.add_argument("--email", required=True)
    staff.add_argument(
        "--password-stdin",
        action="store_true",
        help="Read the password from the first line of stdin (for scripts).",
    )
    # refused with an explanation, so an old script says what to change
    staff.add_argument("--password", help=argparse.SUPPRESS)
    staff.add_argument("--role", required=True, choices=[r.value for r in Role])
    staff.add_argument("--first-name", default="")
    staff.add_argument("--last-name", default="")
    staff.set_defaults(func=cmd_create_staff)

    sub.add_parser("seed-demo", help="Add demo data (once).").set_defaults(func=cmd_seed_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
    except Exception as error:
        said = unreachable(error, get_settings())
        if said is None:
            raise
        print(said, file=sys.stderr)
        code = 2
    sys.exit(code)


def unreachable(error: BaseException, settings: Settings) -> str | None:
    """What to tell someone whose database or Redis does not answer, in place of a
    traceback: which one, where (no password), and what was said; None for other errors."""
    from app.outage import DATABASE, dependency_of, describe

    dependency = dependency_of(error)
    if dependency is None:
        return None
    if dependency == DATABASE:
        what, url, setting = "the database", settings.database_url, "DATABASE_URL"
    else:
        what, url, setting = "Redis", settings.redis_url or "", "REDIS_URL"
    return (
        f"error: {what} at {redact_url(url)} is not answering ({describe(error)}).\n"
        f"Is it running, and is {setting} right? Unset {setting} to use the built-in default."
    )
