"""The template's lifecycle under cruft, run with the real `cruft` and `git` commands.

Each test makes a git repository of the template's working tree (uncommitted changes
included, so what is on disk is what is tested) and uses it by a `file://` URL: no network.
Template "releases" are commits (and tags) made in that repository by the test. Generated
projects get their own `git init` and first commit, as a user would make them. The upgrade
from history clones this repository instead, to generate at one of its real old commits.
The docs, changelog and migration checks read this repository and a fresh clone of it.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pexpect
import pytest
import yaml

from tests.conftest import SUITE_TIMEOUT, TEMPLATE_DIR, project_environ, run, uv

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
        _copy_working_tree(self.template)
        self.git("init", "--quiet", "--initial-branch=main", cwd=self.template)
        self.commit_template("A: the template as on disk")

    def clone_template_history(self) -> None:
        """This repository's history, then its working tree as one more commit if it differs."""
        self.git("clone", "--quiet", str(TEMPLATE_DIR), str(self.template), cwd=self.root)
        self.git("checkout", "--quiet", "-B", "main", cwd=self.template)
        for path in self.template.iterdir():
            if path.is_dir() and path.name != ".git":
                shutil.rmtree(path)
            elif path.is_file():
                path.unlink()
        _copy_working_tree(self.template)
        self.git("add", "--all", cwd=self.template)
        if self.git("status", "--porcelain", cwd=self.template):
            self.git("commit", "--quiet", "--message", "The working tree", cwd=self.template)

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


def _copy_working_tree(target: Path) -> None:
    """The template's files as on disk: tracked and untracked, none that git ignores."""
    listed = run(
        "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", cwd=TEMPLATE_DIR
    ).stdout
    for relative in filter(None, listed.split("\0")):
        source = TEMPLATE_DIR / relative
        if source.is_file():
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)


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


def _check_update(workspace: Workspace, project: Path) -> subprocess.CompletedProcess[str]:
    """The generated project's conflict report: stdlib only, so any Python runs it."""
    return workspace.attempt(sys.executable, "scripts/check_update.py", cwd=project)


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
        dependency='    "humanize>=4.9",  # added by the user\n',
        setting="LOG__LEVEL=DEBUG",
    )
    router = project / "src/my_service/items/router.py"
    docstring = _first_route_docstring(router)
    _replace_once(router, docstring, edits.docstring)
    # What `my_service openapi` writes for that edit, as the project's contract test asks.
    _replace_once(
        project / "openapi.json",
        f'"description": "{docstring}"',
        f'"description": "{edits.docstring}"',
    )
    _replace_once(
        project / "pyproject.toml", "dependencies = [\n", f"dependencies = [\n{edits.dependency}"
    )
    _replace_line(project / ".env.example", "LOG__LEVEL=", edits.setting)
    workspace.user_commit(project, "Audit items, add humanize, debug logs")

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


def test_check_update_finds_nothing_after_a_clean_update(updated: UpdatedProject) -> None:
    check = _check_update(updated.workspace, updated.path)

    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout == "Nothing left unresolved by a template update.\n"


@pytest.mark.slow
def test_updated_project_suite_passes(updated: UpdatedProject) -> None:
    suite = (uv(), "run", "pytest", "-p", "no:cacheprovider")
    output = run(*suite, cwd=updated.path, timeout=SUITE_TIMEOUT).stdout

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


def test_check_update_lists_the_conflicted_file(conflicted: ConflictedProject) -> None:
    lines = (conflicted.path / ".env.example").read_text().splitlines()
    markers = [
        str(number) for number, line in enumerate(lines, 1) if line[:7] in {"<" * 7, ">" * 7}
    ]

    check = _check_update(conflicted.workspace, conflicted.path)

    assert check.returncode == 1, check.stdout + check.stderr
    assert check.stdout.splitlines() == [
        "A template update left 2 thing(s) to resolve:",
        f"  .env.example: conflict markers on lines {', '.join(markers)}",
        "  .env.example: unmerged in git; `git add` it once resolved",
    ]


def test_conflict_outside_git_leaves_a_rej_file_the_check_lists(workspace: Workspace) -> None:
    conflicted = _conflicting_update(workspace, project_is_a_git_repo=False)

    rejected = (conflicted.path / ".env.example.rej").read_text()
    assert f"+{TEMPLATES_LINE}" in rejected
    assert USERS_LINE in (conflicted.path / ".env.example").read_text().splitlines()
    assert "conflicts" in conflicted.update.stdout + conflicted.update.stderr
    check = _check_update(workspace, conflicted.path)
    assert check.returncode == 1, check.stdout + check.stderr
    assert check.stdout.splitlines()[1:] == [
        "  .env.example.rej: hunks cruft could not apply; apply them by hand, delete it"
    ]


# --- files the user owns -----------------------------------------------------------------

USERS_ENV = "AUTH__SECRET_KEY=the-users-own-secret-kept-out-of-git-0123456789\n"
USERS_LOCK = "# the user's lock file\nversion = 1\n"
USERS_MIGRATION = f"src/my_service/{VERSIONS}/20270101_0000_add_orders.py"
USERS_REVISION = "0a0a0a0a0a01"
USERS_DOMAIN = "src/my_service/orders/router.py"
TEMPLATE_MIGRATION = f"src/my_service/{VERSIONS}/20991231_0000_template_change.py"
TEMPLATE_REVISION = "0b0b0b0b0b01"
REVISION = re.compile(r'^revision(?:: str)? = "(\w+)"$', re.MULTILINE)
DOWN_REVISION = re.compile(r'^down_revision(?:: [^=]+)? = (?:"(\w+)"|None)$', re.MULTILINE)


def _head_revision(versions: Path) -> str:
    """The one revision in `versions` that no other revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in versions.glob("*.py"):
        text = path.read_text()
        revisions.update(REVISION.findall(text))
        revised.update(filter(None, DOWN_REVISION.findall(text)))
    (head,) = revisions - revised
    return head


def _revision_file(revision: str, down_revision: str, message: str) -> str:
    return (
        f'"""{message}\n\nRevision ID: {revision}\nRevises: {down_revision}\n"""\n\n'
        "from collections.abc import Sequence\n\n"
        f'revision: str = "{revision}"\n'
        f'down_revision: str | Sequence[str] | None = "{down_revision}"\n'
        "branch_labels: str | Sequence[str] | None = None\n"
        "depends_on: str | Sequence[str] | None = None\n\n\n"
        "def upgrade() -> None:\n    pass\n\n\n"
        "def downgrade() -> None:\n    pass\n"
    )


@dataclass(frozen=True)
class OwnedFiles:
    path: Path
    workspace: Workspace
    before: dict[str, bytes]
    template_migration: str


def _snapshot(project: Path, relatives: list[str]) -> dict[str, bytes]:
    return {relative: (project / relative).read_bytes() for relative in relatives}


@pytest.fixture(scope="module")
def owned(tmp_path_factory: pytest.TempPathFactory) -> OwnedFiles:
    """The user adds .env, uv.lock, a migration and a domain; B touches the same paths.

    B also ships a migration of its own, revising the same head as the user's.
    """
    workspace = _module_workspace(tmp_path_factory, "owned")
    project = workspace.cruft_create()
    workspace.first_commit(project)
    versions = project / "src/my_service" / VERSIONS
    head = _head_revision(versions)
    (project / ".env").write_text(USERS_ENV)
    (project / "uv.lock").write_text(USERS_LOCK)
    (project / USERS_MIGRATION).write_text(_revision_file(USERS_REVISION, head, "add orders"))
    (project / USERS_DOMAIN).parent.mkdir()
    (project / USERS_DOMAIN).write_text('"""Routes: orders."""\n')
    (project / USERS_DOMAIN).with_name("__init__.py").write_text("")
    (initial,) = versions.glob("*_initial_schema.py")
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
    template_migration = _revision_file(TEMPLATE_REVISION, head, "a template change")
    _append(
        workspace.template_file(f"{{package}}/{VERSIONS}") / Path(TEMPLATE_MIGRATION).name,
        template_migration,
    )
    _append(workspace.template_file(f"{{project}}/{NEW_TEMPLATE_FILE}"), NEW_TEMPLATE_TEXT)
    workspace.commit_template("B: touch every user-owned path", f"{PROJECT_TEMPLATE}/.env")

    update = workspace.cruft("update", "--skip-apply-ask", project=project)
    assert update.returncode == 0, update.stdout + update.stderr
    assert (project / NEW_TEMPLATE_FILE).is_file(), "the update itself did not happen"
    return OwnedFiles(project, workspace, before, template_migration)


def test_skip_list_names_the_user_owned_paths_and_not_migrations(owned: OwnedFiles) -> None:
    skip = tomllib.loads((owned.path / "pyproject.toml").read_text())["tool"]["cruft"]["skip"]

    assert set(skip) == {".env", "uv.lock"}


@pytest.mark.parametrize("relative", [".env", "uv.lock"], ids=["env-file", "uv-lock"])
def test_update_leaves_the_users_file_alone(owned: OwnedFiles, relative: str) -> None:
    assert (owned.path / relative).read_bytes() == owned.before[relative]


def test_update_leaves_the_users_migrations_alone(owned: OwnedFiles) -> None:
    migrations = {
        relative: content
        for relative, content in owned.before.items()
        if relative.startswith(f"src/my_service/{VERSIONS}/")
    }

    assert len(migrations) == 2  # the user's own and the shipped one the user edited
    for relative, content in migrations.items():
        assert (owned.path / relative).read_bytes() == content, relative


def test_update_brings_the_templates_new_migration(owned: OwnedFiles) -> None:
    assert (owned.path / TEMPLATE_MIGRATION).read_text() == owned.template_migration


def test_update_touching_user_owned_paths_applies_cleanly(owned: OwnedFiles) -> None:
    status = owned.workspace.git("status", "--porcelain", cwd=owned.path).splitlines()

    assert not list(owned.path.rglob("*.rej"))
    assert sorted(line[3:] for line in status) == [
        ".cruft.json",
        NEW_TEMPLATE_FILE,
        TEMPLATE_MIGRATION,
    ]


def test_check_update_asks_to_join_the_users_and_the_templates_heads(owned: OwnedFiles) -> None:
    check = _check_update(owned.workspace, owned.path)

    assert check.returncode == 1, check.stdout + check.stderr
    assert check.stdout.splitlines()[1:] == [
        f"  migrations: 2 heads ({USERS_REVISION}, {TEMPLATE_REVISION}): run "
        '`uv run alembic merge heads -m "merge template migrations"`'
    ]


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


# --- what the docs and the changelog promise ----------------------------------------------

# Files that name refs of this repository for users to check out.
DOCUMENTS = (
    "README.md",
    "CHANGELOG.md",
    f"{PROJECT_TEMPLATE}/README.md",
    f"{PROJECT_TEMPLATE}/AGENTS.md",
    f"{PROJECT_TEMPLATE}/.github/workflows/ci.yml",
    f"{PROJECT_TEMPLATE}/.github/workflows/template-update.yml",
    f"{PROJECT_TEMPLATE}/.gitlab-ci.yml",
)
NAMED_REF = re.compile(r"--checkout[ =](?P<ref>[^\s`'\"<>)\\]+)")
RELEASE = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - (?P<date>\d{4}-\d{2}-\d{2})$")
SUBSECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security", "Upgrade notes")
# Changes that existing projects have to meet: their entry says what to do by hand.
NEED_UPGRADE_NOTES = {"Changed", "Deprecated", "Removed"}


@dataclass(frozen=True)
class ChangelogEntry:
    heading: str
    subsections: dict[str, list[str]]


def _changelog() -> list[ChangelogEntry]:
    """The `## ` entries and their `### ` subsections, outside fenced examples."""
    entries: list[ChangelogEntry] = []
    fenced = False
    for line in (TEMPLATE_DIR / "CHANGELOG.md").read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced:
            continue
        elif line.startswith("## "):
            entries.append(ChangelogEntry(line, {}))
        elif line.startswith("### "):
            assert entries, f"{line!r} comes before any entry"
            assert line[4:] not in entries[-1].subsections, f"{line!r} twice in one entry"
            entries[-1].subsections[line[4:]] = []
        elif entries and entries[-1].subsections and line.strip():
            list(entries[-1].subsections.values())[-1].append(line)
    return entries


def _releases() -> list[tuple[tuple[int, ...], date]]:
    found = []
    for entry in _changelog():
        if (release := RELEASE.match(entry.heading)) is not None:
            version = tuple(map(int, release["version"].split(".")))
            found.append((version, date.fromisoformat(release["date"])))
    return found


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory: pytest.TempPathFactory) -> dict[str, set[str]]:
    """The branches and tags a fresh clone of this repository has."""
    clone = tmp_path_factory.mktemp("fresh") / "backend-template"
    run("git", "clone", "--quiet", "--no-checkout", str(TEMPLATE_DIR), str(clone), cwd=clone.parent)
    refs = run("git", "for-each-ref", "--format=%(refname)", cwd=clone).stdout.split()
    return {
        "branches": {ref.removeprefix("refs/remotes/origin/") for ref in refs if "/origin/" in ref},
        "tags": {ref.removeprefix("refs/tags/") for ref in refs if ref.startswith("refs/tags/")},
    }


def test_docs_name_only_refs_that_exist_in_a_fresh_clone(fresh_clone: dict[str, set[str]]) -> None:
    named = {
        (document, found["ref"])
        for document in DOCUMENTS
        for found in NAMED_REF.finditer((TEMPLATE_DIR / document).read_text())
    }
    existing = fresh_clone["branches"] | fresh_clone["tags"]

    assert {ref for _, ref in named} >= {"main"}
    assert sorted((document, ref) for document, ref in named if ref not in existing) == []


def test_every_release_has_its_tag_and_every_version_tag_a_release(
    fresh_clone: dict[str, set[str]],
) -> None:
    released = {"v" + ".".join(map(str, version)) for version, _ in _releases()}
    tagged = {tag for tag in fresh_clone["tags"] if re.fullmatch(r"v\d+\.\d+\.\d+", tag)}

    assert released == tagged


def test_changelog_entries_are_unreleased_then_releases_newest_first() -> None:
    headings = [entry.heading for entry in _changelog()]
    releases = _releases()

    assert headings[0] == "## [Unreleased]"
    assert len(releases) == len(headings) - 1, [h for h in headings[1:] if not RELEASE.match(h)]
    assert releases == sorted(releases, reverse=True)
    assert len({version for version, _ in releases}) == len(releases)


def test_changelog_changes_come_with_upgrade_notes() -> None:
    for entry in _changelog():
        names = list(entry.subsections)
        assert set(names) <= set(SUBSECTIONS), (entry.heading, names)
        assert all(lines for lines in entry.subsections.values()), (entry.heading, "empty")
        if NEED_UPGRADE_NOTES & set(names):
            assert names[-1] == "Upgrade notes", (entry.heading, names)
            assert entry.subsections["Upgrade notes"][0].startswith("- "), entry.heading


def test_template_version_is_not_behind_the_newest_release() -> None:
    text = (TEMPLATE_DIR / "pyproject.toml").read_text()
    version = tuple(map(int, tomllib.loads(text)["project"]["version"].split(".")))

    assert all(version >= released for released, _ in _releases())


# --- template migrations are final once on main --------------------------------------------

# The last commit that edited shipped migrations in place (MySQL column types, then
# downgrades MySQL accepts), which projects that had applied them never saw. From the next
# commit on, a migration in any commit of this repository is final: never edited or removed.
MIGRATIONS_FINAL_SINCE = "933fa202258a71bbd37b2e859c1645f1b118f62a"


def _template_git(*args: str) -> str:
    return run("git", *args, cwd=TEMPLATE_DIR).stdout


def test_migrations_in_the_history_are_never_edited_or_removed() -> None:
    if _template_git("rev-parse", "--is-shallow-repository").strip() == "true":
        pytest.fail("this test reads the template's git history: run `git fetch --unshallow`")
    versions = f"{PACKAGE_TEMPLATE}/{VERSIONS}"
    baseline = set(
        _template_git("ls-tree", "--name-only", MIGRATIONS_FINAL_SINCE, f"{versions}/").split()
    )
    added = _template_git(
        "log", "--diff-filter=A", "--name-only", "--format=", f"{MIGRATIONS_FINAL_SINCE}..HEAD",
        "--", versions,
    ).split()  # fmt: skip
    assert baseline, f"no migrations at {MIGRATIONS_FINAL_SINCE}"

    changed = []
    for path in sorted(baseline | set(added)):
        first = MIGRATIONS_FINAL_SINCE
        if path not in baseline:  # the oldest commit since the baseline that added it
            first = _template_git(
                "log", "--diff-filter=A", "--format=%H", "--reverse",
                f"{MIGRATIONS_FINAL_SINCE}..HEAD", "--", path,
            ).split()[0]  # fmt: skip
        released = _template_git("show", f"{first}:{path}")
        current = TEMPLATE_DIR / path
        if not current.is_file():
            changed.append(f"{path}: removed (released in {first[:7]})")
        elif current.read_text() != released:
            changed.append(f"{path}: edited since {first[:7]}; add a new migration instead")
    assert changed == []


# --- an upgrade from the oldest working commit ---------------------------------------------

# The oldest commit of this repository that still generates a working project: its first.
# Baked today, its project passes its suite, ruff, mypy and `alembic check`. Its models.py
# predates RefreshToken, so registering a model there conflicts with today's models.py.
OLDEST_WORKING_COMMIT = "ed25c2bbd73ab1659ed5a5440372c73cfa132122"
ORDERS_TEST = "tests/integration/orders/test_service.py"
TEAM_FILES = {
    "src/my_service/orders/__init__.py": '"""Purchase orders: what buyers ordered."""\n',
    "src/my_service/orders/models.py": '''"""Purchase order ORM model."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from my_service.core.db import Base, TimestampMixin


class PurchaseOrder(TimestampMixin, Base):
    __tablename__ = "purchase_order"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    buyer_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
''',
    "src/my_service/orders/service.py": '''"""Purchase orders: create them, list a buyer's."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from my_service.orders.models import PurchaseOrder


async def create(session: AsyncSession, *, buyer_id: uuid.UUID, reference: str) -> PurchaseOrder:
    order = PurchaseOrder(buyer_id=buyer_id, reference=reference)
    session.add(order)
    await session.flush()
    return order


async def list_for_buyer(session: AsyncSession, *, buyer_id: uuid.UUID) -> Sequence[PurchaseOrder]:
    orders = await session.scalars(select(PurchaseOrder).where(PurchaseOrder.buyer_id == buyer_id))
    return orders.all()
''',
    "tests/integration/orders/__init__.py": "",
    ORDERS_TEST: '''"""Purchase orders in the database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from my_service.orders import service
from my_service.users.models import User


async def test_list_for_buyer_returns_the_created_order(session: AsyncSession, user: User) -> None:
    order = await service.create(session, buyer_id=user.id, reference="PO-1")

    assert await service.list_for_buyer(session, buyer_id=user.id) == [order]
''',
}
TEAM_README = "Owned by the billing team: questions go to #billing.\n"
TEAM_ENV = "# Billing: staging values are in the team vault.\n"
TEAM_IMPORT = "from my_service.orders.models import PurchaseOrder\n"
PRIORITY_MIGRATION = "20991231_0100_item_priority.py"
PRIORITY_COLUMN = '    priority: Mapped[int] = mapped_column(default=0, server_default="0")\n'


def _both_sides_models(conflicted: str) -> str:
    """models.py as the team resolves it: every import and model of both sides, sorted."""
    text = re.sub(r"^(<{7}|\|{7}|={7}|>{7}).*\n", "", conflicted, flags=re.M)
    docstring = text.split("\n\n", 1)[0]
    imports = sorted({line for line in text.splitlines() if line.startswith("from ")})
    exported = re.findall(r"__all__ = \[(.*?)\]", text, flags=re.S)
    names = sorted({name for block in exported for name in re.findall(r'"(\w+)"', block)})
    listed = "".join(f'    "{name}",\n' for name in names)
    return f"{docstring}\n\n" + "\n".join(imports) + f"\n\n__all__ = [\n{listed}]\n"


def _priority_migration(down_revision: str) -> str:
    return f'''"""item priority: an ordering hint for each item

Revision ID: 5e1ec7ed0001
Revises: {down_revision}
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1ec7ed0001"
down_revision: str | Sequence[str] | None = "{down_revision}"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("item", sa.Column("priority", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("item") as batch_op:
        batch_op.drop_column("priority")
'''


@dataclass(frozen=True)
class HistoryUpgrade:
    path: Path
    workspace: Workspace
    database: Path
    before: dict[str, bytes]
    team_migration: str
    unmerged: list[str]
    rejected: list[Path]
    check_after_update: subprocess.CompletedProcess[str]
    check_after_merge: subprocess.CompletedProcess[str]

    def uv_run(self, *command: str, env: dict[str, str] | None = None) -> str:
        return run(uv(), "run", *command, cwd=self.path, env=env, timeout=SUITE_TIMEOUT).stdout


def _team_work(workspace: Workspace, project: Path, database_env: dict[str, str]) -> str:
    """What a team adds: a domain with its model, migration and tests; README and env edits.

    Returns the path of the team's own migration, made by Alembic's autogenerate.
    """
    for relative, text in TEAM_FILES.items():
        (project / relative).parent.mkdir(parents=True, exist_ok=True)
        (project / relative).write_text(text)
    models = project / "src/my_service/models.py"
    items_import = "from my_service.items.models import Item\n"
    _replace_once(models, items_import, f"{items_import}{TEAM_IMPORT}")
    _replace_once(models, '"Item", "User"]', '"Item", "PurchaseOrder", "User"]')
    description = "A production-ready FastAPI service.\n\n"
    _replace_once(project / "README.md", description, f"{description}{TEAM_README}\n")
    env_example = (project / ".env.example").read_text().splitlines(keepends=True)
    (project / ".env.example").write_text("".join([*env_example[:2], TEAM_ENV, *env_example[2:]]))

    versions = project / "src/my_service" / VERSIONS
    shipped = set(versions.glob("*.py"))
    run(uv(), "sync", "--quiet", cwd=project)
    run(uv(), "run", "alembic", "upgrade", "head", cwd=project, env=database_env)
    message = "add purchase orders"
    run(
        uv(),
        "run",
        "alembic",
        "revision",
        "--autogenerate",
        "-m",
        message,
        cwd=project,
        env=database_env,
    )
    (team_migration,) = set(versions.glob("*.py")) - shipped
    run(uv(), "run", "alembic", "upgrade", "head", cwd=project, env=database_env)
    workspace.user_commit(project, "Purchase orders")
    return str(team_migration.relative_to(project))


@pytest.fixture(scope="module")
def from_history(tmp_path_factory: pytest.TempPathFactory) -> HistoryUpgrade:
    """Generate at the oldest working commit, work as a team, update to HEAD plus a column."""
    workspace = Workspace(tmp_path_factory.mktemp("history"))
    workspace.clone_template_history()
    project = workspace.cruft_create("--checkout", OLDEST_WORKING_COMMIT)
    workspace.first_commit(project)
    database = project / "team.db"
    database_env = {"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    team_migration = _team_work(workspace, project, database_env)
    # The changelog's upgrade note: let the template's migrations in before updating.
    _replace_once(project / "pyproject.toml", ', "src/my_service/migrations/versions"]', "]")
    workspace.user_commit(project, "Follow the upgrade note: template migrations may arrive")
    before = _snapshot(project, [*TEAM_FILES, team_migration, "README.md", ".env.example"])

    versions = workspace.template_file(f"{{package}}/{VERSIONS}")
    (versions / PRIORITY_MIGRATION).write_text(_priority_migration(_head_revision(versions)))
    _replace_once(
        workspace.template_file("{package}/items/models.py"),
        "    owner_id: Mapped[uuid.UUID]",
        f"{PRIORITY_COLUMN}    owner_id: Mapped[uuid.UUID]",
    )
    workspace.commit_template("B: items get a priority")

    update = workspace.cruft("update", "--skip-apply-ask", project=project)
    assert update.returncode == 0, update.stdout + update.stderr
    unmerged = workspace.git("diff", "--name-only", "--diff-filter=U", cwd=project).split()
    rejected = [path for path in project.rglob("*.rej") if ".venv" not in path.parts]
    check_after_update = _check_update(workspace, project)

    # The team resolves the one conflict (both sides registered a model) and joins the heads.
    models = project / "src/my_service/models.py"
    models.write_text(_both_sides_models(models.read_text()))
    workspace.git("add", "src/my_service/models.py", cwd=project)
    run(uv(), "sync", "--quiet", cwd=project)
    merge = ("alembic", "merge", "heads", "-m", "merge template migrations")
    run(uv(), "run", *merge, cwd=project, env=database_env)
    check_after_merge = _check_update(workspace, project)
    return HistoryUpgrade(
        project,
        workspace,
        database,
        before,
        team_migration,
        unmerged,
        rejected,
        check_after_update,
        check_after_merge,
    )


@pytest.mark.slow
def test_history_update_conflicts_only_where_both_sides_changed_a_line(
    from_history: HistoryUpgrade,
) -> None:
    assert from_history.rejected == []
    assert from_history.unmerged == ["src/my_service/models.py"]


@pytest.mark.slow
def test_history_check_lists_the_conflict_and_the_second_head(
    from_history: HistoryUpgrade,
) -> None:
    report = from_history.check_after_update.stdout.splitlines()

    assert from_history.check_after_update.returncode == 1
    assert report[1].startswith("  src/my_service/models.py: conflict markers on lines ")
    assert report[2] == "  src/my_service/models.py: unmerged in git; `git add` it once resolved"
    assert report[3].startswith("  migrations: 2 heads (")
    assert len(report) == 4, report
    assert from_history.check_after_merge.returncode == 0, from_history.check_after_merge.stdout


@pytest.mark.slow
def test_history_update_keeps_every_team_edit(from_history: HistoryUpgrade) -> None:
    project = from_history.path

    for relative in [*TEAM_FILES, from_history.team_migration]:
        assert (project / relative).read_bytes() == from_history.before[relative], relative
    assert TEAM_README in (project / "README.md").read_text()
    assert (project / ".env.example").read_text().splitlines(keepends=True)[2] == TEAM_ENV
    assert (
        "from my_service.orders.models import PurchaseOrder\n"
        in (project / "src/my_service/models.py").read_text()
    )


@pytest.mark.slow
def test_history_update_brings_every_template_migration_unchanged(
    from_history: HistoryUpgrade,
) -> None:
    template_versions = from_history.workspace.template_file(f"{{package}}/{VERSIONS}")
    project_versions = from_history.path / "src/my_service" / VERSIONS

    for shipped in sorted(template_versions.glob("*.py")):
        rendered = (project_versions / shipped.name).read_text()
        assert rendered == shipped.read_text().replace(
            "{{ cookiecutter.package_name }}", "my_service"
        )
    assert PRIORITY_COLUMN in (from_history.path / "src/my_service/items/models.py").read_text()


@pytest.mark.slow
def test_history_migrations_apply_to_the_teams_database_and_check_clean(
    from_history: HistoryUpgrade, tmp_path: Path
) -> None:
    for database in (from_history.database, tmp_path / "fresh.db"):
        env = {"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
        from_history.uv_run("alembic", "upgrade", "head", env=env)
        checked = run(uv(), "run", "alembic", "check", cwd=from_history.path, env=env)
        assert "No new upgrade operations detected." in checked.stdout + checked.stderr


@pytest.mark.slow
def test_history_project_passes_ruff_mypy_and_its_suite_with_the_teams_tests(
    from_history: HistoryUpgrade,
) -> None:
    from_history.uv_run("ruff", "check", ".")
    from_history.uv_run("ruff", "format", "--check", ".")
    from_history.uv_run("mypy")
    suite = from_history.uv_run("pytest", "-p", "no:cacheprovider", "-rA")

    assert f"PASSED {ORDERS_TEST}::test_list_for_buyer_returns_the_created_order" in suite
    assert " failed" not in suite
