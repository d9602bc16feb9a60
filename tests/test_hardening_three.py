"""Issue 24, hardening round three: what the second hostile run (black box, on SQLite and
on PostgreSQL + Redis) still broke, each held by a test that failed before its fix."""

from __future__ import annotations

import httpx

from tests.conftest import Actors
from tests.test_fast_lane import same, twice


async def test_the_lane_runs_the_operation_the_standard_path_ran(
    http: httpx.AsyncClient, actors: Actors
) -> None:
    """A document of two operations and no operationName: the standard path (Strawberry)
    runs the first; the lane answered the same text again with graphql-core's "Must provide
    operation name" (a 400 where the first send was a 200)."""
    body = {"query": "query A { __typename } query B { me { email } }"}
    for token in (None, actors.customer.token):
        for accept in ("application/json", "application/graphql-response+json"):
            first, second, laned = await twice(http, body, token, Accept=accept)
            assert first.json()["data"] == {"__typename": "Query"}
            assert laned == 1
            same(first, second)
