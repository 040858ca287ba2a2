"""The command-line interface, run in-process against a scratch directory."""

from __future__ import annotations

import asyncio
import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.db import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.models import Role, User

ENV_EXAMPLE = Path(__file__).parents[2] / ".env.example"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A project-like directory with its own SQLite database and no inherited settings."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("AUTH__ARGON2_MEMORY_KIB", "8192")
    monkeypatch.setenv("AUTH__ARGON2_TIME_COST", "1")
    monkeypatch.delenv("APP__ENVIRONMENT", raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _find_user(email: str) -> User | None:
    async def find() -> User | None:
        engine = create_engine(get_settings())
        try:
            async with create_sessionmaker(engine)() as session:
                return await users_service.get_by_email(session, email=email)
        finally:
            await engine.dispose()

    get_settings.cache_clear()
    return asyncio.run(find())


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])

    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "migrate", "create-superuser", "openapi"):
        assert command in out


def test_openapi_writes_spec(workdir: Path) -> None:
    assert cli.main(["openapi", "--output", "spec.json"]) == 0

    spec = json.loads((workdir / "spec.json").read_text())
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/login" in spec["paths"]


@pytest.mark.usefixtures("workdir")
def test_openapi_to_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["openapi", "-o", "-"]) == 0

    assert json.loads(capsys.readouterr().out)["info"]["title"]


@pytest.mark.usefixtures("workdir")
def test_migrate_then_create_superuser(monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli.main(["migrate"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO("a strong admin password\n"))

    assert cli.main(["create-superuser", "--email", "Admin@Example.com", "--password-stdin"]) == 0

    admin = _find_user("admin@example.com")
    assert admin is not None
    assert admin.role is Role.ADMIN


@pytest.mark.usefixtures("workdir")
def test_create_superuser_twice_fails_cleanly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["migrate"]) == 0
    for _ in range(2):
        monkeypatch.setattr("sys.stdin", io.StringIO("a strong admin password\n"))
        code = cli.main(["create-superuser", "--email", "a@example.com", "--password-stdin"])

    assert code == 1
    assert "already exists" in capsys.readouterr().err


@pytest.mark.usefixtures("workdir")
@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a strong admin password", "email"),
        ("a@example.com", "short", "password"),
        ("a@example.com", "Password1!", "password: Value error, this password is too common"),
        ("a@example.com", "aaaaaaaaaa", "fewer than 4 different characters"),
    ],
    ids=["bad-email", "short-password", "common-password", "repeated-character"],
)
def test_create_superuser_rejects_bad_input(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    email: str,
    password: str,
    message: str,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))

    assert cli.main(["create-superuser", "--email", email, "--password-stdin"]) == 1
    assert message in capsys.readouterr().err


@pytest.mark.usefixtures("workdir")
def test_create_superuser_without_terminal_asks_for_stdin_flag(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    assert cli.main(["create-superuser", "--email", "a@example.com"]) == 1
    assert "--password-stdin" in capsys.readouterr().err


@pytest.mark.usefixtures("workdir")
def test_invalid_configuration_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP__ENVIRONMENT", "production")

    assert cli.main(["migrate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: invalid configuration:")
    assert "AUTH__SECRET_KEY" in err
    assert "Traceback" not in err


def test_serve_in_development_creates_env_and_migrates(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / ".env.example").write_text(ENV_EXAMPLE.read_text())
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))

    assert cli.main(["serve", "--port", "8123"]) == 0

    env_file = workdir / ".env"
    secret_line = next(
        line for line in env_file.read_text().splitlines() if line.startswith("AUTH__SECRET_KEY=")
    )
    assert len(secret_line.split("=", 1)[1]) >= 32
    assert "change-me" not in secret_line
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert (workdir / "cli.db").exists()
    protocol = calls[0].pop("http")
    assert protocol.func is cli.HeadTimeoutH11Protocol
    assert protocol.keywords == {"head_timeout": 15.0}
    assert calls == [
        {
            "app": "{{ cookiecutter.package_name }}.main:app",
            "host": "127.0.0.1",
            "port": 8123,
            "reload": False,
            "workers": 1,
            "h11_max_incomplete_event_size": 16 * 1024,
            "limit_concurrency": 1000,
            "timeout_keep_alive": 5,
            "proxy_headers": False,
            "log_config": None,
            "access_log": False,
            "server_header": False,
            "timeout_graceful_shutdown": 20,
        }
    ]


def test_serve_keeps_an_existing_env_file(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / ".env.example").write_text(ENV_EXAMPLE.read_text())
    (workdir / ".env").write_text("LOG__LEVEL=WARNING\n")
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **_kwargs: None)

    assert cli.main(["serve"]) == 0
    assert (workdir / ".env").read_text() == "LOG__LEVEL=WARNING\n"
