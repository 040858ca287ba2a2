"""Sessions for the template itself: `uvx nox` runs lint, the fast suite and every variant."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["lint", "tests", "bake-sqlite", "bake-postgresql", "smoke"]

LINTED = ["hooks", "tests", "noxfile.py"]


@nox.session(name="lint")
def lint(session: nox.Session) -> None:
    """Lint, format-check and type-check the template's own code."""
    session.install("--group", "lint", "--group", "test")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("mypy")


@nox.session(name="tests")
def tests(session: nox.Session) -> None:
    """Bake every option value and check hooks, files and lint (fast)."""
    session.install("--group", "test")
    args = session.posargs or ["-n", "auto"]
    session.run("pytest", "-m", "not slow", *args)


@nox.session(name="bake-sqlite")
def bake_sqlite(session: nox.Session) -> None:
    """Bake the SQLite variant and run its sync, lint, mypy, migrations and suite."""
    session.install("--group", "test")
    session.run("pytest", "-m", "slow", "tests/test_variants.py", "-k", "sqlite", *session.posargs)


@nox.session(name="bake-postgresql")
def bake_postgresql(session: nox.Session) -> None:
    """Same as bake-sqlite on the PostgreSQL variant, against a real server."""
    session.install("--group", "test")
    session.run(
        "pytest", "-m", "slow", "tests/test_variants.py", "-k", "postgresql", *session.posargs
    )


@nox.session(name="smoke")
def smoke(session: nox.Session) -> None:
    """Serve a freshly generated project and use it over real HTTP."""
    session.install("--group", "test")
    session.run("pytest", "-m", "slow", "tests/test_smoke.py", *session.posargs)
