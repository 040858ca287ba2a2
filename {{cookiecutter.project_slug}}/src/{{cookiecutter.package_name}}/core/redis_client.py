"""The service's Redis client: one connection pool, bounded waits."""

from __future__ import annotations

from typing import TypedDict

import structlog
from fastapi import FastAPI
from limits.aio.storage import RedisStorage
from limits.aio.storage import Storage as AsyncStorage
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import RedisError

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import unavailable_handler

logger = structlog.get_logger(__name__)
# How long a call waits for a free pooled connection when all of them are in use.
POOL_WAIT_SECONDS = 5.0


def setup(app: FastAPI) -> None:
    """A Redis failure that nothing handled becomes a 503, not a 500."""
    app.add_exception_handler(RedisError, unavailable_handler("Redis"))


class PoolOptions(TypedDict):
    timeout: float
    socket_timeout: float
    socket_connect_timeout: float
    health_check_interval: int


def pool_options(settings: Settings) -> PoolOptions:
    """How a connection pool of the service waits on Redis: never longer than the settings say.

    Set explicitly, never left to redis-py, whose default socket timeout changes between
    releases (none before 8.0, 5 s since).
    """
    timeout = settings.redis.socket_timeout_seconds
    return PoolOptions(
        # A burst beyond the pool queues for a free connection instead of failing at once,
        # which would skip rate limits under load; the wait is bounded all the same.
        timeout=POOL_WAIT_SECONDS,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        # Drop connections that sat idle across a Redis restart before reusing them.
        health_check_interval=30,
    )


def create_redis(settings: Settings) -> Redis:
    pool = BlockingConnectionPool.from_url(
        settings.redis_url, max_connections=settings.redis.max_connections, **pool_options(settings)
    )
    return Redis.from_pool(pool)


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
