"""Expected errors as schema types; query-level failures carry a code extension."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

from app.schema.cost import most
from app.schema.ids import from_global_id
from app.services.errors import DomainError
from app.services.errors import ErrorCode as DomainErrorCode
from app.services.ratelimit import RateLimited

strawberry.enum(DomainErrorCode, name="ErrorCode")
ErrorCode = DomainErrorCode


# One answer lists at most this many problems; a field path has at most this many parts.
MAX_ERRORS = 100
MAX_FIELD_PATH = 8


@strawberry.type
class UserError:
    code: ErrorCode
    message: str
    field: list[str] | None = strawberry.field(default=None, directives=[most(MAX_FIELD_PATH)])


def error_list() -> Any:
    """A payload's `errors` field: empty on success."""
    return strawberry.field(default_factory=list, directives=[most(MAX_ERRORS)])


def user_errors(error: DomainError) -> list[UserError]:
    return [
        UserError(
            code=i.code,
            message=i.message,
            field=list(i.field)[:MAX_FIELD_PATH] if i.field else None,
        )
        for i in error.issues[:MAX_ERRORS]
    ]


class QueryError(GraphQLError):
    """An expected failure of a query (bad cursor, page too large): shown, never masked."""

    def __init__(self, error: DomainError) -> None:
        issue = error.issues[0]
        extensions: dict[str, object] = {"code": issue.code.value}
        if issue.field:
            extensions["field"] = list(issue.field)
        if isinstance(error, RateLimited):
            extensions["retryAfter"] = error.retry_after
        super().__init__(issue.message, extensions=extensions)


T = TypeVar("T")


async def query(action: Awaitable[T]) -> T:
    """Await a service read, turning a refusal into a coded GraphQL error."""
    try:
        return await action
    except DomainError as exc:
        raise QueryError(exc) from None


def guarded(action: Callable[[], T]) -> T:
    try:
        return action()
    except DomainError as exc:
        raise QueryError(exc) from None


async def node(
    type_name: str, global_id: str, fetch: Callable[[int], Awaitable[T | None]]
) -> T | None:
    """One object by global id for a query: null when the id is malformed, missing or not
    the viewer's, so ids cannot be probed; refusals (anonymous, no permission) are errors."""
    try:
        pk = from_global_id(type_name, global_id)
    except DomainError:
        return None
    return await query(fetch(pk))
