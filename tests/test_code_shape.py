"""Short functions (issue 25): nothing in app/ over 60 lines or above radon grade C
(cyclomatic complexity 20), so each does one job a reader can follow."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from radon.complexity import cc_rank, cc_visit

APP = Path(__file__).resolve().parent.parent / "app"
MOST_LINES = 60


def modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def test_no_function_is_longer_than_sixty_lines() -> None:
    long = []
    for path in modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                lines = node.end_lineno - node.lineno + 1
                if lines > MOST_LINES:
                    long.append(f"{path.relative_to(APP)}:{node.lineno} {node.name} {lines}")
    assert long == []


def blocks(found: list[Any]) -> list[Any]:
    """radon's blocks with the methods of classes and the closures of functions, as
    `radon cc` lists them."""
    flat: list[Any] = []
    for block in found:
        flat.append(block)
        flat += blocks(getattr(block, "methods", []) + getattr(block, "closures", []))
    return flat


def test_no_function_is_above_radon_grade_c() -> None:
    complex_ = [
        f"{path.relative_to(APP)}:{block.lineno} {block.name} {cc_rank(block.complexity)}"
        for path in modules()
        for block in blocks(cc_visit(path.read_text()))
        if cc_rank(block.complexity) > "C"
    ]
    assert complex_ == []
