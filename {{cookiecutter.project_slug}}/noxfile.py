"""Development sessions: `uvx nox` runs them all."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "typecheck", "migrations", "tests"]


def _sync(session: nox.Session) -> None:
    """Install the locked dependencies (uv.lock), the same versions CI and the image get."""
    session.run_install(
        "uv", "sync", "--locked", env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location}
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and check formatting with ruff."""
    _sync(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """Type-check the package and the tests with mypy --strict."""
    _sync(session)
    session.run("mypy")


@nox.session
def migrations(session: nox.Session) -> None:
    """Migrate a scratch database up, down and up again, then check models match."""
    _sync(session)
    database = session.create_tmp() + "/migrations.db"
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    session.run("alembic", "upgrade", "head", env=env)
    session.run("alembic", "downgrade", "base", env=env)
    session.run("alembic", "upgrade", "head", env=env)
    session.run("alembic", "check", env=env)


@nox.session
def fuzz(session: nox.Session) -> None:
    """Run the schemathesis contract test with many more examples per operation."""
    _sync(session)
    examples = session.posargs[0] if session.posargs else "500"
    session.run(
        "pytest",
        "tests/security/test_schemathesis.py",
        "--no-cov",
        env={"FUZZ_EXAMPLES": examples},
    )


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite with coverage."""
    _sync(session)
    session.run("pytest", *session.posargs)
