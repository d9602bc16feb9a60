"""Bounds on what one request may ask for: depth, aliases and tokens (validation rules), the
query deadline, and the cost bound (app.schema.cost).

The validation rules are built once, so the validation cache (keyed by the rule classes)
serves repeated queries without validating them again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

from graphql import ASTValidationRule, GraphQLError
from graphql import ExecutionResult as GraphQLExecutionResult
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
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


class DocumentValidationCache(SchemaExtension):
    """Validate a parsed document once per schema and rules."""

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        assert document is not None  # parsed before it is validated
        schema = context.schema._schema
        key = (id(schema), id(document), context.validation_rules)
        found = _validated.get(key)
        if found is None or found[1] is not document:
            errors = validate_document(schema, document, context.validation_rules)
            if len(_validated) >= MAX_VALIDATED:
                _validated.clear()
            found = _validated[key] = (errors, document)
        context.pre_execution_errors = found[0]
        yield


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
        if "\x00" in query or "\\u0000" in query or _has_nul(context.variables):
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


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def validation_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    return [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]


def limits_extension(settings: Settings) -> Any:
    rules = validation_rules(settings)
    return lambda: AddValidationRules(rules)
