"""The schema: every domain's queries and mutations, behind the abuse limits of the settings."""

from __future__ import annotations

from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
)
from strawberry.schema.config import StrawberryConfig

from {{ cookiecutter.package_name }}.core.config import GraphQLSettings
from {{ cookiecutter.package_name }}.graphql.errors import ProblemCodes
from {{ cookiecutter.package_name }}.graphql.metrics import OperationMetrics
from {{ cookiecutter.package_name }}.items.graphql import ItemMutations, ItemQueries
from {{ cookiecutter.package_name }}.users.graphql import UserQueries


@strawberry.type
class Query(UserQueries, ItemQueries):
    pass


@strawberry.type
class Mutation(ItemMutations):
    pass


class ServiceSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:  # noqa: ANN401 - strawberry's signature
        """Strawberry would log every error with a traceback: ProblemCodes logs the bugs only."""


def create_schema(settings: GraphQLSettings, *, introspection: bool) -> strawberry.Schema:
    limits: list[Any] = [
        partial(QueryDepthLimiter, max_depth=settings.max_depth),
        partial(MaxAliasesLimiter, max_alias_count=settings.max_aliases),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
    ]
    if not introspection:
        limits.append(DisableIntrospection)
    return ServiceSchema(
        query=Query,
        mutation=Mutation,
        # Outermost first: the codes are set before anything reads the errors.
        extensions=[OperationMetrics, ProblemCodes, *limits],
        # Without introspection, "did you mean ...?" hints would still spell out the schema.
        config=StrawberryConfig(disable_field_suggestions=not introspection),
    )


# The schema's types, without the runtime limits: what `schema.graphql` holds.
SCHEMA_TYPES = strawberry.Schema(query=Query, mutation=Mutation)
