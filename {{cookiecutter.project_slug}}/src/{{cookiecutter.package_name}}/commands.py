"""What each command of the command line does; `cli.py` parses them."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import secrets
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

import uvicorn
from dotenv import dotenv_values
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.config import PLACEHOLDER_SECRET, Settings, get_settings
from {{ cookiecutter.package_name }}.core.db import DatabaseUnavailableError, check_database
from {{ cookiecutter.package_name }}.core.http_protocol import BoundedHttpToolsProtocol
from {{ cookiecutter.package_name }}.core.resources import check_database_reachable, open_resources
{%- if cookiecutter.graphql == "yes" %}
from {{ cookiecutter.package_name }}.graphql.schema import SCHEMA_TYPES
{%- endif %}
from {{ cookiecutter.package_name }}.main import create_app
{%- if cookiecutter.task_queue == "taskiq" %}
from {{ cookiecutter.package_name }}.tasks.worker import run_scheduler, run_worker
{%- endif %}
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.models import Role
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.runtime.migration import MigrationInfo

ENV_FILE = Path(".env")
ENV_EXAMPLE_FILE = Path(".env.example")
SECRET_KEY_VARIABLE = "AUTH__SECRET_KEY"  # noqa: S105 - a variable name, not a secret
# A secret key line whose value nobody chose: the placeholder of .env.example, or nothing.
UNCHOSEN_SECRET_LINE = re.compile(
    rf"^(?P<name>\s*(?:export\s+)?{SECRET_KEY_VARIABLE}\s*=\s*)"
    rf"(?P<quote>['\"]?)(?P<value>{re.escape(PLACEHOLDER_SECRET)})?(?P=quote)\s*(?:#.*)?$",
    re.IGNORECASE,
)
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit code 1."""


def run(args: argparse.Namespace) -> int:
    """Run the parsed command; a failure is one line on stderr and exit code 1."""
    handler = HANDLERS[args.command]
    try:
        if args.command == "serve":
            ensure_env_file()
        handler(args, _load_settings())
    except (CommandError, DatabaseUnavailableError) as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201 - the CLI's own output
        return 1
    return 0


def ensure_env_file() -> None:
    """In development, make sure .env holds a secret key that outlives the process.

    Without one, every process signs tokens with a random key of its own, and each restart
    signs everybody out. A missing .env is created from .env.example; a placeholder, empty
    or missing key in an existing one is written in place. Never in production, which
    refuses weak keys.
    """
    if _environment() != "development" or _secret_key_from_environment():
        return
    if not ENV_FILE.exists():
        if ENV_EXAMPLE_FILE.exists():
            text, _ = _with_new_secret(ENV_EXAMPLE_FILE.read_text(encoding="utf-8"))
            ENV_FILE.write_text(text, encoding="utf-8")
            ENV_FILE.chmod(0o600)
            print(f"Created {ENV_FILE} with a new random secret key.", file=sys.stderr)  # noqa: T201 - the CLI's own output
        return
    if _dotenv_value(SECRET_KEY_VARIABLE) not in {None, "", PLACEHOLDER_SECRET}:
        return
    text, was = _with_new_secret(ENV_FILE.read_text(encoding="utf-8"))
    # Written in place: the file keeps its mode, its owner and every other line.
    ENV_FILE.write_text(text, encoding="utf-8")
    print(  # noqa: T201 - the CLI's own output
        f"Wrote a new random secret key to {ENV_FILE} ({SECRET_KEY_VARIABLE} was {was}).",
        file=sys.stderr,
    )


def _with_new_secret(text: str) -> tuple[str, str]:
    """`text` with a fresh key in its secret key line, and what that line held before."""
    lines = text.splitlines(keepends=True)
    secret = secrets.token_urlsafe(48)
    # The last line counts, as python-dotenv reads the file.
    for number in reversed(range(len(lines))):
        body = lines[number].rstrip("\r\n")
        match = UNCHOSEN_SECRET_LINE.match(body)
        if match:
            lines[number] = f"{match['name']}{secret}{lines[number][len(body) :]}"
            return "".join(lines), "the placeholder" if match["value"] else "empty"
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return "".join([*lines, f"{SECRET_KEY_VARIABLE}={secret}\n"]), "missing"


def _environment() -> str:
    """APP__ENVIRONMENT as the settings will read it: the environment first, then .env."""
    for name, value in os.environ.items():
        if name.upper() == "APP__ENVIRONMENT":
            return value.strip().lower()
    from_file = _dotenv_value("APP__ENVIRONMENT")
    return (from_file or "development").strip().lower()


def _secret_key_from_environment() -> bool:
    return any(name.upper() == SECRET_KEY_VARIABLE for name in os.environ)


def _dotenv_value(name: str) -> str | None:
    if not ENV_FILE.exists():
        return None
    values = {key.upper(): value for key, value in dotenv_values(ENV_FILE).items()}
    return values.get(name)


def _load_settings() -> Settings:
    get_settings.cache_clear()
    try:
        return get_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc']) or 'settings'}: {e['msg']}"
            for e in error.errors()
        )
        msg = f"invalid configuration: {problems}"
        raise CommandError(msg) from None


def alembic_config(settings: Settings) -> Config:
    """Alembic configured for the packaged migrations and these settings."""
    # Alembic is imported only by the commands that migrate: it is a third of what the
    # CLI would otherwise import, and `serve` in production never migrates.
    from alembic.config import Config  # noqa: PLC0415 - lazily, see above

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = settings
    return config


def migrate_command(args: argparse.Namespace, settings: Settings) -> None:
    from alembic import command  # noqa: PLC0415 - see alembic_config()
    from alembic.script import Script, ScriptDirectory  # noqa: PLC0415 - see alembic_config()

    # A server that is down, or a missing SQLite directory, is one line, not a traceback.
    asyncio.run(check_database_reachable(settings))
    config = alembic_config(settings)
    applied: list[MigrationInfo] = []
    config.attributes["on_version_apply"] = lambda *, step, **_: applied.append(step)
    command.upgrade(config, args.revision)
    # Reported once the upgrade has committed, so no line claims what was rolled back.
    for step in applied:
        doc = step.up_revision.doc if isinstance(step.up_revision, Script) else ""
        print(f"Applied migration {step.up_revision_id}: {doc}")  # noqa: T201 - the CLI's own output
    if not applied:
        if args.revision == "head":
            head = ScriptDirectory.from_config(config).get_current_head()
            target = f"head ({head})"
        else:
            target = f"{args.revision} or later"
        print(f"The database is already at {target}; nothing to apply.")  # noqa: T201 - the CLI's own output


def serve_command(args: argparse.Namespace, settings: Settings) -> None:
    if not settings.is_production:
        migrate_command(argparse.Namespace(revision="head"), settings)
    # A partial of a module-level class pickles, so --workers and --reload processes get it.
    protocol = partial(BoundedHttpToolsProtocol, head_timeout=args.head_timeout)
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:app",
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        http=cast("type[asyncio.Protocol]", protocol),
        limit_concurrency=args.max_connections,
        timeout_keep_alive=args.keep_alive_timeout,
        # The app believes forwarded headers from APP__TRUSTED_PROXIES alone; uvicorn's own
        # handling would trust loopback peers whatever the settings say.
        proxy_headers=False,
        log_config=None,
        access_log=False,
        server_header=False,
        # SIGTERM stops new connections and lets in-flight requests finish, up to this long.
        timeout_graceful_shutdown=settings.app.graceful_shutdown_seconds,
    )


def create_superuser_command(args: argparse.Namespace, settings: Settings) -> None:
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else _prompt_password()
    try:
        data = UserCreate(email=args.email, password=password)
    except ValidationError as error:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in error.errors())
        raise CommandError(problems) from None
    asyncio.run(_create_superuser(settings, data))
    print(f"Created admin {data.email}.")  # noqa: T201 - the CLI's own output


def _prompt_password() -> str:
    if not sys.stdin.isatty():
        msg = "no terminal to prompt for a password; use --password-stdin"
        raise CommandError(msg)
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password (again): ") != password:
        msg = "the passwords do not match"
        raise CommandError(msg)
    return password


async def _create_superuser(settings: Settings, data: UserCreate) -> None:
    async with open_resources(settings) as resources:
        await check_database(resources.engine, timeout_seconds=settings.db.connect_timeout_seconds)
        hashed_password = await resources.password_hasher.hash(data.password)
        async with resources.sessionmaker.begin() as session:
            if await users_service.get_by_email(session, email=data.email) is not None:
                msg = f"a user with email {data.email} already exists"
                raise CommandError(msg)
            await users_service.create(
                session, email=data.email, hashed_password=hashed_password, role=Role.ADMIN
            )


def openapi_command(args: argparse.Namespace, settings: Settings) -> None:
    _write(args.output, json.dumps(create_app(settings).openapi(), indent=2) + "\n")
{%- if cookiecutter.graphql == "yes" %}


def graphql_schema_command(args: argparse.Namespace, _settings: Settings) -> None:
    _write(args.output, SCHEMA_TYPES.as_str() + "\n")
{%- endif %}


def _write(output: str, text: str) -> None:
    if output == "-":
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
        print(f"Wrote {output}.", file=sys.stderr)  # noqa: T201 - the CLI's own output
{%- if cookiecutter.task_queue == "taskiq" %}


def worker_command(args: argparse.Namespace, settings: Settings) -> None:
    status = run_worker(settings, processes=args.processes)
    if status:
        msg = f"the worker exited with status {status}"
        raise CommandError(msg)


def scheduler_command(_args: argparse.Namespace, settings: Settings) -> None:
    run_scheduler(settings)
{%- endif %}


HANDLERS: dict[str, Callable[[argparse.Namespace, Settings], None]] = {
    "serve": serve_command,
    "migrate": migrate_command,
    "create-superuser": create_superuser_command,
    "openapi": openapi_command,
{%- if cookiecutter.graphql == "yes" %}
    "graphql-schema": graphql_schema_command,
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}
    "worker": worker_command,
    "scheduler": scheduler_command,
{%- endif %}
}
