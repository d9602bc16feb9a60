"""What a client is told when something fails that it did not cause.

- A dependency that is down (PostgreSQL, Redis) is SERVICE_UNAVAILABLE with `retryAfter`:
  the client should try again shortly, and the HTTP layer answers 503 with Retry-After.
- Anything else unexpected is masked ("Unexpected error.") and coded INTERNAL_SERVER_ERROR,
  so it is counted and alerted on as what it is, never as a validation failure.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import MaskErrors, SchemaExtension

from app import outage

INTERNAL = "INTERNAL_SERVER_ERROR"


class MaskInternalErrors(MaskErrors):
    """Strawberry's MaskErrors, with the masked error keeping a code of its own."""

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            original_error=None,
            extensions={"code": INTERNAL},
        )


def unavailable_error(error: GraphQLError, dependency: str) -> GraphQLError:
    return GraphQLError(
        outage.message_for(dependency),
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions={"code": outage.CODE, "retryAfter": outage.RETRY_AFTER_SECONDS},
    )


class ServiceUnavailable(SchemaExtension):
    """Errors caused by a dependency that is down become SERVICE_UNAVAILABLE. Listed after
    MaskErrors, so it sees them first (extensions leave in reverse order)."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = rewrite_unavailable(errors)  # type: ignore[union-attr]


def rewrite_unavailable(errors: list[GraphQLError]) -> list[GraphQLError]:
    """Each error a dependency that is down caused, as SERVICE_UNAVAILABLE; others as they are."""
    rewritten = []
    for error in errors:
        dependency = outage.dependency_of(error.original_error)
        rewritten.append(error if dependency is None else unavailable_error(error, dependency))
    return rewritten


def is_unavailable(error: GraphQLError) -> bool:
    return (error.extensions or {}).get("code") == outage.CODE
