"""Sessions for the template itself: `uvx nox` runs lint, the fast suite and every variant."""

from __future__ import annotations

import sys
from pathlib import Path

import nox

# nox imports this file without putting its folder on sys.path.
sys.path.insert(0, str(Path(__file__).parent))
from tests.provision import provision

nox.options.default_venv_backend = "uv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = [
    "lint",
    "tests",
    "bake-sqlite",
    "bake-postgresql",
    "bake-mysql",
    "scale-out",
    "smoke",
    "agent-docs",
    "cruft",
]

LINTED = ["hooks", "tests", "noxfile.py"]


def provide_servers(session: nox.Session) -> None:
    """Install (or name) the servers of every session in this run, before any of them tests.

    Every session calls this first, since any of them may be the first of a run; once the
    packages are in, the later calls find nothing missing.
    """
    # nox has no public view of the run: its manifest lists the sessions queued after this one.
    # Should a nox release move it, provide for every default session instead.
    try:
        manifest = session._runner.manifest
    except AttributeError:
        provision([session.name, *(nox.options.sessions or [])])
        return
    queued = [other.name for other, selected in manifest.list_all_sessions() if selected]
    provision([session.name, *queued])


def _install(session: nox.Session, *groups: str) -> None:
    """The template's own tools at the versions its uv.lock pins, into the session's venv."""
    only = [arg for group in groups for arg in ("--only-group", group)]
    session.run_install(
        "uv",
        "sync",
        "--locked",
        *only,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session(name="lint")
def lint(session: nox.Session) -> None:
    """Lint, format-check and type-check the template's own code."""
    provide_servers(session)
    _install(session, "lint", "test")
    session.run("ruff", "check", *LINTED)
    session.run("ruff", "format", "--check", *LINTED)
    session.run("mypy")


@nox.session(name="tests")
def tests(session: nox.Session) -> None:
    """Bake every option value and check hooks, files and lint (fast)."""
    provide_servers(session)
    _install(session, "test")
    args = session.posargs or ["-n", "auto"]
    session.run("pytest", "-m", "not slow", *args)


def _run_slow(session: nox.Session, test_file: str) -> None:
    """One slow test file, with any arguments given after `--`."""
    _install(session, "test")
    session.run("pytest", "-m", "slow", f"tests/{test_file}", *session.posargs)


def _bake_variants(session: nox.Session, database: str) -> None:
    """The slow variants of one database (ids start with its name): sync, lint, mypy, suite.

    One variant's checks keep about one core busy, so two workers run two variants side by
    side. Each worker starts its own servers and bakes a variant once for the checks it gets
    (a variant split across both workers costs one extra bake and `uv sync`, seconds).
    """
    _install(session, "test")
    args = session.posargs or ["-n", "2"]
    session.run("pytest", "-m", "slow", "tests/test_variants.py", "-k", database, *args)


@nox.session(name="bake-sqlite")
def bake_sqlite(session: nox.Session) -> None:
    """Bake the SQLite variants (alone, with Redis, with taskiq) and run their tools and suite."""
    provide_servers(session)
    _bake_variants(session, "sqlite")


@nox.session(name="bake-postgresql")
def bake_postgresql(session: nox.Session) -> None:
    """Same as bake-sqlite on the PostgreSQL variants, against real servers; then DB__SSL."""
    provide_servers(session)
    _bake_variants(session, "postgresql")
    session.run("pytest", "-m", "slow", "tests/test_database_tls.py", "-k", "postgresql")


@nox.session(name="bake-mysql")
def bake_mysql(session: nox.Session) -> None:
    """Same as bake-sqlite on the MySQL variants, against a real MariaDB (and Redis); DB__SSL."""
    provide_servers(session)
    _bake_variants(session, "mysql")
    session.run("pytest", "-m", "slow", "tests/test_database_tls.py", "-k", "mysql")


@nox.session(name="scale-out")
def scale_out(session: nox.Session) -> None:
    """Run several instances of a generated project against shared servers."""
    provide_servers(session)
    _run_slow(session, "test_scale_out.py")


@nox.session(name="smoke")
def smoke(session: nox.Session) -> None:
    """Serve a freshly generated project and use it over real HTTP."""
    provide_servers(session)
    _run_slow(session, "test_smoke.py")


@nox.session(name="agent-docs")
def agent_docs(session: nox.Session) -> None:
    """Bake projects and run every command their coding-agent files give."""
    provide_servers(session)
    _run_slow(session, "test_agent_files.py")


@nox.session(name="cruft")
def cruft(session: nox.Session) -> None:
    """Update a generated project with `cruft update` and run its suite afterwards."""
    provide_servers(session)
    _run_slow(session, "test_cruft.py")


@nox.session(name="bench")
def bench(session: nox.Session) -> None:
    """Bake a project and benchmark it against a bare FastAPI app (not run by default)."""
    provide_servers(session)
    _install(session, "test")
    session.run("python", "-m", "tests.bench", *session.posargs)


@nox.session(name="lock")
def lock(session: nox.Session) -> None:
    """Lock every dependency variant and rewrite the generated projects' uv.lock template.

    `uvx nox -s lock` keeps the locked versions (after a dependency change in pyproject);
    `uvx nox -s lock -- --upgrade` moves to the newest. Run the whole CI after either.
    """
    provide_servers(session)
    _install(session, "test")
    session.run("python", "-m", "tests.dependency_lock", *session.posargs)


@nox.session(name="openapi")
def openapi(session: nox.Session) -> None:
    """Rewrite the generated projects' committed openapi.json template from baked variants.

    Run it after changing a route or schema; each variant's suite checks the result.
    """
    provide_servers(session)
    _install(session, "test")
    session.run("python", "-m", "tests.openapi_document")
