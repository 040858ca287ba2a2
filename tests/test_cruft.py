"""The template's lifecycle under cruft, run with the real `cruft` and `git` commands.

Each test makes a git repository of the template's working tree (uncommitted changes
included, so what is on disk is what is tested) and uses it by a `file://` URL: no network.
Template "releases" are commits (and tags) made in that repository by the test. Generated
projects get their own `git init` and first commit, as a user would make them.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import TEMPLATE_DIR, project_environ, run, uv

CRUFT = Path(sys.executable).parent / "cruft"
COOKIECUTTER = Path(sys.executable).parent / "cookiecutter"
PROJECT_TEMPLATE = "{{cookiecutter.project_slug}}"
PACKAGE_TEMPLATE = f"{PROJECT_TEMPLATE}/src/{{{{cookiecutter.package_name}}}}"
VERSIONS = "migrations/versions"

# Template commit B: files of the project template that B changes or adds.
NEW_TEMPLATE_FILE = "docs/NEW.md"
NEW_TEMPLATE_TEXT = "# New in the template\n\nAdded by a later template release.\n"
GITIGNORE_ADDITION = "# Editors\n.idea/\n"
PYPROJECT_ADDITION = '\n[tool.template-b]\nnote = "added by a later template release"\n'


@dataclass
class Workspace:
    """A temporary home for one scenario: tool configs, the template repo, projects."""

    root: Path
    env: dict[str, str] = field(init=False)
    template: Path = field(init=False)
    output: Path = field(init=False)

    def __post_init__(self) -> None:
        git_config = self.root / "gitconfig"
        git_config.write_text("")
        cookiecutter_config = self.root / "cookiecutterrc.yaml"
        cookiecutter_config.write_text(
            yaml.safe_dump(
                {
                    "cookiecutters_dir": str(self.root / "cookiecutters"),
                    "replay_dir": str(self.root / "replay"),
                }
            )
        )
        self.env = {
            # Identity for commits, and no user or system git config (signing, hooks, ...).
            "GIT_AUTHOR_NAME": "Template Tests",
            "GIT_AUTHOR_EMAIL": "tests@example.com",
            "GIT_COMMITTER_NAME": "Template Tests",
            "GIT_COMMITTER_EMAIL": "tests@example.com",
            "GIT_CONFIG_GLOBAL": str(git_config),
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CEILING_DIRECTORIES": str(self.root),
            # cruft and cookiecutter read the user config from here, not from ~.
            "COOKIECUTTER_CONFIG": str(cookiecutter_config),
        }
        self.template = self.root / "backend-template"
        self.output = self.root / "projects"

    def run(self, *command: str | Path, cwd: Path | None = None) -> str:
        return run(*command, cwd=cwd or self.root, env=self.env).stdout

    def attempt(self, *command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
        """Run a command that may fail; the caller checks the outcome."""
        return subprocess.run(
            [str(part) for part in command],
            cwd=cwd,
            env=project_environ(**self.env),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def git(self, *args: str, cwd: Path) -> str:
        return self.run("git", *args, cwd=cwd)

    # --- the template repository -------------------------------------------------------

    def make_template_repo(self) -> None:
        """Commit A: the template's working tree as it is on disk."""
        listed = run(
            "git",
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
            cwd=TEMPLATE_DIR,
        ).stdout
        for relative in filter(None, listed.split("\0")):
            source = TEMPLATE_DIR / relative
            if source.is_file():
                target = self.template / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        self.git("init", "--quiet", "--initial-branch=main", cwd=self.template)
        self.commit_template("A: the template as on disk")

    def commit_template(self, message: str, *forced: str) -> str:
        self.git("add", "--all", cwd=self.template)
        if forced:  # paths the project template's own .gitignore would leave out
            self.git("add", "--force", *forced, cwd=self.template)
        self.git("commit", "--quiet", "--message", message, cwd=self.template)
        return self.git("rev-parse", "HEAD", cwd=self.template).strip()

    def template_file(self, relative: str) -> Path:
        """A file of the project template, e.g. `docs/NEW.md` or `{package}/...`."""
        return self.template / relative.format(project=PROJECT_TEMPLATE, package=PACKAGE_TEMPLATE)

    @property
    def url(self) -> str:
        return self.template.as_uri()

    # --- projects ------------------------------------------------------------------------

    def cruft_create(self, *options: str) -> Path:
        self.run(CRUFT, "create", "--no-input", "--output-dir", self.output, *options, self.url)
        return self.output / "my-service"

    def first_commit(self, project: Path) -> None:
        self.git("init", "--quiet", "--initial-branch=main", cwd=project)
        self.git("add", "--all", cwd=project)
        self.git("commit", "--quiet", "--message", "Generated from backend-template", cwd=project)

    def user_commit(self, project: Path, message: str) -> None:
        self.git("add", "--all", cwd=project)
        self.git("commit", "--quiet", "--message", message, cwd=project)

    def cruft(self, *args: str, project: Path) -> subprocess.CompletedProcess[str]:
        return self.attempt(CRUFT, *args, cwd=project)


def _replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{path}: expected {old!r} exactly once"
    path.write_text(text.replace(old, new))


def _replace_line(path: Path, prefix: str, new_line: str) -> None:
    lines = path.read_text().splitlines(keepends=True)
    matches = [index for index, line in enumerate(lines) if line.startswith(prefix)]
    assert len(matches) == 1, f"{path}: expected one line starting with {prefix!r}"
    lines[matches[0]] = new_line + "\n"
    path.write_text("".join(lines))


def _append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        handle.write(text)


def _first_route_docstring(router: Path) -> str:
    tree = ast.parse(router.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.AsyncFunctionDef) and (docstring := ast.get_docstring(node)):
            return docstring
    pytest.fail(f"{router} has no route with a docstring")


def _cruft_state(project: Path) -> dict[str, object]:
    state: dict[str, object] = json.loads((project / ".cruft.json").read_text())
    return state


def _template_head(workspace: Workspace) -> str:
    return workspace.git("rev-parse", "HEAD", cwd=workspace.template).strip()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path)
    workspace.make_template_repo()
    return workspace


def _module_workspace(tmp_path_factory: pytest.TempPathFactory, name: str) -> Workspace:
    workspace = Workspace(tmp_path_factory.mktemp(name))
    workspace.make_template_repo()
    return workspace


# --- create, link, diff ------------------------------------------------------------------


def test_create_records_template_commit_and_answers(workspace: Workspace) -> None:
    project = workspace.cruft_create(
        "--extra-context", json.dumps({"project_name": "My Service", "database": "postgresql"})
    )

    state = _cruft_state(project)
    assert state["template"] == str(workspace.template)
    assert state["commit"] == _template_head(workspace)
    context = state["context"]
    assert isinstance(context, dict)
    assert context["cookiecutter"]["database"] == "postgresql"
    assert context["cookiecutter"]["package_name"] == "my_service"


def test_cruft_json_is_part_of_the_first_commit(workspace: Workspace) -> None:
    project = workspace.cruft_create()

    workspace.first_commit(project)

    assert ".cruft.json" in workspace.git("ls-files", cwd=project).splitlines()
    assert workspace.git("status", "--porcelain", cwd=project) == ""


def test_link_adopts_a_project_generated_by_plain_cookiecutter(workspace: Workspace) -> None:
    answers = {"project_name": "My Service", "database": "postgresql", "license": "Apache-2.0"}
    workspace.run(
        COOKIECUTTER,
        "--no-input",
        "--output-dir",
        workspace.output,
        f"git+{workspace.url}",  # cookiecutter's spelling of a git repository's file URL
        *(f"{name}={value}" for name, value in answers.items()),
    )
    project = workspace.output / "my-service"
    # The README's recipe: link with the answers cookiecutter recorded for replay.
    replay = json.loads((workspace.root / "replay" / "backend-template.json").read_text())

    workspace.run(
        CRUFT,
        "link",
        "--no-input",
        "--extra-context",
        json.dumps(replay["cookiecutter"]),
        workspace.url,
        cwd=project,
    )

    assert _cruft_state(project)["commit"] == _template_head(workspace)
    diff = workspace.cruft("diff", "--exit-code", project=project)
    assert diff.returncode == 0, diff.stdout + diff.stderr


def test_create_prints_the_next_steps(workspace: Workspace) -> None:
    output = workspace.run(
        CRUFT, "create", "--no-input", "--output-dir", workspace.output, workspace.url
    )

    assert "Created my-service. Next steps:" in output
    assert "uv run my_service serve" in output


def test_diff_is_empty_for_an_untouched_project(workspace: Workspace) -> None:
    project = workspace.cruft_create()

    diff = workspace.cruft("diff", "--exit-code", project=project)

    assert diff.returncode == 0, diff.stdout + diff.stderr
    assert diff.stdout == ""
    assert diff.stderr == ""


def test_diff_in_a_terminal_prints_nothing_for_an_untouched_project(workspace: Workspace) -> None:
    """As a user runs it: the hooks' output would reach the terminal they inherit."""
    project = workspace.cruft_create(
        "--extra-context", json.dumps({"use_redis": "yes", "task_queue": "taskiq"})
    )

    child = pexpect.spawn(
        str(CRUFT),
        ["diff"],
        cwd=str(project),
        env=project_environ(**workspace.env),
        encoding="utf-8",
        timeout=120,
    )
    child.expect(pexpect.EOF)
    child.close()

    assert child.exitstatus == 0, child.before
    assert child.before == ""


def test_diff_shows_local_changes(workspace: Workspace) -> None:
    project = workspace.cruft_create()
    router = project / "src/my_service/items/router.py"
    _replace_once(router, _first_route_docstring(router), "Create an item; audited.")

    diff = workspace.cruft("diff", "--exit-code", project=project)

    assert diff.returncode == 1, diff.stdout + diff.stderr
    assert "src/my_service/items/router.py" in diff.stdout
    # cruft diffs from the project to the template: the local line is the "-" side.
    assert '-    """Create an item; audited."""' in diff.stdout


# --- an update that merges cleanly ---------------------------------------------------------


@dataclass(frozen=True)
class UserEdits:
    docstring: str
    dependency: str
    setting: str


@dataclass(frozen=True)
class UpdatedProject:
    path: Path
    edits: UserEdits
    workspace: Workspace
    check_before: subprocess.CompletedProcess[str]
    update: subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def updated(tmp_path_factory: pytest.TempPathFactory) -> UpdatedProject:
    """Generate at A; the user commits edits; the template gains B; `cruft update -y`."""
    workspace = _module_workspace(tmp_path_factory, "update")
    project = workspace.cruft_create()
    workspace.first_commit(project)

    edits = UserEdits(
        docstring="Create an item owned by you (audited by the billing team).",
        dependency='    "httpx>=0.28",  # added by the user\n',
        setting="LOG__LEVEL=DEBUG",
    )
    router = project / "src/my_service/items/router.py"
    _replace_once(router, _first_route_docstring(router), edits.docstring)
    _replace_once(
        project / "pyproject.toml", "dependencies = [\n", f"dependencies = [\n{edits.dependency}"
    )
    _replace_line(project / ".env.example", "LOG__LEVEL=", edits.setting)
    workspace.user_commit(project, "Audit items, add httpx, debug logs")

    _append(workspace.template_file(f"{{project}}/{NEW_TEMPLATE_FILE}"), NEW_TEMPLATE_TEXT)
    _append(workspace.template_file("{project}/.gitignore"), GITIGNORE_ADDITION)
    _append(workspace.template_file("{project}/pyproject.toml"), PYPROJECT_ADDITION)
    workspace.commit_template("B: a new doc, editor ignores, a tool table")

    check_before = workspace.cruft("check", project=project)
    update = workspace.cruft("update", "--skip-apply-ask", project=project)
    assert update.returncode == 0, update.stdout + update.stderr
    return UpdatedProject(project, edits, workspace, check_before, update)


def test_check_reports_a_pending_template_update(updated: UpdatedProject) -> None:
    assert updated.check_before.returncode == 1
    assert "out of date" in updated.check_before.stdout


def test_update_keeps_the_users_committed_edits(updated: UpdatedProject) -> None:
    router = (updated.path / "src/my_service/items/router.py").read_text()
    pyproject = (updated.path / "pyproject.toml").read_text()
    env_example = (updated.path / ".env.example").read_text().splitlines()

    assert f'"""{updated.edits.docstring}"""' in router
    assert updated.edits.dependency in pyproject
    assert updated.edits.setting in env_example


def test_update_adds_the_new_template_file(updated: UpdatedProject) -> None:
    assert (updated.path / NEW_TEMPLATE_FILE).read_text() == NEW_TEMPLATE_TEXT


def test_update_changes_files_the_user_did_not_touch(updated: UpdatedProject) -> None:
    assert (updated.path / ".gitignore").read_text().endswith(GITIGNORE_ADDITION)


def test_update_merges_template_changes_into_a_file_the_user_edited(
    updated: UpdatedProject,
) -> None:
    pyproject = (updated.path / "pyproject.toml").read_text()

    assert pyproject.endswith(PYPROJECT_ADDITION)
    assert updated.edits.dependency in pyproject
    assert "httpx>=0.28" in tomllib.loads(pyproject)["project"]["dependencies"]


def test_update_leaves_no_conflicts(updated: UpdatedProject) -> None:
    status = updated.workspace.git("status", "--porcelain", cwd=updated.path).splitlines()

    assert not list(updated.path.rglob("*.rej"))
    assert [line for line in status if line[:2] in {"UU", "AA", "DU", "UD"}] == []


def test_update_prints_no_generation_banner(updated: UpdatedProject) -> None:
    assert "Next steps" not in updated.update.stdout + updated.update.stderr


def test_check_reports_up_to_date_after_update(updated: UpdatedProject) -> None:
    check = updated.workspace.cruft("check", project=updated.path)

    assert check.returncode == 0, check.stdout + check.stderr
    assert _cruft_state(updated.path)["commit"] == _template_head(updated.workspace)


@pytest.mark.slow
def test_updated_project_suite_passes(updated: UpdatedProject) -> None:
    output = run(uv(), "run", "pytest", "-p", "no:cacheprovider", cwd=updated.path).stdout

    assert " passed" in output
    assert "failed" not in output


# --- an update that conflicts with the user's work ----------------------------------------

CONFLICT_PREFIX = "RATE_LIMIT__LOGIN="
USERS_LINE = "RATE_LIMIT__LOGIN=5/minute"
TEMPLATES_LINE = "RATE_LIMIT__LOGIN=20/minute"


@dataclass(frozen=True)
class ConflictedProject:
    path: Path
    workspace: Workspace
    update: subprocess.CompletedProcess[str]


def _conflicting_update(workspace: Workspace, *, project_is_a_git_repo: bool) -> ConflictedProject:
    """The user and template B change the same setting differently; B also adds a file."""
    project = workspace.cruft_create()
    if project_is_a_git_repo:
        workspace.first_commit(project)
    _replace_line(project / ".env.example", CONFLICT_PREFIX, USERS_LINE)
    if project_is_a_git_repo:
        workspace.user_commit(project, "Stricter login limit")

    _replace_line(
        workspace.template_file("{project}/.env.example"), CONFLICT_PREFIX, TEMPLATES_LINE
    )
    _append(workspace.template_file(f"{{project}}/{NEW_TEMPLATE_FILE}"), NEW_TEMPLATE_TEXT)
    workspace.commit_template("B: a looser default login limit, a new doc")

    update = workspace.cruft("update", "--skip-apply-ask", project=project)
    return ConflictedProject(project, workspace, update)


@pytest.fixture(scope="module")
def conflicted(tmp_path_factory: pytest.TempPathFactory) -> ConflictedProject:
    workspace = _module_workspace(tmp_path_factory, "conflict")
    return _conflicting_update(workspace, project_is_a_git_repo=True)


def test_conflict_is_reported_as_a_git_conflict(conflicted: ConflictedProject) -> None:
    unmerged = conflicted.workspace.git(
        "diff", "--name-only", "--diff-filter=U", cwd=conflicted.path
    )

    assert "conflict" in conflicted.update.stderr + conflicted.update.stdout
    assert unmerged.splitlines() == [".env.example"]


def test_conflict_keeps_the_users_line_beside_the_templates(
    conflicted: ConflictedProject,
) -> None:
    lines = (conflicted.path / ".env.example").read_text().splitlines()

    assert USERS_LINE in lines
    assert TEMPLATES_LINE in lines
    assert any(line.startswith("<<<<<<<") for line in lines)


def test_conflict_does_not_block_the_rest_of_the_update(conflicted: ConflictedProject) -> None:
    assert (conflicted.path / NEW_TEMPLATE_FILE).read_text() == NEW_TEMPLATE_TEXT


def test_conflict_outside_git_leaves_a_rej_file(workspace: Workspace) -> None:
    conflicted = _conflicting_update(workspace, project_is_a_git_repo=False)

    rejected = (conflicted.path / ".env.example.rej").read_text()
    assert f"+{TEMPLATES_LINE}" in rejected
    assert USERS_LINE in (conflicted.path / ".env.example").read_text().splitlines()
    assert "conflicts" in conflicted.update.stdout + conflicted.update.stderr


# --- files the user owns -----------------------------------------------------------------

USERS_ENV = "AUTH__SECRET_KEY=the-users-own-secret-kept-out-of-git-0123456789\n"
USERS_LOCK = "# the user's lock file\nversion = 1\n"
USERS_MIGRATION = f"src/my_service/{VERSIONS}/20270101_0000_add_orders.py"
USERS_DOMAIN = "src/my_service/orders/router.py"
TEMPLATE_ONLY_MIGRATION = "29990101_0000_template_change.py"


@dataclass(frozen=True)
class OwnedFiles:
    path: Path
    workspace: Workspace
    before: dict[str, bytes]


def _snapshot(project: Path, relatives: list[str]) -> dict[str, bytes]:
    return {relative: (project / relative).read_bytes() for relative in relatives}


@pytest.fixture(scope="module")
def owned(tmp_path_factory: pytest.TempPathFactory) -> OwnedFiles:
    """The user adds .env, uv.lock, a migration and a domain; B touches the same paths."""
    workspace = _module_workspace(tmp_path_factory, "owned")
    project = workspace.cruft_create()
    workspace.first_commit(project)
    (project / ".env").write_text(USERS_ENV)
    (project / "uv.lock").write_text(USERS_LOCK)
    (project / USERS_MIGRATION).write_text('"""Add orders."""\n')
    (project / USERS_DOMAIN).parent.mkdir()
    (project / USERS_DOMAIN).write_text('"""Routes: orders."""\n')
    (project / USERS_DOMAIN).with_name("__init__.py").write_text("")
    (initial,) = (project / "src/my_service" / VERSIONS).glob("*_initial_schema.py")
    _append(initial, "# Squashed by the user.\n")
    workspace.user_commit(project, "Orders domain and migration")
    owned_paths = [
        ".env",
        "uv.lock",
        USERS_MIGRATION,
        USERS_DOMAIN,
        str(initial.relative_to(project)),
    ]
    before = _snapshot(project, owned_paths)

    _append(workspace.template_file("{project}/.env"), "AUTH__SECRET_KEY=from-the-template\n")
    _append(workspace.template_file("{project}/uv.lock"), "# the template's lock\n")
    versions = workspace.template_file(f"{{package}}/{VERSIONS}")
    (template_initial,) = versions.glob("*_initial_schema.py")
    _append(template_initial, "# Changed by the template.\n")
    _append(versions / TEMPLATE_ONLY_MIGRATION, '"""A migration users must not receive."""\n')
    _append(workspace.template_file(f"{{project}}/{NEW_TEMPLATE_FILE}"), NEW_TEMPLATE_TEXT)
    workspace.commit_template("B: touch every user-owned path", f"{PROJECT_TEMPLATE}/.env")

    update = workspace.cruft("update", "--skip-apply-ask", project=project)
    assert update.returncode == 0, update.stdout + update.stderr
    assert (project / NEW_TEMPLATE_FILE).is_file(), "the update itself did not happen"
    return OwnedFiles(project, workspace, before)


def test_skip_list_names_the_user_owned_paths(owned: OwnedFiles) -> None:
    skip = tomllib.loads((owned.path / "pyproject.toml").read_text())["tool"]["cruft"]["skip"]

    assert {".env", "uv.lock", f"src/my_service/{VERSIONS}"} <= set(skip)


@pytest.mark.parametrize("relative", [".env", "uv.lock"], ids=["env-file", "uv-lock"])
def test_update_leaves_the_users_file_alone(owned: OwnedFiles, relative: str) -> None:
    assert (owned.path / relative).read_bytes() == owned.before[relative]


def test_update_leaves_migrations_alone(owned: OwnedFiles) -> None:
    migrations = {
        relative: content
        for relative, content in owned.before.items()
        if relative.startswith(f"src/my_service/{VERSIONS}/")
    }

    assert len(migrations) == 2  # the user's own and the shipped one the user edited
    for relative, content in migrations.items():
        assert (owned.path / relative).read_bytes() == content, relative
    assert not (owned.path / "src/my_service" / VERSIONS / TEMPLATE_ONLY_MIGRATION).exists()


def test_update_touching_user_owned_paths_applies_cleanly(owned: OwnedFiles) -> None:
    status = owned.workspace.git("status", "--porcelain", cwd=owned.path).splitlines()

    assert not list(owned.path.rglob("*.rej"))
    assert sorted(line[3:] for line in status) == [".cruft.json", NEW_TEMPLATE_FILE]


def test_update_leaves_the_users_own_domain_alone(owned: OwnedFiles) -> None:
    assert (owned.path / USERS_DOMAIN).read_bytes() == owned.before[USERS_DOMAIN]
    assert (owned.path / USERS_DOMAIN).with_name("__init__.py").is_file()


def test_update_does_not_restore_a_file_the_user_deleted(workspace: Workspace) -> None:
    project = workspace.cruft_create()
    workspace.first_commit(project)
    workspace.git("rm", "--quiet", "noxfile.py", cwd=project)
    workspace.user_commit(project, "We use plain pytest, not nox")
    _append(workspace.template_file("{project}/noxfile.py"), "# Changed by the template.\n")
    _append(workspace.template_file(f"{{project}}/{NEW_TEMPLATE_FILE}"), NEW_TEMPLATE_TEXT)
    workspace.commit_template("B: change the noxfile, add a doc")

    update = workspace.cruft("update", "--skip-apply-ask", project=project)

    assert update.returncode == 0, update.stdout + update.stderr
    assert (project / NEW_TEMPLATE_FILE).is_file()
    assert not (project / "noxfile.py").exists()


def test_update_refuses_uncommitted_changes(workspace: Workspace) -> None:
    project = workspace.cruft_create()
    workspace.first_commit(project)
    _replace_line(project / ".env.example", "LOG__LEVEL=", "LOG__LEVEL=DEBUG")
    _append(workspace.template_file("{project}/.env.example"), "# Changed by the template.\n")
    workspace.commit_template("B: change .env.example")

    update = workspace.cruft("update", "--skip-apply-ask", project=project)

    assert update.returncode == 1
    assert "unclean git project" in update.stdout + update.stderr
    assert "LOG__LEVEL=DEBUG" in (project / ".env.example").read_text().splitlines()
    assert _cruft_state(project)["commit"] != _template_head(workspace)


# --- releases ----------------------------------------------------------------------------


def test_update_to_a_tag_takes_that_release_and_nothing_newer(workspace: Workspace) -> None:
    workspace.git("tag", "v0.1.0", cwd=workspace.template)
    _append(workspace.template_file(f"{{project}}/{NEW_TEMPLATE_FILE}"), NEW_TEMPLATE_TEXT)
    workspace.commit_template("B: released as v0.2.0")
    workspace.git("tag", "v0.2.0", cwd=workspace.template)
    _append(workspace.template_file("{project}/docs/UNRELEASED.md"), "Not released yet.\n")
    workspace.commit_template("C: unreleased work on main")
    project = workspace.cruft_create("--checkout", "v0.1.0")
    workspace.first_commit(project)

    update = workspace.cruft("update", "--skip-apply-ask", "--checkout", "v0.2.0", project=project)

    assert update.returncode == 0, update.stdout + update.stderr
    assert (project / NEW_TEMPLATE_FILE).is_file()
    assert not (project / "docs/UNRELEASED.md").exists()
    assert _cruft_state(project)["checkout"] == "v0.2.0"
    assert workspace.cruft("check", "--checkout", "v0.2.0", project=project).returncode == 0


def test_changelog_has_an_entry_for_the_template_version() -> None:
    version = tomllib.loads((TEMPLATE_DIR / "pyproject.toml").read_text())["project"]["version"]
    headings = [
        line
        for line in (TEMPLATE_DIR / "CHANGELOG.md").read_text().splitlines()
        if line.startswith("## ")
    ]

    assert any(f"[{version}]" in heading for heading in headings), headings
