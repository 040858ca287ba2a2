"""Slow tier: bake each variant, install it, and run its tools and suite for real.

VARIANTS is every combination of database x use_redis x task_queue the pre-gen hook
accepts (taskiq needs Redis); graphql rides on two of them (SQLite alone, PostgreSQL with
Redis), as it needs no server of its own. PostgreSQL, MariaDB (for mysql) and Redis run as
real servers, started by the session fixtures in conftest.py only when a selected variant
needs them.
Each variant is baked and synced once (module-scoped fixture) for all four checks. One
more test runs the SQLite all-on suite on the lowest versions pyproject.toml allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import SUITE_TIMEOUT, bake_project, run, uv
from tests.servers import MariaDBServer, PostgresServer, RedisServer

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Baked:
    path: Path
    env: dict[str, str]

    def run(self, *command: str, timeout: float = 600) -> str:
        return run(uv(), "run", *command, cwd=self.path, env=self.env, timeout=timeout).stdout


# Readable id -> answers. Ids start with the database, so each `nox -s bake-<database>`
# session selects its variants with `-k <database>` (no id contains another's database).
VARIANTS: dict[str, dict[str, str]] = {
    "sqlite-graphql": {"database": "sqlite", "graphql": "yes"},
    "sqlite-redis": {"database": "sqlite", "use_redis": "yes"},
    "sqlite-redis-taskiq": {"database": "sqlite", "use_redis": "yes", "task_queue": "taskiq"},
    "postgresql": {"database": "postgresql"},
    "postgresql-redis-graphql": {"database": "postgresql", "use_redis": "yes", "graphql": "yes"},
    "postgresql-all-on": {
        "database": "postgresql",
        "use_redis": "yes",
        "task_queue": "taskiq",
        "use_sentry": "yes",
        "use_opentelemetry": "yes",
    },
    "mysql": {"database": "mysql"},
    "mysql-redis": {"database": "mysql", "use_redis": "yes"},
    "mysql-redis-taskiq": {"database": "mysql", "use_redis": "yes", "task_queue": "taskiq"},
}


def _database_url(request: pytest.FixtureRequest, database: str, name: str, output: Path) -> str:
    """A server URL for the variant's own database; its suite creates `<name>_test_<worker>`."""
    if database == "postgresql":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        postgres.create_database(name)
        return postgres.url(name)
    if database == "mysql":
        mariadb: MariaDBServer = request.getfixturevalue("mariadb")
        mariadb.create_database(name)
        return mariadb.url(name)
    return f"sqlite+aiosqlite:///{output / 'app.db'}"


@pytest.fixture(scope="module", params=list(VARIANTS.values()), ids=list(VARIANTS))
def baked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Baked:
    """A synced project of one variant, with the servers it needs and their URLs in its env."""
    answers: dict[str, str] = request.param
    index = list(VARIANTS.values()).index(answers)
    output = tmp_path_factory.mktemp(f"bake-{list(VARIANTS)[index]}")
    path = bake_project(output, answers)
    run(uv(), "sync", "--locked", cwd=path)
    # A shared environment would have one variant's suite run another variant's code.
    assert (path / ".venv").is_dir(), "uv sync did not give the project its own .venv"
    # One database per variant on a shared server, so variants never see each other's rows.
    name = f"my_service_{index}"
    env = {"DATABASE_URL": _database_url(request, answers["database"], name, output)}
    if answers.get("use_redis") == "yes":
        redis: RedisServer = request.getfixturevalue("redis")
        # The suite flushes this database before each test: one database index per variant.
        env["TEST_REDIS_URL"] = redis.url(index + 1)
    return Baked(path=path, env=env)


def test_ruff_is_clean(baked: Baked) -> None:
    baked.run("ruff", "check", ".")
    baked.run("ruff", "format", "--check", ".")


def test_mypy_strict_is_clean(baked: Baked) -> None:
    assert "Success" in baked.run("mypy")


def test_migrations_round_trip_and_match_models(baked: Baked) -> None:
    baked.run("alembic", "upgrade", "head")
    baked.run("alembic", "check")
    baked.run("alembic", "downgrade", "base")
    baked.run("alembic", "upgrade", "head")
    assert "No new upgrade operations detected" in baked.run("alembic", "check")


def test_generated_suite_passes_with_coverage(baked: Baked) -> None:
    output = baked.run("pytest", "-p", "no:cacheprovider", timeout=SUITE_TIMEOUT)

    assert " passed" in output
    assert "failed" not in output
    assert "Required test coverage of 90" in output


# Every optional dependency but a server database's driver, for the lowest-versions run.
LOWEST_VERSIONS_VARIANT = {
    "database": "sqlite",
    "use_redis": "yes",
    "task_queue": "taskiq",
    "graphql": "yes",
    "use_sentry": "yes",
    "use_opentelemetry": "yes",
}


def test_sqlite_all_on_suite_passes_on_the_lowest_direct_versions(
    tmp_path: Path, redis: RedisServer
) -> None:
    # The lower bounds in pyproject.toml are promises: keep them true.
    project = bake_project(tmp_path, LOWEST_VERSIONS_VARIANT)
    env = {
        "UV_RESOLUTION": "lowest-direct",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "TEST_REDIS_URL": redis.url(len(VARIANTS) + 1),
    }
    run(uv(), "lock", cwd=project, env=env)
    output = run(
        uv(),
        "run",
        "--locked",
        "pytest",
        "-p",
        "no:cacheprovider",
        cwd=project,
        env=env,
        timeout=SUITE_TIMEOUT,
    )

    assert " passed" in output.stdout
    assert "failed" not in output.stdout
