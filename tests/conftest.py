"""Shared helpers: baking projects, running their tools."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest
import yaml
from cookiecutter.main import cookiecutter

from tests.servers import (
    MariaDBServer,
    PostgresServer,
    RedisServer,
    mariadb_server,
    postgres_server,
    redis_server,
)

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
# Every feature option away from its default (docker and ci are on by default).
ALL_ON = {
    "database": "postgresql",
    "use_redis": "yes",
    "task_queue": "taskiq",
    "graphql": "yes",
    "use_sentry": "yes",
    "use_opentelemetry": "yes",
}


def bake_project(output: Path, answers: Mapping[str, str] | None = None) -> Path:
    """Generate a project into `output`, with `answers` over the defaults; return its path.

    Cookiecutter's cache and replay files go to `output` too, so parallel workers and the
    developer's own ~/.cookiecutter_replay never meet.
    """
    output.mkdir(parents=True, exist_ok=True)
    config = output / "cookiecutterrc.yaml"
    config.write_text(
        yaml.safe_dump(
            {"cookiecutters_dir": str(output / "cache"), "replay_dir": str(output / "replay")}
        )
    )
    return Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context=dict(answers or {}),
            output_dir=str(output / "out"),
            config_file=str(config),
        )
    )


Bake = Callable[..., Path]


@pytest.fixture
def bake(tmp_path: Path) -> Bake:
    """`bake(database="mysql")`: a project with those answers, in this test's tmp_path."""
    count = 0

    def _bake(**answers: str) -> Path:
        nonlocal count
        count += 1
        return bake_project(tmp_path / f"bake-{count}", answers)

    return _bake


# Point uv at the template's own environment: under nox, UV_PROJECT_ENVIRONMENT names the
# session's venv, and every project synced with it would share (and overwrite) that venv.
OUTER_ENVIRONMENT = frozenset({"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT"})


def project_environ(**extra: str) -> dict[str, str]:
    """This process's environment for a generated project's commands, which use its own .venv."""
    inherited = {key: value for key, value in os.environ.items() if key not in OUTER_ENVIRONMENT}
    return {**inherited, **extra}


# A generated project's whole suite: about 3 minutes alone, twice that beside another on two
# cores.
SUITE_TIMEOUT = 1200


def run(
    *command: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run a command in a generated project; fail the test with its output if it fails."""
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=project_environ(**(env or {})),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        # A pytest run's first failure explains more than its coverage table at the end.
        _, marker, failures = result.stdout.partition("= FAILURES =")
        first_failure = f"--- first failure ---\n{failures[:6000]}\n" if marker else ""
        pytest.fail(
            f"{' '.join(map(str, command))} exited {result.returncode}\n{first_failure}"
            f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
        )
    return result


def uv() -> str:
    path = shutil.which("uv")
    if path is None:
        pytest.fail("uv is required on PATH (pip install uv)")
    return path


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDBServer]:
    with mariadb_server() as server:
        yield server
