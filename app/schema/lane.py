"""The fast lane: a query whose text this process has already run through the whole pipeline.

A request's document is parsed, validated (depth, aliases, introspection) and its operation
picked the same way every time for the same text, so once the standard path has done that
and let the operation run (`Learn` sees it reach execution), the text is known: a POST of
it (or of the persisted-query hash that stands for it) goes from the ASGI receive straight
to execution and to bytes. What depends on the request is still done for each one: the
sign-in, the NUL and cost checks on its variables, the deadline, the log line's fields and
the metrics, error masking and the GraphQL-over-HTTP shaping (`GraphQLApp.process_result`).

Anything else (a new text, a mutation, a GET, an upload, a cost over the limit, a body
that is not plain JSON, an extension the lane does not know) is handed to the standard
path with the body read so far given back to it, so its answers are the standard ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
import structlog
from graphql import DocumentNode, GraphQLError, GraphQLSchema, execute
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from app import metrics, persisted
from app.schema import internals
from app.schema.cost import estimated, estimator_for, operation_label, root_label
from app.schema.failures import MaskInternalErrors, rewrite_unavailable
from app.schema.limits import cacheable
from app.schema.limits import has_nul as has_nul  # the lane's NUL check is the standard's

Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Known:
    """A query text that passed parsing and validation under one schema."""

    document: DocumentNode
    operation_name: str | None  # the one run: the asked name, else the first operation's
    operation: str  # the log line's `operation`
    root: str  # and its `root`, the metrics' label
    cost_limit: int


# Known texts by schema, text and operation name; bounded like the other caches.
_KNOWN: dict[tuple[int, str, str | None], Known] = {}
MAX_KNOWN = 1024


def learner(cost_limit: int) -> Any:
    """The schema extension that marks the texts the standard path lets run."""

    class Learn(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if (
                document is not None
                and context.query is not None
                and context.operation_type is OperationType.QUERY
                and not context.pre_execution_errors
                and cacheable(context.query)  # a long text is not kept (limits.py)
                and "\x00" not in context.query
                and "\\u0000" not in context.query
            ):
                # by the name the client gave (None for a document of one operation)
                asked = internals.provided_operation_name(context)
                key = (id(context.schema._schema), context.query, asked)
                if key not in _KNOWN:
                    if len(_KNOWN) >= MAX_KNOWN:
                        _KNOWN.clear()
                    _KNOWN[key] = Known(
                        document,
                        # the operation the standard path ran: Strawberry runs a document's
                        # first operation when no name is asked for, of however many
                        context.operation_name,
                        operation_label(document, context.operation_name),
                        root_label(document, context.operation_name),
                        cost_limit,
                    )
            yield

    return Learn


def known(schema: GraphQLSchema, query: str, operation_name: str | None) -> Known | None:
    return _KNOWN.get((id(schema), query, operation_name))


@dataclass
class Request:
    """What the lane read of a request: its body's parts, or why it is not the lane's."""

    query: str
    variables: dict[str, Any]
    operation_name: str | None
    digest: str | None  # a persisted query asked for by hash alone


_PLAIN_KEYS = frozenset(("query", "variables", "operationName", "extensions"))


def read_body(body: bytes) -> Request | None:
    """The request a JSON body asks for, when it is a plain one the lane can take."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(payload) is not dict or not payload.keys() <= _PLAIN_KEYS:
        return None
    query = payload.get("query")
    variables = payload.get("variables")
    name = payload.get("operationName")
    extensions = payload.get("extensions")
    if variables is None:
        variables = {}
    if type(variables) is not dict or not (name is None or type(name) is str):
        return None
    if not (extensions is None or type(extensions) is dict):
        return None  # the standard path refuses it with a 400
    digest = None
    if extensions:
        try:
            digest = persisted.requested_hash(extensions)
        except persisted.Refused:
            return None
        if digest is None or query is not None or len(extensions) != 1:
            return None  # registering a text, or another extension: the standard path's
        return Request("", variables, name, digest)
    if type(query) is not str:
        return None
    return Request(query, variables, name, None)


def costed(schema: GraphQLSchema, found: Known, variables: dict[str, Any]) -> int | None:
    """The operation's cost bound for these variables; None when over the limit (the
    standard path refuses it, with its error)."""
    cost = estimated(estimator_for(schema), found.document, found.operation_name, variables)
    return None if cost > found.cost_limit else cost


def announce(found: Known, cost: int) -> None:
    """The log line's and the metrics' view of the operation, as QueryCost gives them."""
    structlog.contextvars.bind_contextvars(
        operation=found.operation, root=found.root, cost=cost, lane="fast"
    )
    metrics.QUERY_COST.observe(cost)
    metrics.FAST_LANE.inc()


async def run(
    schema: Any, found: Known, variables: dict[str, Any], context: Any, cost: int
) -> ExecutionResult:
    """Execute as Strawberry's schema does for an operation that passed its pipeline:
    graphql-core with the schema's execution context class, unexpected errors logged by the
    schema and masked, and the cost reported in `extensions`."""
    result: Any = execute(
        schema._schema,
        found.document,
        variable_values=variables,
        operation_name=found.operation_name,
        context_value=context,
        is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
        executor_class=schema.execution_context_class,
        operation_extensions=None,
    )
    if optimized_is_awaitable(result):
        result = await result
    errors: list[GraphQLError] | None = result.errors
    if errors:
        schema.process_errors(errors, None)
        # as the schema's extensions leave: ServiceUnavailable's rewrite, then the mask
        errors = _MASK._process_errors(rewrite_unavailable(errors))
    return ExecutionResult(
        data=result.data,
        errors=errors,
        extensions={"cost": {"requested": cost, "limit": found.cost_limit}},
    )


def _should_mask(error: GraphQLError) -> bool:
    from app.schema import should_mask  # the schema's own rule, which imports this module

    return should_mask(error)


_MASK = MaskInternalErrors(should_mask_error=_should_mask)


class Replay:
    """A receive that gives back the messages the lane read, then the client's own."""

    def __init__(self, messages: list[Message], receive: Any) -> None:
        self.messages = messages
        self.receive = receive

    async def __call__(self) -> Message:
        if self.messages:
            return self.messages.pop(0)
        message: Message = await self.receive()
        return message


async def read_all(receive: Any) -> tuple[bytes | None, list[Message]]:
    """The whole body and the messages it came in; no body when the client went away
    first."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), messages
