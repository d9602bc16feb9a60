"""arq settings for `bitcart-orders worker` and for the worker that `serve` runs in-process."""

from __future__ import annotations

from typing import Any

from arq import cron
from arq.worker import Worker
from tortoise import Tortoise

from app.db import tortoise_config
from app.documents.render import Renderer
from app.redis import redis_settings
from app.settings import Settings
from app.storage import LocalStorage
from app.workers import jobs

FUNCTIONS: list[Any] = [
    jobs.purge_expired_tokens,
    jobs.render_document,
    jobs.run_tracking_import,
    jobs.requeue_stale,
]
CRON_JOBS = [
    cron(jobs.purge_expired_tokens, minute={7}, run_at_startup=False),
    cron(jobs.requeue_stale, second={30}, run_at_startup=True),
]


def build_worker(settings: Settings, *, own_database: bool, **overrides: Any) -> Worker:
    """A worker; with own_database it opens and closes the ORM itself (a separate process)."""
    assert settings.redis_url is not None

    async def startup(ctx: dict[str, Any]) -> None:
        ctx["settings"] = settings
        ctx["renderer"] = Renderer(settings.template_dir, settings.font_dirs)
        ctx["storage"] = LocalStorage(settings.data_dir)
        if own_database:
            # Keep the context Tortoise.init returns and close through it (see STACK-NOTES).
            ctx["tortoise"] = await Tortoise.init(config=tortoise_config(settings))

    async def shutdown(ctx: dict[str, Any]) -> None:
        tortoise_ctx = ctx.get("tortoise")
        if tortoise_ctx is not None:
            await tortoise_ctx.close_connections()

    options: dict[str, Any] = {
        "functions": FUNCTIONS,
        "cron_jobs": CRON_JOBS,
        "redis_settings": redis_settings(settings.redis_url),
        "max_jobs": 4,
        "job_timeout": 600,
        "keep_result": 3600,
        "on_startup": startup,
        "on_shutdown": shutdown,
    }
    options.update(overrides)
    return Worker(**options)
