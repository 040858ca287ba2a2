"""What the `worker` and `scheduler` commands load: a broker with every job registered.

A worker enters the same `open_resources` as the API when it starts, and leaves it when it
stops.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from functools import cache

from taskiq import AsyncBroker, TaskiqEvents, TaskiqScheduler, TaskiqState
from taskiq.schedule_sources import LabelScheduleSource

from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.job_queue import create_broker
from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.core.resources import open_resources
from {{ cookiecutter.package_name }}.tasks.dependencies import bind_worker_resources
from {{ cookiecutter.package_name }}.tasks.jobs import register_jobs


def create_worker_broker(settings: Settings) -> AsyncBroker:
    """A broker that runs the jobs, on resources opened when the worker starts."""
    broker = create_broker(settings)
    register_jobs(broker, settings)
    resources = AsyncExitStack()

    async def start(state: TaskiqState) -> None:
        configure_logging(settings)
        opened = await resources.enter_async_context(open_resources(settings, broker=broker))
        bind_worker_resources(state, opened)

    async def stop(_state: TaskiqState) -> None:
        await resources.aclose()

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, start)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, stop)
    return broker


@cache
def _default_broker() -> AsyncBroker:
    return create_worker_broker(get_settings())


def __getattr__(name: str) -> object:
    # Built on first access (by the worker and scheduler commands), like `main.app`.
    if name == "broker":
        return _default_broker()
    if name == "scheduler":
        broker = _default_broker()
        return TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)])
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
