"""Every combination of the choice options, baked and checked (fast tier).

The options come from cookiecutter.json, so a new choice option joins the matrix by itself.
While the full product has at most FULL_PRODUCT_LIMIT combinations every one is rendered;
beyond that, a pairwise covering set plus every value of each option with the defaults of
the others (see `matrix`). Free-text options keep their defaults.

Each combination the pre-gen hook accepts must bake with both hooks succeeding, leave no
template syntax, parse (Python, TOML, YAML, JSON), be ruff-clean under the generated
project's own configuration, and keep exactly the feature files of its chosen values.
Combinations the hook refuses must stop before anything is written.
"""

from __future__ import annotations

import ast
import functools
import itertools
import json
import math
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cookiecutter.exceptions import FailedHookException
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

from hooks import post_gen_project, pre_gen_project
from tests.conftest import TEMPLATE_DIR

FULL_PRODUCT_LIMIT = 300
CONTEXT_FILE = TEMPLATE_DIR / "cookiecutter.json"
# `{{` preceded by `$` is a literal GitHub Actions expression, not a Jinja leftover.
TEMPLATE_SYNTAX = re.compile(r"(?<!\$)\{\{|\{%|\{#|cookiecutter\.")

Combination = dict[str, str]


def choice_options() -> dict[str, list[str]]:
    """Each choice option and its values, default first, in cookiecutter.json order."""
    context: dict[str, Any] = json.loads(CONTEXT_FILE.read_text())
    return {
        name: [str(value) for value in values]
        for name, values in context.items()
        if not name.startswith("_") and isinstance(values, list)
    }


Pair = frozenset[tuple[str, str]]


def _pairs(row: Combination) -> set[Pair]:
    return {frozenset(pair) for pair in itertools.combinations(row.items(), 2)}


def _new_pairs(uncovered: set[Pair], row: Combination, name: str, value: str) -> int:
    return sum(
        frozenset({(other, chosen), (name, value)}) in uncovered for other, chosen in row.items()
    )


def pairwise(options: dict[str, list[str]]) -> list[Combination]:
    """A greedy covering set: every pair of values of two options appears in some row."""
    uncovered: set[Pair] = {
        frozenset({(first, a), (second, b)})
        for first, second in itertools.combinations(options, 2)
        for a in options[first]
        for b in options[second]
    }
    rows: list[Combination] = []
    while uncovered:
        # Seed each row with an uncovered pair, then fill the other options greedily.
        row = dict(sorted(min(uncovered, key=sorted)))
        for name, values in options.items():
            if name not in row:
                row[name] = max(values, key=functools.partial(_new_pairs, uncovered, row, name))
        rows.append({name: row[name] for name in options})
        uncovered -= _pairs(row)
    return rows


def one_at_a_time(options: dict[str, list[str]]) -> list[Combination]:
    """Every value of each option, with the defaults of the others."""
    defaults = {name: values[0] for name, values in options.items()}
    return [{**defaults, name: value} for name, values in options.items() for value in values]


def matrix(options: dict[str, list[str]]) -> list[Combination]:
    if math.prod(len(values) for values in options.values()) <= FULL_PRODUCT_LIMIT:
        products = itertools.product(*options.values())
        return [dict(zip(options, values, strict=True)) for values in products]
    unique = {tuple(row.items()): row for row in pairwise(options) + one_at_a_time(options)}
    return list(unique.values())


def answers_for(combination: Combination) -> dict[str, str]:
    """The full answers cookiecutter derives for a combination (names rendered)."""
    context = generate_context(context_file=str(CONTEXT_FILE), extra_context=combination)
    answers: dict[str, str] = prompt_for_config(context, no_input=True)
    return answers


def is_accepted(combination: Combination) -> bool:
    try:
        pre_gen_project.validate(answers_for(combination))
    except pre_gen_project.ValidationError:
        return False
    return True


OPTIONS = choice_options()
COMBINATIONS = matrix(OPTIONS)
ACCEPTANCE = [(combination, is_accepted(combination)) for combination in COMBINATIONS]
ACCEPTED = [combination for combination, accepted in ACCEPTANCE if accepted]
REJECTED = [combination for combination, accepted in ACCEPTANCE if not accepted]
IDS = [",".join(f"{name}={value}" for name, value in row.items()) for row in ACCEPTED]


@dataclass(frozen=True)
class Baked:
    answers: dict[str, str]
    path: Path


def _bake(combination: Combination, output: Path) -> Path:
    config = output / "cookiecutterrc.yaml"
    output.mkdir(parents=True, exist_ok=True)
    config.write_text(
        yaml.safe_dump(
            {"cookiecutters_dir": str(output / "cache"), "replay_dir": str(output / "replay")}
        )
    )
    return Path(
        cookiecutter(
            str(TEMPLATE_DIR),
            no_input=True,
            extra_context=combination,
            output_dir=str(output / "out"),
            config_file=str(config),
        )
    )


# Module scope makes pytest run all checks of one combination together, so each
# combination is baked once per worker.
@pytest.fixture(scope="module", params=ACCEPTED, ids=IDS)
def baked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Baked:
    combination: Combination = request.param
    path = _bake(combination, tmp_path_factory.mktemp("matrix"))
    return Baked(answers=answers_for(combination), path=path)


def _files(project: Path, *suffixes: str) -> Iterator[Path]:
    for path in sorted(project.rglob("*")):
        if path.is_file() and (not suffixes or path.suffix in suffixes):
            yield path


def _ruff(project: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--no-cache", "."],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_matrix_is_the_full_product_up_to_the_limit() -> None:
    size = math.prod(len(values) for values in OPTIONS.values())

    if size <= FULL_PRODUCT_LIMIT:
        assert len(COMBINATIONS) == size
    else:
        assert len(COMBINATIONS) < size


@pytest.mark.parametrize(
    "options",
    [
        {f"option_{index}": ["a", "b", "c"] for index in range(6)},
        {
            "big": [str(value) for value in range(12)],
            "flag": ["no", "yes"],
            "middle": ["x", "y", "z"],
            "other": ["p", "q", "r", "s", "t"],
        },
    ],
    ids=["six-options-of-three", "uneven"],
)
def test_large_matrix_covers_every_pair_and_every_value(options: dict[str, list[str]]) -> None:
    rows = matrix(options)
    defaults = {name: values[0] for name, values in options.items()}

    for first, second in itertools.combinations(options, 2):
        covered = {(row[first], row[second]) for row in rows}
        assert covered == set(itertools.product(options[first], options[second]))
    for name, values in options.items():
        for value in values:
            assert {**defaults, name: value} in rows
    assert len(rows) < math.prod(len(values) for values in options.values())


def test_hooks_succeed(baked: Baked) -> None:
    project = baked.path

    assert (project / "pyproject.toml").is_file()


def test_no_template_syntax_remains(baked: Baked) -> None:
    project = baked.path

    leftovers = [
        f"{path.relative_to(project)}: {match.group()}"
        for path in _files(project)
        for match in TEMPLATE_SYNTAX.finditer(path.read_text(encoding="utf-8"))
    ]
    assert leftovers == []


def test_python_files_parse(baked: Baked) -> None:
    project = baked.path

    for path in _files(project, ".py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def test_python_files_are_ruff_clean(baked: Baked) -> None:
    project = baked.path

    _ruff(project, "check")
    _ruff(project, "format", "--check")


def test_data_files_parse(baked: Baked) -> None:
    project = baked.path

    for path in _files(project, ".toml"):
        tomllib.loads(path.read_text(encoding="utf-8"))
    for path in _files(project, ".json"):
        json.loads(path.read_text(encoding="utf-8"))
    for path in _files(project, ".yaml", ".yml"):
        yaml.safe_load(path.read_text(encoding="utf-8"))


def test_no_file_of_an_unchosen_option_remains(baked: Baked) -> None:
    project = baked.path

    unchosen = post_gen_project.paths_to_remove(baked.answers)
    assert [path for path in unchosen if (project / path).exists()] == []


def test_files_of_chosen_options_are_present(baked: Baked) -> None:
    project = baked.path
    removed = set(post_gen_project.paths_to_remove(baked.answers))
    # Paths kept only thanks to a chosen value: answering any other value removes them.
    chosen = {
        path
        for option, values in OPTIONS.items()
        for value in values
        if value != baked.answers[option]
        for path in post_gen_project.paths_to_remove({**baked.answers, option: value})
        if path not in removed
    }

    assert sorted(path for path in chosen if not (project / path).exists()) == []


def test_rejected_combinations_stop_before_writing(tmp_path: Path) -> None:
    for index, combination in enumerate(REJECTED):
        output = tmp_path / str(index)
        with pytest.raises(FailedHookException):
            _bake(combination, output)
        assert not (output / "out").exists() or list((output / "out").iterdir()) == []
