"""Short functions in the GraphQL layer and the read model: none over 60 lines, none above
radon's grade C (cyclomatic complexity 20), so each does one job a reader can follow."""

from __future__ import annotations

import ast
from pathlib import Path

from radon.complexity import cc_rank, cc_visit

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted([*(ROOT / "app" / "schema").rglob("*.py"), ROOT / "app" / "read_model.py"])
MOST_LINES = 60


def test_no_function_is_over_sixty_lines() -> None:
    long = []
    for path in FILES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MOST_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} {lines}")
    assert not long, long


def test_no_function_is_above_grade_c() -> None:
    complex_ = [
        f"{path.relative_to(ROOT)}:{block.lineno} {block.name} {cc_rank(block.complexity)}"
        f" {block.complexity}"
        for path in FILES
        for block in cc_visit(path.read_text())
        if cc_rank(block.complexity) not in "ABC"
    ]
    assert not complex_, complex_
