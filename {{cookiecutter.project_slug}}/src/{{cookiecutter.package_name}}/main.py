"""The application factory; `{{ cookiecutter.package_name }}.main:app` is the ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from functools import cache

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from {{ cookiecutter.package_name }}.accounts.router import me_router as accounts_me_router
from {{ cookiecutter.package_name }}.accounts.router import router as accounts_router
from {{ cookiecutter.package_name }}.auth.router import router as auth_router
from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.db import DatabaseUnavailableError
from {{ cookiecutter.package_name }}.core.dependencies import rate_limit
from {{ cookiecutter.package_name }}.core.deprecation import document_deprecations
from {{ cookiecutter.package_name }}.core.errors import (
    install_problem_openapi,
    register_error_handlers,
)
from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.core.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
)
from {{ cookiecutter.package_name }}.core.rate_limit import ForwardedHeadersMiddleware
{%- if cookiecutter.use_redis == "yes" %}
from {{ cookiecutter.package_name }}.core.redis_client import setup as setup_redis
{%- endif %}
from {{ cookiecutter.package_name }}.core.resources import bind_resources, open_resources
{%- if cookiecutter.use_sentry == "yes" %}
from {{ cookiecutter.package_name }}.core.sentry import setup as setup_sentry
{%- endif %}
{%- if cookiecutter.use_opentelemetry == "yes" %}
from {{ cookiecutter.package_name }}.core.tracing import setup as setup_tracing
{%- endif %}
{%- if cookiecutter.graphql == "yes" %}
from {{ cookiecutter.package_name }}.graphql.router import create_router as create_graphql_router
from {{ cookiecutter.package_name }}.graphql.router import setup as setup_graphql
{%- endif %}
from {{ cookiecutter.package_name }}.health.router import metrics_router
from {{ cookiecutter.package_name }}.health.router import router as health_router
from {{ cookiecutter.package_name }}.items.router import router as items_router
from {{ cookiecutter.package_name }}.mfa.router import me_router as mfa_me_router
from {{ cookiecutter.package_name }}.mfa.router import router as mfa_router
{%- if cookiecutter.task_queue == "taskiq" %}
from {{ cookiecutter.package_name }}.tasks.router import router as tasks_router
from {{ cookiecutter.package_name }}.tasks.router import setup as setup_tasks
{%- endif %}
from {{ cookiecutter.package_name }}.users.router import admin_router as users_admin_router
from {{ cookiecutter.package_name }}.users.router import router as users_router

API_PREFIX = "/api/v1"
# The OpenAPI title: fixed, not APP__NAME, so the committed openapi.json matches every setup.
API_TITLE = "{{ cookiecutter.project_name }}"
API_VERSION = "0.1.0"
API_ROUTERS = (
    auth_router,
    accounts_router,
    mfa_router,
    users_router,
    accounts_me_router,
    mfa_me_router,
    users_admin_router,
    items_router,
{%- if cookiecutter.task_queue == "taskiq" %}
    tasks_router,
{%- endif %}
)
logger = structlog.get_logger(__name__)


def include_api(app: FastAPI, router: APIRouter) -> None:
    """Serve `router` under /api/v1, each of its routes behind the default rate limit."""
    # Onto the app itself, not through an /api/v1 router: from 0.137 on, FastAPI walks
    # every level of included routers on every request.
    app.include_router(router, prefix=API_PREFIX, dependencies=[rate_limit("default")])


def operation_id(route: APIRoute) -> str:
    """The route's name (`create_item`): what client generators turn into method names."""
    return route.name


def lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Open the resources before the first request; close them after the last one."""

    @asynccontextmanager
    async def run(app: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "startup",
            environment=settings.app.environment.value,
            configuration=settings.loggable(),
        )
        if settings.is_production and settings.metrics.bearer_token is None:
            logger.warning(
                "metrics_unprotected",
                setting="METRICS__BEARER_TOKEN",
                detail="/metrics answers anyone who can reach the service; set a token",
            )
        async with AsyncExitStack() as stack:
            try:
                resources = await stack.enter_async_context(open_resources(settings))
            except DatabaseUnavailableError as error:
                # Fail fast, with a clear message, rather than answer 500s until it is back.
                logger.error("startup_failed", reason=str(error))
                raise
            bind_resources(app, resources)
            # Uvicorn resumes here once in-flight requests are done (or after
            # APP__GRACEFUL_SHUTDOWN_SECONDS), and the resources close in reverse order.
            yield
        logger.info("shutdown")

    return run


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
{%- if cookiecutter.use_sentry == "yes" %}
    setup_sentry(settings)
{%- endif %}

    app = FastAPI(
        title=API_TITLE,
        version=API_VERSION,
        generate_unique_id_function=operation_id,
        lifespan=lifespan(settings),
        # By default not in production: a map of every route helps attackers more than users.
        openapi_url="/openapi.json" if settings.app.serves_api_docs else None,
        docs_url="/docs" if settings.app.serves_api_docs else None,
        redoc_url="/redoc" if settings.app.serves_api_docs else None,
        # The redirect would be built from the client's Host header: /items/ is a plain 404.
        redirect_slashes=False,
    )
    register_error_handlers(app)
    if settings.app.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.app.cors_origins,
            allow_credentials=settings.app.cors_allow_credentials,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
        )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.app.max_body_bytes)
    # Outermost but one, so it sees (and stamps) every response, including 413s and 500s.
    app.add_middleware(RequestContextMiddleware, hsts=settings.is_production)
    # Outermost: the client address and scheme are settled before anything reads them.
    app.add_middleware(ForwardedHeadersMiddleware, settings=settings)

{%- if cookiecutter.use_redis == "yes" %}
    setup_redis(app)
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
    setup_tasks(app)
{%- endif %}
{%- if cookiecutter.use_opentelemetry == "yes" %}
    setup_tracing(app)
{%- endif %}
    # Probes first: they are matched before the API's many routes are tried.
    app.include_router(health_router)
    for router in API_ROUTERS:
        include_api(app, router)
{%- if cookiecutter.graphql == "yes" %}
    include_api(app, create_graphql_router(settings))
    setup_graphql(app, API_PREFIX)
{%- endif %}
    app.include_router(metrics_router)
    document_deprecations(app)
    install_problem_openapi(app)
    return app


@cache
def _default_app() -> FastAPI:
    return create_app()


def __getattr__(name: str) -> FastAPI:
    # Built on first access, so importing create_app (tests, CLI) reads no environment.
    if name == "app":
        return _default_app()
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
