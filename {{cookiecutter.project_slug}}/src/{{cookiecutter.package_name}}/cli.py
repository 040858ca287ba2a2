"""The `{{ cookiecutter.package_name }}` command line; `--help` lists its commands."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import secrets
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any, cast

import h11
import uvicorn
from alembic import command
from alembic.config import Config
from pydantic import ValidationError
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from {{ cookiecutter.package_name }}.core.config import PLACEHOLDER_SECRET, Settings, get_settings
from {{ cookiecutter.package_name }}.core.resources import open_resources
from {{ cookiecutter.package_name }}.main import create_app
{%- if cookiecutter.task_queue == "taskiq" %}
from {{ cookiecutter.package_name }}.tasks.worker import run_scheduler, run_worker
{%- endif %}
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.models import Role
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

ENV_FILE = Path(".env")
ENV_EXAMPLE_FILE = Path(".env.example")
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# A request line and headers larger than this are refused (400) and the connection closed.
MAX_REQUEST_HEAD_BYTES = 16 * 1024


class CommandError(Exception):
    """A failure to report as one line on stderr, with exit code 1."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            ensure_env_file()
        settings = _load_settings()
        args.handler(args, settings)
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)  # noqa: T201 - the CLI's own output
        return 1
    return 0


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="{{ cookiecutter.package_name }}", description="{{ cookiecutter.description }}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="Run the API server (in development: create .env and migrate first)."
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="Address to bind (default: %(default)s)."
    )
    serve.add_argument("--port", type=int, default=8000, help="Port (default: %(default)s).")
    serve.add_argument("--reload", action="store_true", help="Restart on code changes.")
    serve.add_argument(
        "--workers", type=int, default=1, help="Server processes (default: %(default)s)."
    )
    serve.add_argument(
        "--max-connections",
        type=int,
        default=1000,
        help="Open connections per process; past it requests get 503 (default: %(default)s).",
    )
    serve.add_argument(
        "--head-timeout",
        type=float,
        default=15.0,
        help="Seconds a client gets to send a request's line and headers (default: %(default)s).",
    )
    serve.add_argument(
        "--keep-alive-timeout",
        type=int,
        default=5,
        help="Seconds an idle connection stays open (default: %(default)s).",
    )
    serve.set_defaults(handler=serve_command)

    migrate = commands.add_parser("migrate", help="Apply database migrations.")
    migrate.add_argument("revision", nargs="?", default="head", help="Target (default: head).")
    migrate.set_defaults(handler=migrate_command)

    superuser = commands.add_parser("create-superuser", help="Create an admin account.")
    superuser.add_argument("--email", required=True)
    superuser.add_argument(
        "--password-stdin",
        action="store_true",
        help="Read the password from standard input instead of prompting.",
    )
    superuser.set_defaults(handler=create_superuser_command)

    openapi = commands.add_parser("openapi", help="Write the OpenAPI specification as JSON.")
    openapi.add_argument(
        "--output", "-o", default="openapi.json", help="File to write, or - for stdout."
    )
    openapi.set_defaults(handler=openapi_command)
{%- if cookiecutter.task_queue == "taskiq" %}

    worker = commands.add_parser("worker", help="Run background jobs from the queue.")
    worker.add_argument(
        "--processes", type=int, default=1, help="Worker processes (default: %(default)s)."
    )
    worker.set_defaults(handler=worker_command)

    scheduler = commands.add_parser(
        "scheduler", help="Enqueue periodic jobs on time (run exactly one per deployment)."
    )
    scheduler.set_defaults(handler=scheduler_command)
{%- endif %}
    return parser


def ensure_env_file() -> None:
    """In development, create .env from .env.example with a fresh secret key."""
    if ENV_FILE.exists() or not ENV_EXAMPLE_FILE.exists():
        return
    if os.environ.get("APP__ENVIRONMENT", "development") != "development":
        return
    template = ENV_EXAMPLE_FILE.read_text(encoding="utf-8")
    ENV_FILE.write_text(
        template.replace(PLACEHOLDER_SECRET, secrets.token_urlsafe(48), 1), encoding="utf-8"
    )
    ENV_FILE.chmod(0o600)
    print(f"Created {ENV_FILE} with a new random secret key.", file=sys.stderr)  # noqa: T201 - the CLI's own output


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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = settings
    return config


def migrate_command(args: argparse.Namespace, settings: Settings) -> None:
    command.upgrade(alembic_config(settings), args.revision)


def serve_command(args: argparse.Namespace, settings: Settings) -> None:
    if not settings.is_production:
        migrate_command(argparse.Namespace(revision="head"), settings)
    # A partial of a module-level class pickles, so --workers and --reload processes get it.
    protocol = partial(HeadTimeoutH11Protocol, head_timeout=args.head_timeout)
    uvicorn.run(
        "{{ cookiecutter.package_name }}.main:app",
        host=args.host,
        port=args.port,
        reload=args.reload,
        workers=args.workers,
        http=cast("type[asyncio.Protocol]", protocol),
        h11_max_incomplete_event_size=MAX_REQUEST_HEAD_BYTES,
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


class HeadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections that take too long to send a request head.

    uvicorn times out idle keep-alive connections, but not one that never completes its
    first request line and headers, nor one that trickles them in a byte at a time.
    """

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        head_timeout: float,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_timeout = head_timeout
        self.head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(cast("asyncio.Transport", transport))
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._check_head()

    def on_response_complete(self) -> None:
        self._await_head()
        super().on_response_complete()
        self._check_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        self._cancel_deadline()
        self.head_deadline = self.loop.call_later(self.head_timeout, self.transport.close)

    def _check_head(self) -> None:
        # h11 leaves IDLE once it has parsed a whole request head.
        if self.conn.their_state is not h11.IDLE:
            self._cancel_deadline()

    def _cancel_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None


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
        hashed_password = await resources.password_hasher.hash(data.password)
        async with resources.sessionmaker.begin() as session:
            if await users_service.get_by_email(session, email=data.email) is not None:
                msg = f"a user with email {data.email} already exists"
                raise CommandError(msg)
            await users_service.create(
                session, email=data.email, hashed_password=hashed_password, role=Role.ADMIN
            )


def openapi_command(args: argparse.Namespace, settings: Settings) -> None:
    spec = json.dumps(create_app(settings).openapi(), indent=2) + "\n"
    if args.output == "-":
        sys.stdout.write(spec)
    else:
        Path(args.output).write_text(spec, encoding="utf-8")
        print(f"Wrote {args.output}.", file=sys.stderr)  # noqa: T201 - the CLI's own output
{%- if cookiecutter.task_queue == "taskiq" %}


def worker_command(args: argparse.Namespace, settings: Settings) -> None:
    status = run_worker(settings, processes=args.processes)
    if status:
        msg = f"the worker exited with status {status}"
        raise CommandError(msg)


def scheduler_command(_args: argparse.Namespace, settings: Settings) -> None:
    run_scheduler(settings)
{%- endif %}
