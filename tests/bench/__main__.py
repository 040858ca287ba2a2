"""Benchmark a freshly baked default project with harness.py, run by the project's interpreter.

    uvx nox -s bench [-- --database postgresql] [--duration 5] [--repeat 3]
                     [--connections 32] [--template-ref REF] [--granian]

Bakes the default project (with the database asked for) from this checkout, or from the
commit REF to compare with an earlier template (the floor and the server section are
skipped then: they follow today's modules and `serve`). Installs its production
dependencies (`uv sync --no-dev`), and runs harness.py, which serves the project, the ceiling
and the floor from that environment. Installs wrk when it is missing (tests/provision.py),
starts PostgreSQL on loopback when asked, and writes the JSON report to
bench-results/<database>.json.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from cookiecutter.main import cookiecutter

from tests.conftest import project_environ
from tests.provision import provision
from tests.servers import postgres_server

HARNESS = Path(__file__).resolve().with_name("harness.py")
TEMPLATE_DIR = Path(__file__).resolve().parents[2]
RESULTS_DIR = TEMPLATE_DIR / "bench-results"
# The Granian release the server comparison installs beside the project (--granian).
GRANIAN = "2.8.9"


def package_name(project: Path) -> str:
    """The baked project's import name: the one package under src/."""
    (package,) = (
        path.name for path in (project / "src").iterdir() if (path / "__init__.py").exists()
    )
    return package


def export(ref: str, directory: Path) -> None:
    """Write the template as committed at `ref` into `directory`, as `git archive` has it."""
    directory.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(TEMPLATE_DIR), "archive", ref],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        msg = f"--template-ref {ref}: {archive.stderr.decode().strip()}"
        raise SystemExit(msg)
    subprocess.run(["tar", "-x", "-C", str(directory)], input=archive.stdout, check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", default="5")
    parser.add_argument("--repeat", default="3")
    parser.add_argument("--connections", default="32")
    parser.add_argument("--template-ref", help="bake from this commit instead of the checkout")
    parser.add_argument(
        "--granian", action="store_true", help=f"compare the servers with Granian {GRANIAN}"
    )
    args = parser.parse_args()
    provision(["bench"])  # wrk, when run without nox
    RESULTS_DIR.mkdir(exist_ok=True)
    suffix = f"-{args.template_ref}" if args.template_ref else ""
    output = RESULTS_DIR / f"{args.database}{suffix}.json"
    with tempfile.TemporaryDirectory(prefix="bench-bake-") as scratch:
        template = TEMPLATE_DIR
        if args.template_ref:
            template = Path(scratch, "template")
            export(args.template_ref, template)
        project = Path(
            cookiecutter(
                str(template),
                no_input=True,
                extra_context={"database": args.database},
                output_dir=scratch,
            )
        )
        env = project_environ()
        # Production dependencies only, compiled as a deployment would have them.
        sync = ["uv", "sync", "--no-dev", "--compile-bytecode", "--quiet"]
        subprocess.run(sync, cwd=project, env=env, check=True)
        command = [
            "uv", "run", "--project", str(project), "--no-dev",
            *(["--with", f"granian=={GRANIAN}"] if args.granian else []),
            "python", str(HARNESS), "--package", package_name(project),
            "--duration", args.duration, "--repeat", args.repeat,
            "--connections", args.connections, "--output", str(output),
            *(["--baseline"] if args.template_ref else []),
        ]  # fmt: skip
        if args.database == "postgresql":
            with postgres_server() as postgres:
                postgres.create_database("bench")
                url = postgres.url("bench")
                subprocess.run([*command, "--database-url", url], cwd=project, env=env, check=True)
        else:
            subprocess.run(command, cwd=project, env=env, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
