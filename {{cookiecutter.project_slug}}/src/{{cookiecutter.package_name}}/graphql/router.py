"""POST /api/v1/graphql (and GraphiQL on GET, in development)."""

from __future__ import annotations

from fastapi import FastAPI
from strawberry.fastapi import GraphQLRouter

from {{ cookiecutter.package_name }}.core.config import Environment, Settings
from {{ cookiecutter.package_name }}.graphql.context import Context, get_context
from {{ cookiecutter.package_name }}.graphql.errors import install_error_shape
from {{ cookiecutter.package_name }}.graphql.schema import create_schema

GRAPHQL_PATH = "/graphql"


def create_router(settings: Settings) -> GraphQLRouter[Context, None]:
    introspection = settings.graphql.introspection
    if introspection is None:
        introspection = not settings.is_production
    development = settings.app.environment is Environment.DEVELOPMENT
    return GraphQLRouter(
        create_schema(settings.graphql, introspection=introspection),
        path=GRAPHQL_PATH,
        context_getter=get_context,
        graphql_ide="graphiql" if development else None,
        # Queries in URLs end up in logs and caches, and GET skips CORS preflight.
        allow_queries_via_get=False,
        subscription_protocols=(),
        # GraphQL documents itself (schema.graphql, introspection), not through OpenAPI.
        include_in_schema=False,
    )


def setup(app: FastAPI, prefix: str) -> None:
    install_error_shape(app, prefix + GRAPHQL_PATH)
