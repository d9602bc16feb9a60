"""The console's own checks, run by the suite so CI runs them: its Vitest tests, its types,
generated documents that match schema.graphql, and the initial JavaScript budget."""

from __future__ import annotations

import json

import pytest

from tests.console_harness import build_console, run_in_console

# Node.js tools over the console: `scripts/test --all` and CI run them
pytestmark = pytest.mark.heavy


def _passes(*command: str, timeout: float = 300) -> str:
    done = run_in_console(*command, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_generated_documents_match_the_schema() -> None:
    assert "up to date" in _passes("node", "scripts/codegen-check.mjs")


def test_the_console_type_checks() -> None:
    _passes("npx", "--no-install", "tsc", "--noEmit", "-p", ".")


def test_the_console_unit_tests_pass() -> None:
    # about 3 minutes on a 2-core machine under other work; the whole run may take longer
    out = _passes("npx", "--no-install", "vitest", "run", "--reporter=dot", timeout=900)
    assert " passed" in out
    assert "failed" not in out.replace("0 failed", "")


def test_the_first_visit_downloads_at_most_200_kb_of_javascript() -> None:
    dist = build_console()
    report = json.loads(_passes("node", "scripts/size.mjs", str(dist)))
    assert report["files"], "no entry chunk found"
    assert report["gzippedBytes"] <= 200 * 1024, report
