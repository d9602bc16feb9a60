"""Bounds on what one request may ask for: depth, aliases, tokens and estimated cost.

The validation rules are built once, so the validation cache (keyed by the rule classes)
serves repeated queries without validating them again.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ASTValidationRule,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import AddValidationRules, MaxAliasesLimiter, QueryDepthLimiter

from app.services.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from app.settings import Settings

# List fields that are not connections, and how many rows each may hold per parent.
LIST_FIELDS = {"items": 20, "shipments": 5, "returns": 5, "documents": 5, "rows": 20}


def _is_connection(field: FieldNode) -> bool:
    selections = field.selection_set.selections if field.selection_set else ()
    return any(isinstance(s, FieldNode) and s.name.value == "edges" for s in selections)


def _page_size(field: FieldNode) -> int | None:
    """The rows a connection field may return, when it is one (first/last or the default)."""
    names = {arg.name.value: arg.value for arg in field.arguments or ()}
    for name in ("first", "last"):
        value = names.get(name)
        if isinstance(value, IntValueNode):
            return max(1, min(int(value.value), MAX_PAGE_SIZE))
        if value is not None:  # a variable: assume the most it may be
            return MAX_PAGE_SIZE
    return None


def estimate_cost(
    selection_set: SelectionSetNode | None,
    context: ValidationContext,
    multiplier: int,
    seen: frozenset[str] = frozenset(),
) -> int:
    """Roughly the number of objects resolved: each field times the rows of its parents."""
    if selection_set is None:
        return 0
    cost = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set is None or selection.name.value.startswith("__"):
                continue
            name = selection.name.value
            rows = _page_size(selection)
            if rows is None:
                rows = DEFAULT_PAGE_SIZE if _is_connection(selection) else LIST_FIELDS.get(name, 1)
            cost += multiplier * rows
            cost += estimate_cost(selection.selection_set, context, multiplier * rows, seen)
        elif isinstance(selection, InlineFragmentNode):
            cost += estimate_cost(selection.selection_set, context, multiplier, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = context.get_fragment(name)
            if fragment is not None and name not in seen:
                cost += estimate_cost(fragment.selection_set, context, multiplier, seen | {name})
    return cost


def cost_rule(max_cost: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            cost = estimate_cost(node.selection_set, self.context, 1)
            if cost > max_cost:
                self.report_error(
                    GraphQLError(
                        f"This query may resolve about {cost} objects; the limit is {max_cost}."
                        " Ask for smaller pages or fewer nested lists.",
                        node,
                        extensions={"code": "QUERY_TOO_COSTLY", "cost": cost},
                    )
                )

    return CostLimit


def validation_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    return [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        cost_rule(settings.max_query_cost),
    ]


def limits_extension(settings: Settings) -> Any:
    rules = validation_rules(settings)
    return lambda: AddValidationRules(rules)
