"""The job queue's waits on Redis: bounded for commands, patient for a worker's read."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator

import pytest
from redis.exceptions import RedisError
from structlog.testing import capture_logs
from taskiq.exceptions import TaskiqError
from taskiq.kicker import AsyncKicker

from {{ cookiecutter.package_name }}.core.config import RedisSettings, Settings
from {{ cookiecutter.package_name }}.core.job_queue import RedisQueueBroker, create_broker
from {{ cookiecutter.package_name }}.tasks.jobs import PURGE_REFRESH_TOKENS
from tests.conftest import make_settings

SOCKET_TIMEOUT_SECONDS = 0.5
# Well under redis-py's own default socket timeout (5 s), which the settings must override.
GIVE_UP_BOUND_SECONDS = 3.0


@pytest.fixture
def silent_redis_url() -> Iterator[str]:
    """A server that accepts connections and never answers, like a Redis behind a dead link."""
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


@pytest.fixture
def unreachable_redis_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{sock.getsockname()[1]}/0"


def _settings(database_url: str, redis_url: str) -> Settings:
    return make_settings(
        database_url,
        redis_url=redis_url,
        redis=RedisSettings(socket_timeout_seconds=SOCKET_TIMEOUT_SECONDS),
    )


async def test_enqueueing_gives_up_after_the_socket_timeout(
    database_url: str, silent_redis_url: str
) -> None:
    broker = create_broker(_settings(database_url, silent_redis_url))
    kicker: AsyncKicker[[], int] = AsyncKicker(PURGE_REFRESH_TOKENS, broker, labels={})
    started = time.monotonic()
    with pytest.raises(TaskiqError):
        await kicker.kiq()
    elapsed = time.monotonic() - started
    await broker.shutdown()

    assert elapsed < GIVE_UP_BOUND_SECONDS


async def test_reading_a_result_gives_up_after_the_socket_timeout(
    database_url: str, silent_redis_url: str
) -> None:
    broker = create_broker(_settings(database_url, silent_redis_url))
    started = time.monotonic()
    with pytest.raises(RedisError):
        await broker.result_backend.is_result_ready("0" * 32)
    elapsed = time.monotonic() - started
    await broker.shutdown()

    assert elapsed < GIVE_UP_BOUND_SECONDS


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
