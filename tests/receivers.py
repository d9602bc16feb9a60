"""A real webhook receiver for tests: a local HTTP server (uvicorn) that keeps what it was
sent and answers with the statuses it is told to."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.processes import free_port


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    port: int
    # answered in turn, the last one from then on
    statuses: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    # seconds to wait before answering (to be slower than a timeout)
    delay: float = 0.0
    # the answer's text; by default "ok" or "nope"
    reply: str | None = None
    # a Location header for the answer (a redirect)
    location: str | None = None
    host: str = "127.0.0.1"
    # set when the block ends: an answer still being delayed is given at once, so the
    # server stops now rather than when the delay runs out
    closing: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}/hooks"

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        self.received.append(Received(dict(request.headers), body))
        if self.delay:
            with suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), self.delay)
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        text = self.reply if self.reply is not None else "ok" if status < 300 else "nope"
        headers = {"location": self.location} if self.location else None
        return Response(text, status_code=status, headers=headers)

    async def wait_for(self, count: int, seconds: float = 20) -> None:
        for _ in range(int(seconds * 20)):
            if len(self.received) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"received {len(self.received)} of {count} deliveries")


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Iterator[None]:  # the test run keeps its own handlers
        yield


@asynccontextmanager
async def receiver(*statuses: int, host: str = "127.0.0.1") -> AsyncIterator[Receiver]:
    """A receiver listening on `host` (127.0.0.1, or ::1) while the block runs."""
    found = Receiver(free_port(), list(statuses) or [200], host=host)
    app = Starlette(routes=[Route("/hooks", found.handle, methods=["POST"])])
    server = _Server(
        uvicorn.Config(app, host=host, port=found.port, log_level="error", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield found
    finally:
        found.closing.set()
        server.should_exit = True
        await task
