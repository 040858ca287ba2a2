"""Every combination of the choice options, baked and checked (fast tier).

The options come from cookiecutter.json, so a new choice option joins the matrix by itself.
While the full product has at most FULL_PRODUCT_LIMIT combinations every one is rendered;
beyond that, a pairwise covering set plus every value of each option with the defaults of
the others (see `matrix`). Free-text options keep their defaults.

Some values need another option's value (REQUIRES, which mirrors the pre-gen hook's rules
and is checked against it): the pairwise set then covers every pair that can occur together,
and only in rows the hook accepts. Each combination the pre-gen hook accepts must bake with
both hooks succeeding, leave no template syntax, parse (Python, TOML, YAML, JSON), be
ruff-clean under the generated project's own configuration, and keep exactly the feature
files of its chosen values. Combinations the hook refuses (the matrix's own, plus one per
REQUIRES rule) must stop with the hook's message before anything is written.
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
from cookiecutter.prompt import prompt_for_config

from hooks import post_gen_project, pre_gen_project
from tests.conftest import ALL_ON, TEMPLATE_DIR, bake_project

FULL_PRODUCT_LIMIT = 300
CONTEXT_FILE = TEMPLATE_DIR / "cookiecutter.json"
# `{{` preceded by `$` is a literal GitHub Actions expression, not a Jinja leftover.
TEMPLATE_SYNTAX = re.compile(r"(?<!\$)\{\{|\{%|\{#|cookiecutter\.")
# The service's own email templates are Jinja on purpose (`_copy_without_render`): in them,
# only a reference to cookiecutter's variables is a leftover.
EMAIL_TEMPLATES = "email/templates/"
COOKIECUTTER_SYNTAX = re.compile(r"cookiecutter\.")

Combination = dict[str, str]
# (option, value) -> the (option, value) the pre-gen hook requires alongside it.
Requires = dict[tuple[str, str], tuple[str, str]]
REQUIRES: Requires = {("task_queue", "taskiq"): ("use_redis", "yes")}


def choice_options() -> dict[str, list[str]]:
    """Each choice option and its values, default first, in cookiecutter.json order."""
    context: dict[str, Any] = json.loads(CONTEXT_FILE.read_text())
    return {
        name: [str(value) for value in values]
        for name, values in context.items()
        if not name.startswith("_") and isinstance(values, list)
    }


Pair = frozenset[tuple[str, str]]


def compatible(row: Combination, requires: Requires) -> bool:
    """False once a (possibly partial) row holds a value without the value it requires."""
    return all(
        row.get(option) != value or row.get(needed, wanted) == wanted
        for (option, value), (needed, wanted) in requires.items()
    )


def _pairs(row: Combination) -> set[Pair]:
    return {frozenset(pair) for pair in itertools.combinations(row.items(), 2)}


def _new_pairs(uncovered: set[Pair], row: Combination, name: str, value: str) -> int:
    return sum(
        frozenset({(other, chosen), (name, value)}) in uncovered for other, chosen in row.items()
    )


def pairwise(options: dict[str, list[str]], requires: Requires | None = None) -> list[Combination]:
    """A greedy covering set: every pair of values of two options that `requires` allows
    appears in some row, and every row is allowed."""
    requires = requires or {}
    uncovered: set[Pair] = {
        frozenset({(first, a), (second, b)})
        for first, second in itertools.combinations(options, 2)
        for a in options[first]
        for b in options[second]
        if compatible({first: a, second: b}, requires)
    }
    rows: list[Combination] = []
    while uncovered:
        # Seed each row with an uncovered pair, then fill the other options greedily with
        # the values that keep the row allowed.
        row = dict(sorted(min(uncovered, key=sorted)))
        for name, values in options.items():
            if name not in row:
                allowed = [value for value in values if compatible({**row, name: value}, requires)]
                row[name] = max(allowed, key=functools.partial(_new_pairs, uncovered, row, name))
        rows.append({name: row[name] for name in options})
        uncovered -= _pairs(row)
    return rows


def _with_required(row: Combination, requires: Requires) -> Combination:
    """The row with the values its chosen values require."""
    needed = dict(required for chosen, required in requires.items() if chosen in row.items())
    return {**row, **needed}


def one_at_a_time(
    options: dict[str, list[str]], requires: Requires | None = None
) -> list[Combination]:
    """Every value of each option, with the defaults of the others (or what it requires)."""
    defaults = {name: values[0] for name, values in options.items()}
    return [
        _with_required({**defaults, name: value}, requires or {})
        for name, values in options.items()
        for value in values
    ]


def matrix(options: dict[str, list[str]], requires: Requires | None = None) -> list[Combination]:
    """The full product (refused rows included), or allowed pairwise and one-at-a-time rows."""
    if math.prod(len(values) for values in options.values()) <= FULL_PRODUCT_LIMIT:
        products = itertools.product(*options.values())
        return [dict(zip(options, values, strict=True)) for values in products]
    rows = pairwise(options, requires) + one_at_a_time(options, requires)
    unique = {tuple(row.items()): row for row in rows}
    return list(unique.values())


def violations(options: dict[str, list[str]], requires: Requires) -> list[Combination]:
    """For each rule, the defaults with the value but every other value of what it needs."""
    defaults = {name: values[0] for name, values in options.items()}
    return [
        {**defaults, option: value, needed: other}
        for (option, value), (needed, wanted) in requires.items()
        for other in options[needed]
        if other != wanted
    ]


def answers_for(combination: Combination) -> dict[str, str]:
    """The full answers cookiecutter derives for a combination (names rendered)."""
    context = generate_context(context_file=str(CONTEXT_FILE), extra_context=combination)
    answers: dict[str, str] = prompt_for_config(context, no_input=True)
    return answers


def refusal(combination: Combination) -> str | None:
    """The pre-gen hook's messages for a combination, or None when it accepts it."""
    errors = pre_gen_project.validate(answers_for(combination))
    return "; ".join(errors) if errors else None


def is_accepted(combination: Combination) -> bool:
    return refusal(combination) is None


def row_id(row: Combination) -> str:
    return ",".join(f"{name}={value}" for name, value in row.items())


OPTIONS = choice_options()
COMBINATIONS = matrix(OPTIONS, REQUIRES)
VIOLATIONS = violations(OPTIONS, REQUIRES)
ACCEPTANCE = [(combination, is_accepted(combination)) for combination in COMBINATIONS]
ACCEPTED = [combination for combination, accepted in ACCEPTANCE if accepted]
# The longest names the hook allows, which stretch every generated import line.
LONGEST_NAME = {"project_name": "Inventory And Billing Platform X"}
DEFAULTS = {name: values[0] for name, values in OPTIONS.items()}
ACCEPTED += [
    {**DEFAULTS, **LONGEST_NAME, "database": "postgresql"},
    {**DEFAULTS, **ALL_ON, **LONGEST_NAME},
]
REJECTED = [combination for combination, accepted in ACCEPTANCE if not accepted]
REJECTED += [row for row in VIOLATIONS if row not in REJECTED]
IDS = [row_id(row) for row in ACCEPTED]


@dataclass(frozen=True)
class Baked:
    answers: dict[str, str]
    path: Path


# Module scope makes pytest run all checks of one combination together, so each
# combination is baked once per worker.
@pytest.fixture(scope="module", params=ACCEPTED, ids=IDS)
def baked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Baked:
    combination: Combination = request.param
    path = bake_project(tmp_path_factory.mktemp("matrix"), combination)
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


SIX_OF_THREE = {f"option_{index}": ["a", "b", "c"] for index in range(6)}
UNEVEN = {
    "big": [str(value) for value in range(12)],
    "flag": ["no", "yes"],
    "middle": ["x", "y", "z"],
    "other": ["p", "q", "r", "s", "t"],
}


@pytest.mark.parametrize(
    ("options", "requires"),
    [
        (SIX_OF_THREE, {}),
        (UNEVEN, {}),
        (
            SIX_OF_THREE,
            {("option_5", "c"): ("option_0", "b"), ("option_1", "a"): ("option_4", "a")},
        ),
        (UNEVEN, {("big", "11"): ("flag", "yes"), ("middle", "z"): ("other", "t")}),
    ],
    ids=["six-options-of-three", "uneven", "six-options-of-three-requires", "uneven-requires"],
)
def test_large_matrix_covers_every_allowed_pair_and_every_value(
    options: dict[str, list[str]], requires: Requires
) -> None:
    rows = matrix(options, requires)
    defaults = {name: values[0] for name, values in options.items()}

    assert [row for row in rows if not compatible(row, requires)] == []
    for first, second in itertools.combinations(options, 2):
        covered = {(row[first], row[second]) for row in rows}
        assert covered == {
            (a, b)
            for a, b in itertools.product(options[first], options[second])
            if compatible({first: a, second: b}, requires)
        }
    for name, values in options.items():
        for value in values:
            assert _with_required({**defaults, name: value}, requires) in rows
    assert len(rows) < math.prod(len(values) for values in options.values())


def test_requires_mirrors_the_pre_gen_hook() -> None:
    """REQUIRES allows exactly what the hook accepts, so no matrix row is lost to a refusal."""
    rows = COMBINATIONS + VIOLATIONS

    assert VIOLATIONS
    assert [row_id(row) for row in rows if compatible(row, REQUIRES) != is_accepted(row)] == []


def test_matrix_covers_every_pair_the_hook_accepts() -> None:
    for first, second in itertools.combinations(OPTIONS, 2):
        covered = {(row[first], row[second]) for row in ACCEPTED}
        assert covered == {
            (a, b)
            for a, b in itertools.product(OPTIONS[first], OPTIONS[second])
            if compatible({first: a, second: b}, REQUIRES)
        }, (first, second)


def test_hooks_succeed(baked: Baked) -> None:
    project = baked.path

    assert (project / "pyproject.toml").is_file()


def test_no_template_syntax_remains(baked: Baked) -> None:
    project = baked.path

    leftovers = [
        f"{path.relative_to(project)}: {match.group()}"
        for path in _files(project)
        if (text := _text(path)) is not None
        for match in _leftover_syntax(path).finditer(text)
    ]
    assert leftovers == []


def _leftover_syntax(path: Path) -> re.Pattern[str]:
    return COOKIECUTTER_SYNTAX if EMAIL_TEMPLATES in path.as_posix() else TEMPLATE_SYNTAX


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary file (cookiecutter copies those unrendered)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None


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


@pytest.mark.parametrize("combination", REJECTED, ids=[row_id(row) for row in REJECTED])
def test_rejected_combinations_stop_with_the_hook_message_before_writing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], combination: Combination
) -> None:
    message = refusal(combination)
    assert message is not None

    with pytest.raises(FailedHookException):
        bake_project(tmp_path, combination)

    err = capfd.readouterr().err
    assert [line for line in err.splitlines() if line.startswith("ERROR: ")] == [
        f"ERROR: {message}"
    ]
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
