"""The command-line interface, run in-process against a scratch directory."""

from __future__ import annotations

import asyncio
import io
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from alembic.script import ScriptDirectory

from {{ cookiecutter.package_name }} import cli, commands
from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.db import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.core.http_protocol import BoundedHttpToolsProtocol
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.models import Role, User

PROJECT_DIR = Path(__file__).parents[2]
ENV_EXAMPLE = PROJECT_DIR / ".env.example"
PACKAGE = "{{ cookiecutter.package_name }}"
# Where the docs tell users how to run the CLI.
DOCS = [path for path in (PROJECT_DIR / "README.md", PROJECT_DIR / "AGENTS.md") if path.exists()]
FLAG = re.compile(r"--[a-z][a-z-]*")
{%- if cookiecutter.database == "postgresql" %}
# A driver this variant does not install.
MISSING_DRIVER_URL, MISSING_DRIVER = "mysql+asyncmy://app@127.0.0.1:3306/app", "asyncmy"
{%- else %}
# A driver this variant does not install.
MISSING_DRIVER_URL, MISSING_DRIVER = "postgresql+asyncpg://app@127.0.0.1:5432/app", "asyncpg"
{%- endif %}


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
    assert protocol.func is BoundedHttpToolsProtocol
    assert protocol.keywords == {"head_timeout": 15.0}
    assert calls == [
        {
            "app": "{{ cookiecutter.package_name }}.main:app",
            "host": "127.0.0.1",
            "port": 8123,
            "reload": False,
            "workers": 1,
            "limit_concurrency": 1000,
            "timeout_keep_alive": 5,
            "proxy_headers": False,
            "log_config": None,
            "access_log": False,
            "server_header": False,
            "timeout_graceful_shutdown": 20,
        }
    ]


def _revisions() -> list[tuple[str, str]]:
    """The migrations' (revision, message), oldest first."""
    script = ScriptDirectory.from_config(commands.alembic_config(get_settings()))
    return [(revision.revision, revision.doc) for revision in reversed([*script.walk_revisions()])]


@pytest.mark.usefixtures("workdir")
def test_migrate_lists_each_migration_it_applies(capsys: pytest.CaptureFixture[str]) -> None:
    (first, first_doc), *rest = _revisions()

    assert cli.main(["migrate", first]) == 0
    assert capsys.readouterr().out.splitlines() == [f"Applied migration {first}: {first_doc}"]
    assert cli.main(["migrate"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"Applied migration {revision}: {doc}" for revision, doc in rest
    ]


@pytest.mark.usefixtures("workdir")
def test_migrate_at_head_says_there_is_nothing_to_apply(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["migrate"]) == 0
    capsys.readouterr()

    assert cli.main(["migrate"]) == 0
    head = _revisions()[-1][0]
    assert capsys.readouterr().out.splitlines() == [
        f"The database is already at head ({head}); nothing to apply."
    ]


@pytest.mark.usefixtures("workdir")
def test_a_missing_database_driver_is_one_line_naming_the_package(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", MISSING_DRIVER_URL)

    assert cli.main(["migrate"]) == 1
    drivername = MISSING_DRIVER_URL.partition(":")[0]
    assert capsys.readouterr().err.splitlines() == [
        (
            f"error: the database driver for {drivername} is not installed "
            f"(no module '{MISSING_DRIVER}'): add it with `uv add {MISSING_DRIVER}`"
        )
    ]


def _help_flags(command: str, capsys: pytest.CaptureFixture[str]) -> set[str]:
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    return set(FLAG.findall(capsys.readouterr().out))


def test_every_flag_the_docs_name_exists(capsys: pytest.CaptureFixture[str]) -> None:
    invocation = re.compile(rf"{PACKAGE} (?P<command>[a-z][a-z-]*)(?P<rest>[^`\n#|]*)")
    named: dict[str, set[str]] = {}
    standalone: set[str] = set()
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for match in invocation.finditer(text):
            named.setdefault(match["command"], set()).update(FLAG.findall(match["rest"]))
        # A flag quoted on its own, as in "(`--head-timeout`)", belongs to `serve`.
        standalone.update(re.findall(r"`(--[a-z][a-z-]*)`", text))
    named.setdefault("serve", set()).update(standalone)

    assert {"--workers", "--head-timeout"} <= named["serve"]  # the docs were read
    unknown = {
        command: sorted(flags - _help_flags(command, capsys)) for command, flags in named.items()
    }
    assert {command: flags for command, flags in unknown.items() if flags} == {}
{%- if cookiecutter.docker == "yes" %}


def test_the_image_and_compose_run_commands_the_cli_accepts() -> None:
    dockerfile = (PROJECT_DIR / "Dockerfile").read_text(encoding="utf-8")
    compose = (PROJECT_DIR / "compose.yaml").read_text(encoding="utf-8")
    image_command = re.search(r"^CMD (\[.*\])$", dockerfile, re.MULTILINE)
    assert image_command is not None
    argvs = [json.loads(image_command[1])]
    argvs += [
        json.loads(found) for found in re.findall(r"command: (\[.*\])$", compose, re.MULTILINE)
    ]
    ours = [argv[1:] for argv in argvs if argv[0] == PACKAGE]

    assert ours[0][0] == "serve"  # the image runs the API through `serve`
    assert ["migrate"] in ours
    for argv in ours:
        cli.build_parser().parse_args(argv)  # exits on an unknown command or flag
{%- endif %}
