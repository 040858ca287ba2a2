"""Validate the answers before anything is written; print one line and exit 1 on error."""

from __future__ import annotations

import json
import keyword
import re
import sys
from collections.abc import Callable

SUPPORTED_PYTHON_VERSIONS = ("3.11", "3.12", "3.13")
# Longer names push generated lines past the formatter's 100 columns.
MAX_SLUG_LENGTH = 40
MAX_PACKAGE_LENGTH = 32
# Appended to a package name that collides with a keyword or a module, to suggest another.
PACKAGE_SUFFIX = "_service"
# A distribution, image and compose project name may start with a digit; a package may not
# (cookiecutter.json then derives "service_<slug>").
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
PACKAGE_PATTERN = re.compile(r"^[a-z_][a-z0-9_]*$")
# Deliberately simple: one "@", no spaces, a dot in the domain. Full RFC 5322 is not the point.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

# Import names of the generated project's dependencies (and tools it runs) that a package
# of the same name would shadow.
DEPENDENCY_NAMES = frozenset(
    {
        "aiosmtpd",
        "aiosmtplib",
        "aiosqlite",
        "alembic",
        "anyio",
        "argon2",
        "asyncmy",
        "asyncpg",
        "bcrypt",
        "coverage",
        "cryptography",
        "dotenv",
        "email_validator",
        "fastapi",
        "graphql",
        "greenlet",
        "h11",
        "httpx",
        "jinja2",
        "jose",
        "limits",
        "multipart",
        "mypy",
        "nox",
        "opentelemetry",
        "orjson",
        "pyotp",
        "passlib",
        "polyfactory",
        "prometheus_client",
        "pydantic",
        "pydantic_settings",
        "pytest",
        "pytest_asyncio",
        "pytest_cov",
        "python_multipart",
        "redis",
        "ruff",
        "schemathesis",
        "sentry_sdk",
        "sqlalchemy",
        "starlette",
        "strawberry",
        "structlog",
        "taskiq",
        "taskiq_redis",
        "tenacity",
        "tests",
        "trustme",
        "uvicorn",
    }
)


class ValidationError(Exception):
    """An answer breaks a rule; the message names the field and the rule."""


def validate_slug(slug: str) -> None:
    if not SLUG_PATTERN.match(slug):
        raise ValidationError(
            f"project_slug {slug!r} is invalid: use lowercase letters, digits and single "
            "hyphens (e.g. 'billing-service')"
        )
    if len(slug) > MAX_SLUG_LENGTH:
        raise ValidationError(
            f"project_slug {slug!r} is too long: at most {MAX_SLUG_LENGTH} characters"
        )


def validate_package_name(name: str) -> None:
    if not PACKAGE_PATTERN.match(name) or not name.isidentifier():
        raise ValidationError(
            f"package_name {name!r} is invalid: use lowercase letters, digits and "
            "underscores, not starting with a digit (e.g. 'billing_service')"
        )
    if len(name) > MAX_PACKAGE_LENGTH:
        raise ValidationError(
            f"package_name {name!r} is too long: at most {MAX_PACKAGE_LENGTH} characters"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        rule = "is a Python keyword"
    elif name in sys.stdlib_module_names or name in {"test", "site"}:
        rule = "shadows a standard library module"
    elif name in DEPENDENCY_NAMES:
        rule = "shadows a dependency of the generated project"
    else:
        return
    raise ValidationError(
        f"package_name {name!r} {rule}: answer package_name with another name, "
        f"e.g. {alternative_package_name(name)!r}"
    )


def alternative_package_name(name: str) -> str:
    """A valid package name close to `name`, for the error message of a name that collides."""
    return f"{name[: MAX_PACKAGE_LENGTH - len(PACKAGE_SUFFIX)]}{PACKAGE_SUFFIX}"


def validate_email(email: str) -> None:
    if not EMAIL_PATTERN.match(email):
        raise ValidationError(
            f"author_email {email!r} is invalid: expected an address like 'you@example.com'"
        )


def validate_python_version(version: str) -> None:
    if version not in SUPPORTED_PYTHON_VERSIONS:
        raise ValidationError(
            f"python_version {version!r} is unsupported: choose one of "
            + ", ".join(SUPPORTED_PYTHON_VERSIONS)
        )


def validate_task_queue(task_queue: str, use_redis: str) -> None:
    if task_queue == "taskiq" and use_redis != "yes":
        raise ValidationError(
            "task_queue 'taskiq' needs use_redis 'yes': its queue, results and schedule live "
            "in Redis"
        )


def validate(answers: dict[str, str]) -> list[str]:
    """Every rule the answers break, one message each; empty when they are all valid."""
    checks: list[Callable[[], None]] = [
        lambda: validate_slug(answers["project_slug"]),
        lambda: validate_package_name(answers["package_name"]),
        lambda: validate_email(answers["author_email"]),
        lambda: validate_python_version(answers["python_version"]),
        lambda: validate_task_queue(answers["task_queue"], answers["use_redis"]),
    ]
    errors = []
    for check in checks:
        try:
            check()
        except ValidationError as error:
            errors.append(str(error))
    return errors


def main() -> int:
    # JSON in a raw string survives any quote or backslash in the answers.
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    errors = validate(answers)
    for error in errors:
        print(f"ERROR: {error}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
