"""tests/provision.py: which packages a run needs, and whether it installs them or stops.

Binaries are looked up on a temporary PATH, so "missing" is real; apt-get is never run: a
fake runner records the commands and, on install, puts the packages' binaries on that PATH.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from tests.provision import (
    PACKAGES,
    SYSTEM_DIRS,
    find,
    missing_packages,
    provision,
    run_command,
    search_path,
)

TEMPLATE_DIR = Path(__file__).resolve().parents[1]
NOXFILE = ast.parse((TEMPLATE_DIR / "noxfile.py").read_text(encoding="utf-8"))
APT = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
INSTALL = [*APT, "install", "-y", "--no-install-recommends"]


def _default_sessions() -> list[str]:
    """`nox.options.sessions` in the noxfile: what a plain `uvx nox` runs."""
    for node in NOXFILE.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "nox.options.sessions":
            value = ast.literal_eval(node.value)
            assert isinstance(value, list)
            return value
    raise AssertionError("no nox.options.sessions in noxfile.py")


def _session_functions() -> dict[str, ast.FunctionDef]:
    """Each `@nox.session(name=...)` function in the noxfile, by session name."""
    found: dict[str, ast.FunctionDef] = {}
    for node in NOXFILE.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "nox.session":
                    (name,) = (k.value for k in decorator.keywords if k.arg == "name")
                    assert isinstance(name, ast.Constant)
                    assert isinstance(name.value, str)
                    found[name.value] = node
    return found


def put_binaries(bin_dir: Path, *names: str) -> None:
    for name in names:
        binary = bin_dir / name
        binary.write_text("#!/bin/sh\n", encoding="utf-8")
        binary.chmod(0o755)


class FakeApt:
    """A runner that records commands; `sudo -n true` answers `sudo`, and apt-get install puts
    the packages' binaries into `bin_dir` (unless `installs` is false) and answers `install`."""

    def __init__(self, bin_dir: Path, *, sudo: int = 1, install: int = 0, installs: bool = True):
        self.bin_dir, self.sudo, self.install, self.installs = bin_dir, sudo, install, installs
        self.commands: list[list[str]] = []

    def __call__(self, command: Sequence[str], *, quiet: bool = False) -> int:
        self.commands.append(list(command))
        if list(command) == ["sudo", "-n", "true"]:
            return self.sudo
        if "install" in command:
            if self.installs:
                for package in PACKAGES:
                    if package.name in command:
                        put_binaries(self.bin_dir, *package.binaries.split())
            return self.install
        return 0


@pytest.fixture
def bin_dir(tmp_path: Path) -> Path:
    """An empty PATH: every server binary is missing until a test puts it there."""
    path = tmp_path / "bin"
    path.mkdir()
    return path


def os_release(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "os-release"
    path.write_text(text, encoding="utf-8")
    return path


def provision_on(
    tmp_path: Path, release: str, sessions: Sequence[str], bin_dir: Path, euid: int, apt: FakeApt
) -> None:
    """`provision` on a host with this os-release, this euid and `bin_dir` as its whole PATH."""
    path = os_release(tmp_path, release)
    provision(sessions, path=str(bin_dir), os_release=path, euid=euid, run=apt)


DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
UBUNTU = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="24.04"\n'
MINT = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n'
FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=41\n'


@pytest.mark.parametrize(
    ("sessions", "expected"),
    [
        (["lint"], {}),
        (["tests", "smoke", "agent-docs", "cruft"], {}),
        (["bake-sqlite"], {"redis-server": ["redis-server"]}),
        (
            ["bake-postgresql"],
            {"postgresql": ["initdb", "pg_ctl"], "redis-server": ["redis-server"]},
        ),
        (
            ["bake-mysql"],
            {
                "mariadb-server": ["mariadbd", "mariadb-install-db"],
                "mariadb-client": ["mariadb"],
                "redis-server": ["redis-server"],
            },
        ),
        (
            ["scale-out"],
            {"postgresql": ["initdb", "pg_ctl"], "redis-server": ["redis-server"]},
        ),
        (["bench"], {"wrk": ["wrk"]}),
    ],
    ids=lambda value: "+".join(value) if isinstance(value, list) else None,
)
def test_missing_packages_maps_each_sessions_binaries_to_packages(
    bin_dir: Path, sessions: list[str], expected: dict[str, list[str]]
) -> None:
    assert missing_packages(sessions, str(bin_dir)) == expected


def test_missing_packages_of_the_default_run_are_every_server_but_wrk(bin_dir: Path) -> None:
    missing = missing_packages(_default_sessions(), str(bin_dir))
    assert list(missing) == ["postgresql", "mariadb-server", "mariadb-client", "redis-server"]


def test_missing_packages_counts_only_executables_not_found(bin_dir: Path) -> None:
    put_binaries(bin_dir, "redis-server", "mariadb", "mariadbd")
    (bin_dir / "pg_ctl").write_text("not executable", encoding="utf-8")
    missing = missing_packages(["bake-mysql", "scale-out"], str(bin_dir))
    assert missing == {
        "postgresql": ["initdb", "pg_ctl"],
        "mariadb-server": ["mariadb-install-db"],
    }


def test_search_path_adds_system_folders_then_postgresql_newest_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("9.6", "15", "13"):
        (tmp_path / "postgresql" / version / "bin").mkdir(parents=True)
    (tmp_path / "postgresql" / "15" / "lib").mkdir()
    monkeypatch.setenv("PATH", "/opt/first")
    versions = [str(tmp_path / "postgresql" / v / "bin") for v in ("15", "13", "9.6")]
    assert search_path(postgres_root=tmp_path / "postgresql").split(os.pathsep) == [
        "/opt/first",
        *SYSTEM_DIRS,
        *versions,
    ]


def test_find_returns_the_first_match_on_the_path(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        put_binaries(folder, "pg_ctl")
    assert find("pg_ctl", os.pathsep.join([str(first), str(second)])) == str(first / "pg_ctl")
    assert find("initdb", str(first)) is None


def test_provision_as_root_on_debian_installs_once_and_says_so(
    tmp_path: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apt = FakeApt(bin_dir)
    provision_on(tmp_path, DEBIAN, ["bake-sqlite"], bin_dir, 0, apt)
    assert apt.commands == [[*APT, "update"], [*INSTALL, "redis-server"]]
    assert capsys.readouterr().err == (
        "Installing redis-server with apt-get as root: missing redis-server (for bake-sqlite)\n"
    )
    assert find("redis-server", str(bin_dir)) is not None


def test_provision_installs_everything_a_run_needs_in_one_command(
    tmp_path: Path, bin_dir: Path
) -> None:
    apt = FakeApt(bin_dir)
    sessions = _default_sessions()
    provision_on(tmp_path, DEBIAN, sessions, bin_dir, 0, apt)
    packages = ["postgresql", "mariadb-server", "mariadb-client", "redis-server"]
    assert apt.commands == [[*APT, "update"], [*INSTALL, *packages]]
    assert missing_packages(sessions, str(bin_dir)) == {}


@pytest.mark.parametrize("release", [UBUNTU, MINT], ids=["ubuntu", "ubuntu-derivative"])
def test_provision_with_passwordless_sudo_installs_through_sudo(
    tmp_path: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str], release: str
) -> None:
    apt = FakeApt(bin_dir, sudo=0)
    provision_on(tmp_path, release, ["bench"], bin_dir, 1000, apt)
    sudo = ["sudo", "-n"]
    assert apt.commands == [[*sudo, "true"], [*sudo, *APT, "update"], [*sudo, *INSTALL, "wrk"]]
    assert capsys.readouterr().err == (
        "Installing wrk with sudo apt-get: missing wrk (for bench)\n"
    )


def test_provision_without_root_or_sudo_stops_with_the_install_command(
    tmp_path: Path, bin_dir: Path
) -> None:
    apt = FakeApt(bin_dir, sudo=1)
    with pytest.raises(SystemExit) as stopped:
        provision_on(tmp_path, DEBIAN, ["lint", "bake-mysql"], bin_dir, 1000, apt)
    assert stopped.value.code == (
        "error: missing mariadbd, mariadb-install-db, mariadb, redis-server (for bake-mysql); "
        "install them with: sudo apt-get update && sudo apt-get install -y "
        "--no-install-recommends mariadb-server mariadb-client redis-server"
    )
    assert apt.commands == [["sudo", "-n", "true"]]  # asked, installed nothing


@pytest.mark.parametrize("release", [FEDORA, None], ids=["fedora", "no-os-release"])
def test_provision_off_debian_stops_even_as_root(
    tmp_path: Path, bin_dir: Path, release: str | None
) -> None:
    path = os_release(tmp_path, release) if release else tmp_path / "absent"
    apt = FakeApt(bin_dir, sudo=0)
    with pytest.raises(SystemExit) as stopped:
        provision(["bake-sqlite", "scale-out"], path=str(bin_dir), os_release=path, euid=0, run=apt)
    assert stopped.value.code == (
        "error: missing initdb, pg_ctl, redis-server (for bake-sqlite, scale-out); "
        "on Debian or Ubuntu: sudo apt-get update && sudo apt-get install -y "
        "--no-install-recommends postgresql redis-server "
        "(elsewhere, install the same servers with the system's package manager)"
    )
    assert apt.commands == []


def test_provision_with_nothing_missing_runs_and_prints_nothing(
    tmp_path: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    put_binaries(bin_dir, *(name for package in PACKAGES for name in package.binaries.split()))
    apt = FakeApt(bin_dir, sudo=0)
    sessions = [*_default_sessions(), "bench"]
    provision_on(tmp_path, DEBIAN, sessions, bin_dir, 0, apt)
    assert apt.commands == []
    assert capsys.readouterr() == ("", "")


def test_provision_stops_when_apt_get_fails(tmp_path: Path, bin_dir: Path) -> None:
    apt = FakeApt(bin_dir, install=100, installs=False)
    with pytest.raises(SystemExit) as stopped:
        provision_on(tmp_path, DEBIAN, ["bench"], bin_dir, 0, apt)
    assert stopped.value.code == (
        "error: apt-get install -y --no-install-recommends wrk exited 100; missing wrk (for bench)"
    )


def test_provision_stops_when_the_packages_did_not_bring_the_binaries(
    tmp_path: Path, bin_dir: Path
) -> None:
    apt = FakeApt(bin_dir, installs=False)
    with pytest.raises(SystemExit) as stopped:
        provision_on(tmp_path, DEBIAN, ["bench"], bin_dir, 0, apt)
    assert stopped.value.code == "error: installed wrk, but wrk still not found"


def test_run_command_returns_the_exit_status() -> None:
    assert run_command(["true"]) == 0
    assert run_command(["sh", "-c", "exit 3"], quiet=True) == 3
    assert run_command(["no-such-binary-anywhere"]) == 127


def test_every_session_in_the_table_exists_in_the_noxfile() -> None:
    sessions = _session_functions()
    assert {name for package in PACKAGES for name in package.sessions.split()} <= sessions.keys()


def test_every_nox_session_provisions_before_anything_else() -> None:
    """Any session may be the first of a run, and the first one provisions for the others."""
    for name, function in _session_functions().items():
        first = function.body[1]  # after the docstring
        assert ast.unparse(first) == "provide_servers(session)", name


def test_running_the_module_reports_a_session_that_needs_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.provision", "lint"],
        cwd=TEMPLATE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "Server binaries for lint: all found.\n"
