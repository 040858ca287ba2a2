"""The composition root: every shared resource of the service, opened and closed in one place.

The API's lifespan, the worker and the CLI all enter `open_resources`. Routes reach what it
opened through `ResourcesDep` and the aliases built on it in `core.dependencies`; no other
module touches `app.state`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
{%- if cookiecutter.use_redis == "no" %}
from limits.aio.storage import MemoryStorage
{%- endif %}
{%- if cookiecutter.use_redis == "yes" %}
from redis.asyncio import Redis
{%- endif %}
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from starlette.applications import Starlette
{%- if cookiecutter.task_queue == "taskiq" %}
from taskiq import AsyncBroker
{%- endif %}

{% if cookiecutter.use_redis == "yes" -%}
from {{ cookiecutter.package_name }}.core.cache import Cache
{% else -%}
from {{ cookiecutter.package_name }}.core.cache import Cache, NoCache
{% endif -%}
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import (
    ReadSession,
    check_database,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
)
from {{ cookiecutter.package_name }}.core.http_client import HttpClient
{%- if cookiecutter.task_queue == "taskiq" %}
from {{ cookiecutter.package_name }}.core.job_queue import create_broker
{%- endif %}
from {{ cookiecutter.package_name }}.core.metrics import HttpMetrics
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter
{%- if cookiecutter.use_redis == "yes" %}
from {{ cookiecutter.package_name }}.core.redis_cache import RedisCache, cache_redis
from {{ cookiecutter.package_name }}.core.redis_client import create_redis, rate_limit_storage
{%- endif %}
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
{%- if cookiecutter.use_opentelemetry == "yes" %}
from {{ cookiecutter.package_name }}.core.tracing import trace_engine
{%- endif %}
from {{ cookiecutter.package_name }}.email.mailer import Mailer
from {{ cookiecutter.package_name }}.email.transports import create_transport


@dataclass(frozen=True, slots=True, kw_only=True)
class Resources:
    """What the service runs on, opened by `open_resources`."""

    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    read_sessionmaker: async_sessionmaker[ReadSession]
    password_hasher: PasswordHasher
    rate_limiter: RateLimiter
    cache: Cache
    metrics: HttpMetrics
    http_client: HttpClient
    mailer: Mailer
{%- if cookiecutter.use_redis == "yes" %}
    redis: Redis
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
    broker: AsyncBroker
{%- endif %}


@asynccontextmanager
{%- if cookiecutter.task_queue == "taskiq" %}
async def open_resources(
    settings: Settings, *, broker: AsyncBroker | None = None
) -> AsyncIterator[Resources]:
    """Open every resource, and close them in reverse order on the way out.

    In production, raise DatabaseUnavailableError at once when the database does not answer.
    A worker passes its own `broker`, which taskiq starts and stops.
    """
{%- else %}
async def open_resources(settings: Settings) -> AsyncIterator[Resources]:
    """Open every resource, and close them in reverse order on the way out.

    In production, raise DatabaseUnavailableError at once when the database does not answer.
    """
{%- endif %}
    async with AsyncExitStack() as stack:
        engine = create_engine(settings)
        stack.push_async_callback(engine.dispose)
{%- if cookiecutter.use_opentelemetry == "yes" %}
        trace_engine(engine)
{%- endif %}
        if settings.is_production:
            await check_database(engine, timeout_seconds=settings.db.connect_timeout_seconds)
        password_hasher = PasswordHasher(settings)
        stack.callback(password_hasher.close)
        metrics = HttpMetrics(engine)
        http_client = HttpClient(settings.http_client, metrics)
        stack.push_async_callback(http_client.aclose)
{%- if cookiecutter.use_redis == "yes" %}
        redis = create_redis(settings)
        stack.push_async_callback(redis.aclose)
        rate_limiter = RateLimiter(settings, rate_limit_storage(redis))
        cache_client = cache_redis(settings, redis)
        if cache_client is not redis:
            stack.push_async_callback(cache_client.aclose)
        cache: Cache = RedisCache(cache_client, ttl_seconds=settings.cache.ttl_seconds)
{%- else %}
        rate_limiter = RateLimiter(settings, MemoryStorage(wrap_exceptions=True))
        cache = NoCache()
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
        if broker is None:
            broker = create_broker(settings)
            await broker.startup()
            stack.push_async_callback(broker.shutdown)
        mailer = Mailer(settings, create_transport(settings), broker)
{%- else %}
        mailer = Mailer(settings, create_transport(settings))
{%- endif %}
        # Closed before the broker, whose queue the last sends may still need.
        stack.push_async_callback(mailer.aclose)
        yield Resources(
            settings=settings,
            engine=engine,
            sessionmaker=create_sessionmaker(engine),
            read_sessionmaker=create_read_sessionmaker(engine),
            password_hasher=password_hasher,
            rate_limiter=rate_limiter,
            cache=cache,
            metrics=metrics,
            http_client=http_client,
            mailer=mailer,
{%- if cookiecutter.use_redis == "yes" %}
            redis=redis,
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
            broker=broker,
{%- endif %}
        )


async def check_database_reachable(settings: Settings) -> None:
    """Raise DatabaseUnavailableError unless the database answers (for `migrate`)."""
    engine = create_engine(settings)
    try:
        await check_database(engine, timeout_seconds=settings.db.connect_timeout_seconds)
    finally:
        await engine.dispose()


def bind_resources(app: Starlette, resources: Resources) -> None:
    """Make `resources` the ones `app` serves with (the lifespan does it on startup)."""
    app.state.resources = resources


def resources_of(app: Starlette) -> Resources:
    resources = getattr(app.state, "resources", None)
    if not isinstance(resources, Resources):
        msg = "the app's resources are not open: run it through its lifespan"
        raise RuntimeError(msg)
    return resources


async def get_resources(request: Request) -> Resources:
    """`async def` like every dependency here: FastAPI runs plain `def` ones in a thread."""
    return resources_of(request.app)


ResourcesDep = Annotated[Resources, Depends(get_resources)]
