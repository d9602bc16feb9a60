"""Bounds on what one request may ask for: the document's size once its fragments are
expanded (checked first), depth, aliases and tokens (validation rules), the query deadline,
and the cost bound (app.schema.cost).

The validation rules are built once, so the validation cache (keyed by the rule classes)
serves repeated queries without validating them again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.validation.rules import overlapping_fields_can_be_merged
from graphql.validation.validate import ValidationAbortedError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.schema.schema import validate_document
from strawberry.types.graphql import OperationType

from app.settings import Settings

# Validation results by schema, document and rules. Strawberry's ValidationCache keys an
# lru_cache on the document itself, whose hash walks every node and location of it on each
# request; the document ParserCache keeps per query text is the same object each time, so
# here it is looked up by identity (and kept alive with its result, so its id stands for it).
_validated: dict[tuple[int, int, Any], tuple[list[GraphQLError], Any]] = {}
MAX_VALIDATED = 1024

# The work graphql-core may spend merging fields of the same name (its default, 500,000,
# let 700 copies of `shippingMethods { code }` take a second); realistic documents, the
# introspection query included, spend next to none of it.
overlapping_fields_can_be_merged.MAX_COMPLEXITY_BUDGET = 20_000


# Query texts longer than this are parsed, validated and costed for each request and never
# kept: the caches hold 128 to 1,024 documents each, and a guest's texts of one 900 KB
# string literal kept about 2 MB apiece (150 of them: +290 MB) until the process ran out.
MAX_CACHED_QUERY_CHARS = 20_000


def cacheable(query: str | None) -> bool:
    return query is not None and len(query) <= MAX_CACHED_QUERY_CHARS


class BoundedParserCache(ParserCache):
    """Strawberry's ParserCache, for the texts worth keeping (see MAX_CACHED_QUERY_CHARS)."""

    def on_parse(self) -> Iterator[None]:
        if cacheable(self.execution_context.query):
            yield from super().on_parse()
        else:
            yield  # Strawberry parses it, uncached


# The fields that walk the schema: each is a whole walk, however often it is aliased.
SCHEMA_READS = frozenset({"__schema", "__type"})


def expanded_selections(document: DocumentNode, limit: int) -> tuple[int, int]:
    """How many selections the document's operations hold with every fragment spread
    written out, and how many of them read the schema (`__schema`, `__type`). Each fragment
    is counted once (memoised), so a fragment spread thrice by one spread thrice by another
    costs three plus three, not nine. Counting stops past `limit`."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    tallies: dict[str, tuple[int, int]] = {}

    def tally(selection_set: SelectionSetNode, entered: frozenset[str]) -> tuple[int, int]:
        total, reads = 0, 0
        for selection in selection_set.selections:
            total += 1
            inner = (0, 0)
            if isinstance(selection, FragmentSpreadNode):
                inner = fragment_tally(selection.name.value, entered)
            elif isinstance(selection, FieldNode | InlineFragmentNode):
                if isinstance(selection, FieldNode) and selection.name.value in SCHEMA_READS:
                    reads += 1
                if selection.selection_set is not None:
                    inner = tally(selection.selection_set, entered)
            total, reads = total + inner[0], reads + inner[1]
            if total > limit:
                break
        return total, reads

    def fragment_tally(name: str, entered: frozenset[str]) -> tuple[int, int]:
        if name not in tallies:
            fragment = fragments.get(name)
            if fragment is None or name in entered:
                return 0, 0  # unknown or cyclic: validation says so
            tallies[name] = tally(fragment.selection_set, entered | {name})
        return tallies[name]

    total, reads = 0, 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and total <= limit:
            inner = tally(definition.selection_set, frozenset())
            total, reads = total + inner[0], reads + inner[1]
    return total, reads


def too_large(limit: int) -> GraphQLError:
    return GraphQLError(
        f"This query holds more than {limit} selections once its fragments are written out "
        "(or repeats one field too often to check). Spread fewer fragments and ask for less "
        "in one request.",
        extensions={"code": "QUERY_TOO_LARGE"},
    )


def document_errors(schema: Any, document: DocumentNode, rules: Any, limit: int) -> list[Any]:
    """The document's size bound, then validation; graphql-core's own abort (its merge work
    spent) is answered as the size bound is."""
    selections, schema_reads = expanded_selections(document, limit)
    if selections > limit:
        return [too_large(limit)]
    if schema_reads > 1:
        return [
            GraphQLError(
                "An operation reads the schema (__schema or __type) once; ask for the rest in "
                "another request.",
                extensions={"code": "QUERY_TOO_LARGE"},
            )
        ]
    errors = validate_document(schema, document, rules)
    # not the error-count abort ("Too many validation errors…"): that one lists the errors
    if any(
        isinstance(e, ValidationAbortedError) and e.message == "Validation aborted." for e in errors
    ):
        return [too_large(limit)]
    return errors


class DocumentValidationCache(SchemaExtension):
    """Bound and validate a parsed document once per schema and rules."""

    max_selections = 3000

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # parsed before it is validated
        schema = context.schema._schema
        key = (id(schema), id(document), context.validation_rules)
        found = _validated.get(key)
        if found is None or found[1] is not document:
            rules = context.validation_rules
            errors = document_errors(schema, document, rules, self.max_selections)
            if not cacheable(context.query):
                context.pre_execution_errors = errors
                yield
                return
            if len(_validated) >= MAX_VALIDATED:
                _validated.clear()
            found = _validated[key] = (errors, document)
        context.pre_execution_errors = found[0]
        yield


def document_bounds(settings: Settings) -> type[DocumentValidationCache]:
    """The validation cache, with the settings' bound on expanded selections."""

    class Bounded(DocumentValidationCache):
        max_selections = settings.max_query_selections

    return Bounded


class QueryDeadline(SchemaExtension):
    """Queries run within the request deadline; past it they are cancelled (TIMEOUT).

    Mutations are left to finish: they are bounded by their input sizes, and cancelling one
    inside its transaction could leave the database connection locked.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        request = context.context
        deadline = getattr(request, "deadline", None)
        if deadline is not None and context.operation_type is OperationType.QUERY:
            seconds = request.settings.request_timeout_seconds
            deadline.reschedule(asyncio.get_running_loop().time() + seconds)
        yield


class RefuseNul(SchemaExtension):
    """NUL characters in a document or its variables are refused before anything runs:
    PostgreSQL cannot store them in text, and no shop text has them."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query or ""
        if "\x00" in query or "\\u0000" in query or has_nul(context.variables):
            context.result = GraphQLExecutionResult(
                data=None,
                errors=[
                    GraphQLError(
                        "Text cannot contain NUL characters.",
                        extensions={"code": "INVALID_INPUT"},
                    )
                ],
            )
        yield


def has_nul(value: object) -> bool:
    """A NUL in any text of a JSON value, however deeply nested (walked with a stack, not
    recursion: 500 nested lists in a variable made a RecursionError, and in the fast lane a
    500)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def validation_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    return [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]


def limits_extension(settings: Settings) -> Any:
    rules = validation_rules(settings)
    return lambda: AddValidationRules(rules)
