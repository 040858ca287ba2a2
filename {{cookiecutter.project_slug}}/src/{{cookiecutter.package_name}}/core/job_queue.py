"""The taskiq broker over Redis, and its result backend, built from the settings."""

from __future__ import annotations

from taskiq import AsyncBroker
from taskiq_redis import ListQueueBroker, RedisAsyncResultBackend

from {{ cookiecutter.package_name }}.core.config import Settings

QUEUE_NAME = "{{ cookiecutter.package_name }}:jobs"


def create_broker(settings: Settings) -> AsyncBroker:
    """A broker with no tasks yet: the worker registers them, the API enqueues them by name."""
    result_backend: RedisAsyncResultBackend[object] = RedisAsyncResultBackend(
        settings.redis_url, result_ex_time=settings.jobs.result_ttl_seconds
    )
    return ListQueueBroker(settings.redis_url, queue_name=QUEUE_NAME).with_result_backend(
        result_backend
    )
