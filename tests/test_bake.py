"""Bake every option value and check the output: files, leftovers, syntax, lint, hook errors."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.main import cookiecutter

from tests.conftest import TEMPLATE_DIR

# Every option away from its default (docker and ci are on by default).
ALL_ON = {
    "database": "postgresql",
    "use_redis": "yes",
    "task_queue": "taskiq",
    "use_sentry": "yes",
    "use_opentelemetry": "yes",
}
# Readable id -> answers that differ from the defaults.
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "postgresql": {"database": "postgresql"},
    "mysql": {"database": "mysql"},
    "redis": {"use_redis": "yes"},
    "redis-taskiq": {"use_redis": "yes", "task_queue": "taskiq"},
    "python-3.13": {"python_version": "3.13"},
    "python-3.11": {"python_version": "3.11"},
    "apache": {"license": "Apache-2.0"},
    "bsd": {"license": "BSD-3-Clause"},
    "proprietary": {"license": "Proprietary"},
    "no-agent-files": {"include_agent_files": "no"},
    "no-docker": {"docker": "no"},
    "ci-gitlab": {"ci": "gitlab"},
    "ci-none": {"ci": "none"},
    "sentry": {"use_sentry": "yes"},
    "otel": {"use_opentelemetry": "yes"},
    "all-on": ALL_ON,
    "longest-names": {"project_name": "Inventory And Billing Platform X", "database": "postgresql"},
    "longest-names-all-on": {**ALL_ON, "project_name": "Inventory And Billing Platform X"},
}
# `${{` opens a GitHub Actions expression, not a Jinja leftover.
JINJA_MARKERS = re.compile(r"(?<!\$)\{\{|\{%|\{#|cookiecutter\.")


def _bake(cookies: Any, context: dict[str, str]) -> Path:
    result = cookies.bake(extra_context=context)
    assert result.exit_code == 0, result.exception
    assert result.exception is None
    project: Path = result.project_path
    return project


def _files(project: Path) -> list[Path]:
    return sorted(path for path in project.rglob("*") if path.is_file())


@pytest.mark.parametrize("context", VARIANTS.values(), ids=VARIANTS.keys())
def test_bake_leaves_no_template_syntax(cookies: Any, context: dict[str, str]) -> None:
    project = _bake(cookies, context)

    leftovers = [
        f"{path.relative_to(project)}: {match.group()}"
        for path in _files(project)
        for match in JINJA_MARKERS.finditer(path.read_text(encoding="utf-8"))
    ]
    assert leftovers == []


@pytest.mark.parametrize("context", VARIANTS.values(), ids=VARIANTS.keys())
def test_bake_produces_parseable_files(cookies: Any, context: dict[str, str]) -> None:
    project = _bake(cookies, context)

    for path in _files(project):
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            ast.parse(text, filename=str(path))
        elif path.suffix == ".toml":
            tomllib.loads(text)
        elif path.suffix == ".json":
            json.loads(text)
        elif path.suffix in {".yaml", ".yml"}:
            yaml.safe_load(text)


@pytest.mark.parametrize("context", VARIANTS.values(), ids=VARIANTS.keys())
def test_bake_is_ruff_clean(cookies: Any, context: dict[str, str]) -> None:
    project = _bake(cookies, context)

    for command in (["check", "--no-cache", "."], ["format", "--check", "--no-cache", "."]):
        result = subprocess.run(
            [sys.executable, "-m", "ruff", *command],
            cwd=project,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_default_names_are_derived(cookies: Any) -> None:
    project = _bake(cookies, {"project_name": "Billing Service"})

    assert project.name == "billing-service"
    assert (project / "src" / "billing_service" / "main.py").is_file()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "billing-service"
    assert pyproject["project"]["scripts"] == {"billing_service": "billing_service.cli:main"}


def test_default_project_has_the_documented_layout(cookies: Any) -> None:
    project = _bake(cookies, {})
    package = project / "src" / "my_service"

    expected = [
        "README.md",
        "LICENSE",
        "pyproject.toml",
        "alembic.ini",
        ".env.example",
        ".gitignore",
        "noxfile.py",
        "tests/conftest.py",
    ]
    for relative in expected:
        assert (project / relative).is_file(), relative
    for domain in ("auth", "users", "items", "health"):
        assert (package / domain / "router.py").is_file(), domain
    for module in ("config", "db", "security", "errors", "logging", "rate_limit", "middleware"):
        assert (package / "core" / f"{module}.py").is_file(), module
    assert list((package / "migrations" / "versions").glob("*_initial_schema.py"))
    assert not (project / ".env").exists()
    assert ".env" in (project / ".gitignore").read_text().splitlines()


SERVER_DRIVERS = ("asyncpg", "asyncmy")


@pytest.mark.parametrize(
    ("database", "driver", "url_prefix"),
    [
        ("sqlite", None, "sqlite+aiosqlite://"),
        ("postgresql", "asyncpg", "postgresql+asyncpg://"),
        ("mysql", "asyncmy", "mysql+asyncmy://"),
    ],
)
def test_database_choice_sets_driver_and_url(
    cookies: Any, database: str, driver: str | None, url_prefix: str
) -> None:
    project = _bake(cookies, {"database": database})

    dependencies = tomllib.loads((project / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
    drivers = [name for name in SERVER_DRIVERS if any(dep.startswith(name) for dep in dependencies)]
    assert drivers == ([driver] if driver else [])
    assert any(dep.startswith("aiosqlite") for dep in dependencies)  # SQLite is always there
    env_example = (project / ".env.example").read_text()
    assert f"DATABASE_URL={url_prefix}" in env_example


@pytest.mark.parametrize(
    ("license_name", "first_line", "spdx"),
    [
        ("MIT", "MIT License", "MIT"),
        ("Apache-2.0", "Apache License", "Apache-2.0"),
        ("BSD-3-Clause", "BSD 3-Clause License", "BSD-3-Clause"),
        ("Proprietary", "Copyright (c) Your Name. All rights reserved.", "LicenseRef-Proprietary"),
    ],
)
def test_license_choice(cookies: Any, license_name: str, first_line: str, spdx: str) -> None:
    project = _bake(cookies, {"license": license_name})

    assert (project / "LICENSE").read_text().strip().startswith(first_line)
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["license"] == spdx


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_python_version_is_recorded_but_floor_stays_311(cookies: Any, version: str) -> None:
    project = _bake(cookies, {"python_version": version})

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert f"Programming Language :: Python :: {version}" in pyproject["project"]["classifiers"]
    assert f"Python {version}" in (project / "README.md").read_text()


def test_readme_starts_with_serve_then_tests(cookies: Any) -> None:
    project = _bake(cookies, {})

    commands = [
        line.split("#")[0].strip()
        for line in (project / "README.md").read_text().splitlines()
        if line.startswith("uv run")
    ]
    assert commands[:2] == ["uv run my_service serve", "uv run pytest"]


BAD_ANSWERS = {
    "slug-uppercase": ({"project_slug": "My-Service"}, "project_slug 'My-Service' is invalid"),
    "slug-underscore": ({"project_slug": "my_service"}, "project_slug 'my_service' is invalid"),
    "package-dash": ({"package_name": "my-service"}, "package_name 'my-service' is invalid"),
    "package-digit": ({"package_name": "1service"}, "package_name '1service' is invalid"),
    "package-keyword": ({"package_name": "import"}, "is a Python keyword"),
    "package-stdlib": ({"package_name": "logging"}, "shadows a standard library module"),
    "package-test": ({"package_name": "test"}, "shadows a standard library module"),
    "package-dependency": ({"package_name": "fastapi"}, "shadows a dependency"),
    "package-too-long": ({"package_name": "a" * 33}, "too long"),
    "email": ({"author_email": "not-an-email"}, "author_email 'not-an-email' is invalid"),
    "email-quote": ({"author_email": 'a"b'}, "author_email 'a\"b' is invalid"),
    "taskiq-without-redis": (
        {"task_queue": "taskiq", "use_redis": "no"},
        "task_queue 'taskiq' needs use_redis 'yes'",
    ),
}


@pytest.mark.parametrize(("context", "message"), BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_bad_answers_are_rejected_before_writing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], context: dict[str, str], message: str
) -> None:
    with pytest.raises(FailedHookException):
        cookiecutter(str(TEMPLATE_DIR), no_input=True, extra_context=context, output_dir=tmp_path)

    err = capfd.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, err
    assert message in errors[0]
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
