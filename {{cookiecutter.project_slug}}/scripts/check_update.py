"""List what a template update left unresolved, one line each; exit 1 while anything is.

Run it after `cruft update` (CI runs it on every push and pull request):

    uv run python scripts/check_update.py

It finds conflict markers (lines starting with seven `<` or `>`) in tracked and untracked
files, `*.rej` files (hunks `cruft update` could not apply outside git), files git still
lists as unmerged, and Alembic revisions that need a merge revision (a template migration
arrived beside your own) or that revise a revision no file defines. It needs only Python.
"""

from __future__ import annotations

import argparse
import ast
import configparser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARKER = re.compile(rb"^(?:<{7}|>{7})(?: |\r?$)", re.MULTILINE)
# Environments, caches and build output: never part of the project.
NOT_SCANNED = frozenset(
    {
        ".git", ".venv", ".nox", ".uv-cache", "__pycache__", ".mypy_cache", ".ruff_cache",
        ".pytest_cache", ".hypothesis", "htmlcov", "node_modules", "build", "dist",
    }
)  # fmt: skip
MERGE_HEADS = 'uv run alembic merge heads -m "merge template migrations"'


def _git(root: Path, command: str, *args: str) -> list[str] | None:
    """The names a git command prints, or None outside a git work tree (or without git)."""
    git = shutil.which("git")
    if git is None or not (root / ".git").exists():
        return None
    result = subprocess.run(
        [git, "-C", str(root), command, "-z", *args], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"check_update: git {command} failed: {result.stderr.strip()}")
    return [name for name in result.stdout.split("\0") if name]


def project_files(root: Path) -> list[Path]:
    """Tracked and untracked files (git's ignores apply, except to `*.rej`)."""
    listed = _git(root, "ls-files", "--cached", "--others", "--exclude-standard")
    if listed is None:
        walked: list[Path] = []
        for folder, folders, files in os.walk(root):
            folders[:] = sorted(set(folders) - NOT_SCANNED)
            walked += (Path(folder, name) for name in files)
        return sorted(walked)
    rejected = _git(root, "ls-files", "--others", "--ignored", "--exclude-standard", "*.rej")
    names = {*listed, *(rejected or [])}
    return sorted(root / name for name in names if (root / name).is_file())


def marker_lines(path: Path) -> list[int]:
    data = path.read_bytes()
    if b"\0" in data:  # binary
        return []
    return [data.count(b"\n", 0, found.start()) + 1 for found in MARKER.finditer(data)]


def _versions(root: Path) -> Path | None:
    config = configparser.ConfigParser(interpolation=None)
    if not config.read(root / "alembic.ini"):
        return None
    location = config.get("alembic", "script_location", fallback="")
    return Path(location.replace("%(here)s", str(root))) / "versions"


def _assignment(node: ast.stmt) -> tuple[str, ast.expr] | None:
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return node.target.id, node.value
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        return (target.id, node.value) if isinstance(target, ast.Name) else None
    return None


def _revision(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """A revision file's id and the ids it revises, read without running it."""
    tree = ast.parse(path.read_bytes(), str(path))
    values = dict(filter(None, map(_assignment, tree.body)))
    if "revision" not in values:
        return None
    revision = ast.literal_eval(values["revision"])
    parents = ast.literal_eval(values["down_revision"]) if "down_revision" in values else None
    if isinstance(parents, str):
        parents = (parents,)
    return str(revision), tuple(parents or ())


def migration_problems(root: Path) -> list[str]:
    versions = _versions(root)
    if versions is None or not versions.is_dir():
        return []
    revisions: dict[str, tuple[str, ...]] = {}
    for path in sorted(versions.glob("*.py")):
        try:
            read = _revision(path)
        except (SyntaxError, ValueError):
            return [f"{path.relative_to(root)}: not valid Python; fix it, then run this again"]
        if read is not None:
            revisions[read[0]] = read[1]
    found = [
        f"migrations: {revision} revises {parent}, which no file in {versions.name}/ defines"
        for revision, parents in sorted(revisions.items())
        for parent in parents
        if parent not in revisions
    ]
    revised = {parent for parents in revisions.values() for parent in parents}
    heads = sorted(set(revisions) - revised)
    if len(heads) > 1:
        found.append(f"migrations: {len(heads)} heads ({', '.join(heads)}): run `{MERGE_HEADS}`")
    return found


def problems(root: Path) -> list[str]:
    found: list[str] = []
    for path in project_files(root):
        name = path.relative_to(root).as_posix()
        if path.suffix == ".rej":
            found.append(f"{name}: hunks cruft could not apply; apply them by hand, delete it")
        elif lines := marker_lines(path):
            found.append(f"{name}: conflict markers on lines {', '.join(map(str, lines))}")
    found += [
        f"{name}: unmerged in git; `git add` it once resolved"
        for name in _git(root, "diff", "--name-only", "--diff-filter=U") or []
    ]
    return found + migration_problems(root)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args()
    found = problems(ROOT)
    if not found:
        print("Nothing left unresolved by a template update.")
        return 0
    print(f"A template update left {len(found)} thing(s) to resolve:")
    for problem in found:
        print(f"  {problem}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
