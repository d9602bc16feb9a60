"""Per-request context: the viewer (decided once), settings and DataLoaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from app.http import client_address
from app.schema.loaders import Loaders
from app.services import ratelimit
from app.services.auth import Viewer
from app.settings import Settings


@dataclass
class Context:
    viewer: Viewer
    settings: Settings
    request: Request | None = None
    response: Response | None = None
    loaders: Loaders = field(default_factory=Loaders)
    redis: Any = None
    renderer: Any = None
    storage: Any = None
    # Orders placed in this request: a guest sees the tracking token of the order it just placed.
    placed_order_ids: set[int] = field(default_factory=set)
    # placeOrder calls in this request (one is allowed)
    orders_placed: int = 0
    # Set by the HTTP layer; queries get a deadline on it once their type is known.
    deadline: asyncio.Timeout | None = None
    # live updates (app.live.Hub) and, on a WebSocket, the connection_init payload
    live: Any = None
    connection_params: dict[str, Any] | None = None
    # the token a WebSocket signed in with: checked again while its subscriptions run
    ws_token: str | None = None
    # the fast path's execution context (app/schema/fast.py), while it runs a query: root
    # resolvers read rows for a compiled plan through it (app/schema/compiled.py)
    execution: Any = None

    @property
    def client_address(self) -> str:
        if self.request is None:
            return "local"
        peer = self.request.client.host if self.request.client else None
        forwarded = self.request.headers.get("x-forwarded-for", "")
        return client_address(peer, forwarded, self.settings.trusted_proxies)

    async def throttle(self, bucket: str, limit: int, period_seconds: int, key: str = "") -> None:
        """Count one attempt at `bucket` by this client (or by `key`); RATE_LIMITED past it."""
        await ratelimit.hit(self.redis, bucket, key or self.client_address, limit, period_seconds)


Info = StrawberryInfo[Context, None]
