"""The benchmarks under bench/ import the app inside their functions (after they set up a
scratch database), so a renamed name only shows when someone runs one: the refactor of the
job registry left bench/staff_priority.py importing a name that was gone. Every name a
benchmark imports from the app or from bench/ must exist."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def imported_names(path: Path) -> list[tuple[str, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] in {"app", "bench"}:
                found += [(node.module, alias.name) for alias in node.names]
        elif isinstance(node, ast.Import):
            found += [(a.name, "") for a in node.names if a.name.split(".")[0] == "app"]
    return found


@pytest.mark.parametrize("path", sorted(BENCH.glob("*.py")), ids=lambda p: p.name)
def test_every_name_a_benchmark_imports_exists(path: Path) -> None:
    missing = []
    for module, name in imported_names(path):
        loaded = importlib.import_module(module)
        if name and not hasattr(loaded, name):
            try:  # a submodule: `from app.services import outbox`
                importlib.import_module(f"{module}.{name}")
            except ModuleNotFoundError:
                missing.append(f"{module}.{name}")
    assert missing == []
