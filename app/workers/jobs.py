"""The job functions arq runs. Each takes ids or nothing, never ORM objects."""

from __future__ import annotations

from typing import Any

from app.db import atomic
from app.services import maintenance


async def purge_expired_tokens(ctx: dict[str, Any]) -> int:
    async with atomic():
        return await maintenance.purge_expired_tokens()
