"""The reference for the fast execution path (app/schema/fast.py): the same operation run
through graphql-core alone, for the same viewer, with the answer shaped as the HTTP layer
shapes it. Every query the tests send through `GraphQLClient` is checked against it."""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import replace
from functools import cache
from typing import Any

import orjson
import strawberry
from graphql import OperationDefinitionNode, OperationType, parse
from graphql.error import GraphQLSyntaxError
from strawberry.http import process_result

from app.schema import build_schema
from app.schema.context import Context
from app.services.auth import viewer_from_token
from app.settings import get_settings

# Off while a test counts SQL statements: the reference run would count twice. Off for a
# whole run with BITCART_SAMENESS=0 (mutation testing: the rules, not the two paths).
checking: ContextVar[bool] = ContextVar(
    "bitcart_sameness_checking", default=os.environ.get("BITCART_SAMENESS", "1") != "0"
)


@cache
def reference_schema() -> strawberry.Schema:
    return build_schema(replace(get_settings(), fast_execution=False))


def is_query(document: str, operation_name: str | None = None) -> bool:
    try:
        parsed = parse(document)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in parsed.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [
        o
        for o in operations
        if operation_name is None or (o.name and o.name.value == operation_name)
    ]
    return len(chosen) == 1 and chosen[0].operation is OperationType.QUERY


async def reference(
    app: Any, document: str, variables: dict[str, Any] | None, token: str | None
) -> dict[str, Any]:
    """{data, errors} as graphql-core alone answers. No Redis: a reference run must not
    count against the rate limits the real request already counted against."""
    # the served endpoint's settings, as a test may have changed them (app_settings)
    endpoint = next(route.endpoint for route in app.routes if route.path == "/graphql")
    settings = endpoint.settings
    context = Context(
        viewer=await viewer_from_token(token, settings.secret_key),
        settings=settings,
        renderer=app.state.renderer,
        storage=app.state.storage,
    )
    result = await reference_schema().execute(
        document, variable_values=variables, context_value=context
    )
    answer = dict(process_result(result))
    answer.pop("extensions", None)
    return answer


# Answers made around execution, by the HTTP layer (a deadline, a response too large) or by
# Redis (a rate limit), which a reference run has no part in.
AROUND_EXECUTION = {"TIMEOUT", "RESPONSE_TOO_LARGE", "RATE_LIMITED"}


def comparable(served: dict[str, Any]) -> bool:
    codes = {(e.get("extensions") or {}).get("code") for e in served.get("errors") or ()}
    return not codes & AROUND_EXECUTION


def same(served: dict[str, Any], expected: dict[str, Any]) -> bool:
    """Byte-identical once written as JSON (orjson keeps the order of keys), but for what
    graphql-core itself leaves to timing: the order of the errors of fields resolved
    concurrently, and which errors inside a subtree already nulled by another error's
    propagation are reported (it cancels the subtree's pending fields). Those are compared
    as the set of subtrees nulled; every other error exactly, with its message, path,
    locations and extensions."""
    answer = {k: v for k, v in served.items() if k != "extensions"}
    return orjson.dumps(canonical(answer)) == orjson.dumps(canonical(expected))


def canonical(body: dict[str, Any]) -> dict[str, Any]:
    """The answer with its errors in one order and those inside a nulled subtree reduced
    to that subtree's path (see `same`)."""
    errors = body.get("errors")
    if not errors:
        return body
    data = body.get("data")
    own: list[str] = []
    nulled: set[tuple[Any, ...]] = set()
    for error in errors:
        inside = _nulled_above(data, error.get("path") or [])
        if inside is None:
            own.append(orjson.dumps(error).decode())
        else:
            nulled.add(inside)
    return {**body, "errors": sorted(own), "nulled": sorted(map(list, nulled), key=repr)}


def _nulled_above(data: Any, path: list[Any]) -> tuple[Any, ...] | None:
    """The path of the nearest null strictly above an error's field (where its error, or
    another's, propagated to), or None when the field's parent is in the answer."""
    here = data
    for depth, key in enumerate(path):
        if here is None:
            return tuple(path[:depth])
        present = (isinstance(here, dict) and key in here) or (
            isinstance(here, list) and isinstance(key, int) and 0 <= key < len(here)
        )
        if not present:
            return None  # not in the answer at all: compared as it is
        here = here[key]
    return None
