"""Load-test a generated service with wrk, side by side with a bare FastAPI app (the ceiling).

    uv run --project <generated project> --no-dev python tests/bench/harness.py \
        [--package my_service] [--database-url URL] [--duration 5] [--repeat 3]

`uvx nox -s bench` bakes a project and runs this with the project's interpreter (see
__main__.py beside it). Both apps run under uvicorn with uvloop and httptools, one worker, no
access log, production settings (except HTTPS); a last section serves the service under each
HTTP server it could ship with, the project's own `serve` among them. Rate limits are raised
for the run so the figures measure the work, not the limiter; extra lines measure the
limiter's own cost and that of INFO logs (the shipped level: one access line per request).
On PostgreSQL each line counts the sessions the database opened during its runs, so
connection churn shows. A third app, the floor (floor.py), makes the database endpoints' queries
and JSON and nothing else: the service cannot beat it, so a target the floor misses is out of
this stack's reach. The ceiling and the floor are served from this file's folder (uvicorn's
--app-dir). Needs `wrk` on PATH (`apt-get install wrk`). Results go to stdout as a table and
to --output as JSON.

Only the standard library is used here, so the service runs with its production
dependencies alone (`uv sync --no-dev`).
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

# The ceiling's and the floor's modules (ceiling.py, floor.py) are imported from here.
APP_DIR = Path(__file__).resolve().parent
API = "/api/v1"
RAISED_LIMIT = "100000000/minute"
PASSWORD = "benchmark password 1"  # noqa: S105 - a throwaway user in a scratch database
ITEM_BODY = '{"title": "bench"}'
# Each database endpoint against the floor: the same queries and JSON through the bare stack,
# measured in the same run (ratios to the bare app's requests/s, so host speed cancels out).
FLOOR_SHARE_TARGET = 0.90
FLOOR_ENDPOINTS = ("users_me", "items_list_100", "items_create")
LOGIN_TARGET_RPS = 40.0
HEALTH_UNDER_LOGIN_P99_TARGET_MS = 20.0
COLD_START_TARGET_S = 1.5
RSS_TARGET_MB = 150.0
RECOVERY_TARGET_S = 5.0
# What INFO logs (one access line per request) may cost on health, against WARNING.
INFO_LOG_COST_TARGET = 0.10


@dataclass
class Measurement:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio_to_bare: float | None = None
    # The same work without the service around it (floor.py).
    floor_ratio_to_bare: float | None = None
    # PostgreSQL sessions opened during the runs (pg_stat_database.sessions): churn, if any.
    new_db_sessions: int | None = None
    note: str = ""


@dataclass
class Report:
    machine: str
    database: str
    settings_note: str
    connections: int
    bare_requests_per_second: float = 0.0
    measurements: list[Measurement] = field(default_factory=list)
    floors: list[Measurement] = field(default_factory=list)
    cold_start_seconds: float = 0.0
    # Process start to the first 200 of the production command, `<package> serve`.
    serve_cold_start_seconds: float | None = None
    rss_mb_after_run: float = 0.0
    overload: dict[str, float] = field(default_factory=dict)
    # The same endpoints under each HTTP server that could serve them (SERVERS).
    servers: list[Measurement] = field(default_factory=list)
    targets: dict[str, str] = field(default_factory=dict)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="my_service", help="the service's import name")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=3, help="wrk runs per endpoint")
    parser.add_argument("--connections", type=int, default=32, help="concurrent wrk clients")
    parser.add_argument("--output", default="bench-results.json")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="a project baked from an older template: skip the floor and the server section, "
        "which follow today's modules and `serve` options",
    )
    args = parser.parse_args(argv)
    if not _which("wrk"):
        print("error: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        report = run(Path(scratch), args)
    print_report(report)
    Path(args.output).write_text(json.dumps(asdict(report), indent=2) + "\n")
    print(f"\nJSON written to {args.output}")
    return 0


def run(scratch: Path, args: argparse.Namespace) -> Report:
    database_url = args.database_url or f"sqlite+aiosqlite:///{scratch / 'bench.db'}"
    env = service_env(database_url)
    subprocess.run([sys.executable, "-m", args.package, "migrate"], env=env, check=True)
    floor_env = None if args.baseline else {**env, "BENCH_PACKAGE": args.package}
    if floor_env is not None:
        # Fail now, not minutes in, when the floor no longer matches the service's modules.
        floor_check = [sys.executable, "-c", "import floor"]
        subprocess.run(floor_check, env=floor_env, cwd=APP_DIR, check=True)
    report = Report(
        machine=f"{os.cpu_count()} cores (shared; figures are noisy, ratios matter)",
        database=database_url.split("://", 1)[0],
        settings_note=(
            "production settings, argon2id m=19456 KiB t=2 p=1, "
            f"rate limits raised to {RAISED_LIMIT} except on the limiter line"
        ),
        connections=args.connections,
    )
    # The bare app stays up all along: each run against it is paired with the run it bounds.
    with serve(uvicorn_command("ceiling:app"), env) as (bare, _, _):
        bench = Bench(
            scratch,
            bare_url=f"{bare}/health/live",
            duration=args.duration,
            repeat=args.repeat,
            connections=args.connections,
            sessions=sessions_counter(database_url),
        )
        measure_service(bench, args.package, env, floor_env, report, servers=not args.baseline)
    report.bare_requests_per_second = round(statistics.median(bench.bare_runs), 1)
    report.targets = check_targets(report)
    return report


def measure_service(
    bench: Bench,
    package: str,
    env: dict[str, str],
    floor_env: dict[str, str] | None,
    report: Report,
    *,
    servers: bool,
) -> None:
    app = f"{package}.main:app"
    floors: dict[str, Measurement] = {}
    with serve(uvicorn_command(app), env) as (base, pid, cold_start):
        report.cold_start_seconds = cold_start
        token = seed(base)
        report.measurements += bench.service_reads(base, token)
        # Before anything creates more items: both list the same 100.
        if floor_env is not None:
            with serve(uvicorn_command("floor:app"), floor_env) as (floor, _, _):
                floors = bench.floor_endpoints(floor, user_id(base, token), session_id(token))
        report.measurements += bench.service_writes(base, token)
        report.measurements.append(bench.health_under_login(base))
        report.overload = bench.overload(base, token)
        report.rss_mb_after_run = _rss_mb(pid)
    limited_env = {**env, "RATE_LIMIT__DEFAULT": "100000/second"}
    unlimited_env = {**env, "RATE_LIMIT__ENABLED": "false"}
    for label, variant_env in (("limiter_on", limited_env), ("limiter_off", unlimited_env)):
        with serve(uvicorn_command(app), variant_env) as (base, _, _):
            token = login(base)
            result = bench.measure(f"users_me_{label}", f"{base}{API}/users/me", token=token)
            report.measurements.append(result)
    # What the access lines cost: the same health load with INFO off.
    quiet_env = {**env, "LOG__LEVEL": "WARNING"}
    with serve(uvicorn_command(app), quiet_env) as (base, _, _):
        report.measurements.append(bench.measure("health_warning_logs", f"{base}/health/live"))
    if servers:
        for server, command in server_commands(package).items():
            with serve(command, env) as (base, _, cold_start):
                if server == "serve":
                    report.serve_cold_start_seconds = cold_start
                token = login(base)
                report.servers += [
                    bench.measure(f"health@{server}", f"{base}/health/live"),
                    bench.measure(f"users_me@{server}", f"{base}{API}/users/me", token=token),
                ]
    report.floors = list(floors.values())
    for measurement in report.measurements:
        if measurement.name in floors:
            measurement.floor_ratio_to_bare = floors[measurement.name].ratio_to_bare


def uvicorn_command(app: str) -> list[str]:
    """uvicorn with its fastest parts and no limits: how every line but SERVERS' is served."""
    return [
        sys.executable, "-m", "uvicorn", app, "--app-dir", str(APP_DIR),
        "--workers", "1", "--loop", "uvloop", "--http", "httptools",
        "--no-access-log", "--no-server-header", "--log-level", "warning",
    ]  # fmt: skip


def server_commands(package: str) -> dict[str, list[str]]:
    """The servers compared on health and users_me, each with the limits it can enforce.

    `serve` is what the project ships (uvicorn's httptools protocol with a head timeout, a
    header bound and a connection cap); bare uvicorn with httptools enforces none of those,
    so the two differ by what the limits cost; Granian, when installed
    (`nox -s bench -- --granian`), enforces them in its Rust HTTP layer.
    """
    commands = {
        "serve": [sys.executable, "-m", package, "serve", "--workers", "1"],
        "uvicorn_httptools": uvicorn_command(f"{package}.main:app"),
    }
    if importlib.util.find_spec("granian") is not None:
        commands["granian"] = [
            sys.executable, "-m", "granian", "--interface", "asgi", "--http", "1",
            "--workers", "1", "--loop", "uvloop", "--no-ws", "--log-level", "warning",
            "--http1-header-read-timeout", "15000", "--backpressure", "1000",
            f"{package}.main:app",
        ]  # fmt: skip
    return commands


def service_env(database_url: str) -> dict[str, str]:
    limits = {
        f"RATE_LIMIT__{name}": RAISED_LIMIT
        for name in ("DEFAULT", "LOGIN", "REGISTRATION", "REFRESH", "ACCOUNT")
    }
    return {
        **os.environ,
        **limits,
        "DATABASE_URL": database_url,
        "APP__ENVIRONMENT": "production",
        "AUTH__SECRET_KEY": secrets.token_urlsafe(48),
        # Unused by the load, but production warns at every start without it.
        "METRICS__BEARER_TOKEN": secrets.token_urlsafe(32),
        # Required in production; the measured routes send no mail.
        "APP__FRONTEND_URL": "https://app.example.com",
        "EMAIL__SMTP_HOST": "127.0.0.1",
        "EMAIL__FROM_ADDRESS": "noreply@example.com",
        # The shipped INFO: one JSON access line per request, into the log file serve() opens.
        "LOG__LEVEL": "INFO",
        # The benchmark's PostgreSQL listens on loopback without a certificate.
        "DB__SSL": "disable",
    }


@contextmanager
def serve(command: list[str], env: dict[str, str]) -> Iterator[tuple[str, int, float]]:
    """Run a server command on a free loopback port; yield its base URL, pid and cold start.

    Its log lines go to a file, as a deployment's would go to a collector.
    """
    port = _free_port()
    with ExitStack() as stack:
        output = stack.enter_context(tempfile.TemporaryFile())
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=output
        )
        base = f"http://127.0.0.1:{port}"
        try:
            cold_start = _wait_live(base, process, started)
            yield base, process.pid, cold_start
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def sessions_counter(database_url: str) -> Callable[[], int] | None:
    """How many sessions PostgreSQL has opened to the database so far; None elsewhere.

    Read from the `postgres` database, so that reading it opens no session in the one counted.
    """
    parts = urllib.parse.urlsplit(database_url)
    if not parts.scheme.startswith("postgresql"):
        return None
    admin = urllib.parse.urlunsplit(("postgresql", parts.netloc, "/postgres", "", ""))
    code = (
        "import asyncio, sys, asyncpg\n"
        "async def main():\n"
        "    connection = await asyncpg.connect(sys.argv[1])\n"
        "    query = 'SELECT sessions FROM pg_stat_database WHERE datname = $1'\n"
        "    print(await connection.fetchval(query, sys.argv[2]))\n"
        "    await connection.close()\n"
        "asyncio.run(main())\n"
    )

    def count() -> int:
        command = [sys.executable, "-c", code, admin, parts.path.lstrip("/")]
        return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

    return count


def http(
    method: str,
    url: str,
    *,
    body: dict[str, object] | None = None,
    form: dict[str, str] | None = None,
    token: str | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, object]]:
    """One request; returns the status and the JSON body (empty when there is none)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - loopback URLs
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - loopback
            content = response.read()
            return response.status, json.loads(content) if content else {}
    except urllib.error.HTTPError as error:
        return error.code, {}


def _wait_live(base: str, process: subprocess.Popen[bytes], started: float) -> float:
    while time.perf_counter() - started < 60:
        if process.poll() is not None:
            msg = f"server exited with {process.returncode}"
            raise RuntimeError(msg)
        try:
            if http("GET", f"{base}/health/live", timeout=1)[0] == 200:
                return time.perf_counter() - started
        except OSError:
            time.sleep(0.01)
    msg = "server did not start within 60 s"
    raise RuntimeError(msg)


def seed(base: str) -> str:
    """Register the benchmark user with exactly 100 items; return an access token."""
    credentials = {"email": "bench@example.com", "password": PASSWORD}
    status, _ = http("POST", f"{base}{API}/auth/register", body=dict(credentials))
    if status not in {201, 409}:
        msg = f"registration failed with {status}"
        raise RuntimeError(msg)
    token = login(base)
    _, page = http("GET", f"{base}{API}/items?limit=1", token=token)
    existing = page["total"]
    assert isinstance(existing, int)
    for number in range(existing, 100):
        status, _ = http(
            "POST", f"{base}{API}/items", body={"title": f"item {number}"}, token=token
        )
        if status != 201:
            msg = f"creating an item failed with {status}"
            raise RuntimeError(msg)
    return token


def user_id(base: str, token: str) -> str:
    status, me = http("GET", f"{base}{API}/users/me", token=token)
    if status != 200 or not isinstance(me.get("id"), str):
        msg = f"reading the benchmark user failed with {status}"
        raise RuntimeError(msg)
    return str(me["id"])


def session_id(token: str) -> str:
    """The access token's session (its `sid` claim), read without verifying the token."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sid"])


def login(base: str) -> str:
    form = {"username": "bench@example.com", "password": PASSWORD}
    status, body = http("POST", f"{base}{API}/auth/login", form=form)
    token = body.get("access_token")
    if status != 200 or not isinstance(token, str):
        msg = f"login failed with {status}"
        raise RuntimeError(msg)
    return token


class Bench:
    def __init__(
        self,
        scratch: Path,
        *,
        bare_url: str,
        duration: int,
        repeat: int,
        connections: int,
        sessions: Callable[[], int] | None = None,
    ) -> None:
        self.scratch = scratch
        self.sessions = sessions
        self.bare_url = bare_url
        self.duration = duration
        self.repeat = repeat
        self.connections = connections
        self.bare_runs: list[float] = []

    def service_reads(self, base: str, token: str) -> list[Measurement]:
        return [
            self.measure("health", f"{base}/health/live"),
            self.measure("users_me", f"{base}{API}/users/me", token=token),
            # Listed before creating more: the page is exactly the 100 seeded items.
            self.measure("items_list_100", f"{base}{API}/items?limit=100", token=token),
        ]

    def service_writes(self, base: str, token: str) -> list[Measurement]:
        return [
            self.measure("items_create", f"{base}{API}/items", token=token, body=ITEM_BODY),
            self.measure("login", f"{base}{API}/auth/login", form=_login_form()),
        ]

    def floor_endpoints(self, base: str, user: str, session: str) -> dict[str, Measurement]:
        """The database endpoints' work alone, keyed by the service measurement it bounds.

        `session` is the token's: the floor checks it is live, as the service does.
        """
        return {
            "users_me": self.measure("floor_users_me", f"{base}/users/{user}?session={session}"),
            "items_list_100": self.measure(
                "floor_items_list_100", f"{base}/users/{user}/items?limit=100&session={session}"
            ),
            "items_create": self.measure(
                "floor_items_create", f"{base}/users/{user}/items?session={session}", body=ITEM_BODY
            ),
        }

    def measure(
        self,
        name: str,
        url: str,
        *,
        token: str | None = None,
        body: str | None = None,
        form: str | None = None,
    ) -> Measurement:
        """`repeat` runs, each right after a run against the bare app.

        On a shared machine whose speed drifts, the ratio within each pair is steadier than
        the ratio of two medians taken minutes apart.
        """
        script = self._script(name, token=token, body=body, form=form)
        bare_script = self._script("bare")
        _wrk(url, script, duration=1, connections=self.connections)  # warm-up
        sessions_before = self.sessions() if self.sessions else None
        load = {"duration": self.duration, "connections": self.connections}
        runs, ratios = [], []
        for _ in range(self.repeat):
            bare = _wrk(self.bare_url, bare_script, **load)
            run = _wrk(url, script, **load)
            self.bare_runs.append(bare.requests_per_second)
            runs.append(run)
            ratios.append(run.requests_per_second / bare.requests_per_second)
        new_sessions = None
        if self.sessions and sessions_before is not None:
            new_sessions = self.sessions() - sessions_before
        return Measurement(
            name=name,
            requests_per_second=round(statistics.median(r.requests_per_second for r in runs), 1),
            p50_ms=round(statistics.median(r.p50_ms for r in runs), 2),
            p99_ms=round(statistics.median(r.p99_ms for r in runs), 2),
            errors=sum(r.errors for r in runs),
            ratio_to_bare=round(statistics.median(ratios), 3),
            new_db_sessions=new_sessions,
        )

    def health_under_login(self, base: str) -> Measurement:
        """/health/live latency while logins are hammered in parallel."""
        login_script = self._script("login_load", form=_login_form())
        load = threading.Thread(
            target=_wrk,
            args=(f"{base}{API}/auth/login", login_script),
            kwargs={"duration": self.duration + 2, "connections": self.connections},
        )
        load.start()
        time.sleep(1)
        result = _wrk(
            f"{base}/health/live",
            self._script("health_probe"),
            duration=self.duration,
            connections=4,
        )
        load.join()
        return Measurement(
            name="health_while_login_hammered",
            requests_per_second=round(result.requests_per_second, 1),
            p50_ms=result.p50_ms,
            p99_ms=result.p99_ms,
            errors=result.errors,
            note=f"{self.connections} connections on login in parallel",
        )

    def overload(self, base: str, token: str) -> dict[str, float]:
        """64 connections on login for 10 s; is the service alive, and how fast is it back?"""
        script = self._script("overload", form=_login_form())
        load = threading.Thread(
            target=_wrk,
            args=(f"{base}{API}/auth/login", script),
            kwargs={"duration": 10, "connections": 64},
        )
        load.start()
        time.sleep(1)
        probes: list[float] = []
        failures = 0
        while load.is_alive():
            started = time.perf_counter()
            try:
                ok = http("GET", f"{base}/health/live", timeout=5)[0] == 200
            except OSError:
                ok = False
            if ok:
                probes.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1
            time.sleep(0.1)
        load.join()
        recovered_after = _recovery_seconds(base, token, time.perf_counter())
        return {
            "health_probes": len(probes),
            "health_probe_failures": failures,
            "health_probe_p99_ms": round(_percentile(probes, 99), 2) if probes else -1.0,
            "recovery_seconds": round(recovered_after, 2),
        }

    def _script(
        self,
        name: str,
        *,
        token: str | None = None,
        body: str | None = None,
        form: str | None = None,
    ) -> Path:
        lines = []
        if token:
            lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
        if body is not None:
            lines += [
                'wrk.method = "POST"',
                f"wrk.body = {json.dumps(body)}",
                'wrk.headers["Content-Type"] = "application/json"',
            ]
        if form is not None:
            lines += [
                'wrk.method = "POST"',
                f"wrk.body = {json.dumps(form)}",
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
            ]
        path = self.scratch / f"{name}.lua"
        path.write_text("\n".join(lines) + "\n")
        return path


@dataclass
class WrkResult:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def _wrk(url: str, script: Path, *, duration: int, connections: int) -> WrkResult:
    output = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(output)


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    percentiles = {
        int(p): float(value) * _UNITS_MS[unit]
        for p, value, unit in re.findall(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in socket.groups()) if socket else 0
    if rps is None or 50 not in percentiles or 99 not in percentiles:
        msg = f"unexpected wrk output:\n{output}"
        raise RuntimeError(msg)
    return WrkResult(float(rps.group(1)), percentiles[50], percentiles[99], errors)


def _recovery_seconds(base: str, token: str, stopped: float) -> float:
    """Seconds after the load stopped until /users/me answers within 50 ms again."""
    while time.perf_counter() - stopped < 60:
        started = time.perf_counter()
        try:
            ok = http("GET", f"{base}{API}/users/me", token=token, timeout=5)[0] == 200
        except OSError:
            ok = False
        if ok and time.perf_counter() - started < 0.05:
            return time.perf_counter() - stopped
        time.sleep(0.05)
    return float("inf")


def _login_form() -> str:
    return f"username=bench%40example.com&password={PASSWORD.replace(' ', '+')}"


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * percent / 100))]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return -1.0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _which(tool: str) -> bool:
    return any(
        (Path(directory) / tool).exists() for directory in os.environ["PATH"].split(os.pathsep)
    )


def check_targets(report: Report) -> dict[str, str]:
    by_name = {m.name: m for m in report.measurements}
    results = {}
    for name in FLOOR_ENDPOINTS:
        ratio = by_name[name].ratio_to_bare or 0.0
        floor = by_name[name].floor_ratio_to_bare
        if floor:  # none for a baseline template's run
            share = ratio / floor
            results[name] = _verdict(
                f"{share:.0%} of the floor ({ratio:.3f} / {floor:.3f}) vs >= "
                f"{FLOOR_SHARE_TARGET:.0%}",
                share >= FLOOR_SHARE_TARGET,
            )
    login_rps = by_name["login"].requests_per_second
    results["login"] = _verdict(
        f"{login_rps} req/s vs >= {LOGIN_TARGET_RPS}", login_rps >= LOGIN_TARGET_RPS
    )
    p99 = by_name["health_while_login_hammered"].p99_ms
    results["health_p99_under_login"] = _verdict(
        f"{p99} ms vs < {HEALTH_UNDER_LOGIN_P99_TARGET_MS}", p99 < HEALTH_UNDER_LOGIN_P99_TARGET_MS
    )
    results["cold_start"] = _verdict(
        f"{report.cold_start_seconds:.2f} s vs < {COLD_START_TARGET_S}",
        report.cold_start_seconds < COLD_START_TARGET_S,
    )
    results["rss"] = _verdict(
        f"{report.rss_mb_after_run} MB vs < {RSS_TARGET_MB}",
        report.rss_mb_after_run < RSS_TARGET_MB,
    )
    if "health_warning_logs" in by_name:
        cost = 1 - (by_name["health"].ratio_to_bare or 0) / (
            by_name["health_warning_logs"].ratio_to_bare or 1
        )
        results["info_logs"] = _verdict(
            f"INFO costs {cost:.0%} on health vs <= {INFO_LOG_COST_TARGET:.0%}",
            cost <= INFO_LOG_COST_TARGET,
        )
    # A pool still growing towards the load's concurrency opens up to one session per client;
    # more than that, and connections are being opened and closed under the load.
    opened = [m for m in report.measurements if m.new_db_sessions]
    churn = [m for m in opened if (m.new_db_sessions or 0) > report.connections]
    if any(m.new_db_sessions is not None for m in report.measurements):
        listed = ", ".join(f"{m.name} {m.new_db_sessions}" for m in opened) or "none"
        results["connection_churn"] = _verdict(
            f"sessions opened under load: {listed} (churn above {report.connections})",
            not churn,
        )
    recovery = report.overload["recovery_seconds"]
    alive = report.overload["health_probe_failures"] == 0
    results["overload"] = _verdict(
        f"health answered throughout: {alive}, back to normal after {recovery} s "
        f"vs <= {RECOVERY_TARGET_S}",
        alive and recovery <= RECOVERY_TARGET_S,
    )
    return results


def _verdict(text: str, ok: bool) -> str:
    return f"{text}: {'met' if ok else 'MISSED'}"


def print_report(report: Report) -> None:
    print(f"\nMachine: {report.machine}; database: {report.database}")
    print(f"Settings: {report.settings_note}")
    print(f"Bare FastAPI ceiling: {report.bare_requests_per_second} req/s (median of its runs)")
    print("Ratios: the median over runs of each run's req/s over the bare run just before it\n")
    print(
        f"{'endpoint':32} {'req/s':>10} {'p50 ms':>9} {'p99 ms':>9} {'ratio':>7} {'floor':>7} "
        f"{'errors':>7} {'new db sessions':>16}"
    )
    for m in report.measurements:
        ratio = f"{m.ratio_to_bare:.3f}" if m.ratio_to_bare is not None else "-"
        floor = f"{m.floor_ratio_to_bare:.3f}" if m.floor_ratio_to_bare is not None else "-"
        sessions = "-" if m.new_db_sessions is None else str(m.new_db_sessions)
        print(
            f"{m.name:32} {m.requests_per_second:>10} {m.p50_ms:>9} {m.p99_ms:>9} "
            f"{ratio:>7} {floor:>7} {m.errors:>7} {sessions:>16}"
        )
    print("(floor: the same database and JSON work alone, tests/bench/floor.py)")
    for bound in report.floors:
        if bound.errors:
            print(f"WARNING: {bound.name} had {bound.errors} errors; its figure bounds nothing")
    print(f"\nCold start: {report.cold_start_seconds:.2f} s", end="; ")
    if report.serve_cold_start_seconds is not None:
        print(f"of `serve`: {report.serve_cold_start_seconds:.2f} s", end="; ")
    print(f"RSS after run: {report.rss_mb_after_run} MB")
    print(f"Overload (64 connections on login, 10 s): {report.overload}")
    print("\nHTTP servers (server_commands):")
    for m in report.servers:
        print(
            f"  {m.name:30} {m.requests_per_second:>10} req/s  p99 {m.p99_ms:>7} ms  "
            f"ratio {m.ratio_to_bare:.3f}  errors {m.errors}"
        )
    print("\nTargets:")
    for name, verdict in report.targets.items():
        print(f"  {name}: {verdict}")


if __name__ == "__main__":
    raise SystemExit(main())
