"""Real database servers for the template's tests, started on loopback and stopped after."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# PostgreSQL refuses to run as root; when tests run as root the server runs as this user.
POSTGRES_SYSTEM_USER = "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class PostgresServer:
    port: int
    bin_dir: Path
    run_as: list[str]

    def url(self, database: str, driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        address = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        _run(self.run_as, self.bin_dir / "createdb", *address, name)


def _run(run_as: list[str], tool: Path, *args: str) -> None:
    subprocess.run([*run_as, str(tool), *args], check=True, capture_output=True, text=True)


def _postgres_bin_dir() -> Path:
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl is None:
        msg = "PostgreSQL server binaries (pg_ctl, initdb) are not on PATH"
        raise RuntimeError(msg)
    return Path(pg_ctl).resolve().parent


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster with trust auth on a free loopback port."""
    bin_dir = _postgres_bin_dir()
    run_as: list[str] = []
    data_root = Path(tempfile.mkdtemp(prefix="template-pg-"))
    if os.geteuid() == 0:
        account = pwd.getpwnam(POSTGRES_SYSTEM_USER)
        os.chown(data_root, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", POSTGRES_SYSTEM_USER, "--"]
    data_dir = str(data_root / "data")
    port = free_port()
    _run(run_as, bin_dir / "initdb", "-D", data_dir, "-U", "postgres", "--auth=trust")
    options = f"-p {port} -k {data_root} -c listen_addresses=127.0.0.1 -c fsync=off"
    log_file = str(data_root / "server.log")
    _run(run_as, bin_dir / "pg_ctl", "-D", data_dir, "-o", options, "-l", log_file, "-w", "start")
    try:
        yield PostgresServer(port=port, bin_dir=bin_dir, run_as=run_as)
    finally:
        _run(run_as, bin_dir / "pg_ctl", "-D", data_dir, "-m", "fast", "-w", "stop")
        shutil.rmtree(data_root, ignore_errors=True)
