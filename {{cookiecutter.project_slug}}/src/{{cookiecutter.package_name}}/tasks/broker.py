"""The taskiq broker, its result backend and its schedule, built from the settings.

The API enqueues through `app.state.jobs`; `{{ cookiecutter.package_name }} worker` and
`{{ cookiecutter.package_name }} scheduler` load the module-level `broker` and `scheduler`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import cast

from taskiq import AsyncBroker, AsyncTaskiqDecoratedTask, TaskiqEvents, TaskiqScheduler, TaskiqState
from taskiq.schedule_sources import LabelScheduleSource
from taskiq_redis import ListQueueBroker, RedisAsyncResultBackend

from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.db import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.core.redis_client import create_redis
from {{ cookiecutter.package_name }}.tasks import jobs

QUEUE_NAME = "{{ cookiecutter.package_name }}:jobs"


@dataclass(frozen=True)
class Jobs:
    """The broker and its registered tasks, for code that enqueues them."""

    broker: AsyncBroker
    purge_refresh_tokens: AsyncTaskiqDecoratedTask[[], int]


def create_jobs(settings: Settings) -> Jobs:
    result_backend: RedisAsyncResultBackend[object] = RedisAsyncResultBackend(
        settings.redis_url, result_ex_time=settings.jobs.result_ttl_seconds
    )
    broker = ListQueueBroker(settings.redis_url, queue_name=QUEUE_NAME).with_result_backend(
        result_backend
    )

    async def start_worker(state: TaskiqState) -> None:
        # Workers reuse the API's building blocks: settings, engine, sessions, Redis.
        configure_logging(settings)
        state.settings = settings
        state.engine = create_engine(settings)
        state.sessionmaker = create_sessionmaker(state.engine)
        state.redis = create_redis(settings)

    async def stop_worker(state: TaskiqState) -> None:
        await state.redis.aclose()
        await state.engine.dispose()

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, start_worker)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, stop_worker)
    # Typed as taking no arguments: the worker injects the state.
    purge = cast(
        "AsyncTaskiqDecoratedTask[[], int]",
        broker.register_task(
            jobs.purge_refresh_tokens,
            task_name="purge_refresh_tokens",
            schedule=[{"cron": settings.jobs.purge_refresh_tokens_cron}],
        ),
    )
    return Jobs(broker=broker, purge_refresh_tokens=purge)


@cache
def _default_jobs() -> Jobs:
    return create_jobs(get_settings())


def __getattr__(name: str) -> object:
    # Built on first access (by the worker and scheduler commands), like `main.app`.
    if name == "broker":
        return _default_jobs().broker
    if name == "scheduler":
        broker = _default_jobs().broker
        return TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)])
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
