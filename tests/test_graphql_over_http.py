"""GraphQL over HTTP: application/graphql-response+json with the spec's status codes, and the
spec's own audit (graphql-http's serverAudits) passing every MUST and every SHOULD.

The audit needs Node.js and `npm ci` in tests/http_audit; without them it is skipped, unless
BITCART_REQUIRE_HTTP_AUDIT=1 (as in CI), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port, own_postgres_database, serve, wait_healthy

AUDIT = Path(__file__).parent / "http_audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"


async def test_graphql_response_json_is_negotiated(http: httpx.AsyncClient) -> None:
    accept = {"accept": f"{GRAPHQL_RESPONSE}, application/json"}
    ok = await http.post("/graphql", json={"query": "{ __typename }"}, headers=accept)
    assert (ok.status_code, ok.headers["content-type"]) == (
        200,
        f"{GRAPHQL_RESPONSE}; charset=utf-8",
    )
    for bad in ("{", "{ nope }"):  # unparsable, invalid: request errors
        refused = await http.post("/graphql", json={"query": bad}, headers=accept)
        assert refused.status_code == 400
        assert "data" not in refused.json()
    coerced = await http.post(
        "/graphql",
        json={
            "query": "query($n: Int) { orders(first: $n) { edges { cursor } } }",
            "variables": {"n": "x"},
        },
        headers=accept,
    )
    assert coerced.status_code == 400
    # a field error is still a 200 with data
    field = await http.post(
        "/graphql", json={"query": "{ orders(first: 1) { edges { cursor } } }"}, headers=accept
    )
    assert (field.status_code, field.json()["data"]) == (200, None)
    # clients asking for application/json keep the old contract
    legacy = await http.post("/graphql", json={"query": "{ nope }"})
    assert (legacy.status_code, legacy.headers["content-type"]) == (200, "application/json")


@pytest.mark.heavy  # Node.js and a served process: `scripts/test --all` and CI
def test_the_graphql_over_http_audit_passes(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (AUDIT / "node_modules" / "graphql-http").is_dir():
        if os.environ.get("BITCART_REQUIRE_HTTP_AUDIT") == "1":
            pytest.fail("the audit needs node and `npm ci` in tests/http_audit")
        pytest.skip("needs Node.js and `npm ci` in tests/http_audit (CI runs it)")
    # the run's PostgreSQL and Redis when it has them (CI's second run), else the defaults
    with ExitStack() as stack:
        env = {}
        if os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = stack.enter_context(own_postgres_database())
        results = _audit(node, tmp_path, env)
    assert len(results) >= 50
    failing = [f"{r['status']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert failing == []


def _audit(node: str, data_dir: Path, env: dict[str, str]) -> list[dict[str, str]]:
    """graphql-http's audit of a served process; its results."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = data_dir / "serve.log"
    process = serve(data_dir, port, keep_databases=bool(env), env=env, log_file=log)
    try:
        wait_healthy(url, process, log=log)
        audit = subprocess.run(
            [node, "audit.mjs", f"{url}/graphql"],
            cwd=AUDIT,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    finally:
        process.terminate()
        process.wait(30)
    results: list[dict[str, str]] = json.loads(audit.stdout)
    return results
