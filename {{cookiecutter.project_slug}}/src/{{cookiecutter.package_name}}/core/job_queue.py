"""The taskiq broker over Redis, and its result backend, built from the settings."""

from __future__ import annotations

from taskiq import AsyncBroker
from taskiq.serializers import JSONSerializer
from taskiq_redis import ListQueueBroker, RedisAsyncResultBackend

from {{ cookiecutter.package_name }}.core.config import Settings

QUEUE_NAME = "{{ cookiecutter.package_name }}:jobs"
RESULT_KEY_PREFIX = "{{ cookiecutter.package_name }}:job-results"


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
    )
    return ListQueueBroker(settings.redis_url, queue_name=QUEUE_NAME).with_result_backend(
        result_backend
    )
