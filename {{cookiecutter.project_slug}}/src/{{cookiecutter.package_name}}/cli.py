"""The `{{ cookiecutter.package_name }}` command line; `--help` lists its commands.

Only the standard library is imported here, so `--help` and usage errors answer at once:
what a command runs on (FastAPI, SQLAlchemy, Alembic, uvicorn...) is imported by
`commands` once the command is known.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

SERVE_EPILOG = """\
Settings come from the environment and .env. Behind a reverse proxy, name it in
APP__TRUSTED_PROXIES (a JSON list of IPs or networks): X-Forwarded-For and
X-Forwarded-Proto are believed from those peers only. There is no proxy flag: the
application does this itself, whatever the server.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from {{ cookiecutter.package_name }} import commands  # noqa: PLC0415 - heavy: only once a command runs

    return commands.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="{{ cookiecutter.package_name }}", description="{{ cookiecutter.description }}"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="Run the API server (in development: give .env a secret key, migrate first).",
        epilog=SERVE_EPILOG,
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

    migrate = commands.add_parser("migrate", help="Apply database migrations.")
    migrate.add_argument("revision", nargs="?", default="head", help="Target (default: head).")

    superuser = commands.add_parser("create-superuser", help="Create an admin account.")
    superuser.add_argument("--email", required=True)
    superuser.add_argument(
        "--password-stdin",
        action="store_true",
        help="Read the password from standard input instead of prompting.",
    )

    openapi = commands.add_parser("openapi", help="Write the OpenAPI specification as JSON.")
    openapi.add_argument(
        "--output", "-o", default="openapi.json", help="File to write, or - for stdout."
    )
{%- if cookiecutter.graphql == "yes" %}

    graphql_schema = commands.add_parser(
        "graphql-schema", help="Write the GraphQL schema (SDL) that schema.graphql commits."
    )
    graphql_schema.add_argument(
        "--output", "-o", default="schema.graphql", help="File to write, or - for stdout."
    )
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}

    worker = commands.add_parser("worker", help="Run background jobs from the queue.")
    worker.add_argument(
        "--processes", type=int, default=1, help="Worker processes (default: %(default)s)."
    )

    commands.add_parser(
        "scheduler", help="Enqueue periodic jobs on time (run exactly one per deployment)."
    )
{%- endif %}
    return parser
