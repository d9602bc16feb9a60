"""The GraphQL schema, built once at import."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from app.schema.mutations.accounts import AccountMutations
from app.schema.mutations.catalog import CatalogMutations
from app.schema.mutations.orders import OrderMutations
from app.schema.queries import Query
from app.settings import get_settings


@strawberry.type
class Mutation(AccountMutations, CatalogMutations, OrderMutations):
    pass


def should_mask(error: GraphQLError) -> bool:
    """Hide unexpected failures; let validation, permission and coded errors through."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    return not get_settings().debug


def build_schema() -> strawberry.Schema:
    settings = get_settings()
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        config=StrawberryConfig(auto_camel_case=True),
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
            lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            ParserCache,
            ValidationCache,
            lambda: MaskErrors(should_mask_error=should_mask),
        ],
    )


schema = build_schema()
