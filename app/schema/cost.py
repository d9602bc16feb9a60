"""Query cost: a true upper bound on the objects a request resolves, read from the schema.

Every list field declares its maximum with `@listSize` (after the GraphQL cost directives
draft): `assumedSize` for a list its resolver never lets grow past that, or
`slicingArguments` + `sizedFields` for a connection, whose `edges` hold at most the page
asked for. The estimate multiplies each object field by the rows of the lists above it,
through fragments too, using the request's variables, so it is known before anything runs.
A test fails for any list field that declares no maximum.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import strawberry
import structlog
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.schema_directive import Location

from app import metrics
from app.schema.limits import MAX_CACHED_QUERY_CHARS
from app.services.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="listSize",
    description="The most rows this list field returns, used to bound a query's cost.",
)
class ListSize:
    # unset arguments are left out of the printed schema
    assumed_size: int | None = strawberry.UNSET
    slicing_arguments: list[str] | None = strawberry.UNSET
    sized_fields: list[str] | None = strawberry.UNSET


def most(rows: int) -> ListSize:
    """A list whose resolver never returns more than `rows` items."""
    return ListSize(assumed_size=rows)


# A connection: `edges` holds at most `first`/`last` rows (the default page when neither).
PAGED = ListSize(
    assumed_size=DEFAULT_PAGE_SIZE, slicing_arguments=["first", "last"], sized_fields=["edges"]
)


def declared_sizes(schema: GraphQLSchema) -> dict[tuple[str, str], ListSize]:
    """Every field's @listSize, keyed by (type name, field name)."""
    sizes: dict[tuple[str, str], ListSize] = {}
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = (field.extensions or {}).get("strawberry-definition")
            for directive in getattr(definition, "directives", None) or ():
                if isinstance(directive, ListSize):
                    sizes[type_name, field_name] = directive
    return sizes


def unbounded_lists(schema: GraphQLSchema) -> list[str]:
    """List fields with no declared maximum (neither their own nor from a connection)."""
    sizes = declared_sizes(schema)
    sized_by_parent = {
        (get_named_type(schema.type_map[t].fields[f].type).name, child)  # type: ignore[attr-defined]
        for (t, f), size in sizes.items()
        for child in size.sized_fields or ()
    }
    missing = []
    for type_name, graphql_type in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType
        ):
            continue
        for field_name, field in graphql_type.fields.items():
            if not is_list_type(get_nullable_type(field.type)):
                continue
            size = sizes.get((type_name, field_name))
            if (size is None or not size.assumed_size) and (
                type_name,
                field_name,
            ) not in sized_by_parent:
                missing.append(f"{type_name}.{field_name}")
    return missing


@dataclass
class CostEstimator:
    """Walks one operation; `estimate` is the bound on objects it can resolve."""

    schema: GraphQLSchema
    sizes: Mapping[tuple[str, str], ListSize]

    def estimate(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
    ) -> int:
        operation = get_operation_ast(document, operation_name)
        if operation is None:
            return 0
        root = self.schema.get_root_type(operation.operation)
        if root is None:
            return 0
        walk = _Walk(self, document, operation, variables or {})
        return walk.cost(root, operation.selection_set, 1, {}, frozenset())


class _Walk:
    def __init__(
        self,
        estimator: CostEstimator,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = estimator.schema
        self.sizes = estimator.sizes
        self.fragments = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = dict(variables)
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            if name not in self.variables and isinstance(definition.default_value, IntValueNode):
                self.variables[name] = int(definition.default_value.value)

    def cost(
        self,
        parent: GraphQLNamedType,
        selection_set: SelectionSetNode | None,
        multiplier: int,
        sized: Mapping[str, int],
        seen: frozenset[str],
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self.field_cost(parent, selection, multiplier, sized, seen)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                total += self.cost(
                    inner or parent, selection.selection_set, multiplier, sized, seen
                )
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in seen:
                    continue
                inner = self.schema.get_type(fragment.type_condition.name.value)
                total += self.cost(
                    inner or parent, fragment.selection_set, multiplier, sized, seen | {name}
                )
        return total

    def field_cost(
        self,
        parent: GraphQLNamedType,
        node: FieldNode,
        multiplier: int,
        sized: Mapping[str, int],
        seen: frozenset[str],
    ) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        field = parent.fields.get(name)
        if field is None:
            return 0
        target = get_named_type(field.type)
        if not is_composite_type(target):
            return 0  # scalars and enums are paid for by the object that holds them
        size = self.sizes.get((parent.name, name))
        rows = 1
        if is_list_type(get_nullable_type(field.type)):
            rows = sized.get(name) or (size.assumed_size if size else None) or MAX_PAGE_SIZE
        inner_sized: dict[str, int] = {}
        if size is not None and size.slicing_arguments:
            page = self.page_size(node, size)
            inner_sized = dict.fromkeys(size.sized_fields or (), page)
        return multiplier * rows + self.cost(
            target, node.selection_set, multiplier * rows, inner_sized, seen
        )

    def page_size(self, node: FieldNode, size: ListSize) -> int:
        """The rows a slicing argument asks for (literal or variable), capped at a page."""
        given = {arg.name.value: arg.value for arg in node.arguments or ()}
        for argument in size.slicing_arguments or ():
            value = given.get(argument)
            if value is None:
                continue
            if isinstance(value, IntValueNode):
                return max(1, min(int(value.value), MAX_PAGE_SIZE))
            if isinstance(value, VariableNode):
                bound = self.variables.get(value.name.value)
                if bound is None:
                    continue
                if isinstance(bound, int) and not isinstance(bound, bool):
                    return max(1, min(bound, MAX_PAGE_SIZE))
            return MAX_PAGE_SIZE
        return size.assumed_size or DEFAULT_PAGE_SIZE


_estimators: dict[int, CostEstimator] = {}

# Estimates by document (the parsed document ParserCache keeps per query text: kept alive
# here too, so its id stands for it), operation and what the slicing arguments can read of
# the variables: an Int's value, a null, or anything else (a whole page).
_estimates: dict[tuple[Any, ...], tuple[int, DocumentNode]] = {}
MAX_ESTIMATES = 1024
MAX_VARIABLE_NAME = 100


def estimated(
    estimator: CostEstimator,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any],
) -> int:
    """estimator.estimate, computed once per document, operation and page sizes."""
    read = tuple(
        sorted(
            (k, v if type(v) is int else "null" if v is None else "other")
            for k, v in variables.items()
        )
    )
    key = (id(estimator), id(document), operation_name, read)
    found = _estimates.get(key)
    if found is not None and found[1] is document:
        return found[0]
    cost = estimator.estimate(document, operation_name, variables)
    # a long text, or variables named at length (any names, declared or not, are the key),
    # is estimated each time, not kept (MAX_CACHED_QUERY_CHARS in app/schema/limits.py)
    if (document.loc is not None and document.loc.end > MAX_CACHED_QUERY_CHARS) or any(
        len(name) > MAX_VARIABLE_NAME for name in variables
    ):
        return cost
    if len(_estimates) >= MAX_ESTIMATES:
        _estimates.clear()
    _estimates[key] = (cost, document)
    return cost


def estimator_for(schema: GraphQLSchema) -> CostEstimator:
    """One estimator per schema, its sizes read once."""
    estimator = _estimators.get(id(schema))
    if estimator is None or estimator.schema is not schema:
        estimator = CostEstimator(schema, declared_sizes(schema))
        _estimators[id(schema)] = estimator
    return estimator


def cost_extension(limit: int) -> Any:
    """A factory for the per-request extension (strawberry wants classes or factories)."""

    class QueryCost(SchemaExtension):
        """Refuses an operation whose bound is over the limit before it runs, and reports
        `extensions.cost { requested limit }` on every response."""

        requested: int | None = None

        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None:
                estimator = estimator_for(context.schema._schema)
                variables = context.variables if isinstance(context.variables, dict) else {}
                self.requested = estimated(
                    estimator, context.graphql_document, context.operation_name, variables
                )
                # for the request's log line
                structlog.contextvars.bind_contextvars(
                    operation=operation_label(context.graphql_document, context.operation_name),
                    root=root_label(context.graphql_document, context.operation_name),
                    cost=self.requested,
                )
                metrics.QUERY_COST.observe(self.requested)
                if self.requested > limit:
                    context.result = GraphQLExecutionResult(
                        data=None,
                        errors=[
                            GraphQLError(
                                f"This query may resolve up to {self.requested} objects; the "
                                f"limit is {limit}. Ask for smaller pages or fewer nested lists.",
                                extensions={"code": "QUERY_TOO_COSTLY", "cost": self.requested},
                            )
                        ],
                    )
            yield

        def get_results(self) -> dict[str, Any]:
            if self.requested is None:
                return {}
            return {"cost": {"requested": self.requested, "limit": limit}}

    return QueryCost


def operation_label(document: DocumentNode, name: str | None) -> str:
    """'query Orders', 'mutation placeOrder' (an anonymous one by its first field)."""
    operation = get_operation_ast(document, name)
    if operation is None:
        return "unknown"
    label = operation.name.value if operation.name else _first_field(operation)
    return f"{operation.operation.value} {label}"


def root_label(document: DocumentNode, name: str | None) -> str:
    """'query orders', 'mutation placeOrder': the operation type and its first root field,
    which the schema bounds (a client names its operations as it likes)."""
    operation = get_operation_ast(document, name)
    if operation is None:
        return "unknown"
    return f"{operation.operation.value} {_first_field(operation)}"


def _first_field(operation: OperationDefinitionNode) -> str:
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            return selection.name.value
    return "anonymous"
