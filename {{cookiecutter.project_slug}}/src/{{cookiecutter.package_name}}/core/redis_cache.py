"""The read cache in Redis, shared by every instance of the service."""

from __future__ import annotations

import uuid
from typing import cast

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from {{ cookiecutter.package_name }}.core.cache import Produce
from {{ cookiecutter.package_name }}.core.config import Settings

logger = structlog.get_logger(__name__)

# Bigger values are served but not stored: no client can fill the cache's memory quickly.
MAX_ENTRY_BYTES = 256 * 1024


def cache_redis(settings: Settings, redis: Redis) -> Redis:
    """The cache's own Redis when CACHE__REDIS_URL names one, else the service's `redis`."""
    if settings.cache.redis_url is None:
        return redis
    timeout = settings.redis.socket_timeout_seconds
    return Redis.from_url(
        settings.cache.redis_url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        max_connections=settings.redis.max_connections,
        health_check_interval=30,
    )


class RedisCache:
    """Entries are stored under their namespace's current version.

    Invalidating replaces the version, so every instance misses at once and the old entries
    expire by themselves. A value produced while a write commits is stored under the
    version read before producing it, so it can never outlive the invalidation.
    When Redis fails, reads go straight to `produce`: slower, never wrong.
    """

    def __init__(
        self,
        redis: Redis,
        *,
        ttl_seconds: int,
        prefix: str = "cache",
        max_entry_bytes: int = MAX_ENTRY_BYTES,
    ) -> None:
        self._redis = redis
        self._ttl_seconds = ttl_seconds
        self._prefix = prefix
        self._max_entry_bytes = max_entry_bytes

    async def get_or_set(self, namespace: str, key: str, produce: Produce) -> bytes:
        try:
            version = cast("bytes | None", await self._redis.get(self._version_key(namespace)))
            entry_key = f"{self._prefix}:{namespace}:{(version or b'0').decode()}:{key}"
            cached = cast("bytes | None", await self._redis.get(entry_key))
        except RedisError as error:
            logger.error("cache_unavailable", error=type(error).__name__)
            return await produce()
        if cached is not None:
            return cached
        value = await produce()
        if len(value) > self._max_entry_bytes:
            return value
        try:
            await self._redis.set(entry_key, value, ex=self._ttl_seconds)
        except RedisError as error:
            logger.error("cache_unavailable", error=type(error).__name__)
        return value

    async def invalidate(self, namespace: str) -> None:
        # A fresh random version never matches an old entry. It outlives every entry stored
        # under the one before it, so when it expires the default version is safe again.
        try:
            await self._redis.set(
                self._version_key(namespace), uuid.uuid4().hex, ex=2 * self._ttl_seconds
            )
        except RedisError as error:
            # The write has committed; stale reads are bounded by the entries' TTL.
            logger.error(
                "cache_invalidation_failed", namespace=namespace, error=type(error).__name__
            )

    def _version_key(self, namespace: str) -> str:
        return f"{self._prefix}:{namespace}:version"
