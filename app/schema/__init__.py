"""The GraphQL schema, built once at import."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from app import outage
from app.schema.cost import cost_extension
from app.schema.failures import MaskInternalErrors, ServiceUnavailable
from app.schema.fast import FastExecutionContext
from app.schema.lane import learner
from app.schema.limits import (
    BoundedParserCache,
    QueryDeadline,
    RefuseNul,
    document_bounds,
    limits_extension,
)
from app.schema.mutations.accounts import AccountMutations
from app.schema.mutations.cancellation import CancellationMutations
from app.schema.mutations.catalog import CatalogMutations
from app.schema.mutations.fulfilment import FulfilmentMutations
from app.schema.mutations.orders import OrderMutations
from app.schema.mutations.payments import PaymentMutations
from app.schema.mutations.returns import ReturnMutations
from app.schema.mutations.staff import StaffMutations
from app.schema.mutations.webhooks import WebhookMutations
from app.schema.mutations.workers import WorkerMutations
from app.schema.queries import Query
from app.schema.subscriptions import Subscription
from app.settings import Settings, get_settings


@strawberry.type
class Mutation(
    AccountMutations,
    CatalogMutations,
    OrderMutations,
    PaymentMutations,
    FulfilmentMutations,
    ReturnMutations,
    CancellationMutations,
    WorkerMutations,
    WebhookMutations,
    StaffMutations,
):
    pass


def should_mask(error: GraphQLError) -> bool:
    """Hide unexpected failures; let validation, permission and coded errors through."""
    return not is_expected(error) and not get_settings().debug


def is_expected(error: GraphQLError) -> bool:
    return error.original_error is None or isinstance(error.original_error, GraphQLError)


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log only the unexpected: a refused query is the client's business, not a fault,
        and a dependency that is down is its outage's (noticed once, not a traceback here)."""
        unexpected = []
        for error in errors:
            if is_expected(error):
                continue
            dependency = outage.dependency_of(error.original_error)
            if dependency is None:
                unexpected.append(error)
            else:
                outage.OUTAGES.noticed(dependency, error.original_error)
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(
    settings: Settings | None = None, *, introspection: bool = True
) -> strawberry.Schema:
    settings = settings or get_settings()
    closed: list[Any] = [] if introspection else [DisableIntrospection]
    return Schema(
        execution_context_class=FastExecutionContext if settings.fast_execution else None,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            limits_extension(settings),
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
            BoundedParserCache,
            document_bounds(settings),
            cost_extension(settings.max_query_cost),
            QueryDeadline,
            RefuseNul,
            lambda: MaskInternalErrors(should_mask_error=should_mask),
            ServiceUnavailable,
            *closed,
            # the texts that reach execution, for the fast lane (app/schema/lane.py)
            *([learner(settings.max_query_cost)] if settings.fast_execution else []),
        ],
    )


schema = build_schema()
