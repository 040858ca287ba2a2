"""scripts/check_api_compat.py: each breaking-change rule, what stays allowed, the command line."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "check_api_compat.py"
TODAY = date(2026, 3, 1)
STRING = {"type": "string"}
Spec = dict[str, Any]
Mutation = Callable[[Spec], object]


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_api_compat", SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


compat = _load()


def ref(name: str) -> Spec:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(required: list[str] | None = None, **properties: Spec) -> Spec:
    return {"type": "object", "properties": properties, "required": required or []}


def body(schema: Spec) -> Spec:
    return {"content": {"application/json": {"schema": schema}}}


def op(schema: Spec | None = None, status: str = "200", **fields: Any) -> Spec:
    response = {"description": "OK", **(body(schema) if schema else {})}
    return {"responses": {status: response}, **fields}


def query(name: str, *, required: bool = False, **schema: Any) -> Spec:
    return {"name": name, "in": "query", "required": required, "schema": schema}


def base() -> Spec:
    """Items under /api/v1: a page of items (a nullable $ref owner each), create, update, tags."""
    item_id = {"name": "item_id", "in": "path", "required": True, "schema": STRING}
    create = {"required": True, **body(ref("ItemCreate"))}
    order = {"type": "string", "enum": ["asc", "desc"]}
    items = {"type": "array", "items": ref("Item")}
    return {
        "openapi": "3.1.0",
        "paths": {
            "/api/v1/items": {
                "get": op(ref("Page"), parameters=[query("limit", type="integer")]),
                "post": op(ref("Item"), "201", requestBody=create),
            },
            "/api/v1/items/{item_id}": {
                "parameters": [item_id],
                "get": op(ref("Item")),
                "patch": op(ref("Item"), requestBody=body(ref("ItemUpdate"))),
                "delete": op(status="204"),
            },
            "/api/v1/tags": {"get": op({"type": "array", "items": STRING})},
        },
        "components": {
            "schemas": {
                "Page": obj(
                    ["items", "total", "order"], items=items, total={"type": "integer"}, order=order
                ),
                "Item": obj(
                    ["title", "owner"],
                    title=STRING,
                    owner={"anyOf": [ref("Owner"), {"type": "null"}]},
                ),
                "Owner": obj(["email"], email=STRING),
                "ItemCreate": {
                    **obj(
                        ["title"],
                        title={"type": "string", "maxLength": 200},
                        kind={"type": "string", "enum": ["a", "b"]},
                        size={"type": "number"},
                    ),
                    "additionalProperties": False,
                },
                "ItemUpdate": obj(title={"anyOf": [STRING, {"type": "null"}]}),
            }
        },
    }


def schema(spec: Spec, name: str) -> Spec:
    found: Spec = spec["components"]["schemas"][name]
    return found


def props(spec: Spec, name: str) -> Spec:
    found: Spec = schema(spec, name)["properties"]
    return found


def operation(spec: Spec, method: str, path: str = "/api/v1/items") -> Spec:
    found: Spec = spec["paths"][path][method]
    return found


def changes(new: Spec, old: Spec | None = None) -> list[str]:
    return [str(change) for change in compat.breaking_changes(old or base(), new, TODAY)]


def changed(mutate: Mutation) -> Spec:
    spec = base()
    mutate(spec)
    return spec


def rename_owner(spec: Spec) -> None:
    """The same Owner shape under another name: refs resolve in their own document."""
    schema(spec, "Item")["properties"]["owner"]["anyOf"][0] = ref("Person")
    spec["components"]["schemas"]["Person"] = spec["components"]["schemas"].pop("Owner")


ITEMS, ITEM, TAGS = "GET /api/v1/items", "/api/v1/items/{item_id}", "GET /api/v1/tags"
BODY, PAGE = "POST /api/v1/items: request body", "GET /api/v1/items: response 200"
PATCH = f"PATCH {ITEM}: request body"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        pytest.param(
            lambda s: s["paths"].pop("/api/v1/tags"), [f"{TAGS}: path removed"], id="removed-path"
        ),
        pytest.param(
            lambda s: s["paths"][ITEM].pop("delete"),
            [f"DELETE {ITEM}: operation removed"],
            id="removed-operation",
        ),
        pytest.param(
            lambda s: operation(s, "get")["parameters"].append(
                query("q", required=True, type="string")
            ),
            [f"{ITEMS}: new required query parameter 'q'"],
            id="new-required-query-parameter",
        ),
        pytest.param(
            lambda s: operation(s, "get")["parameters"][0].update(required=True),
            [f"{ITEMS}: query parameter 'limit' became required"],
            id="optional-parameter-required",
        ),
        pytest.param(
            lambda s: operation(s, "get")["parameters"][0]["schema"].update(maximum=50),
            [f"{ITEMS}: query parameter 'limit': maximum 50 added"],
            id="parameter-bound-added",
        ),
        pytest.param(
            lambda s: (
                props(s, "ItemCreate").update(colour=STRING),
                schema(s, "ItemCreate")["required"].append("colour"),
            ),
            [f"{BODY}: field 'colour' is new and required"],
            id="new-required-body-field",
        ),
        pytest.param(
            lambda s: operation(s, "patch", ITEM)["requestBody"].update(required=True),
            [f"PATCH {ITEM}: request body became required"],
            id="body-newly-required",
        ),
        pytest.param(
            lambda s: props(s, "ItemCreate")["kind"]["enum"].remove("b"),
            [f"{BODY}: field 'kind': enum values removed: \"b\""],
            id="request-enum-narrowed",
        ),
        pytest.param(
            lambda s: props(s, "ItemCreate")["size"].update(type="integer"),
            [f"{BODY}: field 'size': type narrowed from number to integer"],
            id="request-type-narrowed",
        ),
        pytest.param(
            lambda s: props(s, "ItemUpdate").update(title=STRING),
            [f"{PATCH}: field 'title': type narrowed from null|string to string"],
            id="request-no-longer-nullable",
        ),
        pytest.param(
            lambda s: props(s, "ItemCreate")["title"].update(maxLength=100),
            [f"{BODY}: field 'title': maxLength lowered from 200 to 100"],
            id="max-length-tightened",
        ),
        pytest.param(
            lambda s: props(s, "ItemCreate").pop("size"),
            [f"{BODY}: field 'size' removed (additionalProperties: false)"],
            id="closed-body-field-removed",
        ),
        pytest.param(
            lambda s: props(s, "Page").pop("total"),
            [f"{PAGE}: field 'total' removed"],
            id="response-field-removed",
        ),
        pytest.param(
            lambda s: props(s, "Owner").pop("email"),
            [
                f"{PAGE}: field 'items[].owner.email' removed",
                "POST /api/v1/items: response 201: field 'owner.email' removed",
                f"GET {ITEM}: response 200: field 'owner.email' removed",
                f"PATCH {ITEM}: response 200: field 'owner.email' removed",
            ],
            id="nested-response-field-removed-via-ref-in-array",
        ),
        pytest.param(
            lambda s: schema(s, "Page")["required"].remove("total"),
            [f"{PAGE}: field 'total' is no longer required"],
            id="response-field-optional",
        ),
        pytest.param(
            lambda s: props(s, "Page")["total"].update(type=["integer", "null"]),
            [f"{PAGE}: field 'total': type widened from integer to integer|null"],
            id="response-nullable",
        ),
        pytest.param(
            lambda s: props(s, "Page")["order"]["enum"].append("random"),
            [f"{PAGE}: field 'order': enum values added: \"random\""],
            id="response-enum-widened",
        ),
        pytest.param(
            lambda s: operation(s, "post").update(
                responses={"200": operation(s, "post")["responses"]["201"]}
            ),
            ["POST /api/v1/items: response 201 no longer returned (changed status code)"],
            id="status-code-changed",
        ),
    ],
)
def test_breaking_change_is_reported(mutate: Mutation, expected: list[str]) -> None:
    assert changes(changed(mutate)) == expected


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda _: None, id="unchanged"),
        pytest.param(
            lambda s: props(s, "ItemCreate").update(colour=STRING), id="optional-body-field-added"
        ),
        pytest.param(
            lambda s: s["paths"].update({"/api/v1/labels": {"get": op(STRING)}}), id="path-added"
        ),
        pytest.param(
            lambda s: s["paths"].update(
                {"/api/v2/items": {"get": op(obj(["data"], data={"type": "array"}))}}
            ),
            id="v2-beside-untouched-v1",
        ),
        pytest.param(
            lambda s: props(s, "ItemCreate")["kind"]["enum"].append("c"), id="request-enum-widened"
        ),
        pytest.param(
            lambda s: props(s, "ItemCreate")["size"].update(type=["number", "null"]),
            id="request-nullable",
        ),
        pytest.param(
            lambda s: props(s, "ItemCreate")["title"].update(maxLength=300), id="max-length-raised"
        ),
        pytest.param(
            lambda s: operation(s, "get")["parameters"].clear(), id="optional-parameter-removed"
        ),
        pytest.param(
            lambda s: operation(s, "get")["parameters"][0]["schema"].update(type="number"),
            id="integer-parameter-takes-numbers",
        ),
        pytest.param(lambda s: props(s, "ItemUpdate").pop("title"), id="open-body-field-removed"),
        pytest.param(lambda s: props(s, "Page").update(next=STRING), id="response-field-added"),
        pytest.param(
            lambda s: props(s, "Item").update(owner=ref("Owner")), id="response-no-longer-nullable"
        ),
        pytest.param(rename_owner, id="component-renamed"),
    ],
)
def test_compatible_change_is_allowed(mutate: Mutation) -> None:
    assert changes(changed(mutate)) == []


@pytest.mark.parametrize(
    ("sunset", "expected"),
    [
        pytest.param(TODAY.isoformat(), [], id="sunset-today"),
        pytest.param((TODAY - timedelta(days=1)).isoformat(), [], id="sunset-passed"),
        pytest.param(
            "2026-03-02",
            [f"{TAGS}: path removed before its sunset date 2026-03-02"],
            id="sunset-ahead",
        ),
        pytest.param(
            "soon",
            [f"{TAGS}: path removed; it is deprecated but has no valid x-sunset date"],
            id="no-date",
        ),
    ],
)
def test_deprecated_operation_may_go_once_its_sunset_comes(
    sunset: str, expected: list[str]
) -> None:
    old = changed(
        lambda s: operation(s, "get", "/api/v1/tags").update(
            {"deprecated": True, "x-sunset": sunset}
        )
    )
    report = compat.compare(old, changed(lambda s: s["paths"].pop("/api/v1/tags")), TODAY)
    assert [str(change) for change in report.breaking] == expected
    assert report.retired == ([] if expected else [f"{TAGS} (sunset {sunset})"])


def test_recursive_schema_is_compared_without_looping() -> None:
    node = obj(["name"], name=STRING, children={"type": "array", "items": ref("Node")})
    old = {
        "paths": {"/api/v1/tree": {"get": op(ref("Node"))}},
        "components": {"schemas": {"Node": node}},
    }
    new = json.loads(json.dumps(old))
    del new["components"]["schemas"]["Node"]["properties"]["name"]
    assert changes(new, old) == ["GET /api/v1/tree: response 200: field 'name' removed"]


def write(path: Path, spec: Spec) -> Path:
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path


def test_main_with_an_unchanged_spec_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write(tmp_path / "openapi.json", base())
    assert compat.main(["--base", str(spec), "--spec", str(spec)]) == 0
    assert f"No breaking changes against {spec}: 6 operation(s) checked." in capsys.readouterr().out


def test_main_with_a_breaking_change_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write(tmp_path / "old.json", base())
    new = write(tmp_path / "openapi.json", changed(lambda s: s["paths"].pop("/api/v1/tags")))
    assert compat.main(["--base", str(old), "--spec", str(new)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"breaking: {TAGS}: path removed"
    assert "new version prefix" in lines[-1]


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "is not valid JSON"), (None, "cannot read"), ("[]", "not an OpenAPI")],
)
def test_main_with_an_unusable_spec_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    old = tmp_path / "old.json"
    if content is not None:
        old.write_text(content, encoding="utf-8")
    new = write(tmp_path / "openapi.json", base())
    assert compat.main(["--base", str(old), "--spec", str(new)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("check_api_compat: ")
    assert message in err


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository: `start` has no openapi.json, HEAD commits base()."""
    git = shutil.which("git")
    assert git is not None, "the check reads the base spec through git: install git"
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):  # set when run from a git hook
        monkeypatch.delenv(name, raising=False)

    def run(*args: str) -> None:
        subprocess.run([git, *args], cwd=tmp_path, check=True, capture_output=True)  # noqa: S603 - fixed arguments

    run("init", "-q")
    run("config", "user.name", "Test")
    run("config", "user.email", "test@example.com")
    run("config", "commit.gpgsign", "false")
    (tmp_path / "README.md").write_text("A service.\n", encoding="utf-8")
    run("add", "README.md")
    run("commit", "-qm", "Start")
    run("tag", "start")
    write(tmp_path / "openapi.json", base())
    run("add", "openapi.json")
    run("commit", "-qm", "Add the spec")
    return tmp_path


@pytest.mark.parametrize(
    ("ref", "code", "expected"),
    [
        ("HEAD", 1, f"breaking: {TAGS}: path removed\n"),
        ("start", 0, "Nothing to compare against: start has no openapi.json.\n"),
        ("0" * 40, 0, "Nothing to compare against: no base revision (a new branch).\n"),
        ("", 0, "Nothing to compare against: no base revision (a new branch).\n"),
    ],
)
def test_main_against_a_git_revision(
    repo: Path, capsys: pytest.CaptureFixture[str], ref: str, code: int, expected: str
) -> None:
    spec = write(repo / "openapi.json", changed(lambda s: s["paths"].pop("/api/v1/tags")))
    assert compat.main(["--against", ref, "--spec", str(spec)]) == code
    assert capsys.readouterr().out.startswith(expected)


def test_main_against_an_unknown_revision_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compat.main(["--against", "no-such-branch", "--spec", str(repo / "openapi.json")]) == 2
    assert capsys.readouterr().err.startswith(
        "check_api_compat: unknown revision 'no-such-branch'\n"
    )
