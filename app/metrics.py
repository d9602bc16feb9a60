"""Prometheus metrics: what the service is doing, from requests to jobs.

Labels come from the schema and the code (root fields, error codes, job names), never from
what a client chose to call its operation, so their number stays bounded. With
PROMETHEUS_MULTIPROC_DIR set (several processes behind one scrape), /metrics adds up every
process's files, as prometheus-client's multi-process mode does.
"""

from __future__ import annotations

import os
from ipaddress import ip_address
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import HTTPConnection

from app.services.jobs import CUSTOMER_QUEUE

REQUESTS = Counter(
    "bitcart_requests",
    "HTTP requests by operation (GraphQL root field, or route) and outcome.",
    ["operation", "outcome"],
)
REQUEST_SECONDS = Histogram(
    "bitcart_request_duration_seconds",
    "Request latency by operation.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
GRAPHQL_ERRORS = Counter(
    "bitcart_graphql_errors",
    "GraphQL errors by code: top-level ones and the typed errors in mutation payloads.",
    ["code", "where"],
)
QUERY_COST = Histogram(
    "bitcart_query_cost",
    "The estimated cost (objects that may resolve) of each operation.",
    buckets=(10, 50, 100, 500, 1000, 5000, 10_000, 50_000, 120_000),
)
FAST_LANE = Counter(
    "bitcart_graphql_fast_lane",
    "Queries answered by the fast lane: a text already parsed, validated and planned.",
)
JOBS = Counter("bitcart_jobs", "Jobs run by the worker, by job and outcome.", ["job", "outcome"])
JOB_SECONDS = Histogram(
    "bitcart_job_duration_seconds",
    "Job run time by job.",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600),
)
QUEUE_DEPTH = Gauge(
    "bitcart_queue_depth",
    "Jobs waiting in each queue, read from Redis at scrape time.",
    ["queue"],
    multiprocess_mode="max",
)
IMPORT_ROWS = Counter(
    "bitcart_import_rows",
    "Tracking-import rows applied, by outcome (rate() gives rows per second).",
    ["outcome"],
)
WEBHOOK_DELIVERIES = Counter(
    "bitcart_webhook_deliveries",
    "Webhook delivery attempts, by what the delivery came to (SUCCEEDED, RETRYING, FAILED).",
    ["status"],
)
EMAILS = Counter(
    "bitcart_emails",
    "Customer email attempts, by outcome (SUCCEEDED, RETRYING, FAILED).",
    ["status"],
)

DEPENDENCY_FAILURES = Counter(
    "bitcart_dependency_failures",
    "Operations that failed because PostgreSQL or Redis was not answering, by dependency.",
    ["dependency"],
)

QUEUES = {"main": "arq:queue", "customers": CUSTOMER_QUEUE}
# headers a proxy adds: a request that carries one came from elsewhere, whatever its peer
_FORWARDED = (b"x-forwarded-for", b"forwarded", b"x-real-ip")


def from_this_host(connection: HTTPConnection) -> bool:
    """A scraper on this host: a loopback peer, with nothing a proxy would have added."""
    peer = connection.client.host if connection.client else ""
    try:
        loopback = ip_address(peer).is_loopback
    except ValueError:
        return False
    return loopback and not any(
        name in _FORWARDED for name, _ in connection.scope.get("headers") or []
    )


async def render(redis: Any) -> tuple[bytes, str]:
    """The scrape: queue depths read now, then every metric in the text format."""
    if redis is not None:
        for name, key in QUEUES.items():
            QUEUE_DEPTH.labels(name).set(await redis.zcard(key))
    registry: CollectorRegistry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return generate_latest(registry), CONTENT_TYPE_LATEST
