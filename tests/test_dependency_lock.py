"""The generated uv.lock: every dependency variant gets a lock uv accepts for its pyproject."""

from __future__ import annotations

import pytest

from tests.conftest import Bake, run, uv
from tests.dependency_lock import answers, condition, merge_lines, variants


@pytest.mark.parametrize("variant", variants(), ids="-".join)
def test_every_dependency_variant_is_locked_for_its_own_pyproject(
    bake: Bake, variant: tuple[str, ...]
) -> None:
    # A slug of the user's own: the project's block in the lock takes its name.
    project = bake(project_name="Ledger Keeper", **answers(variant))

    # What `uv sync --locked` (CI, Dockerfile) checks, without the network.
    run(uv(), "lock", "--check", "--offline", cwd=project)
    assert 'name = "ledger-keeper"' in (project / "uv.lock").read_text()


def test_a_condition_names_the_options_its_variants_share() -> None:
    universe = variants()
    with_sentry = frozenset(v for v in universe if answers(v)["use_sentry"] == "yes")
    postgres_or_taskiq = frozenset(
        v
        for v in universe
        if answers(v)["database"] == "postgresql" or answers(v)["task_queue"] == "taskiq"
    )

    assert condition(frozenset(universe), universe) is None
    assert condition(with_sentry, universe) == 'cookiecutter.use_sentry == "yes"'
    assert condition(postgres_or_taskiq, universe) in {
        'cookiecutter.database == "postgresql" or cookiecutter.task_queue == "taskiq"',
        'cookiecutter.task_queue == "taskiq" or cookiecutter.database == "postgresql"',
    }


def test_merged_lines_keep_every_version_in_order() -> None:
    versions: dict[tuple[str, ...], list[str]] = {
        ("a",): ["[", "alembic", "redis", "]"],
        ("b",): ["[", "alembic", "sentry", "]"],
        ("c",): ["[", "redis", "sentry", "]"],
    }

    merged = merge_lines(versions)

    for variant, lines in versions.items():
        assert [line for line, owners in merged if variant in owners] == lines
