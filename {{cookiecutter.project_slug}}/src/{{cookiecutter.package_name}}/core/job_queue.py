"""The taskiq broker over Redis, and its result backend, built from the settings."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import cast

import structlog
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AsyncBroker
from taskiq.serializers import JSONSerializer
from taskiq_redis import ListQueueBroker, RedisAsyncResultBackend

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.redis_client import pool_options

QUEUE_NAME = "{{ cookiecutter.package_name }}:jobs"
RESULT_KEY_PREFIX = "{{ cookiecutter.package_name }}:job-results"
# How long a worker's read of the queue blocks in Redis before it asks again.
LISTEN_BLOCK_SECONDS = 2
# After a failed read, the worker waits this long before the next, doubling up to the maximum.
RETRY_DELAY_SECONDS = 0.5
RETRY_DELAY_MAX_SECONDS = 15.0

logger = structlog.get_logger(__name__)


class RedisQueueBroker(ListQueueBroker):
    """taskiq-redis's list queue, whose wait for the next job no socket timeout cuts short.

    Commands (enqueueing) are bounded by REDIS__SOCKET_TIMEOUT_SECONDS. A worker's blocking
    read has a connection of its own, which waits for a read's block plus that timeout:
    taskiq-redis's own read blocks forever, so any socket timeout (redis-py's default is 5 s
    since 8.0) ended it with an error that restarted the worker.
    """

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            settings.redis_url,
            queue_name=QUEUE_NAME,
            max_connection_pool_size=settings.redis.max_connections,
            **pool_options(settings),
        )
        listen_options = pool_options(settings)
        listen_options["socket_timeout"] += LISTEN_BLOCK_SECONDS
        self.listen_pool = BlockingConnectionPool.from_url(
            settings.redis_url, max_connections=1, **listen_options
        )

    async def listen(self) -> AsyncGenerator[bytes, None]:
        """Each queued job's message; while Redis is unreachable, retry with a warning."""
        delay = RETRY_DELAY_SECONDS
        async with Redis(connection_pool=self.listen_pool) as redis:
            while True:
                try:
                    popped = await redis.brpop([self.queue_name], timeout=LISTEN_BLOCK_SECONDS)
                except (RedisConnectionError, RedisTimeoutError) as error:
                    logger.warning(
                        "job_queue_unreachable",
                        error=type(error).__name__,
                        retry_in_seconds=delay,
                    )
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, RETRY_DELAY_MAX_SECONDS)
                    continue
                delay = RETRY_DELAY_SECONDS
                if popped is not None:
                    yield cast("bytes", popped[1])  # the pool decodes no responses

    async def shutdown(self) -> None:
        await super().shutdown()
        await self.listen_pool.disconnect()


def create_broker(settings: Settings) -> AsyncBroker:
    """A broker with no tasks yet: the worker registers them, the API enqueues them by name.

    Results are JSON, never pickles: the API reads them, and unpickling what Redis holds
    would let anyone who can write to Redis run code in the API.
    """
    result_backend: RedisAsyncResultBackend[object] = RedisAsyncResultBackend(
        settings.redis_url,
        result_ex_time=settings.jobs.result_ttl_seconds,
        serializer=JSONSerializer(),
        prefix_str=RESULT_KEY_PREFIX,
        max_connection_pool_size=settings.redis.max_connections,
        **pool_options(settings),
    )
    return RedisQueueBroker(settings).with_result_backend(result_backend)
