"""The real `cookiecutter` command, driven at its prompts as a user would, then replayed.

Every question in cookiecutter.json gets a non-default answer: the 2nd entry of a choice
unless CHOICE_ANSWERS names another, and a value from TEXT_ANSWERS for free text, so a new
text option fails here until it has an answer. The answers together must pass the pre-gen
hook (taskiq needs Redis), so the whole session reaches a generated project. Cookiecutter's
user config (replay and clone folders) points into tmp_path, so these tests never touch
~/.cookiecutterrc or ~/.cookiecutter_replay.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pexpect
import pytest
import yaml

from hooks import post_gen_project, pre_gen_project
from tests.conftest import TEMPLATE_DIR, bake_project, project_environ

COOKIECUTTER = Path(sys.executable).parent / "cookiecutter"
TEMPLATE_CONTEXT: dict[str, Any] = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
PROMPTS: dict[str, Any] = TEMPLATE_CONTEXT["__prompts__"]
QUESTIONS = [name for name in TEMPLATE_CONTEXT if not name.startswith("_")]
CHOICES: dict[str, list[str]] = {
    name: value
    for name, value in TEMPLATE_CONTEXT.items()
    if name in QUESTIONS and isinstance(value, list)
}

# Non-default answers for the free-text questions. The slug is answered with something other
# than its derived default, so the package name's derived default is checked too.
TEXT_ANSWERS = {
    "project_name": "Billing Service",
    "project_slug": "billing-api",
    "package_name": "billing_core",
    "description": "Bills customers every month.",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
}
# Choices answered with another entry than the 2nd: the last database option, so the
# typed number is not always "2".
CHOICE_ANSWERS = {"database": "mysql"}
# Dependencies that only the chosen non-default values bring.
CHOSEN_DEPENDENCIES = {
    ("database", "mysql"): "asyncmy",
    ("use_redis", "yes"): "redis",
    ("task_queue", "taskiq"): "taskiq",
    ("use_sentry", "yes"): "sentry-sdk",
    ("use_opentelemetry", "yes"): "opentelemetry-sdk",
}
# What a derived question must offer as its default, given the answers before it.
DERIVED_DEFAULTS = {"project_slug": "billing-service", "package_name": "billing_api"}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _typed_answer(name: str) -> tuple[str, str]:
    """What the user types for a question, and the value it must produce."""
    if name in CHOICES:
        value = CHOICE_ANSWERS.get(name, CHOICES[name][1])
        return str(CHOICES[name].index(value) + 1), value
    answer = TEXT_ANSWERS.get(name, "")
    return answer, answer


ANSWERS = {name: _typed_answer(name)[1] for name in QUESTIONS}


def _normalized(text: str) -> str:
    """Terminal output without colours and with rich's line wrapping undone."""
    return " ".join(ANSI_ESCAPE.sub("", text).split())


def _write_config(path: Path, default_context: dict[str, str] | None = None) -> Path:
    config: dict[str, Any] = {
        "cookiecutters_dir": str(path.parent / "cookiecutters"),
        "replay_dir": str(path.parent / "replay"),
    }
    if default_context is not None:
        config["default_context"] = default_context
    path.write_text(yaml.safe_dump(config))
    return path


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def _cookiecutter_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(COOKIECUTTER), *map(str, args)],
        env=project_environ(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass(frozen=True)
class Session:
    """One interactive run: what the terminal showed, per question, and what it produced."""

    screens: dict[str, str]
    project: Path
    config: Path
    replay: dict[str, Any]


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    if missing := [name for name in QUESTIONS if name not in CHOICES and name not in TEXT_ANSWERS]:
        pytest.fail(f"add non-default answers to TEXT_ANSWERS for the new questions {missing}")
    root = tmp_path_factory.mktemp("prompts")
    config = _write_config(root / "cookiecutterrc.yaml")
    child = pexpect.spawn(
        str(COOKIECUTTER),
        ["--config-file", str(config), "--output-dir", str(root / "out"), str(TEMPLATE_DIR)],
        env=project_environ(NO_COLOR="1", TERM="dumb"),
        encoding="utf-8",
        timeout=60,
    )
    screens: dict[str, str] = {}
    for number, name in enumerate(QUESTIONS, start=1):
        # Each question starts with its counter and ends where rich waits for input.
        child.expect_exact(f"[{number}/{len(QUESTIONS)}]")
        child.expect_exact("): ")
        screens[name] = _normalized(f"{child.before}{child.after}")
        child.sendline(_typed_answer(name)[0])
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    (replay_file,) = (root / "replay").glob("*.json")
    return Session(
        screens=screens,
        project=root / "out" / ANSWERS["project_slug"],
        config=config,
        replay=json.loads(replay_file.read_text()),
    )


def test_every_question_has_a_readable_prompt() -> None:
    missing = [name for name in QUESTIONS if name not in PROMPTS]
    unlabelled = [
        f"{name}={choice}"
        for name, choices in CHOICES.items()
        for choice in choices
        if choice not in PROMPTS.get(name, {})
    ]

    assert missing == []
    assert unlabelled == []


def test_every_text_question_gets_a_non_default_answer() -> None:
    for name in QUESTIONS:
        if name not in CHOICES:
            assert TEXT_ANSWERS.get(name, TEMPLATE_CONTEXT[name]) != TEMPLATE_CONTEXT[name], name


def test_every_choice_question_gets_a_non_default_answer() -> None:
    defaults = [name for name, choices in CHOICES.items() if ANSWERS[name] == choices[0]]

    assert defaults == []


def test_answers_pass_the_pre_gen_hook() -> None:
    assert pre_gen_project.validate(ANSWERS) == []


def test_text_prompts_show_their_questions(session: Session) -> None:
    for name in QUESTIONS:
        if name not in CHOICES:
            assert _normalized(PROMPTS[name]) in session.screens[name], name


def test_choice_prompts_show_readable_labels(session: Session) -> None:
    for name, choices in CHOICES.items():
        screen = session.screens[name]
        assert _normalized(PROMPTS[name]["__prompt__"]) in screen
        for number, choice in enumerate(choices, start=1):
            assert f"{number} - {_normalized(PROMPTS[name][choice])}" in screen, (name, choice)


def test_derived_names_show_the_derived_default(session: Session) -> None:
    derived = [name for name in QUESTIONS if "{{" in str(TEMPLATE_CONTEXT[name])]

    assert sorted(derived) == sorted(DERIVED_DEFAULTS)
    for name in derived:
        assert session.screens[name].endswith(f"({DERIVED_DEFAULTS[name]}):"), session.screens[name]


def test_interactive_answers_are_recorded_for_replay(session: Session) -> None:
    recorded = {name: session.replay["cookiecutter"][name] for name in QUESTIONS}

    assert recorded == ANSWERS


def test_interactive_project_uses_the_answers(session: Session) -> None:
    pyproject = tomllib.loads((session.project / "pyproject.toml").read_text())["project"]

    assert session.project.name == ANSWERS["project_slug"]
    assert (session.project / "src" / ANSWERS["package_name"] / "main.py").is_file()
    assert pyproject["name"] == ANSWERS["project_slug"]
    assert pyproject["description"] == ANSWERS["description"]
    assert pyproject["authors"] == [
        {"name": ANSWERS["author_name"], "email": ANSWERS["author_email"]}
    ]
    assert pyproject["scripts"] == {ANSWERS["package_name"]: f"{ANSWERS['package_name']}.cli:main"}
    python = f"Programming Language :: Python :: {ANSWERS['python_version']}"
    assert python in pyproject["classifiers"]
    dependencies = {re.split(r"[\[<>=]", dep)[0] for dep in pyproject["dependencies"]}
    for (option, value), dependency in CHOSEN_DEPENDENCIES.items():
        assert (dependency in dependencies) is (ANSWERS[option] == value), dependency


def test_interactive_project_keeps_the_files_of_the_chosen_options(session: Session) -> None:
    kept = [
        path
        for (option, value), paths in post_gen_project.feature_paths(ANSWERS).items()
        if ANSWERS[option] == value
        for path in paths
    ]
    removed = post_gen_project.paths_to_remove(ANSWERS)

    assert f"src/{ANSWERS['package_name']}/tasks" in kept
    assert [path for path in kept if not (session.project / path).exists()] == []
    assert [path for path in removed if (session.project / path).exists()] == []


def test_interactive_project_equals_a_non_interactive_bake(
    session: Session, tmp_path: Path
) -> None:
    baked = bake_project(tmp_path, ANSWERS)

    assert _tree(baked) == _tree(session.project)


def test_replay_regenerates_the_same_project(session: Session, tmp_path: Path) -> None:
    output = tmp_path / "out"

    _cookiecutter_cli(
        "--replay", "--config-file", session.config, "--output-dir", output, TEMPLATE_DIR
    )

    assert _tree(output / ANSWERS["project_slug"]) == _tree(session.project)


def test_user_config_default_context_regenerates_the_same_project(
    session: Session, tmp_path: Path
) -> None:
    config = _write_config(tmp_path / "cookiecutterrc.yaml", default_context=ANSWERS)
    output = tmp_path / "out"

    _cookiecutter_cli("--no-input", "--config-file", config, "--output-dir", output, TEMPLATE_DIR)

    assert _tree(output / ANSWERS["project_slug"]) == _tree(session.project)
