"""The job queue's waits on Redis: bounded for commands, patient for a worker's read."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from redis.exceptions import TimeoutError as RedisTimeoutError
from structlog.testing import capture_logs
from taskiq.exceptions import TaskiqError
from taskiq.kicker import AsyncKicker
from taskiq_redis import RedisAsyncResultBackend

from {{ cookiecutter.package_name }}.core.config import RedisSettings, Settings
from {{ cookiecutter.package_name }}.core.job_queue import (
    LISTEN_BLOCK_SECONDS,
    RedisQueueBroker,
    create_broker,
)
from {{ cookiecutter.package_name }}.tasks.jobs import PURGE_REFRESH_TOKENS
from tests.conftest import free_port, make_settings

SOCKET_TIMEOUT_SECONDS = 0.5
# Only a guard against hanging: the timeouts themselves are read off the pools below.
HANG_GUARD_SECONDS = 30


@pytest.fixture
def silent_redis_url() -> Iterator[str]:
    """A server that accepts connections and never answers, like a Redis behind a dead link."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


@pytest.fixture
def unreachable_redis_url() -> str:
    return f"redis://127.0.0.1:{free_port()}/0"


def _settings(database_url: str, redis_url: str) -> Settings:
    return make_settings(
        database_url,
        redis_url=redis_url,
        redis=RedisSettings(socket_timeout_seconds=SOCKET_TIMEOUT_SECONDS),
    )


async def test_every_pool_of_the_broker_waits_as_the_settings_say(
    database_url: str, silent_redis_url: str
) -> None:
    broker = create_broker(_settings(database_url, silent_redis_url))
    assert isinstance(broker, RedisQueueBroker)
    assert isinstance(broker.result_backend, RedisAsyncResultBackend)
    commands = [broker.connection_pool, broker.result_backend.redis_pool]
    await broker.shutdown()

    # Not redis-py's default (5 s since 8.0, none before), whatever the release.
    for pool in commands:
        assert pool.connection_kwargs["socket_timeout"] == SOCKET_TIMEOUT_SECONDS
        assert pool.connection_kwargs["socket_connect_timeout"] == SOCKET_TIMEOUT_SECONDS
    # The worker's blocking read waits its block out on top of the same timeout.
    listen_timeout = broker.listen_pool.connection_kwargs["socket_timeout"]
    assert listen_timeout == SOCKET_TIMEOUT_SECONDS + LISTEN_BLOCK_SECONDS


async def test_enqueueing_to_a_silent_redis_fails_instead_of_hanging(
    database_url: str, silent_redis_url: str
) -> None:
    broker = create_broker(_settings(database_url, silent_redis_url))
    kicker: AsyncKicker[[], int] = AsyncKicker(PURGE_REFRESH_TOKENS, broker, labels={})
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        with pytest.raises(TaskiqError) as raised:
            await kicker.kiq()
    await broker.shutdown()

    assert isinstance(raised.value.__cause__, RedisTimeoutError)


async def test_reading_a_result_from_a_silent_redis_fails_instead_of_hanging(
    database_url: str, silent_redis_url: str
) -> None:
    broker = create_broker(_settings(database_url, silent_redis_url))
    async with asyncio.timeout(HANG_GUARD_SECONDS):
        with pytest.raises(RedisTimeoutError):
            await broker.result_backend.is_result_ready("0" * 32)
    await broker.shutdown()


async def test_a_worker_keeps_waiting_for_an_unreachable_redis_with_warnings(
    database_url: str, unreachable_redis_url: str
) -> None:
    broker = RedisQueueBroker(_settings(database_url, unreachable_redis_url))
    messages = broker.listen()
    with capture_logs() as logs, pytest.raises(TimeoutError):
        await asyncio.wait_for(anext(messages), timeout=1.5)
    await messages.aclose()
    await broker.shutdown()

    warnings = [log for log in logs if log["event"] == "job_queue_unreachable"]
    assert len(warnings) >= 2, logs
    assert {log["error"] for log in warnings} == {"ConnectionError"}
    assert [log["retry_in_seconds"] for log in warnings[:2]] == [0.5, 1.0]
