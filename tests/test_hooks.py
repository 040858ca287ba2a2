"""The hooks' helpers, tested directly."""

from __future__ import annotations

import re
import tempfile
import tomllib
from pathlib import Path

import pytest

from hooks import post_gen_project, pre_gen_project
from hooks.pre_gen_project import ValidationError
from tests.conftest import TEMPLATE_DIR, Bake

# Distributions whose import names are not their normalised names; stub-only ones have none.
IMPORT_NAMES = {
    "libpass": {"passlib"},
    "python-dotenv": {"dotenv"},
    "python-jose": {"jose"},
    "python-multipart": {"multipart", "python_multipart"},
    "types-python-jose": set(),
}


@pytest.mark.parametrize("slug", ["svc", "billing-service", "api2", "a-b-c", "2fast", "3d-api"])
def test_valid_slugs_pass(slug: str) -> None:
    pre_gen_project.validate_slug(slug)


@pytest.mark.parametrize(
    "slug", ["Billing", "billing_service", "-svc", "svc-", "a--b", "has space", "x" * 41]
)
def test_invalid_slugs_fail(slug: str) -> None:
    with pytest.raises(ValidationError, match="project_slug"):
        pre_gen_project.validate_slug(slug)


@pytest.mark.parametrize("name", ["billing", "billing_service", "_private", "svc2"])
def test_valid_package_names_pass(name: str) -> None:
    pre_gen_project.validate_package_name(name)


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("2fast", "invalid"),
        ("billing-service", "invalid"),
        ("Billing", "invalid"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("json", "standard library"),
        ("test", "standard library"),
        ("site", "standard library"),
        ("fastapi", "dependency"),
        ("sqlalchemy", "dependency"),
        ("alembic", "dependency"),
        ("tests", "dependency"),
        ("x" * 33, "too long"),
    ],
)
def test_invalid_package_names_fail_with_the_rule(name: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rf"package_name .*{rule}"):
        pre_gen_project.validate_package_name(name)


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "a b@example.com", "a@@example.com"])
def test_invalid_emails_fail(email: str) -> None:
    with pytest.raises(ValidationError, match="author_email"):
        pre_gen_project.validate_email(email)


def test_unsupported_python_version_fails() -> None:
    with pytest.raises(ValidationError, match=r"python_version '3.9' is unsupported"):
        pre_gen_project.validate_python_version("3.9")


def test_paths_to_remove_follow_the_table(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {("database", "postgresql"): ("pg.sql",), ("feature", "yes"): ("feature", "f.py")}
    monkeypatch.setattr(post_gen_project, "FEATURE_PATHS", table)

    removed = post_gen_project.paths_to_remove({"database": "sqlite", "feature": "yes"})

    assert removed == ["pg.sql"]


def test_paths_name_the_chosen_package(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {("feature", "yes"): ("src/{package_name}/feature.py", "tests/test_feature.py")}
    monkeypatch.setattr(post_gen_project, "FEATURE_PATHS", table)
    answers = {"package_name": "billing", "feature": "no"}

    assert post_gen_project.paths_to_remove(answers) == [
        "src/billing/feature.py",
        "tests/test_feature.py",
    ]
    assert post_gen_project.feature_paths(answers) == {
        ("feature", "yes"): ("src/billing/feature.py", "tests/test_feature.py")
    }


def test_every_feature_path_exists_in_the_template() -> None:
    project = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"
    answers = {"package_name": "{{cookiecutter.package_name}}"}

    missing = [
        path
        for paths in post_gen_project.feature_paths(answers).values()
        for path in paths
        if not (project / path).exists()
    ]
    assert missing == []


def test_remove_paths_deletes_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "inner.py").write_text("")
    (tmp_path / "file.py").write_text("")
    (tmp_path / "kept.py").write_text("")

    post_gen_project.remove_paths(tmp_path, ["folder", "file.py", "already-gone.py"])

    assert sorted(path.name for path in tmp_path.iterdir()) == ["kept.py"]


def test_next_steps_name_the_commands() -> None:
    text = post_gen_project.next_steps(
        {"project_slug": "svc", "package_name": "svc", "database": "sqlite"}, ""
    )

    assert "cd svc" in text
    assert "uv run svc serve" in text
    assert "uv run pytest" in text


def test_next_steps_name_the_servers_at_the_env_example_urls() -> None:
    env_example = (
        "# DATABASE_URL=sqlite+aiosqlite:///./old.db\n"
        "DATABASE_URL=postgresql+asyncpg://u:p@db.internal:6543/svc\n"
        "REDIS_URL=redis://cache.internal:6380/0\n"
    )
    answers = {"project_slug": "svc", "package_name": "svc", "database": "postgresql"}

    text = post_gen_project.next_steps({**answers, "use_redis": "yes"}, env_example)

    assert "start PostgreSQL at db.internal:6543 and Redis at cache.internal:6380" in text


def test_validate_reports_every_broken_rule_in_order() -> None:
    answers = {
        "project_slug": "Bad Slug",
        "package_name": "class",
        "author_email": "nobody",
        "python_version": "3.9",
        "task_queue": "taskiq",
        "use_redis": "no",
    }

    errors = pre_gen_project.validate(answers)

    assert [error.split(" ", 1)[0] for error in errors] == [
        "project_slug",
        "package_name",
        "author_email",
        "python_version",
        "task_queue",
    ]


@pytest.mark.parametrize("name", ["class", "match", "json", "test", "redis", "tests"])
def test_a_colliding_package_name_gets_a_valid_alternative(name: str) -> None:
    with pytest.raises(ValidationError) as raised:
        pre_gen_project.validate_package_name(name)

    alternative = pre_gen_project.alternative_package_name(name)
    assert str(raised.value).endswith(
        f"answer package_name with another name, e.g. {alternative!r}"
    )
    pre_gen_project.validate_package_name(alternative)


def test_only_crufts_throwaway_renders_count_as_cruft(tmp_path: Path) -> None:
    """cruft diff and update render into TemporaryDirectory(); cookiecutter sets _output_dir."""
    with tempfile.TemporaryDirectory() as throwaway:
        in_throwaway = Path(throwaway).resolve() / "svc"
        quiet = post_gen_project.rendered_by_cruft_in_a_temporary_directory

        assert quiet({}, in_throwaway)
        assert not quiet({"_output_dir": throwaway}, in_throwaway)
    assert not quiet({}, tmp_path.resolve() / "svc")


def _import_names(requirement: str) -> set[str]:
    distribution = re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0].lower()
    if distribution in IMPORT_NAMES:
        return IMPORT_NAMES[distribution]
    if distribution.startswith("opentelemetry-"):
        return {"opentelemetry"}
    return {distribution.replace("-", "_")}


def test_dependency_names_cover_every_generated_dependency(bake: Bake) -> None:
    """A package named like one of the project's dependencies would shadow it."""
    requirements: list[str] = []
    for answers in (
        {"database": "postgresql", "use_redis": "yes", "task_queue": "taskiq"},
        {"database": "mysql", "use_sentry": "yes", "use_opentelemetry": "yes"},
    ):
        pyproject = tomllib.loads((bake(**answers) / "pyproject.toml").read_text())
        requirements += pyproject["project"]["dependencies"]
        requirements += [req for group in pyproject["dependency-groups"].values() for req in group]

    imported = set().union(*map(_import_names, requirements))
    assert sorted(imported - pre_gen_project.DEPENDENCY_NAMES) == []
