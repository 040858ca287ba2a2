"""The service's Redis client: one connection pool, bounded waits."""

from __future__ import annotations

import structlog
from fastapi import FastAPI
from limits.aio.storage import RedisStorage
from limits.aio.storage import Storage as AsyncStorage
from redis.asyncio import Redis
from redis.exceptions import RedisError

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import unavailable_handler

logger = structlog.get_logger(__name__)


def setup(app: FastAPI) -> None:
    """A Redis failure that nothing handled becomes a 503, not a 500."""
    app.add_exception_handler(RedisError, unavailable_handler("Redis"))


def create_redis(settings: Settings) -> Redis:
    timeout = settings.redis.socket_timeout_seconds
    return Redis.from_url(
        settings.redis_url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        max_connections=settings.redis.max_connections,
        # Drop connections that sat idle across a Redis restart before reusing them.
        health_check_interval=30,
    )


def rate_limit_storage(redis: Redis) -> AsyncStorage:
    """Rate-limit counters in this Redis, through the client's own connection pool."""
    return RedisStorage(
        "async+redis://",
        implementation="redispy",
        connection_pool=redis.connection_pool,  # type: ignore[arg-type] # passed through
        wrap_exceptions=True,
    )


async def redis_answers(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except (RedisError, OSError) as error:
        logger.warning("redis_check_failed", error=type(error).__name__)
        return False
