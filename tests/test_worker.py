"""A real arq worker, burst mode, on the embedded Valkey (or Redis in CI)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from arq import create_pool

from app.models import ApiToken
from app.redis import redis_settings
from app.settings import Settings
from app.workers.settings import build_worker
from tests.conftest import Actors, GraphQLClient


async def test_purge_expired_tokens_job(
    gql: GraphQLClient, actors: Actors, settings_with_redis: Settings
) -> None:
    assert settings_with_redis.redis_url
    login = """mutation {
      login(email: "alice@example.com", password: "correct horse battery") { token } }"""
    token = (await gql.data(login))["login"]["token"]
    me = "{ me { email } }"
    assert (await gql.data(me, token=token))["me"]["email"] == "alice@example.com"
    newest = await ApiToken.all().order_by("-id").first()
    assert newest is not None
    await ApiToken.filter(id=newest.id).update(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    # expired tokens are refused at once, and the job removes them
    assert (await gql.data(me, token=token))["me"] is None

    pool = await create_pool(redis_settings(settings_with_redis.redis_url))
    job = await pool.enqueue_job("purge_expired_tokens", _job_id=f"purge-test-{uuid.uuid4()}")
    assert job is not None
    worker = build_worker(
        settings_with_redis,
        own_database=False,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
        redis_pool=pool,
        cron_jobs=[],
    )
    await worker.main()
    assert await job.result(timeout=5) == 1
    await worker.close()
    assert not await ApiToken.filter(id=newest.id).exists()
    # staff session tokens of the suite are untouched
    assert (await gql.data(me, token=actors.admin.token))["me"]["email"] == actors.admin.email
