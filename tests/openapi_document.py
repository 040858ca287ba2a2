"""The generated projects' openapi.json: one template that renders each variant's spec.

`uvx nox -s openapi` bakes the variants whose API differs (with and without taskiq's
routes), asks each for its spec (`<package> openapi`) and writes
`{{cookiecutter.project_slug}}/openapi.json` as a Jinja template: the entries only taskiq
serves sit in `task_queue` blocks, and the title is the project's name. Each variant's own
suite (tests/integration/test_api_contract.py) then holds the served spec to the committed
one, so a stale template fails the bake sessions.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tests.conftest import TEMPLATE_DIR, bake_project, project_environ

SPEC_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "openapi.json"
TASKIQ = {"use_redis": "yes", "task_queue": "taskiq"}
TASKIQ_BLOCK = '{%% if cookiecutter.task_queue == "taskiq" %%}%s{%% endif %%}'
TITLE = "{{ cookiecutter.project_name | tojson }}"
# Stands in for the baked title until the text is written, then becomes TITLE.
TITLE_MARK = "@@project_name@@"
INDENT = 2


def served_spec(output: Path, answers: Mapping[str, str]) -> dict[str, Any]:
    project = bake_project(output, answers)
    command = ["uv", "run", "--locked", "--quiet", "my_service", "openapi", "--output", "-"]
    env = {**project_environ(), "AUTH__SECRET_KEY": "s" * 48}
    result = subprocess.run(command, cwd=project, env=env, check=True, capture_output=True)
    spec: dict[str, Any] = json.loads(result.stdout)
    return spec


def render(plain: dict[str, Any], taskiq: dict[str, Any]) -> str:
    """The template: `taskiq`'s spec, with what `plain` lacks in taskiq blocks."""
    plain = {**plain, "info": {**plain["info"], "title": TITLE_MARK}}
    taskiq = {**taskiq, "info": {**taskiq["info"], "title": TITLE_MARK}}
    return _render(taskiq, plain, ()).replace(json.dumps(TITLE_MARK), TITLE) + "\n"


def _render(value: Any, plain: Any, path: tuple[str, ...], depth: int = 0) -> str:
    """`value` as json.dumps(indent=2) writes it at `depth`, with taskiq-only keys in blocks."""
    if value == plain:
        text = json.dumps(value, indent=INDENT)
        return text.replace("\n", "\n" + " " * (INDENT * depth))
    if not isinstance(value, dict) or not isinstance(plain, dict):
        msg = f"{'.'.join(path)}: the variants differ in more than added entries"
        raise ValueError(msg)
    inner = " " * (INDENT * (depth + 1))
    entries = []
    for key, item in value.items():
        # An entry only taskiq has is written whole, inside its block.
        rendered = _render(item, plain.get(key, item), (*path, key), depth + 1)
        entries.append((key in plain, f"{inner}{json.dumps(key)}: {rendered}"))
    if not entries[0][0]:
        msg = f"{'.'.join(path)}: its first entry is taskiq's own; a block cannot carry the comma"
        raise ValueError(msg)
    parts = [entries[0][1]]
    for common, text in entries[1:]:
        parts.append(",\n" + text if common else TASKIQ_BLOCK % (",\n" + text))
    closing = " " * (INDENT * depth)
    return "{\n" + "".join(parts) + "\n" + closing + "}"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        plain = served_spec(Path(scratch) / "plain", {})
        taskiq = served_spec(Path(scratch) / "taskiq", TASKIQ)
    if set(plain["paths"]) - set(taskiq["paths"]):
        msg = "a path served without taskiq is missing with it"
        raise SystemExit(msg)
    SPEC_TEMPLATE.write_text(render(plain, taskiq), encoding="utf-8")
    print(f"Wrote {SPEC_TEMPLATE.relative_to(TEMPLATE_DIR)}.")


if __name__ == "__main__":
    main()
