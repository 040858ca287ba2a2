"""The openapi.json template renders each variant's spec back, as json.dumps writes it."""

from __future__ import annotations

import json
from typing import Any

import jinja2
import pytest

from tests.openapi_document import render

PLAIN: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "My Service", "version": "0.1.0"},
    "paths": {"/a": {"get": {"operationId": "a"}}, "/b": {"get": {"operationId": "b"}}},
    "components": {"schemas": {"A": {"type": "object"}}},
}
TASKIQ: dict[str, Any] = {
    **PLAIN,
    "paths": {**PLAIN["paths"], "/jobs": {"post": {"operationId": "enqueue"}}},
    "components": {"schemas": {"A": {"type": "object"}, "Job": {"type": "string"}}},
}


def _rendered(template: str, project_name: str, task_queue: str) -> str:
    context = {"project_name": project_name, "task_queue": task_queue}
    jinja = jinja2.Template(template, keep_trailing_newline=True)
    rendered: str = jinja.render(cookiecutter=context)
    return rendered


@pytest.mark.parametrize(("task_queue", "spec"), [("none", PLAIN), ("taskiq", TASKIQ)])
def test_each_variant_renders_its_own_spec_byte_for_byte(
    task_queue: str, spec: dict[str, Any]
) -> None:
    text = _rendered(render(PLAIN, TASKIQ), "My Service", task_queue)

    assert text == json.dumps(spec, indent=2) + "\n"


def test_the_title_is_the_project_name_whatever_its_characters() -> None:
    text = _rendered(render(PLAIN, TASKIQ), 'Caf\u00e9 "Billing" <API>', "none")

    assert json.loads(text)["info"]["title"] == 'Caf\u00e9 "Billing" <API>'


def test_a_change_beyond_added_entries_is_refused() -> None:
    changed = {**TASKIQ, "openapi": "3.0.0"}

    with pytest.raises(ValueError, match="more than added entries"):
        render(PLAIN, changed)
