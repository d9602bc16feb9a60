"""Per-request context: the viewer (decided once), settings and DataLoaders."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from strawberry.types import Info as StrawberryInfo

from app.schema.loaders import Loaders
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
    # Set by the HTTP layer; queries get a deadline on it once their type is known.
    deadline: asyncio.Timeout | None = None

    @property
    def client_address(self) -> str:
        if self.request is None or self.request.client is None:
            return "local"
        return self.request.client.host


Info = StrawberryInfo[Context, None]
