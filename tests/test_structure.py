"""The shape of generated code: one composition root, reasoned suppressions, few settings."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import ALL_ON, TEMPLATE_DIR, Bake

COMPOSITION_ROOT = "core/resources.py"
APP_STATE = re.compile(r"\b(app|request)\.state\b")
# What builds a shared resource; only the composition root may call these.
CONSTRUCTORS = re.compile(
    r"\b(create_engine|create_sessionmaker|create_read_sessionmaker|create_redis|create_broker"
    r"|PasswordHasher|RateLimiter|RedisCache|HttpMetrics|HttpClient)\("
)
# taskiq imports the worker's broker before it starts, so the worker builds that one itself
# and hands it to `open_resources`.
WORKER_BROKER = ("tasks/worker.py", "create_broker")
SUPPRESSION = re.compile(r"#\s*(noqa|type:\s*ignore)\b(?P<rest>.*)$")
REASONED = re.compile(r"^(: [A-Z0-9, ]+ - \S.*|\[[-a-z, ]+\] # \S.*)$")
# A ratchet: raise it only with the setting that needs it (38: DB__SSL, DB__SSL_ROOT_CERT;
# 48: APP__FRONTEND_URL and the EMAIL__* group, whose SMTP names the email issue fixes;
# 52: AUTH__EMAIL_VERIFICATION, AUTH__PASSWORD_RESET_TTL_MINUTES, RATE_LIMIT__EMAIL and
# RATE_LIMIT__EMAIL_PER_ACCOUNT, which the account-lifecycle issue asks for; 56: the four
# HTTP_CLIENT__* bounds of the outbound client the messaging issue asks for).
MAX_DEFAULT_SETTINGS = 56
SETTING_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)


def _sources(package: Path) -> dict[str, str]:
    return {
        str(path.relative_to(package)): path.read_text(encoding="utf-8")
        for path in sorted(package.rglob("*.py"))
    }


def _package(project: Path) -> Path:
    return next(child for child in (project / "src").iterdir() if child.is_dir())


def test_only_the_composition_root_touches_app_state(bake: Bake) -> None:
    sources = _sources(_package(bake(**ALL_ON)))

    touching = sorted(name for name, text in sources.items() if APP_STATE.search(text))
    assert touching == [COMPOSITION_ROOT]


def test_resources_are_constructed_in_the_composition_root(bake: Bake) -> None:
    sources = _sources(_package(bake(**ALL_ON)))

    calls = {
        (name, match.group(1))
        for name, text in sources.items()
        for line in text.splitlines()
        if not line.lstrip().startswith(("def ", "class ", "async def "))
        for match in CONSTRUCTORS.finditer(line)
    }
    assert sorted(call for call in calls if call[0] != COMPOSITION_ROOT) == [WORKER_BROKER]
    assert {"create_engine", "PasswordHasher", "RedisCache"} <= {
        constructor for name, constructor in calls if name == COMPOSITION_ROOT
    }


def test_every_suppression_gives_its_reason(bake: Bake) -> None:
    project = bake(**ALL_ON)
    files = [*project.rglob("*.py"), *(TEMPLATE_DIR / "hooks").rglob("*.py")]
    files += [*(TEMPLATE_DIR / "tests").rglob("*.py"), TEMPLATE_DIR / "noxfile.py"]

    bare = [
        f"{path}:{number}: {line.strip()}"
        for path in files
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (found := SUPPRESSION.search(line))
        and not REASONED.match(found.group("rest"))
        # The patterns above spell the markers out; they are not suppressions.
        and path.name != "test_structure.py"
    ]
    assert bare == []


def test_the_default_project_has_few_settings(bake: Bake) -> None:
    documented = set(SETTING_LINE.findall((bake() / ".env.example").read_text()))

    ours = {name for name in documented if not name.startswith("OTEL_")}
    assert 0 < len(ours) <= MAX_DEFAULT_SETTINGS, sorted(ours)
