"""Prune the files of options that were not chosen, then print the next steps.

Deterministic and offline on purpose: `cruft diff` and `cruft update` run this hook again
in temporary folders, so it must not touch git, the network or random values, and it
prints nothing there.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

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
    ("graphql", "yes"): (
        "schema.graphql",
        "src/{package_name}/graphql",
        "src/{package_name}/items/graphql.py",
        "src/{package_name}/users/graphql.py",
        "tests/integration/graphql",
        "tests/security/test_graphql_fuzz.py",
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


SERVER_NAMES = {"postgresql": "PostgreSQL", "mysql": "MySQL or MariaDB"}
# A throwaway directory of Python's tempfile (cruft renders into one): "tmp" + 8 characters.
TEMPFILE_NAME = re.compile(r"^tmp[a-z0-9_]{8}$")


def env_example_value(env_example: str, key: str) -> str:
    """The value `.env.example` gives `key` (its first uncommented assignment)."""
    for line in env_example.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() == key:
            return value.strip()
    return ""


def server_address(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)


def next_steps(answers: dict[str, str], env_example: str) -> str:
    """What to run after generation; `env_example` is the generated `.env.example`."""
    slug, package = answers["project_slug"], answers["package_name"]
    servers = []
    variables = []
    if answers["database"] in SERVER_NAMES:
        url = env_example_value(env_example, "DATABASE_URL")
        servers.append(f"{SERVER_NAMES[answers['database']]} at {server_address(url)}")
        variables.append("DATABASE_URL")
    redis = answers.get("use_redis") == "yes"
    if redis:
        servers.append(f"Redis at {server_address(env_example_value(env_example, 'REDIS_URL'))}")
        variables.append("REDIS_URL")
    commands = [
        (
            f"uv run {package} serve",
            "writes .env on its first run, migrates; http://127.0.0.1:8000/docs",
        )
    ]
    if answers.get("task_queue") == "taskiq":
        commands += [
            (f"uv run {package} worker", "background jobs, in a second terminal"),
            (f"uv run {package} scheduler", "periodic jobs, in a third; one per deployment"),
        ]
    commands.append(("uv run pytest", "needs a Redis server at TEST_REDIS_URL" if redis else ""))
    width = max(len(command) for command, _ in commands)
    lines = [f"Created {slug}. Next steps:", f"  cd {slug}"]
    if servers:
        lines.append(f"  # start {' and '.join(servers)} (the README shows how),")
        lines.append(f"  # or export {' and '.join(variables)} to use others")
    lines += [
        f"  {command:<{width}}  # {comment}" if comment else f"  {command}"
        for command, comment in commands
    ]
    return "\n".join(lines)


def rendered_by_cruft_in_a_temporary_directory(answers: dict[str, object], project: Path) -> bool:
    """True when `cruft diff` or `cruft update` renders the template to compare it.

    Cookiecutter always records `_output_dir` in the context; cruft calls cookiecutter's
    `generate_files` itself, without it, and for diff and update into a fresh
    `tempfile.TemporaryDirectory()`, where nobody reads next steps.
    """
    temporary = Path(tempfile.gettempdir()).resolve()
    return (
        "_output_dir" not in answers
        and project.parent.parent == temporary
        and TEMPFILE_NAME.match(project.parent.name) is not None
    )


def main() -> int:
    answers = json.loads(r"""{{ cookiecutter | tojson }}""")
    project = Path.cwd()
    remove_paths(project, paths_to_remove(answers))
    if not rendered_by_cruft_in_a_temporary_directory(answers, project.resolve()):
        print(next_steps(answers, (project / ".env.example").read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
