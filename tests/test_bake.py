"""Bake single options and check what they set: names, layout, database, license, errors.

Leftover template syntax, parsing and lint of every option value are test_matrix.py's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cookiecutter.exceptions import FailedHookException

from hooks.pre_gen_project import MAX_PACKAGE_LENGTH, MAX_SLUG_LENGTH
from tests.conftest import TEMPLATE_DIR, Bake, bake_project, project_environ

COOKIECUTTER = Path(sys.executable).parent / "cookiecutter"


@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    [
        ("Billing Service", "billing-service", "billing_service"),
        ("Billing Service 2.0", "billing-service-2-0", "billing_service_2_0"),
        ("Bob's API", "bobs-api", "bobs_api"),
        ("Bob\u2019s API", "bobs-api", "bobs_api"),
        ("Café Service", "cafe-service", "cafe_service"),
        # A package cannot start with a digit, so the default gets a word in front.
        ("2048 Game", "2048-game", "service_2048_game"),
        ("  Über--Größe__API  ", "uber-grosse-api", "uber_grosse_api"),
    ],
)
def test_default_names_are_derived(bake: Bake, project_name: str, slug: str, package: str) -> None:
    project = bake(project_name=project_name)

    assert project.name == slug
    assert (project / "src" / package / "main.py").is_file()
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    assert pyproject["project"]["name"] == slug
    assert pyproject["project"]["scripts"] == {package: f"{package}.cli:main"}


def test_derived_names_are_cut_at_the_hooks_limits(bake: Bake) -> None:
    project = bake(project_name="X" * 60)

    assert project.name == "x" * MAX_SLUG_LENGTH
    assert (project / "src" / ("x" * MAX_PACKAGE_LENGTH)).is_dir()


def test_derived_names_cut_at_a_word_break_lose_the_separator(bake: Bake) -> None:
    # Eight-letter words: both limits fall just after a separator.
    project = bake(project_name="Abcdefg " * 8)

    assert project.name == "-".join(["abcdefg"] * 5)
    assert (project / "src" / "_".join(["abcdefg"] * 4)).is_dir()


def test_a_colliding_derived_package_name_says_what_to_answer(
    bake: Bake, capfd: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(FailedHookException):
        bake(project_name="Redis")
    (error,) = [line for line in capfd.readouterr().err.splitlines() if line.startswith("ERROR")]
    answer = re.search(r"answer package_name with another name, e.g. '(\w+)'$", error)
    assert answer, error

    project = bake(project_name="Redis", package_name=answer[1])

    assert (project / "src" / answer[1] / "main.py").is_file()


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


def test_the_cli_reports_every_invalid_answer_at_once_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "cookiecutterrc.yaml"
    config.write_text(f"replay_dir: {tmp_path / 'replay'}\ncookiecutters_dir: {tmp_path / 'cc'}\n")
    work = tmp_path / "work"
    work.mkdir()
    answers = {
        "project_slug": "3D_Viewer",
        "package_name": "redis",  # shadows a dependency
        "author_email": "nobody",
        "task_queue": "taskiq",
    }

    result = subprocess.run(
        [
            str(COOKIECUTTER),
            *("--no-input", "--config-file", str(config), str(TEMPLATE_DIR)),
            *(f"{name}={value}" for name, value in answers.items()),
        ],
        cwd=work,
        env=project_environ(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR: ")]
    assert result.returncode == 1
    assert [error.split(" ", 2)[1] for error in errors] == [
        "project_slug",
        "package_name",
        "author_email",
        "task_queue",
    ], result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert list(work.iterdir()) == []


NEXT_STEPS_VARIANTS = {
    "sqlite": {},
    "postgresql": {"database": "postgresql"},
    "mysql": {"database": "mysql"},
    "redis": {"use_redis": "yes"},
    "taskiq": {"database": "postgresql", "use_redis": "yes", "task_queue": "taskiq"},
}
SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL or MariaDB"}


def _env_example_address(project: Path, key: str) -> str:
    (url,) = [
        line.split("=", 1)[1]
        for line in (project / ".env.example").read_text().splitlines()
        if line.startswith(f"{key}=")
    ]
    return urlsplit(url).netloc.rpartition("@")[2].partition("/")[0]


@pytest.mark.parametrize("answers", NEXT_STEPS_VARIANTS.values(), ids=NEXT_STEPS_VARIANTS.keys())
def test_next_steps_are_true_for_the_variant(
    bake: Bake, capfd: pytest.CaptureFixture[str], answers: dict[str, str]
) -> None:
    project = bake(**answers)
    lines = capfd.readouterr().out.splitlines()
    start = lines.index("Created my-service. Next steps:")
    steps = lines[start + 1 :]

    commands = [line.split("#")[0].strip() for line in steps if line.strip().startswith("uv run")]
    cli = (project / "src/my_service/cli.py").read_text()
    subcommands = re.findall(r'add_parser\(\s*"([a-z-]+)"', cli)
    readme = (project / "README.md").read_text()
    assert steps[0] == "  cd my-service"
    assert commands[0] == "uv run my_service serve"
    for command in commands:
        assert f"`{command}" in readme, command
        if command != "uv run pytest":
            assert command.split()[-1] in subcommands, command
    taskiq = answers.get("task_queue") == "taskiq"
    assert ("uv run my_service worker" in commands) is taskiq
    assert ("uv run my_service scheduler" in commands) is taskiq
    # .env is made by the first serve: nothing before it may send the user there.
    assert not (project / ".env").exists()
    assert [line for line in steps if ".env" in line] == [
        line for line in steps if "my_service serve" in line
    ]
    assert "writes .env" in next(line for line in steps if "my_service serve" in line)
    servers = []
    if answers.get("database") in SERVER_NAMES:
        address = _env_example_address(project, "DATABASE_URL")
        servers.append(f"{SERVER_NAMES[answers['database']]} at {address}")
    if answers.get("use_redis") == "yes":
        servers.append(f"Redis at {_env_example_address(project, 'REDIS_URL')}")
    assert any(f"start {' and '.join(servers)} " in line for line in steps) is bool(servers)
