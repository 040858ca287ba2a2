"""Bake single options and check what they set: names, layout, database, license, errors.

Leftover template syntax, parsing and lint of every option value are test_matrix.py's.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.conftest import Bake, bake_project


def test_default_names_are_derived(bake: Bake) -> None:
    project = bake(project_name="Billing Service")

    assert project.name == "billing-service"
    assert (project / "src" / "billing_service" / "main.py").is_file()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == "billing-service"
    assert pyproject["project"]["scripts"] == {"billing_service": "billing_service.cli:main"}


def test_default_project_has_the_documented_layout(bake: Bake) -> None:
    project = bake()
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
    bake: Bake, database: str, driver: str | None, url_prefix: str
) -> None:
    project = bake(database=database)

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
def test_license_choice(bake: Bake, license_name: str, first_line: str, spdx: str) -> None:
    project = bake(license=license_name)

    assert (project / "LICENSE").read_text().strip().startswith(first_line)
    assert tomllib.loads((project / "pyproject.toml").read_text())["project"]["license"] == spdx


@pytest.mark.parametrize("version", ["3.11", "3.12", "3.13"])
def test_python_version_is_recorded_but_floor_stays_311(bake: Bake, version: str) -> None:
    project = bake(python_version=version)

    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["requires-python"] == ">=3.11"
    assert f"Programming Language :: Python :: {version}" in pyproject["project"]["classifiers"]
    assert f"Python {version}" in (project / "README.md").read_text()


def test_readme_starts_with_serve_then_tests(bake: Bake) -> None:
    project = bake()

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
        bake_project(tmp_path, context)

    err = capfd.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("ERROR: ")]
    assert len(errors) == 1, err
    assert message in errors[0]
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
