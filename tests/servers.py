"""Real servers for the template's tests, started on loopback and stopped after.

Each server can be stopped and started again on the same port, for fault tests.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.provision import find, install_command

# PostgreSQL refuses to run as root; when tests run as root the server runs as this user.
POSTGRES_SYSTEM_USER = "postgres"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def log_tail(log: Path, lines: int = 20) -> str:
    """The log's last lines, after its error lines: a server's advice can bury the cause."""
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {log})"
    all_lines = text.splitlines()
    errors = [line for line in all_lines[:-lines] if "ERROR" in line.upper()]
    return "\n".join([*errors[-lines:], *all_lines[-lines:]])


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    """Poll `check` until it is true; on timeout fail with the tail of the server's log."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            msg = f"{what} not ready after {timeout:g} s; log tail:\n{log_tail(log)}"
            raise RuntimeError(msg)
        time.sleep(0.05)


def _succeeds(command: list[str]) -> bool:
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def _find_binary(name: str, package: str) -> str:
    """Where `name` is (see tests/provision.py, which `uvx nox` uses to install it)."""
    path = find(name)
    if path is None:
        msg = f"{name} not found; install it with: {install_command([package])}"
        raise RuntimeError(msg)
    return path


class ServerProcess:
    """A server running in the foreground, restartable with the same command line."""

    def __init__(
        self, what: str, command: list[str], log: Path, ready: Callable[[], bool], timeout: float
    ) -> None:
        self.what, self.command, self.log = what, command, log
        self.ready, self.timeout = ready, timeout
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if self._process is not None:
            return
        with self.log.open("ab") as log:
            process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        self._process = process

        def check() -> bool:
            # A server that exits at startup (bad flag, port taken) should fail fast, not time out.
            if process.poll() is not None:
                msg = f"{self.what} exited with {process.returncode}:\n{log_tail(self.log)}"
                raise RuntimeError(msg)
            return self.ready()

        try:
            wait_until(check, self.timeout, self.what, self.log)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class PostgresServer:
    port: int
    bin_dir: Path
    run_as: list[str]
    data_dir: Path
    options: str
    log: Path

    def url(self, database: str, driver: str = "asyncpg") -> str:
        return f"postgresql+{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> None:
        address = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        _run(self.run_as, self.bin_dir / "createdb", *address, name)

    def start(self) -> None:
        # pg_ctl -w does its own readiness polling (and notices a postmaster that dies).
        pg_ctl = ["-D", str(self.data_dir), "-o", self.options, "-l", str(self.log), "-w", "start"]
        try:
            _run(self.run_as, self.bin_dir / "pg_ctl", *pg_ctl)
        except subprocess.CalledProcessError as error:
            msg = f"PostgreSQL did not start: {error.stderr}\nlog tail:\n{log_tail(self.log)}"
            raise RuntimeError(msg) from error

    def stop(self) -> None:
        status = [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "status"]
        if _succeeds(status):
            stop = ["-D", str(self.data_dir), "-m", "fast", "-w", "stop"]
            _run(self.run_as, self.bin_dir / "pg_ctl", *stop)

    def pause(self) -> None:
        """Freeze the cluster: connections stay open and nothing answers, as on a hung host."""
        postmaster = self._postmaster_pid()
        # The postmaster first, so that no backend is forked after the walk below.
        os.kill(postmaster, signal.SIGSTOP)
        for pid in _descendants(postmaster):
            _signal(pid, signal.SIGSTOP)

    def resume(self) -> None:
        """Thaw the cluster; harmless if it is running or `pause` stopped only part of it."""
        postmaster = self._postmaster_pid()
        for pid in [*_descendants(postmaster), postmaster]:
            _signal(pid, signal.SIGCONT)

    def _postmaster_pid(self) -> int:
        lines = (self.data_dir / "postmaster.pid").read_text(encoding="utf-8").splitlines()
        return int(lines[0])


def _descendants(root: int) -> list[int]:
    """Every process under `root`, from the parent pids in /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="utf-8", errors="replace")
        except OSError:  # exited since the listing
            continue
        # The command name is in parentheses and may hold spaces; the state and ppid follow.
        ppid = int(fields.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(stat.parent.name))
    found: list[int] = []
    pending = [root]
    while pending:
        below = children.get(pending.pop(), [])
        found += below
        pending += below
    return found


def _signal(pid: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.kill(pid, sig)


def _run(run_as: list[str], tool: Path, *args: str) -> None:
    subprocess.run([*run_as, str(tool), *args], check=True, capture_output=True, text=True)


def _postgres_bin_dir() -> Path:
    return Path(_find_binary("pg_ctl", "postgresql")).resolve().parent


@contextmanager
def postgres_server(tls: tuple[Path, Path] | None = None) -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL cluster with trust auth on a free loopback port.

    `tls`, a (certificate, key) pair of PEM files, turns TLS on; plain connections still work.
    """
    bin_dir = _postgres_bin_dir()
    run_as: list[str] = []
    data_root = Path(tempfile.mkdtemp(prefix="template-pg-"))
    options = "-c listen_addresses=127.0.0.1 -c fsync=off"
    if tls is not None:
        # The server reads copies of its own: it insists on owning a private key.
        for source, name in zip(tls, ("server.crt", "server.key"), strict=True):
            shutil.copyfile(source, data_root / name)
        (data_root / "server.key").chmod(0o600)
        options += f" -c ssl=on -c ssl_cert_file={data_root / 'server.crt'}"
        options += f" -c ssl_key_file={data_root / 'server.key'}"
    if os.geteuid() == 0:
        account = pwd.getpwnam(POSTGRES_SYSTEM_USER)
        for path in (data_root, *data_root.iterdir()):
            os.chown(path, account.pw_uid, account.pw_gid)
        run_as = ["runuser", "-u", POSTGRES_SYSTEM_USER, "--"]
    port = free_port()
    server = PostgresServer(
        port=port,
        bin_dir=bin_dir,
        run_as=run_as,
        data_dir=data_root / "data",
        options=f"-p {port} -k {data_root} {options}",
        log=data_root / "server.log",
    )
    try:
        initdb = ["-D", str(server.data_dir), "-U", "postgres", "--auth=trust"]
        _run(run_as, bin_dir / "initdb", *initdb)
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(data_root, ignore_errors=True)


@dataclass(frozen=True)
class RedisServer:
    port: int
    process: ServerProcess

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.process.stop()


def _redis_answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server() -> Iterator[RedisServer]:
    """A throwaway Redis without persistence on a free loopback port."""
    redis = _find_binary("redis-server", "redis-server")
    data_root = Path(tempfile.mkdtemp(prefix="template-redis-"))
    port = free_port()
    command = [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    command += ["--appendonly", "no", "--dir", str(data_root), "--daemonize", "no"]
    process = ServerProcess(
        "Redis", command, data_root / "server.log", lambda: _redis_answers_ping(port), timeout=10
    )
    try:
        process.start()
        yield RedisServer(port=port, process=process)
    finally:
        process.stop()
        shutil.rmtree(data_root, ignore_errors=True)


@dataclass(frozen=True)
class MariaDBServer:
    port: int
    client: str
    process: ServerProcess

    def url(self, database: str, driver: str = "asyncmy") -> str:
        return f"mysql+{driver}://root@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        command = _mariadb_client(self.client, self.port, sql)
        subprocess.run(command, check=True, capture_output=True, text=True)

    def create_database(self, name: str) -> None:
        quoted = name.replace("`", "``")
        self.execute(f"CREATE DATABASE `{quoted}` CHARACTER SET utf8mb4")

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.process.stop()


def _mariadb_client(client: str, port: int, sql: str) -> list[str]:
    address = ["--protocol=TCP", "-h", "127.0.0.1", "-P", str(port), "-u", "root"]
    return [client, "--no-defaults", *address, "--connect-timeout=1", "-e", sql]


@contextmanager
def mariadb_server(tls: tuple[Path, Path] | None = None) -> Iterator[MariaDBServer]:
    """A throwaway MariaDB on a free loopback port; root logs in over TCP with no password.

    `tls`, a (certificate, key) pair of PEM files, turns TLS on; plain connections still work.
    """
    install_db = _find_binary("mariadb-install-db", "mariadb-server")
    mariadbd = _find_binary("mariadbd", "mariadb-server")
    client = _find_binary("mariadb", "mariadb-client")
    data_root = Path(tempfile.mkdtemp(prefix="template-mariadb-"))
    data_dir, log = data_root / "data", data_root / "server.log"
    port = free_port()
    # mariadbd refuses to run as root unless told to; --user=root avoids chowning the
    # temp dir to `mysql`, and the server is throwaway and bound to loopback anyway.
    user = ["--user=root"] if os.geteuid() == 0 else []
    # --skip-name-resolve makes TCP logins match the root@127.0.0.1 account that
    # install-db creates (passwordless with the "normal" auth method) without DNS.
    common = ["--no-defaults", f"--datadir={data_dir}", *user, "--skip-name-resolve"]
    common += ["--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M"]
    install = [install_db, *common, "--auth-root-authentication-method=normal", "--skip-test-db"]
    command = [mariadbd, *common, f"--port={port}", "--bind-address=127.0.0.1"]
    command += [f"--socket={data_root / 'mysqld.sock'}", f"--pid-file={data_root / 'mysqld.pid'}"]
    command += ["--innodb-flush-log-at-trx-commit=0", "--skip-log-bin"]
    if tls is not None:
        certificate, key = tls
        command += [f"--ssl-cert={certificate}", f"--ssl-key={key}"]
    ping = _mariadb_client(client, port, "SELECT 1")
    process = ServerProcess("MariaDB", command, log, lambda: _succeeds(ping), timeout=30)
    try:
        with log.open("ab") as install_log:
            installed = subprocess.run(install, stdout=install_log, stderr=subprocess.STDOUT)
        if installed.returncode != 0:
            msg = f"mariadb-install-db failed; log tail:\n{log_tail(log)}"
            raise RuntimeError(msg)
        process.start()
        yield MariaDBServer(port=port, client=client, process=process)
    finally:
        process.stop()
        shutil.rmtree(data_root, ignore_errors=True)
