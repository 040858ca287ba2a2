"""The `worker` and `scheduler` processes, and what they load: a broker with every job registered.

A worker enters the same `open_resources` as the API when it starts, and leaves it when it
stops. Every process, taskiq's process manager included, logs through `configure_logging`,
so in production each line is one JSON object, tracebacks included.
"""

from __future__ import annotations

import asyncio
import signal
from contextlib import AsyncExitStack
from functools import cache

import structlog
from taskiq import AsyncBroker, TaskiqEvents, TaskiqScheduler, TaskiqState
from taskiq.cli.scheduler.args import SchedulerArgs
from taskiq.cli.scheduler.run import run_scheduler as run_taskiq_scheduler
from taskiq.cli.worker.args import WorkerArgs
from taskiq.cli.worker.process_manager import ProcessManager
from taskiq.cli.worker.run import start_listen
from taskiq.schedule_sources import LabelScheduleSource

from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.db import DatabaseUnavailableError
from {{ cookiecutter.package_name }}.core.job_queue import create_broker
from {{ cookiecutter.package_name }}.core.logging import configure_logging
from {{ cookiecutter.package_name }}.core.resources import open_resources
from {{ cookiecutter.package_name }}.tasks.dependencies import bind_worker_resources
from {{ cookiecutter.package_name }}.tasks.jobs import register_jobs

logger = structlog.get_logger(__name__)


def create_worker_broker(settings: Settings) -> AsyncBroker:
    """A broker that runs the jobs, on resources opened when the worker starts."""
    broker = create_broker(settings)
    register_jobs(broker, settings)
    resources = AsyncExitStack()

    async def start(state: TaskiqState) -> None:
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
    # Built on first access (by the worker and scheduler processes), like `main.app`.
    if name == "broker":
        return _default_broker()
    if name == "scheduler":
        broker = _default_broker()
        return TaskiqScheduler(broker, sources=[LabelScheduleSource(broker)])
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def run_worker(settings: Settings, *, processes: int) -> int | None:
    """Run jobs in `processes` processes, restarted when one dies; the exit status, if any.

    taskiq's own `run_worker` would leave the process manager's logging unconfigured.
    """
    configure_logging(settings)
    args = WorkerArgs.from_cli(
        [f"{__name__}:broker", "--workers", str(processes), "--no-configure-logging"]
    )
    return ProcessManager(args=args, worker_function=_work).start()


def _work(args: WorkerArgs) -> None:
    """One worker process. Its failure is logged, not left to multiprocessing's raw stderr."""
    configure_logging(get_settings())
    try:
        start_listen(args)
    except DatabaseUnavailableError as error:
        logger.error("startup_failed", reason=str(error))
        raise SystemExit(1) from None
    except Exception:
        logger.exception("worker_failed")
        raise SystemExit(1) from None
    except KeyboardInterrupt:
        # taskiq's answer to repeated stop signals, which it has logged already.
        raise SystemExit(1) from None


def run_scheduler(settings: Settings) -> None:
    """Enqueue the periodic jobs on time, until SIGTERM or SIGINT."""
    configure_logging(settings)
    args = SchedulerArgs.from_cli(
        [f"{__name__}:scheduler", "--skip-first-run", "--no-configure-logging"]
    )
    try:
        asyncio.run(_schedule(args))
    except asyncio.CancelledError:
        pass  # stopped while it started
    except Exception:
        logger.exception("scheduler_failed")
        raise SystemExit(1) from None


async def _schedule(args: SchedulerArgs) -> None:
    # Cancelled, taskiq's scheduler shuts down cleanly; by default SIGTERM would kill it.
    task = asyncio.current_task()
    assert task is not None  # noqa: S101 - a coroutine run by asyncio.run is a task
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(stop_signal, task.cancel)
    await run_taskiq_scheduler(args)
