"""The generated projects' uv.lock: one template that renders each variant's tested lock.

`uvx nox -s lock` bakes every combination of the options that change dependencies, locks
each with uv (keeping the versions the template already locks, or the newest with
`--upgrade`), and writes `{{cookiecutter.project_slug}}/uv.lock` as a Jinja template whose
blocks carry the options they belong to. A project generated from a template commit then
installs exactly the versions that commit's CI tested, on any later day.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import TEMPLATE_DIR, bake_project, project_environ

LOCK_TEMPLATE = TEMPLATE_DIR / "{{cookiecutter.project_slug}}" / "uv.lock"
# The options whose answers change the generated dependencies, in the lock's conditions.
DEPENDENCY_OPTIONS = (
    "database",
    "use_redis",
    "task_queue",
    "graphql",
    "use_sentry",
    "use_opentelemetry",
)
BAKED_SLUG = "my-service"
BLOCK_SEPARATOR = "\n\n[[package]]\n"
ROOT = (f'name = "{BAKED_SLUG}"', 'version = "0.1.0"')

Variant = tuple[str, ...]  # one answer per DEPENDENCY_OPTIONS


def option_values() -> dict[str, list[str]]:
    context = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())
    return {option: list(context[option]) for option in DEPENDENCY_OPTIONS}


def variants() -> list[Variant]:
    """Every valid combination of the dependency options (taskiq needs Redis)."""
    combinations = (answers(v) for v in itertools.product(*option_values().values()))
    return [
        tuple(chosen.values())
        for chosen in combinations
        if chosen["task_queue"] == "none" or chosen["use_redis"] == "yes"
    ]


def answers(variant: Variant) -> dict[str, str]:
    return dict(zip(DEPENDENCY_OPTIONS, variant, strict=True))


def lock_project(project: Path, *, upgrade: bool) -> str:
    """Lock a baked project, from the lock the template gave it; return the new lock."""
    command = ["uv", "lock", "--quiet", *(["--upgrade"] if upgrade else [])]
    subprocess.run(command, cwd=project, env=project_environ(), check=True)
    return (project / "uv.lock").read_text()


@dataclass(frozen=True)
class Segment:
    """A run of lock text and the variants whose lock contains it."""

    text: str
    variants: frozenset[Variant]


def split_lock(text: str) -> tuple[str, dict[tuple[str, str], str]]:
    """The lock's header, and its package blocks by (name, version) lines.

    A package can be locked at two versions, for different Python versions.
    """
    header, *blocks = text.rstrip("\n").split(BLOCK_SEPARATOR)
    by_key = {}
    for block in blocks:
        name, version = block.split("\n", 2)[:2]
        by_key[name, version] = block
    return header, by_key


def merge_lines(versions: Mapping[Variant, list[str]]) -> list[tuple[str, set[Variant]]]:
    """Interleave several line lists into one in which each list is a subsequence."""
    merged: list[tuple[str, set[Variant]]] = []
    # Longest first: the lists with the most lines fix the order the others fall into.
    for variant, lines in sorted(versions.items(), key=lambda item: -len(item[1])):
        matcher = difflib.SequenceMatcher(a=[line for line, _ in merged], b=lines, autojunk=False)
        result: list[tuple[str, set[Variant]]] = []
        for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
            if tag == "equal":
                result.extend((line, owners | {variant}) for line, owners in merged[a_start:a_end])
                continue
            result.extend(merged[a_start:a_end])
            result.extend((line, {variant}) for line in lines[b_start:b_end])
        merged = result
    return merged


def segments(locks: Mapping[Variant, str]) -> Iterator[Segment]:
    """The lock template's segments, in order; every variant's lock is their concatenation."""
    split = {variant: split_lock(text) for variant, text in locks.items()}
    headers: dict[str, set[Variant]] = {}
    for variant, (header, _) in split.items():
        headers.setdefault(header + "\n", set()).add(variant)
    for header, header_owners in headers.items():
        yield Segment(header, frozenset(header_owners))

    # Blocks in uv's order: a lock uv writes for the default answers renders byte for byte.
    sequences = {v: ["\0".join(key) for key in blocks] for v, (_, blocks) in split.items()}
    for joined, _ in merge_lines(sequences):
        name, version = joined.split("\0")
        key = (name, version)
        if key == ROOT:
            # The project's own block differs line by line (its dependency lists).
            versions = {
                v: f"\n[[package]]\n{blocks[ROOT]}".split("\n") for v, (_, blocks) in split.items()
            }
            for owners, text in _runs(merge_lines(versions)):
                slug = '"{{ cookiecutter.project_slug }}"'
                yield Segment(text.replace(f'"{BAKED_SLUG}"', slug), owners)
            continue
        texts: dict[str, set[Variant]] = {}
        for variant, (_, blocks) in split.items():
            if key in blocks:
                texts.setdefault(blocks[key], set()).add(variant)
        for block, block_owners in texts.items():
            yield Segment(f"\n[[package]]\n{block}\n", frozenset(block_owners))


def _runs(lines: list[tuple[str, set[Variant]]]) -> Iterator[tuple[frozenset[Variant], str]]:
    for owners, run in itertools.groupby(lines, key=lambda item: frozenset(item[1])):
        yield owners, "".join(f"{line}\n" for line, _ in run)


def condition(owners: frozenset[Variant], universe: Sequence[Variant]) -> str | None:
    """A Jinja condition true for exactly `owners` among `universe`; None when always true."""
    if owners == frozenset(universe):
        return None
    values = option_values()
    # The largest "option in values" products inside `owners`, until they cover it.
    cubes = []
    for choice in itertools.product(*(_subsets(values[option]) for option in DEPENDENCY_OPTIONS)):
        members = frozenset(v for v in universe if all(v[i] in choice[i] for i in range(len(v))))
        if members and members <= owners:
            cubes.append((choice, members))
    # Biggest first; of equal ones, the one naming the fewest options (taskiq implies Redis).
    cubes.sort(
        key=lambda cube: (
            -len(cube[1]),
            sum(len(c) < len(v) for c, v in zip(cube[0], values.values(), strict=True)),
        )
    )
    uncovered, terms = set(owners), []
    for choice, members in cubes:
        if members & uncovered:
            uncovered -= members
            terms.append(_term(choice, values))
        if not uncovered:
            break
    return " or ".join(
        f"({term})" if " and " in term and len(terms) > 1 else term for term in terms
    )


def _subsets(items: list[str]) -> Iterator[frozenset[str]]:
    for size in range(1, len(items) + 1):
        yield from (frozenset(c) for c in itertools.combinations(items, size))


def _term(choice: tuple[frozenset[str], ...], values: Mapping[str, list[str]]) -> str:
    parts = []
    for option, chosen in zip(DEPENDENCY_OPTIONS, choice, strict=True):
        if len(chosen) == len(values[option]):
            continue
        if len(chosen) == 1:
            parts.append(f'cookiecutter.{option} == "{next(iter(chosen))}"')
        else:
            listed = ", ".join(f'"{value}"' for value in values[option] if value in chosen)
            parts.append(f"cookiecutter.{option} in [{listed}]")
    return " and ".join(parts)


def render_template(locks: Mapping[Variant, str]) -> str:
    universe = list(locks)
    parts = [
        "{#- Generated by `uvx nox -s lock` from one uv lock per dependency variant; do not "
        "edit. -#}\n"
    ]
    for segment in segments(locks):
        expression = condition(segment.variants, universe)
        if expression is None:
            parts.append(segment.text)
        else:
            # The tags sit at line starts and swallow no newline: each segment ends with one.
            parts.append(f"{{% if {expression} %}}{segment.text}{{% endif %}}")
    return "".join(parts)


def check_one_version_each(locks: Mapping[Variant, str]) -> None:
    """Every variant locks the same versions of a package: one tested set, not 36."""
    seen: dict[str, set[frozenset[str]]] = {}
    for text in locks.values():
        versions: dict[str, set[str]] = {}
        for name, version in split_lock(text)[1]:
            versions.setdefault(name, set()).add(version)
        for name, locked in versions.items():
            seen.setdefault(name, set()).add(frozenset(locked))
    if split := {name: sorted(map(sorted, v)) for name, v in seen.items() if len(v) > 1}:
        msg = f"variants lock different versions: {split}"
        raise SystemExit(msg)


def check_renders(locks: Mapping[Variant, str], scratch: Path) -> None:
    """Bake every variant from the written template; each must get exactly its lock."""
    for variant, text in locks.items():
        project = bake_project(scratch / f"check-{'-'.join(variant)}", answers(variant))
        rendered = (project / "uv.lock").read_text()
        if rendered != text:
            diff = "".join(difflib.unified_diff(text.splitlines(True), rendered.splitlines(True)))
            msg = f"the lock template renders {variant} wrongly:\n{diff[:4000]}"
            raise SystemExit(msg)


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--upgrade", action="store_true", help="move every package to its newest version"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    with tempfile.TemporaryDirectory(prefix="lock-") as directory:
        scratch = Path(directory)
        # Cookiecutter changes directory while it bakes: bake one at a time, lock in parallel.
        projects = {v: bake_project(scratch / "-".join(v), answers(v)) for v in variants()}
        with ThreadPoolExecutor(max_workers=4) as pool:
            futures = {
                variant: pool.submit(lock_project, project, upgrade=args.upgrade)
                for variant, project in projects.items()
            }
            locks = {variant: future.result() for variant, future in futures.items()}
        check_one_version_each(locks)
        LOCK_TEMPLATE.write_text(render_template(locks))
        check_renders(locks, scratch)
    print(f"wrote {LOCK_TEMPLATE.relative_to(TEMPLATE_DIR)} for {len(locks)} variants")


if __name__ == "__main__":
    main()
