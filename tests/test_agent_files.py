"""The coding-agent files (AGENTS.md, CLAUDE.md, .claude/agents/): true for every project.

Conventions the agent files follow, and that this module enforces:

- Every fenced code block is ```bash or ```text. Every line of every ```bash block is a
  command that succeeds as is, from the project root: the slow tier runs them all, per
  document and in document order (so `uv run alembic upgrade head` comes before
  `uv run alembic check`). Commands that start a server or write files the user did not ask
  for (`serve`, `alembic revision --autogenerate`, `ruff format .`) go in ```text blocks or
  inline code; for those starting with `uv run`, the slow tier runs the command's `--help`
  to prove it exists.
- An inline code span without spaces that looks like a relative path (it contains a `/`, or
  ends in .py, .md, .toml or .ini) names a file or folder of the generated project, with the
  package name already rendered; a `<placeholder>` part matches any name
  (`src/my_service/<domain>/models.py`).
- The agent's `tools` are Claude Code built-ins, or `mcp__<server>__<tool>` for a server
  configured in the project's `.mcp.json`.

The slow tier points DATABASE_URL at a scratch SQLite file in every variant: the PostgreSQL
variant runs on SQLite too (aiosqlite is always a dependency), so its documented commands are
proven without a server; `bake-postgresql` runs that variant's suite on a real one.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import bake_project, run, uv

AGENT_FILE = ".claude/agents/backend-api-developer.md"
DOCUMENTS = ("AGENTS.md", AGENT_FILE)
AGENT_PATHS = (".claude", "AGENTS.md", "CLAUDE.md", ".mcp.json")

# The tools Claude Code ships; anything else must be an MCP tool of a configured server.
BUILTIN_TOOLS = frozenset(
    {
        "Bash",
        "Edit",
        "Glob",
        "Grep",
        "MultiEdit",
        "NotebookEdit",
        "Read",
        "Task",
        "TodoWrite",
        "WebFetch",
        "WebSearch",
        "Write",
    }
)
AGENT_COLORS = frozenset({"red", "blue", "green", "yellow", "purple", "orange", "pink", "cyan"})
PATH_SUFFIXES = (".py", ".md", ".toml", ".ini")
# The commands both documents must give an agent; `{package}` is the rendered package name.
REQUIRED_COMMANDS = (
    "uv run pytest",
    "uv run ruff check .",
    "uv run ruff format --check .",
    "uv run mypy",
    "uv run alembic upgrade head",
    "uv run alembic check",
    "uv run {package} --help",
)

# Readable id -> answers that differ from the defaults.
VARIANTS: dict[str, dict[str, str]] = {
    "default": {},
    "postgresql": {"database": "postgresql"},
    "renamed": {"project_name": "Billing Service", "package_name": "billing_core"},
}
SLOW_VARIANTS: dict[str, dict[str, str]] = {
    "sqlite": {},
    "postgresql": {"database": "postgresql"},
}

FENCE = re.compile(r"^```(?P<language>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
RELATIVE_PATH = re.compile(r"[\w.<>-]+(?:/[\w.<>-]+)*/?")
PLACEHOLDER = re.compile(r"<[^<>/]+>")
FRONT_MATTER = re.compile(r"---\n(?P<yaml>.*?)\n---\n", re.DOTALL)


@dataclass(frozen=True)
class Project:
    path: Path
    package: str

    def read(self, relative: str) -> str:
        return (self.path / relative).read_text(encoding="utf-8")


def bake(output: Path, context: dict[str, str]) -> Project:
    path = bake_project(output, context)
    package = next(child.name for child in (path / "src").iterdir() if child.is_dir())
    return Project(path=path, package=package)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """The YAML front matter as a mapping, and the body after it."""
    match = FRONT_MATTER.match(text)
    assert match is not None, "the file must start with a --- front matter block"
    data = yaml.safe_load(match["yaml"])
    assert isinstance(data, dict), "the front matter must be a mapping"
    return data, text[match.end() :]


def code_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in document order."""
    return [(match["language"].strip(), match["body"]) for match in FENCE.finditer(text)]


def bash_commands(text: str) -> list[str]:
    """Every command line of every bash block, continuations joined, comments skipped."""
    commands: list[str] = []
    for language, body in code_blocks(text):
        if language != "bash":
            continue
        pending = ""
        for line in body.splitlines():
            pending += line.rstrip()
            if pending.endswith("\\"):
                pending = pending[:-1] + " "
                continue
            if pending.strip() and not pending.lstrip().startswith("#"):
                commands.append(pending.strip())
            pending = ""
    return commands


def normalized(command: str) -> str:
    """A command without its comment and extra spaces, for comparisons."""
    return shlex.join(shlex.split(command, comments=True))


def inline_code(text: str) -> list[str]:
    """The inline code spans outside fenced blocks."""
    return INLINE_CODE.findall(FENCE.sub("", text))


def mentioned_paths(text: str) -> list[str]:
    return [
        span
        for span in inline_code(text)
        if RELATIVE_PATH.fullmatch(span)
        and not span.startswith("/")
        and ("/" in span or span.endswith(PATH_SUFFIXES))
    ]


def path_exists(root: Path, mention: str) -> bool:
    pattern = PLACEHOLDER.sub("*", mention.rstrip("/"))
    matches = list(root.glob(pattern)) if "*" in pattern else [root / pattern]
    wanted_dir = mention.endswith("/")
    return any(match.is_dir() if wanted_dir else match.exists() for match in matches)


def shown_commands(text: str) -> list[str]:
    """`uv run` commands shown but not to be run as is: text blocks and inline code."""
    lines = [
        line
        for language, body in code_blocks(text)
        if language == "text"
        for line in body.splitlines()
    ]
    candidates = [*lines, *inline_code(text)]
    return [
        normalized(candidate) for candidate in candidates if candidate.strip().startswith("uv run ")
    ]


def help_command(command: str) -> list[str]:
    """The command's words before its first option, plus --help: proves it exists, runs nothing."""
    words: list[str] = []
    for word in shlex.split(command):
        if word.startswith("-"):
            break
        words.append(word)
    return [*words, "--help"]


def configured_mcp_servers(project: Project) -> set[str]:
    config = project.path / ".mcp.json"
    if not config.exists():
        return set()
    servers = json.loads(config.read_text(encoding="utf-8")).get("mcpServers", {})
    return set(servers)


def tool_exists(tool: str, servers: set[str]) -> bool:
    if tool in BUILTIN_TOOLS:
        return True
    parts = tool.split("__")
    return len(parts) == 3 and parts[0] == "mcp" and parts[1] in servers and bool(parts[2])


def agent_tools(front_matter: dict[str, object]) -> list[str]:
    tools = front_matter["tools"]
    if isinstance(tools, str):
        return [tool.strip() for tool in tools.split(",")]
    assert isinstance(tools, list), "tools must be a comma-separated string or a list"
    return [str(tool) for tool in tools]


# --- fast tier: the files as generated --------------------------------------------------


@pytest.fixture(scope="module", params=list(VARIANTS.values()), ids=list(VARIANTS))
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    context: dict[str, str] = request.param
    return bake(tmp_path_factory.mktemp("agent-files"), context)


def test_agent_front_matter_has_the_required_fields(project: Project) -> None:
    front_matter, body = split_front_matter(project.read(AGENT_FILE))

    assert front_matter["name"] == Path(AGENT_FILE).stem
    description = front_matter["description"]
    assert isinstance(description, str)
    assert description.startswith("Use this agent")
    assert 2 <= description.count("<example>") == description.count("</example>") <= 3
    assert agent_tools(front_matter)
    assert front_matter["color"] in AGENT_COLORS
    assert body.strip()


def test_agent_tools_all_exist(project: Project) -> None:
    front_matter, _ = split_front_matter(project.read(AGENT_FILE))
    servers = configured_mcp_servers(project)

    unknown = [tool for tool in agent_tools(front_matter) if not tool_exists(tool, servers)]

    assert unknown == []


@pytest.mark.parametrize(
    ("tool", "servers", "exists"),
    [
        ("Read", set(), True),
        ("Bash", set(), True),
        ("Browser", set(), False),
        ("mcp__docs__search", {"docs"}, True),
        ("mcp__docs__search", set(), False),
        ("mcp__docs", {"docs"}, False),
    ],
    ids=["builtin", "bash", "unknown", "mcp-configured", "mcp-unconfigured", "mcp-no-tool"],
)
def test_tool_exists_accepts_builtins_and_configured_mcp_tools(
    tool: str, servers: set[str], *, exists: bool
) -> None:
    assert tool_exists(tool, servers) is exists


def test_claude_md_imports_agents_md_without_duplicating_it(project: Project) -> None:
    claude = project.read("CLAUDE.md")

    assert "@AGENTS.md" in claude.splitlines()
    assert code_blocks(claude) == []


@pytest.mark.parametrize("document", [*DOCUMENTS, "CLAUDE.md"])
def test_mentioned_paths_exist(project: Project, document: str) -> None:
    mentions = mentioned_paths(project.read(document))

    assert mentions, "the document names no project path at all"
    missing = [mention for mention in mentions if not path_exists(project.path, mention)]
    assert missing == []


@pytest.mark.parametrize("document", DOCUMENTS)
def test_code_blocks_are_bash_or_text(project: Project, document: str) -> None:
    languages = {language for language, _ in code_blocks(project.read(document))}

    assert languages == {"bash", "text"}


@pytest.mark.parametrize("document", DOCUMENTS)
def test_documents_give_the_project_commands(project: Project, document: str) -> None:
    commands = [normalized(command) for command in bash_commands(project.read(document))]

    required = [command.format(package=project.package) for command in REQUIRED_COMMANDS]
    assert [command for command in required if command not in commands] == []


@pytest.mark.parametrize(
    ("database", "mentioned"), [("sqlite", False), ("postgresql", True)], ids=["sqlite", "pg"]
)
@pytest.mark.parametrize("document", DOCUMENTS)
def test_postgresql_is_mentioned_only_when_chosen(
    tmp_path: Path, document: str, database: str, *, mentioned: bool
) -> None:
    project = bake(tmp_path, {"database": database})

    assert ("PostgreSQL" in project.read(document)) is mentioned


def test_opting_out_removes_every_agent_file(tmp_path: Path) -> None:
    project = bake(tmp_path, {"include_agent_files": "no"})

    assert [path for path in AGENT_PATHS if (project.path / path).exists()] == []


# --- slow tier: the commands, run for real ----------------------------------------------


@pytest.fixture(scope="module", params=list(SLOW_VARIANTS.values()), ids=list(SLOW_VARIANTS))
def synced(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Project:
    """A baked and `uv sync`ed project of one variant."""
    context: dict[str, str] = request.param
    project = bake(tmp_path_factory.mktemp("agent-commands"), context)
    run(uv(), "sync", "--locked", cwd=project.path)
    return project


# Commands that already succeeded in a project; repeats in a later document are skipped,
# except database commands, which depend on that document's scratch database.
_succeeded: set[tuple[Path, str]] = set()


@pytest.mark.slow
@pytest.mark.parametrize("document", DOCUMENTS)
def test_bash_commands_succeed(synced: Project, document: str, tmp_path: Path) -> None:
    """Every line of every bash block, in order, on a fresh scratch database."""
    commands = bash_commands(synced.read(document))
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'agent-docs.db'}"}

    assert commands
    for command in commands:
        if (synced.path, command) in _succeeded and "alembic" not in command:
            continue
        run("bash", "-o", "pipefail", "-c", command, cwd=synced.path, env=env)
        _succeeded.add((synced.path, command))


@pytest.mark.slow
def test_shown_commands_exist(synced: Project, tmp_path: Path) -> None:
    """Commands not meant to run as is (serve, revision...) at least answer --help."""
    texts = [synced.read(document) for document in DOCUMENTS]
    runnable = {normalized(command) for text in texts for command in bash_commands(text)}
    shown = {command for text in texts for command in shown_commands(text)} - runnable
    checks = sorted({tuple(help_command(command)) for command in shown})
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'agent-docs.db'}"}

    assert checks
    for check in checks:
        run(*check, cwd=synced.path, env=env)
