"""scripts/mutation leaves out only the mutants that change text a person reads: identifiers,
keys, columns, reason codes, statuses, field paths and SQL stay in its sample."""

from __future__ import annotations

import ast
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest


def _script() -> ModuleType:
    path = Path(__file__).resolve().parent.parent / "scripts" / "mutation.py"
    spec = importlib.util.spec_from_file_location("bitcart_mutation_script", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


mutation = _script()


@pytest.mark.parametrize(
    "text",
    [
        "Nothing to change: give add, change, remove or shippingCost.",
        "A non-negative amount with two decimals.",
        " have shipped; a line never drops below what was shipped.",
        "Only a PUBLIC note from the store is emailed to the customer.",
        "Order edited.",
        "webhook disabled after repeated failures",
    ],
)
def test_messages_are_prose(text: str) -> None:
    assert mutation.is_prose(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        ", ",
        "amount_paid",
        "payment_status",
        "subtotal",
        "quantity_shipped",
        "ORDER_EDITED",
        "shipmentId",
        "trackingNumber",
        "items",
        "shipment.created",
        "orderId",
        "input",
        "PAID",
        "UPDATE orders SET version = version + 1",
        "stock >= 0",
        "text/csv; charset=utf-8",
        "https://www.ups.com/track?tracknum={n}",
        "%Y-%m-%d %H:%M",
        "s10",
    ],
)
def test_identifiers_keys_codes_paths_and_sql_are_not(text: str) -> None:
    assert not mutation.is_prose(text)


def _function(source: str) -> ast.FunctionDef:
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.FunctionDef)
    return node


def test_changed_strings_names_what_a_string_mutant_changes() -> None:
    original = _function('def f(p):\n    p.add(["note"], "At most a few characters.")\n')
    key = _function('def f(p):\n    p.add(["XXnoteXX"], "At most a few characters.")\n')
    words = _function('def f(p):\n    p.add(["note"], "XXAt most a few characters.XX")\n')
    code = _function('def f(p):\n    p.remove(["note"], "At most a few characters.")\n')
    assert mutation.changed_strings(original, key) == ["note"]
    assert mutation.changed_strings(original, words) == ["At most a few characters."]
    assert mutation.changed_strings(original, code) is None  # more than a string changed
