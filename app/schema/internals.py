"""What the fast path (app/schema/fast.py, compiled.py, lane.py) uses of strawberry and
graphql-core beyond their documented API, in one place.

Each name here is one those libraries mark private (a leading underscore, or graphql-core's
`:meta private:`), or one Strawberry does not document. They are read only through this
module, and tests/test_internals.py checks every one of them against the versions below: an
upgrade of either library fails that test, naming what to check, before it can change an
answer (the sameness check, tests/sameness.py, then holds both paths to graphql-core).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLField, GraphQLObjectType, GraphQLResolveInfo
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.field import StrawberryField
from strawberry.types.info import Info

# The versions these internals were read in (pyproject.toml bounds them too).
CHECKED = {"graphql-core": "3.3.2", "strawberry-graphql": "0.341.2"}

# graphql-core's execution context class as Strawberry subclasses it
ExecutionContext = StrawberryGraphQLCoreExecutionContext
# Strawberry's key, in a GraphQL field's `extensions`, of the StrawberryField it came from
_DEFINITION = GraphQLCoreConverter.DEFINITION_BACKREF

__all__ = [
    "CHECKED",
    "ExecutionContext",
    "collect_subfields",
    "convert_arguments",
    "definition",
    "field_info",
    "provided_operation_name",
    "resolve_info",
    "withdraw_errors",
]


def definition(field_def: GraphQLField | None) -> StrawberryField | None:
    """The StrawberryField a GraphQL field was made from (None: not Strawberry's)."""
    if field_def is None or not field_def.extensions:
        return None
    found: StrawberryField | None = field_def.extensions.get(_DEFINITION)
    return found


def collect_subfields(execution: Any, type_: GraphQLObjectType, details: Any) -> Any:
    """The selection on `type_` of fields `details` (fragments, @include/@skip with this
    request's variables), as graphql-core collects it: its own memoized method."""
    return execution.collect_subfields(type_, details)


def resolve_info(
    execution: Any,
    field_def: GraphQLField,
    details: Any,
    parent_type: GraphQLObjectType,
    path: Path,
) -> GraphQLResolveInfo[Any]:
    """The GraphQLResolveInfo graphql-core gives a field's resolver at `path`."""
    info: GraphQLResolveInfo[Any] = execution.build_resolve_info(
        field_def, [d.node for d in details], parent_type, path
    )
    return info


def field_info(raw: GraphQLResolveInfo[Any], field: StrawberryField) -> Info[Any, Any]:
    """Strawberry's Info for a field's resolver, made as its resolver wrapper makes it."""
    return Info(_raw_info=raw, _field=field)


def withdraw_errors(execution: Any, added: list[tuple[Any, Any]]) -> None:
    """Takes back errors added to the execution's collected errors (error, path)."""
    for error, path in added:
        execution.collected_errors._errors.remove(error)
        execution.collected_errors._error_positions.discard(path)


def provided_operation_name(context: Any) -> str | None:
    """The operation name the client sent (None for a document of one operation), as
    Strawberry's ExecutionContext keeps it."""
    name: str | None = context._provided_operation_name
    return name
