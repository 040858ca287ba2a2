"""The `worker` and `scheduler` commands, run for real (in subprocesses) on the suite's Redis."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from taskiq import TaskiqResult
from taskiq.kicker import AsyncKicker

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.job_queue import LISTEN_BLOCK_SECONDS, create_broker
from {{ cookiecutter.package_name }}.tasks.jobs import PURGE_REFRESH_TOKENS
from tests.conftest import (
    PRODUCTION_ENV,
    TEST_REDIS_URL,
    TEST_SECRET_KEY,
    make_settings,
    migrate,
)

PACKAGE = "{{ cookiecutter.package_name }}"
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 30.0
JOB_TIMEOUT_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 1.0
# redis-py's own default socket timeout since 8.0, which used to cut the worker's wait short.
REDIS_PY_SOCKET_TIMEOUT_SECONDS = 5.0
# Longer than twice the socket timeout, than redis-py's default, and than two blocking reads.
IDLE_SECONDS = (
    max(2 * SOCKET_TIMEOUT_SECONDS, REDIS_PY_SOCKET_TIMEOUT_SECONDS, 2 * LISTEN_BLOCK_SECONDS) + 1
)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


@dataclass
class Command:
    """A `worker` or `scheduler` process, its output going to a file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def lines(self) -> list[str]:
        return self.log.read_text(encoding="utf-8").splitlines()

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.lines() if _is_json_object(line)]

    def named(self, event: str) -> list[dict[str, Any]]:
        return [logged for logged in self.events() if logged["event"] == event]

    def output(self) -> str:
        return f"--- {self.name} output:\n" + "\n".join(self.lines())

    def wait_for(self, text: str) -> None:
        """Until a line has `text` in it."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while not any(text in line for line in self.lines()):
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited before logging {text!r}\n{self.output()}")
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} logged no {text!r} in time\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> int:
        """SIGTERM, as an orchestrator stops it; the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=STOP_TIMEOUT_SECONDS)

    def complaints(self) -> list[str]:
        """Lines that are not JSON objects, and warnings and errors."""
        return [
            line
            for line in self.lines()
            if not _is_json_object(line) or json.loads(line)["level"] in {"warning", "error"}
        ]


@contextmanager
def _running(tmp_path: Path, name: str, env: dict[str, str]) -> Iterator[Command]:
    log = tmp_path / f"{name}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - the project's own CLI
            [sys.executable, "-m", PACKAGE, name],
            cwd=tmp_path,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        yield Command(name, process, log)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_SECONDS)


def _env(database_url: str, **overrides: str) -> dict[str, str]:
    """The commands' environment, free of the developer's settings."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if "__" not in key and key not in {"DATABASE_URL", "REDIS_URL"} and "OTEL_" not in key
    }
    return {
        **inherited,
        "DATABASE_URL": database_url,
        "REDIS_URL": TEST_REDIS_URL,
        "APP__ENVIRONMENT": "test",
        "AUTH__SECRET_KEY": TEST_SECRET_KEY,
        "LOG__JSON_FORMAT": "true",
        "REDIS__SOCKET_TIMEOUT_SECONDS": str(SOCKET_TIMEOUT_SECONDS),
        **overrides,
    }


@pytest.fixture
def worker_database(tmp_path: Path) -> str:
    """A migrated database of the commands' own."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'worker.db'}"
    migrate(make_settings(url))
    return url


async def _run_purge_job(settings: Settings) -> TaskiqResult[int]:
    """Enqueue the purge as the API does, and wait for a worker to report its outcome."""
    broker = create_broker(settings)
    await broker.startup()
    try:
        kicker: AsyncKicker[[], int] = AsyncKicker(PURGE_REFRESH_TOKENS, broker, labels={})
        task = await kicker.kiq()
        return await task.wait_result(timeout=JOB_TIMEOUT_SECONDS)
    finally:
        await broker.shutdown()


async def test_an_idle_worker_and_scheduler_wait_quietly_then_jobs_run(
    tmp_path: Path, settings: Settings, worker_database: str
) -> None:
    env = _env(worker_database)
    with (
        _running(tmp_path, "worker", env) as worker,
        _running(tmp_path, "scheduler", env) as scheduler,
    ):
        worker.wait_for("Listening started.")
        scheduler.wait_for("Startup completed.")
        await asyncio.sleep(IDLE_SECONDS)
        alive = {"worker": worker.process.poll(), "scheduler": scheduler.process.poll()}
        result = await _run_purge_job(settings)
        worker.wait_for("refresh_tokens_purged")
        stopped = {"worker": worker.stop(), "scheduler": scheduler.stop()}
    output = worker.output() + "\n" + scheduler.output()

    assert alive == {"worker": None, "scheduler": None}, output
    assert (result.is_err, result.return_value) == (False, 0), output
    # One worker process all along: a restarted one would have started listening again.
    assert len(worker.named("Listening started.")) == 1, output
    assert worker.complaints() == [], output
    assert scheduler.complaints() == [], output
    assert stopped == {"worker": 0, "scheduler": 0}, output


async def test_in_production_every_line_is_json_tracebacks_included(
    tmp_path: Path, settings: Settings
) -> None:
    # Never migrated: the purge job fails on its missing table.
    env = _env(f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", **PRODUCTION_ENV)
    del env["LOG__JSON_FORMAT"]
    with (
        _running(tmp_path, "worker", env) as worker,
        _running(tmp_path, "scheduler", env) as scheduler,
    ):
        worker.wait_for("Listening started.")
        scheduler.wait_for("Startup completed.")
        result = await _run_purge_job(settings)
        worker.stop()
        scheduler.stop()
    output = worker.output() + "\n" + scheduler.output()
    failures = [event for event in worker.events() if "exception" in event]

    assert result.is_err, output
    assert [line for line in worker.lines() if not _is_json_object(line)] == [], output
    assert [line for line in scheduler.lines() if not _is_json_object(line)] == [], output
    assert len(failures) == 1, output
    assert failures[0]["exception"].startswith("Traceback"), output
    assert "no such table" in failures[0]["exception"], output
    # The process manager logs through the same handler as its worker processes.
    assert any(event["logger"] == "taskiq.process-manager" for event in worker.events()), output


def test_in_production_a_worker_without_its_database_says_so_in_one_line(
    tmp_path: Path,
) -> None:
    database = tmp_path / "no-such-directory" / "app.db"
    env = _env(f"sqlite+aiosqlite:///{database}", **PRODUCTION_ENV)
    with _running(tmp_path, "worker", env) as worker:
        worker.wait_for("startup_failed")
        worker.stop()

    assert [line for line in worker.lines() if not _is_json_object(line)] == [], worker.output()
    assert worker.named("startup_failed")[0]["reason"] == (
        f"cannot reach the database at sqlite+aiosqlite:///{database} (FileNotFoundError); "
        "check that its directory exists and is writable, or fix DATABASE_URL"
    )
