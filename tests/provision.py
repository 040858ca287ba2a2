"""The server packages the template's nox sessions need: find what is missing, install or say how.

The noxfile calls `provision` at the start of the first session of a run, for every session in
the run, so anything missing is installed (or named) once, before any test. Standard library
only: nox imports this module with its own interpreter. `python -m tests.provision SESSION...`
runs the same step alone.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol


class Package(NamedTuple):
    name: str  # the Debian and Ubuntu package
    binaries: str  # what the tests run from it, space-separated
    sessions: str  # the nox sessions that run them, space-separated


# A new server is one more row.
PACKAGES = (
    Package("postgresql", "initdb pg_ctl", "bake-postgresql scale-out"),
    Package("mariadb-server", "mariadbd mariadb-install-db", "bake-mysql"),
    Package("mariadb-client", "mariadb", "bake-mysql"),
    Package("redis-server", "redis-server", "bake-sqlite bake-postgresql bake-mysql scale-out"),
    Package("wrk", "wrk", "bench"),
)

# Debian keeps server binaries off a normal user's PATH: MariaDB's in /usr/sbin, PostgreSQL's
# in /usr/lib/postgresql/<version>/bin.
SYSTEM_DIRS = ("/usr/local/sbin", "/usr/sbin", "/usr/bin")
POSTGRES_ROOT = Path("/usr/lib/postgresql")
OS_RELEASE = Path("/etc/os-release")
APT_INSTALL = ("apt-get", "install", "-y", "--no-install-recommends")


class Runner(Protocol):
    def __call__(self, command: Sequence[str], *, quiet: bool = False) -> int: ...


def run_command(command: Sequence[str], *, quiet: bool = False) -> int:
    """Run `command`, its output shown unless `quiet`; its exit status (127 if it is absent)."""
    output = subprocess.DEVNULL if quiet else None
    try:
        done = subprocess.run(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, check=False
        )
    except OSError:
        return 127
    return done.returncode


def _version(bin_dir: Path) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in bin_dir.parent.name.split("."))
    except ValueError:
        return ()


def search_path(path: str | None = None, postgres_root: Path = POSTGRES_ROOT) -> str:
    """`path` (default: $PATH), then the system folders, then PostgreSQL's, newest first."""
    postgres = sorted(postgres_root.glob("*/bin"), key=_version, reverse=True)
    first = os.environ.get("PATH", "") if path is None else path
    return os.pathsep.join([first, *SYSTEM_DIRS, *map(str, postgres)])


def find(binary: str, path: str | None = None) -> str | None:
    """Where `binary` is, on `path` (default: `search_path()`), or None."""
    return shutil.which(binary, path=search_path() if path is None else path)


def missing_packages(sessions: Iterable[str], path: str | None = None) -> dict[str, list[str]]:
    """Each package the sessions need that lacks a binary, with the binaries not found."""
    wanted = set(sessions)
    search = search_path() if path is None else path
    missing: dict[str, list[str]] = {}
    for package in PACKAGES:
        if wanted.intersection(package.sessions.split()):
            absent = [name for name in package.binaries.split() if find(name, search) is None]
            if absent:
                missing[package.name] = absent
    return missing


def install_command(packages: Sequence[str]) -> str:
    """The one shell command a user runs to install `packages`."""
    return f"sudo apt-get update && sudo {shlex.join([*APT_INSTALL, *packages])}"


def is_debian(os_release: Path = OS_RELEASE) -> bool:
    """Debian, Ubuntu or a derivative of either, by /etc/os-release's ID and ID_LIKE."""
    try:
        lines = os_release.read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    fields = dict(line.split("=", 1) for line in lines if "=" in line)
    ids = " ".join(fields.get(key, "").strip("\"'") for key in ("ID", "ID_LIKE")).split()
    return "debian" in ids or "ubuntu" in ids


def privilege(euid: int, run: Runner) -> list[str] | None:
    """The prefix that runs apt-get as root here: none for root, `sudo -n` if that needs no
    password; None when neither works."""
    if euid == 0:
        return []
    if run(["sudo", "-n", "true"], quiet=True) == 0:
        return ["sudo", "-n"]
    return None


def provision(
    sessions: Sequence[str],
    *,
    path: str | None = None,
    os_release: Path = OS_RELEASE,
    euid: int | None = None,
    run: Runner = run_command,
) -> None:
    """Install the packages `sessions` need and lack, or exit with the command that would."""
    missing = missing_packages(sessions, path)
    if not missing:
        return
    packages = list(missing)
    binaries = ", ".join(name for names in missing.values() for name in names)
    users = [name for name in dict.fromkeys(sessions) if _needs(name, packages)]
    what = f"missing {binaries} (for {', '.join(users)})"
    if not is_debian(os_release):
        elsewhere = "elsewhere, install the same servers with the system's package manager"
        raise SystemExit(
            f"error: {what}; on Debian or Ubuntu: {install_command(packages)} ({elsewhere})"
        )
    prefix = privilege(os.geteuid() if euid is None else euid, run)
    if prefix is None:
        raise SystemExit(f"error: {what}; install them with: {install_command(packages)}")
    how = "with sudo apt-get" if prefix else "with apt-get as root"
    print(f"Installing {' '.join(packages)} {how}: {what}", file=sys.stderr)
    apt = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive"]
    for command in (["apt-get", "update"], [*APT_INSTALL, *packages]):
        status = run([*apt, *command])
        if status != 0:
            raise SystemExit(f"error: {shlex.join(command)} exited {status}; {what}")
    still = missing_packages(sessions, path)
    if still:
        absent = ", ".join(name for names in still.values() for name in names)
        raise SystemExit(f"error: installed {' '.join(packages)}, but {absent} still not found")


def _needs(session: str, packages: Sequence[str]) -> bool:
    return any(p.name in packages and session in p.sessions.split() for p in PACKAGES)


if __name__ == "__main__":
    provision(sys.argv[1:])
    print(f"Server binaries for {' '.join(sys.argv[1:]) or 'no session'}: all found.")
