"""The service's Redis client: one connection pool, bounded waits."""

from __future__ import annotations

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


def create_redis(settings: Settings) -> Redis:
    timeout = settings.redis.socket_timeout_seconds
    # A burst beyond the pool queues for a free connection instead of failing at once,
    # which would skip rate limits under load; the wait is bounded all the same.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        timeout=POOL_WAIT_SECONDS,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        max_connections=settings.redis.max_connections,
        # Drop connections that sat idle across a Redis restart before reusing them.
        health_check_interval=30,
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
