"""First run: a fast `--help`, one clear line when the database is down, a kept secret key."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.config import PLACEHOLDER_SECRET, get_settings
from tests.conftest import PRODUCTION_ENV, free_port

PACKAGE = "{{ cookiecutter.package_name }}"
ENV_EXAMPLE = Path(__file__).parents[2] / ".env.example"
# What a command runs on: none of it is needed to parse the command line.
HEAVY_MODULES = {
    "alembic",
    "fastapi",
    "pydantic",
    "pydantic_settings",
    "sqlalchemy",
    "starlette",
    "structlog",
    "uvicorn",
}
SECRET_LINE = re.compile(r"^AUTH__SECRET_KEY=(.*)$", re.MULTILINE)
SERVER_ADVICE = (
    "check that the server is running, that DATABASE_URL is right, and that DB__SSL "
    "(verify-full by default in production) suits the server's TLS"
)
# id -> (DATABASE_URL, the advice of its one-line error); {tmp} stands for a scratch
# directory, {port} for a loopback port nothing listens on.
UNREACHABLE_DATABASES = {
    "sqlite-directory-missing": (
        "sqlite+aiosqlite:///{tmp}/no-such-directory/app.db",
        "check that its directory exists and is writable, or fix DATABASE_URL",
    ),
{%- if cookiecutter.database == "postgresql" %}
    "server-not-listening": ("postgresql+asyncpg://app:s3cret@127.0.0.1:{port}/app", SERVER_ADVICE),
{%- elif cookiecutter.database == "mysql" %}
    "server-not-listening": ("mysql+asyncmy://app:s3cret@127.0.0.1:{port}/app", SERVER_ADVICE),
{%- endif %}
}


def _run_cli(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m <package> ARGS` in `cwd`, free of the developer's settings."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if "__" not in key and key != "DATABASE_URL" and not key.startswith("OTEL_")
    }
    return subprocess.run(  # noqa: S603 - the project's own CLI
        [sys.executable, *args],
        cwd=cwd,
        env={**inherited, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["serve", "--help"], ["serve", "--port", "not-a-number"]],
    ids=["help", "command-help", "usage-error"],
)
def test_parsing_the_command_line_imports_nothing_heavy(tmp_path: Path, argv: list[str]) -> None:
    result = _run_cli(tmp_path, "-X", "importtime", "-m", PACKAGE, *argv)

    imported = _imported_packages(result.stderr)
    assert PACKAGE in imported, result.stderr
    assert sorted(imported & HEAVY_MODULES) == []
    assert result.returncode == (2 if argv[-1] == "not-a-number" else 0), result.stderr


def test_serving_in_production_imports_no_migration_or_template_tooling(tmp_path: Path) -> None:
    # Production never migrates on `serve`: alembic would only slow every cold start.
    until_the_server_starts = (
        "import uvicorn\n"
        "uvicorn.run = lambda *args, **kwargs: None\n"
        f"from {PACKAGE} import cli\n"
        "raise SystemExit(cli.main(['serve']))\n"
    )
    production = {
        **PRODUCTION_ENV,
        "AUTH__SECRET_KEY": "a production secret key long enough to be accepted ok",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/app.db",
    }

    result = _run_cli(tmp_path, "-X", "importtime", "-c", until_the_server_starts, **production)

    imported = _imported_packages(result.stderr)
    assert result.returncode == 0, result.stderr
    assert {"fastapi", "sqlalchemy"} <= imported, "the app was not built"
    # Nor does it render a message before the first one is sent.
    assert imported.isdisjoint({"alembic", "jinja2"})


def _imported_packages(importtime_output: str) -> set[str]:
    # -X importtime lists every module imported, one per line: "... | <module>".
    return {
        line.rpartition("|")[2].strip().split(".")[0]
        for line in importtime_output.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.parametrize("command", ["migrate", "serve"])
@pytest.mark.parametrize(
    ("url_template", "advice"), UNREACHABLE_DATABASES.values(), ids=UNREACHABLE_DATABASES.keys()
)
def test_an_unreachable_database_is_one_line_naming_the_url(
    tmp_path: Path, command: str, url_template: str, advice: str
) -> None:
    url = url_template.format(tmp=tmp_path, port=free_port())

    result = _run_cli(tmp_path, "-m", PACKAGE, command, DATABASE_URL=url)

    assert result.returncode == 1, result.stderr
    masked = url.replace(":s3cret@", ":***@")
    assert re.fullmatch(
        rf"error: cannot reach the database at {re.escape(masked)} \(\w+\); {re.escape(advice)}\n",
        result.stderr,
    ), result.stderr
    assert result.stdout == ""


def _serve(monkeypatch: pytest.MonkeyPatch) -> int:
    """`serve` up to the point where the server would start."""
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **_kwargs: None)
    return cli.main(["serve"])


def _secret(env_text: str) -> str:
    found = SECRET_LINE.findall(env_text)
    assert len(found) == 1, env_text
    return str(found[0])


def test_serve_replaces_the_placeholder_secret_of_a_hand_made_env(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = ENV_EXAMPLE.read_text(encoding="utf-8") + "LOG__LEVEL=WARNING  # my own line\n"
    env_file = workdir / ".env"
    env_file.write_text(before, encoding="utf-8")
    env_file.chmod(0o640)

    assert _serve(monkeypatch) == 0

    after = env_file.read_text(encoding="utf-8")
    changed = [
        (old, new)
        for old, new in zip(before.splitlines(), after.splitlines(), strict=True)
        if old != new
    ]
    assert [old for old, _ in changed] == [f"AUTH__SECRET_KEY={PLACEHOLDER_SECRET}"]
    secret = _secret(after)
    assert len(secret) >= 32
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o640
    assert get_settings().secret_key == secret  # the one the server signs with
    assert capsys.readouterr().err.splitlines() == [
        "Wrote a new random secret key to .env (AUTH__SECRET_KEY was the placeholder)."
    ]


def test_the_written_secret_survives_a_restart(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = workdir / ".env"
    env_file.write_text(ENV_EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    assert _serve(monkeypatch) == 0
    written = env_file.read_text(encoding="utf-8")
    capsys.readouterr()

    assert _serve(monkeypatch) == 0

    assert env_file.read_text(encoding="utf-8") == written
    assert get_settings().secret_key == _secret(written)
    assert "secret key" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("before", "after", "was"),
    [
        (
            "AUTH__SECRET_KEY=\nLOG__LEVEL=WARNING\n",
            "AUTH__SECRET_KEY={}\nLOG__LEVEL=WARNING\n",
            "empty",
        ),
        (
            'export AUTH__SECRET_KEY="change-me"\n',
            "export AUTH__SECRET_KEY={}\n",
            "the placeholder",
        ),
        ("LOG__LEVEL=WARNING", "LOG__LEVEL=WARNING\nAUTH__SECRET_KEY={}\n", "missing"),
    ],
    ids=["empty", "quoted-placeholder", "missing"],
)
def test_serve_gives_env_a_secret_where_none_was_chosen(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    before: str,
    after: str,
    was: str,
) -> None:
    env_file = workdir / ".env"
    env_file.write_text(before, encoding="utf-8")

    assert _serve(monkeypatch) == 0

    text = env_file.read_text(encoding="utf-8")
    secret = get_settings().secret_key
    assert text == after.format(secret)
    assert capsys.readouterr().err.splitlines() == [
        f"Wrote a new random secret key to .env (AUTH__SECRET_KEY was {was})."
    ]


def test_serve_leaves_a_chosen_secret_alone(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = "AUTH__SECRET_KEY=a-secret-somebody-chose-0123456789abcdef\nLOG__LEVEL=WARNING\n"
    (workdir / ".env").write_text(before, encoding="utf-8")

    assert _serve(monkeypatch) == 0
    assert (workdir / ".env").read_text(encoding="utf-8") == before


def test_a_secret_key_in_the_environment_leaves_env_alone(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = ENV_EXAMPLE.read_text(encoding="utf-8")
    (workdir / ".env").write_text(before, encoding="utf-8")
    monkeypatch.setenv("AUTH__SECRET_KEY", "from-the-environment-0123456789abcdef")

    assert _serve(monkeypatch) == 0
    assert (workdir / ".env").read_text(encoding="utf-8") == before


@pytest.mark.parametrize("where", ["environment", "env-file"])
def test_production_never_writes_a_secret_and_refuses_the_placeholder(
    workdir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    before = ENV_EXAMPLE.read_text(encoding="utf-8")
    if where == "environment":
        monkeypatch.setenv("APP__ENVIRONMENT", "production")
    else:
        before = before.replace("APP__ENVIRONMENT=development", "APP__ENVIRONMENT=production")
        assert "APP__ENVIRONMENT=production" in before
    (workdir / ".env").write_text(before, encoding="utf-8")

    assert _serve(monkeypatch) == 1

    assert (workdir / ".env").read_text(encoding="utf-8") == before
    err = capsys.readouterr().err
    assert err.startswith("error: invalid configuration:")
    assert "AUTH__SECRET_KEY" in err
