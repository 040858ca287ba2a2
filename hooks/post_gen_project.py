"""Prune the files of options that were not chosen, then print the next steps.

Deterministic and offline on purpose: `cruft diff` and `cruft update` run this hook again
in temporary folders, so it must not touch git, the network or random values.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

# (option, value) -> paths that exist only when that option has that value.
# "{package_name}" in a path stands for the answer of that name.
FEATURE_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("include_agent_files", "yes"): (".claude", "AGENTS.md", "CLAUDE.md"),
    ("docker", "yes"): ("Dockerfile", ".dockerignore", "compose.yaml"),
    ("ci", "github"): (".github",),
    ("ci", "gitlab"): (".gitlab-ci.yml", "renovate.json"),
    ("use_redis", "yes"): (
        "src/{package_name}/core/redis_cache.py",
        "src/{package_name}/core/redis_client.py",
        "tests/integration/core/test_redis.py",
    ),
    ("task_queue", "taskiq"): (
        "src/{package_name}/core/job_queue.py",
        "src/{package_name}/tasks",
        "tests/integration/tasks",
    ),
    ("use_sentry", "yes"): (
        "src/{package_name}/core/sentry.py",
        "tests/integration/core/test_sentry.py",
    ),
    ("use_opentelemetry", "yes"): (
        "src/{package_name}/core/tracing.py",
        "tests/integration/core/test_tracing.py",
    ),
}


def feature_paths(answers: dict[str, str]) -> dict[tuple[str, str], tuple[str, ...]]:
    """FEATURE_PATHS with the answers filled in."""
    return {
        key: tuple(path.format_map(answers) for path in paths)
        for key, paths in FEATURE_PATHS.items()
    }


def paths_to_remove(answers: dict[str, str]) -> list[str]:
    """Paths owned by option values other than the chosen ones."""
    return [
        path
        for (option, value), paths in feature_paths(answers).items()
        if answers.get(option) != value
        for path in paths
    ]


def remove_paths(root: Path, paths: list[str]) -> None:
    for relative in paths:
        target = root / relative
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def next_steps(answers: dict[str, str]) -> str:
    slug, package = answers["project_slug"], answers["package_name"]
    lines = [
        f"Created {slug}. Next steps:",
        f"  cd {slug}",
    ]
    if answers["database"] == "postgresql":
        lines.append("  # point DATABASE_URL in .env at your PostgreSQL server (see README)")
    elif answers["database"] == "mysql":
        lines.append("  # point DATABASE_URL in .env at your MySQL or MariaDB server (see README)")
    redis = answers.get("use_redis") == "yes"
    if redis:
        lines.append("  # point REDIS_URL in .env at your Redis server (see README)")
    lines.append(f"  uv run {package} serve     # http://127.0.0.1:8000/docs")
    if answers.get("task_queue") == "taskiq":
        lines.append(f"  uv run {package} worker    # background jobs, in another terminal")
    tests = "  uv run pytest"
    lines.append(f"{tests}    # needs a Redis server at TEST_REDIS_URL" if redis else tests)
    return "\n".join(lines)


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    remove_paths(Path.cwd(), paths_to_remove(answers))
    print(next_steps(answers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
