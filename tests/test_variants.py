"""Slow tier: bake each database variant, install it, and run its tools and suite for real.

PostgreSQL variants run against a real server started by the `postgres` fixture.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from tests.conftest import TEMPLATE_DIR, run, uv
from tests.servers import PostgresServer

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Baked:
    path: Path
    env: dict[str, str]

    def run(self, *command: str, env: dict[str, str] | None = None) -> str:
        return run(uv(), "run", *command, cwd=self.path, env={**self.env, **(env or {})}).stdout


# Readable id -> answers; `nox -s bake-postgresql` runs every id containing "postgresql".
VARIANTS: dict[str, dict[str, str]] = {
    "sqlite": {"database": "sqlite"},
    "postgresql": {"database": "postgresql"},
    "postgresql-all-on": {
        "database": "postgresql",
        "use_sentry": "yes",
        "use_opentelemetry": "yes",
    },
}


@pytest.fixture(scope="module", params=list(VARIANTS.values()), ids=list(VARIANTS))
def baked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Baked:
    """A synced project of one variant, with DATABASE_URL for its database."""
    answers: dict[str, str] = request.param
    database = answers["database"]
    output = tmp_path_factory.mktemp(f"bake-{database}")
    path = Path(
        cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=answers, output_dir=output)
    )
    run(uv(), "sync", cwd=path)
    if database == "postgresql":
        postgres: PostgresServer = request.getfixturevalue("postgres")
        name = f"my_service_{list(VARIANTS.values()).index(answers)}"  # one per variant
        postgres.create_database(name)
        env = {"DATABASE_URL": postgres.url(name)}
    else:
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{output / 'app.db'}"}
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
    output = baked.run("pytest", "-p", "no:cacheprovider")

    assert " passed" in output
    assert "failed" not in output
    assert "Required test coverage of 90" in output
