"""List what a change to openapi.json breaks for existing clients, one line each; exit 1 if any.

CI runs it on every push and pull request, against the revision the change starts from:

    python3 scripts/check_api_compat.py --against origin/main
    python3 scripts/check_api_compat.py --base old.json --spec openapi.json

The old spec is the --spec file as it was at REF (`git show REF:./openapi.json`, run in the
file's folder) or the --base file; the new one is --spec (openapi.json at the project root,
as `uv run <package> openapi` writes it). Operations are keyed by path and method. Breaking:
an operation removed, unless it is deprecated and its `x-sunset` date (UTC) has come; a new
required parameter or body field; a request schema that accepts less (type, enum, bounds,
fields refused); a 2xx status or response field that went away, turned optional or nullable,
or an enum that gained values. Make such changes under a new version prefix (/api/v2) beside
the old one. An empty or all-zero REF (a new branch) has nothing to compare. Needs only Python.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, TypeGuard

ROOT = Path(__file__).resolve().parents[1]
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
JSON_MEDIA = re.compile(r"application/(?:[\w.-]+\+)?json")
UPPER_BOUNDS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")
LOWER_BOUNDS = ("minLength", "minimum", "exclusiveMinimum", "minItems")
JSON_TYPES = (
    (bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"), (list, "array"),
    (dict, "object"),
)  # fmt: skip
NO_REVISION = re.compile(r"0*")  # GitHub's `before` is all zeros for a new branch
HINT = (
    "Make breaking changes under a new version prefix (e.g. /api/v2) beside the old one, or "
    "deprecate the operation with an x-sunset date and remove it after that date."
)
ANY: dict[str, Any] = {}  # one shared object: cycles are detected by object identity
NULL = frozenset({"null"})

Schema = dict[str, Any]
Direction = Literal["request", "response"]
Types = frozenset[str] | None  # None: any value
Stack = frozenset[tuple[int, int]]


class SpecError(Exception):
    """A spec that cannot be read or compared."""


@dataclass(frozen=True)
class Change:
    operation: str
    detail: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.detail}"


@dataclass(frozen=True)
class Report:
    checked: int
    retired: list[str]
    breaking: list[Change]


def _dict(value: object) -> Schema:
    return value if isinstance(value, dict) else ANY


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _resolve(doc: Schema, node: object) -> Schema:
    """`node` with its `$ref` chain followed inside `doc` (never into another document)."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(ref := node.get("$ref"), str):
        if ref in seen or not ref.startswith("#/"):
            raise SpecError(f"cannot resolve $ref {ref!r} (only refs inside the document are)")
        seen.add(ref)
        node = doc
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or key not in node:
                raise SpecError(f"cannot resolve $ref {ref!r}")
            node = node[key]
    return _dict(node)


def _schema(doc: Schema, node: object, seen: frozenset[int] = frozenset()) -> Schema:
    """The resolved schema, its `allOf` parts merged in."""
    schema = _resolve(doc, node)
    if "allOf" not in schema or id(node) in seen:
        return schema
    merged = {key: value for key, value in schema.items() if key != "allOf"}
    properties = dict(_dict(merged.get("properties")))
    required = set(_list(merged.get("required")))
    for part in (_schema(doc, part, seen | {id(node)}) for part in _list(schema["allOf"])):
        properties.update(_dict(part.get("properties")))
        required.update(_list(part.get("required")))
        for key, value in part.items():
            merged.setdefault(key, value)
    return {**merged, "properties": properties, "required": sorted(required)}


def _types(doc: Schema, node: object, seen: frozenset[int] = frozenset()) -> Types:
    if id(node) in seen:
        return frozenset()
    schema = _schema(doc, node)
    declared, found = schema.get("type"), None
    if isinstance(declared, str | list):
        found = {declared} if isinstance(declared, str) else set(map(str, declared))
    elif "const" in schema:
        found = {_json_type(schema["const"])}
    elif isinstance(schema.get("enum"), list):
        found = set(map(_json_type, schema["enum"]))
    if options := [*_list(schema.get("anyOf")), *_list(schema.get("oneOf"))]:
        each = [_types(doc, option, seen | {id(node)}) for option in options]
        known = [types for types in each if types is not None]
        if len(known) == len(each):
            union = set().union(*known)
            found = union if found is None else found & union
    if found is not None and schema.get("nullable") is True:
        found.add("null")
    return None if found is None else frozenset(found)


def _json_type(value: object) -> str:
    return next((name for kind, name in JSON_TYPES if isinstance(value, kind)), "null")


def _covers(wider: Types, narrower: Types) -> bool:
    if wider is None or narrower is None:
        return wider is None
    return all(kind in wider or (kind == "integer" and "number" in wider) for kind in narrower)


def _names(types: Types) -> str:
    return "any" if types is None else "|".join(sorted(types)) or "nothing"


def _options(doc: Schema, node: object) -> list[tuple[str, object]] | None:
    """A union's alternatives other than null, keyed for pairing; None for no union."""
    schema = _schema(doc, node)
    if not (options := [*_list(schema.get("anyOf")), *_list(schema.get("oneOf"))]):
        return None
    return [(_key(doc, option), option) for option in options if _types(doc, option) != NULL]


def _key(doc: Schema, node: object) -> str:
    ref = _dict(node).get("$ref")
    return ref if isinstance(ref, str) else _names(_types(doc, node))


def _pairs(old: list[tuple[str, object]], new: list[tuple[str, object]]) -> list[tuple[Any, Any]]:
    """Alternatives to compare: the only one of each side, else those alike (same $ref or type)."""
    if len(old) == 1 and len(new) == 1:
        return [(old[0][1], new[0][1])]
    old_keys, new_keys, by_key = Counter(k for k, _ in old), Counter(k for k, _ in new), dict(new)
    return [(node, by_key[k]) for k, node in old if old_keys[k] == new_keys[k] == 1]


def _enum(schema: Schema) -> list[str] | None:
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    return None if not isinstance(values, list) else list(dict.fromkeys(map(json.dumps, values)))


def _at(where: str, text: str) -> str:
    return f"field '{where}': {text}" if where else text


def _child(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _bounds(old: Schema, new: Schema, where: str) -> Iterator[str]:
    for key in (*UPPER_BOUNDS, *LOWER_BOUNDS):
        value, before, upper = new.get(key), old.get(key), key in UPPER_BOUNDS
        if not _number(value):
            continue
        if not _number(before):
            yield _at(where, f"{key} {value} added")
        elif (value < before) if upper else (value > before):
            yield _at(where, f"{key} {'lowered' if upper else 'raised'} from {before} to {value}")


class _Checker:
    """Compares schemas, each side's `$ref`s resolved against its own document."""

    def __init__(self, old: Schema, new: Schema) -> None:
        self.old, self.new = old, new

    def schema(
        self,
        old: object,
        new: object,
        where: str,
        direction: Direction,
        stack: Stack = frozenset(),
        *,
        types: bool = True,
    ) -> Iterator[str]:
        """Request: `new` accepts all `old` did. Response: `new` sends only what `old` could."""
        pair = (id(_resolve(self.old, old)), id(_resolve(self.new, new)))
        if pair in stack:  # a recursive schema: this pair is being compared already
            return
        stack |= {pair}
        request = direction == "request"
        old_types, new_types = _types(self.old, old), _types(self.new, new)
        if types and not _covers(*((new_types, old_types) if request else (old_types, new_types))):
            change = "narrowed" if request else "widened"
            yield _at(where, f"type {change} from {_names(old_types)} to {_names(new_types)}")
        old_options, new_options = _options(self.old, old), _options(self.new, new)
        if old_options is not None or new_options is not None:
            old_options = old_options or [(_key(self.old, old), old)]
            for a, b in _pairs(old_options, new_options or [(_key(self.new, new), new)]):
                yield from self.schema(a, b, where, direction, stack, types=False)
            return
        old_schema, new_schema = _schema(self.old, old), _schema(self.new, new)
        yield from _enum_changes(old_schema, new_schema, where, request=request)
        if request:
            yield from _bounds(old_schema, new_schema, where)
        if "items" in old_schema or "items" in new_schema:
            old_items, new_items = old_schema.get("items", ANY), new_schema.get("items", ANY)
            yield from self.schema(old_items, new_items, f"{where}[]", direction, stack)
        if all(types is None or "object" in types for types in (old_types, new_types)):
            yield from self._properties(old_schema, new_schema, where, direction, stack)

    def _properties(
        self, old: Schema, new: Schema, where: str, direction: Direction, stack: Stack
    ) -> Iterator[str]:
        old_properties, new_properties = _dict(old.get("properties")), _dict(new.get("properties"))
        fields = _request_fields if direction == "request" else _response_fields
        yield from fields(old, new, old_properties, new_properties, where)
        for name, old_property in old_properties.items():
            if name in new_properties:
                child = _child(where, name)
                yield from self.schema(old_property, new_properties[name], child, direction, stack)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, dict) and isinstance(new_extra, dict):
            yield from self.schema(old_extra, new_extra, _child(where, "*"), direction, stack)

    def operation(self, old: Schema, new: Schema) -> Iterator[str]:
        old_parameters, new_parameters = _parameters(self.old, old), _parameters(self.new, new)
        for (place, name), parameter in new_parameters.items():
            label, before = f"{place} parameter '{name}'", old_parameters.get((place, name))
            if before is None:
                yield from [f"new required {label}"] if parameter.get("required") is True else []
                continue
            if parameter.get("required") is True and before.get("required") is not True:
                yield f"{label} became required"
            old_schema, new_schema = before.get("schema", ANY), parameter.get("schema", ANY)
            yield from (f"{label}: {c}" for c in self.schema(old_schema, new_schema, "", "request"))
        yield from self._request_body(old, new)
        yield from self._responses(old, new)

    def _request_body(self, old: Schema, new: Schema) -> Iterator[str]:
        old_body = _resolve(self.old, old.get("requestBody"))
        new_body = _resolve(self.new, new.get("requestBody"))
        if new_body.get("required") is True and old_body.get("required") is not True:
            yield "request body became required"
        if not old_body or not new_body:  # nothing was sent, or whatever is sent is ignored
            return
        new_content = _dict(new_body.get("content"))
        for media, old_media in _dict(old_body.get("content")).items():
            label = _label("request body", media)
            if media not in new_content:
                yield f"{label} no longer accepted"
                continue
            old_schema = _dict(old_media).get("schema", ANY)
            new_schema = _dict(new_content[media]).get("schema", ANY)
            yield from (f"{label}: {c}" for c in self.schema(old_schema, new_schema, "", "request"))

    def _responses(self, old: Schema, new: Schema) -> Iterator[str]:
        new_responses = _dict(new.get("responses"))
        for status, old_response in _dict(old.get("responses")).items():
            if not str(status).startswith("2"):
                continue
            if status not in new_responses:
                yield f"response {status} no longer returned (changed status code)"
                continue
            new_content = _dict(_resolve(self.new, new_responses[status]).get("content"))
            for media, old_media in _dict(_resolve(self.old, old_response).get("content")).items():
                if not JSON_MEDIA.fullmatch(media.split(";")[0].strip()):
                    continue
                label = _label(f"response {status}", media)
                if media not in new_content:
                    yield f"{label}: no longer sent as {media}"
                    continue
                old_schema = _dict(old_media).get("schema", ANY)
                new_schema = _dict(new_content[media]).get("schema", ANY)
                changes = self.schema(old_schema, new_schema, "", "response")
                yield from (f"{label}: {change}" for change in changes)


def _request_fields(
    old: Schema, new: Schema, old_properties: Schema, new_properties: Schema, where: str
) -> Iterator[str]:
    old_required = _list(old.get("required"))
    for name in _list(new.get("required")):
        if name not in old_required:
            how = "became" if name in old_properties else "is new and"
            yield f"field '{_child(where, name)}' {how} required"
    if False in (old.get("additionalProperties"), new.get("additionalProperties")):
        # Clients that still send a removed field get a 422 (or have it ignored, unseen).
        for name in old_properties:
            if name not in new_properties:
                yield f"field '{_child(where, name)}' removed (additionalProperties: false)"


def _response_fields(
    old: Schema, new: Schema, old_properties: Schema, new_properties: Schema, where: str
) -> Iterator[str]:
    old_required, new_required = _list(old.get("required")), _list(new.get("required"))
    for name in dict.fromkeys([*old_properties, *old_required]):
        if name in old_properties and name not in new_properties:
            yield f"field '{_child(where, name)}' removed"
        elif name in old_required and name not in new_required:
            yield f"field '{_child(where, name)}' is no longer required"


def _label(prefix: str, media: str) -> str:
    return prefix if media == "application/json" else f"{prefix} ({media})"


def _enum_changes(old: Schema, new: Schema, where: str, *, request: bool) -> Iterator[str]:
    old_values, new_values = _enum(old), _enum(new)
    narrower, wider = (old_values, new_values) if request else (new_values, old_values)
    if wider is None:
        return
    if narrower is None:
        yield _at(where, "now limited to enum values" if request else "no longer an enum")
    elif missing := [value for value in narrower if value not in wider]:
        yield _at(where, f"enum values {'removed' if request else 'added'}: {', '.join(missing)}")


def _parameters(doc: Schema, operation: Schema) -> dict[tuple[str, str], Schema]:
    """Path-level, then the operation's own parameters, by (in, name); header names ignore case."""
    found: dict[tuple[str, str], Schema] = {}
    for parameter in (_resolve(doc, node) for node in _list(operation.get("parameters"))):
        place, name = str(parameter.get("in")), str(parameter.get("name"))
        found[place, name.lower() if place == "header" else name] = parameter
    return found


def _operations(doc: Schema) -> dict[tuple[str, str], Schema]:
    found = {}
    for path, node in _dict(doc.get("paths")).items():
        item = _resolve(doc, node)
        shared = _list(item.get("parameters"))
        for method in METHODS:
            if isinstance(operation := item.get(method), dict):
                parameters = [*shared, *_list(operation.get("parameters"))]
                found[path, method] = {**operation, "parameters": parameters}
    return found


def _sunset(operation: Schema) -> date | None:
    try:
        return date.fromisoformat(str(operation.get("x-sunset")))
    except ValueError:
        return None


def _removal(operation: Schema, today: date) -> str | None:
    """Why removing the operation breaks clients ("" for the plain case); None once retired."""
    if operation.get("deprecated") is not True:
        return ""
    if (sunset := _sunset(operation)) is None:
        return "; it is deprecated but has no valid x-sunset date"
    return None if today >= sunset else f" before its sunset date {sunset.isoformat()}"


def compare(old: Schema, new: Schema, today: date) -> Report:
    """What replacing spec `old` by `new` breaks for clients, and which operations retired."""
    checker, new_operations = _Checker(old, new), _operations(new)
    checked, retired, breaking = 0, list[str](), list[Change]()
    for (path, method), operation in _operations(old).items():
        name = f"{method.upper()} {path}"
        if (path, method) in new_operations:
            checked += 1
            changes = checker.operation(operation, new_operations[path, method])
            breaking += (Change(name, detail) for detail in changes)
        elif (why := _removal(operation, today)) is None:
            retired.append(f"{name} (sunset {operation['x-sunset']})")
        else:
            what = "operation" if path in _dict(new.get("paths")) else "path"
            breaking.append(Change(name, f"{what} removed{why}"))
    return Report(checked, retired, breaking)


def breaking_changes(old: Schema, new: Schema, today: date) -> list[Change]:
    return compare(old, new, today).breaking


def _git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise SpecError("git is not installed; pass the old spec with --base FILE")
    try:
        return subprocess.run(
            [git, *args], cwd=folder, capture_output=True, text=True, encoding="utf-8", check=False
        )
    except OSError as error:
        raise SpecError(f"cannot run git in {folder}: {error.strerror or error}") from error


def _git_show(ref: str, spec: Path) -> str | None:
    """The spec file as it was at `ref`, or None when that revision has no such file."""
    if ref.startswith("-"):
        raise SpecError(f"{ref!r} is not a git revision")
    found = _git(spec.parent, "rev-parse", "--verify", "--quiet", ref + "^{commit}")
    if found.returncode != 0:
        why = found.stderr.strip().splitlines()  # --quiet: empty for a revision git lacks
        message = f"cannot resolve {ref!r}: {why[-1]}" if why else f"unknown revision {ref!r}"
        raise SpecError(message)
    path = f"{ref}:./{spec.name}"  # ./ : relative to the spec's folder, not the repository root
    if _git(spec.parent, "rev-parse", "--verify", "--quiet", path).returncode != 0:
        return None
    shown = _git(spec.parent, "show", path)
    if shown.returncode != 0:
        raise SpecError(f"git show {path} failed: {shown.stderr.strip()}")
    return shown.stdout


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise SpecError(f"cannot read {path}: {error.strerror or error}") from error
    except UnicodeDecodeError as error:
        raise SpecError(f"cannot read {path}: not UTF-8 ({error.reason})") from error


def _parse(text: str, source: str) -> Schema:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as error:
        raise SpecError(f"{source} is not valid JSON: {error}") from error
    if not isinstance(doc, dict) or not isinstance(doc.get("paths", {}), dict):
        raise SpecError(f"{source} is not an OpenAPI document")
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    old_spec = parser.add_mutually_exclusive_group(required=True)
    old_spec.add_argument("--against", metavar="REF", help="git revision holding the old spec")
    old_spec.add_argument("--base", metavar="FILE", type=Path, help="file holding the old spec")
    parser.add_argument(
        "--spec",
        metavar="FILE",
        type=Path,
        default=ROOT / "openapi.json",
        help="the new spec (default: openapi.json at the project root)",
    )
    args = parser.parse_args(argv)
    spec: Path = args.spec
    try:
        source: str = str(args.base) if args.base is not None else args.against.strip()
        if args.base is not None:
            old_text = _read(args.base)
        elif NO_REVISION.fullmatch(source):
            print("Nothing to compare against: no base revision (a new branch).")
            return 0
        elif (shown := _git_show(source, spec)) is None:
            print(f"Nothing to compare against: {source} has no {spec.name}.")
            return 0
        else:
            old_text = shown
        old, new = _parse(old_text, source), _parse(_read(spec), str(spec))
        report = compare(old, new, datetime.now(UTC).date())
    except SpecError as error:
        print(f"check_api_compat: {error}", file=sys.stderr)
        return 2
    if report.breaking:
        for change in report.breaking:
            print(f"breaking: {change}")
        print(f"{len(report.breaking)} breaking change(s) against {source}. {HINT}")
        return 1
    retired = f"; retired: {', '.join(report.retired)}" if report.retired else ""
    print(f"No breaking changes against {source}: {report.checked} operation(s) checked{retired}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
