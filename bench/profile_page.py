"""Where a request's CPU goes: P1 or P2 of bench/orders_page.py run in-process through the
ASGI app (no HTTP server, no client), under cProfile; the top functions by own and by
cumulative time. Not a benchmark: a profile, to read next to its ratio.

    DATABASE_URL=postgres://… python bench/profile_page.py P2 --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import time
from pathlib import Path
from typing import Any


async def drive(page: str, requests: int, token: str) -> None:
    from app.logs import configure
    from app.main import create_app
    from bench.orders_page import BODIES

    configure(json_lines=True)  # as `serve` logs in production (here to stderr)

    app = create_app()
    body = BODIES[page].encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {token}".encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("b", 80),
    }
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):  # type: ignore[attr-defined]
        for _ in range(50):  # learned, planned, warm
            await app({**scope, "app": app}, receive, send)
        assert b'"errors"' not in sent[-1]["body"], sent[-1]["body"][:300]
        profile = cProfile.Profile(time.process_time)  # CPU, not the wait on a busy machine
        profile.enable()
        for _ in range(requests):
            await app(dict(scope), receive, send)
        profile.disable()
    stats = pstats.Stats(profile)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("page", choices=["P1", "P2", "C1", "C2"])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=400)
    args = parser.parse_args()
    from bench.common import scratch_environment
    from bench.orders_page import seed

    scratch_environment("bitcart_bench_profile")
    token = asyncio.run(seed(args.orders))
    asyncio.run(drive(args.page, args.requests, token))
    print(json.dumps({"page": args.page, "requests": args.requests}))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
