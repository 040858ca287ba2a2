"""The application factory; `{{ cookiecutter.package_name }}.main:app` is the ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache

import structlog
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
{%- if cookiecutter.use_redis == "yes" %}
from redis.exceptions import RedisError
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
from taskiq.exceptions import TaskiqError
{%- endif %}

from {{ cookiecutter.package_name }}.auth.router import router as auth_router
from {{ cookiecutter.package_name }}.core.cache import NoCache
from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.db import (
    DatabaseUnavailableError,
    check_database,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
)
from {{ cookiecutter.package_name }}.core.errors import (
    install_problem_openapi,
    register_error_handlers,
{%- if cookiecutter.use_redis == "yes" %}
    unavailable_handler,
{%- endif %}
)
from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.core.metrics import HttpMetrics
from {{ cookiecutter.package_name }}.core.metrics import router as metrics_router
from {{ cookiecutter.package_name }}.core.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
)
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter, rate_limit
{%- if cookiecutter.use_redis == "yes" %}
from {{ cookiecutter.package_name }}.core.redis_cache import RedisCache
from {{ cookiecutter.package_name }}.core.redis_client import create_redis, rate_limit_storage
{%- endif %}
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
{%- if cookiecutter.use_sentry == "yes" %}
from {{ cookiecutter.package_name }}.core.sentry import init_sentry
{%- endif %}
{%- if cookiecutter.use_opentelemetry == "yes" %}
from {{ cookiecutter.package_name }}.core.tracing import instrument_app
{%- endif %}
from {{ cookiecutter.package_name }}.health.router import router as health_router
from {{ cookiecutter.package_name }}.items.router import router as items_router
{%- if cookiecutter.task_queue == "taskiq" %}
from {{ cookiecutter.package_name }}.tasks.broker import create_jobs
from {{ cookiecutter.package_name }}.tasks.router import router as jobs_router
{%- endif %}
from {{ cookiecutter.package_name }}.users.router import admin_router as users_admin_router
from {{ cookiecutter.package_name }}.users.router import router as users_router

API_PREFIX = "/api/v1"
logger = structlog.get_logger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    logger.info(
        "startup",
        environment=settings.app.environment.value,
        configuration=settings.loggable(),
    )
    if settings.is_production:
        # Fail fast, with a clear message, rather than answer 500s until the database is back.
        try:
            await check_database(
                app.state.engine, timeout_seconds=settings.db.startup_timeout_seconds
            )
        except DatabaseUnavailableError as error:
            logger.error("startup_failed", reason=str(error))
            await app.state.engine.dispose()
            raise
{%- if cookiecutter.task_queue == "taskiq" %}
    await app.state.jobs.broker.startup()
{%- endif %}
    yield
    # Uvicorn calls this once in-flight requests are done (or APP__GRACEFUL_SHUTDOWN_SECONDS).
{%- if cookiecutter.task_queue == "taskiq" %}
    await app.state.jobs.broker.shutdown()
{%- endif %}
{%- if cookiecutter.use_redis == "yes" %}
    await app.state.redis.aclose()
{%- endif %}
    await app.state.engine.dispose()
    app.state.password_hasher.close()
{%- if cookiecutter.use_opentelemetry == "yes" %}
    app.state.tracer_provider.shutdown()  # exports the spans still queued
{%- endif %}
    logger.info("shutdown")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
{%- if cookiecutter.use_sentry == "yes" %}
    init_sentry(settings)
{%- endif %}

    app = FastAPI(
        title=settings.app.name,
        version="0.1.0",
        debug=settings.app.debug,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = create_engine(settings)
    app.state.sessionmaker = create_sessionmaker(app.state.engine)
    app.state.read_sessionmaker = create_read_sessionmaker(app.state.engine)
    app.state.password_hasher = PasswordHasher(settings)
{%- if cookiecutter.use_redis == "yes" %}
    app.state.redis = create_redis(settings)
    app.state.rate_limiter = RateLimiter(settings, rate_limit_storage(app.state.redis))
{%- if cookiecutter.task_queue == "taskiq" %}
    app.state.jobs = create_jobs(settings)
{%- endif %}
    app.state.cache = (
        RedisCache(app.state.redis, ttl_seconds=settings.cache.ttl_seconds)
        if settings.cache.enabled
        else NoCache()
    )
{%- else %}
    app.state.rate_limiter = RateLimiter(settings)
    app.state.cache = NoCache()
{%- endif %}
    app.state.metrics = HttpMetrics(app.state.engine) if settings.metrics.enabled else None
{%- if cookiecutter.use_opentelemetry == "yes" %}
    app.state.tracer_provider = instrument_app(app, settings, app.state.engine)
{%- endif %}

    register_error_handlers(app)
{%- if cookiecutter.use_redis == "yes" %}
    app.add_exception_handler(RedisError, unavailable_handler("Redis"))
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
    # taskiq wraps the broker's and result backend's failures in its own errors.
    app.add_exception_handler(TaskiqError, unavailable_handler("The job queue"))
{%- endif %}
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
    # Outermost, so it sees (and stamps) every response, including 413s and 500s.
    app.add_middleware(
        RequestContextMiddleware, hsts=settings.is_production, metrics=app.state.metrics
    )

    api = APIRouter(prefix=API_PREFIX, dependencies=[rate_limit("default")])
    api.include_router(auth_router)
    api.include_router(users_router)
    api.include_router(users_admin_router)
    api.include_router(items_router)
{%- if cookiecutter.task_queue == "taskiq" %}
    api.include_router(jobs_router)
{%- endif %}
    # Probes first: they are matched before the API's many routes are tried.
    app.include_router(health_router)
    app.include_router(api)
    if settings.metrics.enabled:
        app.include_router(metrics_router)
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
