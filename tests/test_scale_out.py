"""Slow tier: several instances of one project over real PostgreSQL and Redis, and their faults.

One project (PostgreSQL, Redis, taskiq) is baked once per module, with its own PostgreSQL
and Redis servers. `TestScaleOut` runs two API instances and a separate worker and checks
that what the instances share (rate limits, refresh tokens, the read cache, the job queue)
really is shared. `TestFaults` runs instances of its own, stops Redis or PostgreSQL (or
freezes PostgreSQL) under them and checks they degrade to 503 problem responses and recover
once the server is back.

Measured times are printed (`pytest -s` shows them) and repeated in assertion messages.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import bake_project, project_environ, run, uv
from tests.servers import (
    PostgresServer,
    RedisServer,
    free_port,
    log_tail,
    postgres_server,
    redis_server,
)

pytestmark = pytest.mark.slow

PACKAGE = "my_service"
DATABASE = "my_service"
API_PREFIX = "/api/v1"
PROBLEM_MEDIA_TYPE = "application/problem+json"
STARTUP_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 20.0
JOB_TIMEOUT_SECONDS = 30.0
RECOVERY_TIMEOUT_SECONDS = 10.0
# The scale-out instances allow this many logins per client address and minute.
LOGIN_LIMIT = 4
# Small bounds for the fault instances, so an outage costs a request little time.
DB_CONNECT_TIMEOUT_SECONDS = 2
DB_POOL_TIMEOUT_SECONDS = 2
DB_QUERY_TIMEOUT_SECONDS = 2
# A query that times out costs a little more: SQLAlchemy then drops the connection, waiting
# first for the server to acknowledge the cancel (asyncpg bounds this by the query timeout,
# SQLAlchemy's graceful close by 2 s), and a hung server never does.
CANCEL_WAIT_SECONDS = min(DB_QUERY_TIMEOUT_SECONDS, 2)
REDIS_SOCKET_TIMEOUT_SECONDS = 0.5
# What a 503 may take beyond the configured timeout (scheduling on a busy 2-core machine).
TIMING_MARGIN_SECONDS = 3.0
# The generated project's bound on its readiness check (health/router.py).
READINESS_TIMEOUT_SECONDS = 3.0

# Every client binds its own loopback address (Linux routes all of 127/8 to lo), so each
# test has its own per-address rate-limit counters.
_source_addresses = (f"127.0.0.{n}" for n in itertools.count(10))


def _fresh_source() -> str:
    return next(_source_addresses)


def _report(message: str) -> None:
    print(f"[scale-out] {message}")


class Service:
    """A long-running process of the project (API instance or worker), in its own group."""

    def __init__(
        self, name: str, command: list[str], cwd: Path, env: dict[str, str], log: Path
    ) -> None:
        self.name, self.command, self.cwd, self.env, self.log = name, command, cwd, env, log
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            # A session of its own: stopping signals uv and the Python process under it.
            self._process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=project_environ(**self.env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        group = process.pid  # start_new_session: the group id is the leader's pid
        if process.poll() is None:
            _signal_group(group, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(group, signal.SIGKILL)
                process.wait()
        # Anything left in the group (a worker's child process) goes too.
        _signal_group(group, signal.SIGKILL)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def tail(self, lines: int = 30) -> str:
        return f"--- {self.name} log tail ---\n{log_tail(self.log, lines)}"


def _signal_group(group: int, sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(group, sig)


class Api(Service):
    """An API instance served by uvicorn on its own port."""

    def __init__(self, name: str, cwd: Path, env: dict[str, str], log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [uv(), "run", "--no-sync", "uvicorn", f"{PACKAGE}.main:app"]
        command += ["--host", "127.0.0.1", "--port", str(self.port), "--no-server-header"]
        command += ["--timeout-graceful-shutdown", "5"]
        super().__init__(name, command, cwd, env, log)

    def wait_until_live(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.exited():
                pytest.fail(f"{self.name} exited at startup\n{self.tail()}")
            try:
                if httpx.get(f"{self.url}/health/live", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        pytest.fail(f"{self.name} not live after {STARTUP_TIMEOUT_SECONDS:g} s\n{self.tail()}")

    def client(self, source: str | None = None) -> httpx.Client:
        """A client of the API routes, connecting from its own loopback address."""
        transport = httpx.HTTPTransport(local_address=source or _fresh_source())
        return httpx.Client(base_url=f"{self.url}{API_PREFIX}", timeout=30, transport=transport)

    def health(self, check: str, timeout: float = 30) -> httpx.Response:
        return httpx.get(f"{self.url}/health/{check}", timeout=timeout)


@dataclass(frozen=True)
class Account:
    email: str
    password: str


@dataclass(frozen=True)
class Stack:
    project: Path
    env: dict[str, str]
    postgres: PostgresServer
    redis: RedisServer
    logs: Path
    admin: Account

    def api(self, name: str, env: dict[str, str]) -> Api:
        return Api(name, self.project, {**self.env, **env}, self.logs / f"{name}.log")

    def worker(self, name: str, env: dict[str, str]) -> Service:
        command = [uv(), "run", "--no-sync", PACKAGE, "worker"]
        return Service(name, command, self.project, {**self.env, **env}, self.logs / f"{name}.log")

    def psql(self, sql: str, **variables: str) -> str:
        """Run SQL with psql, behind the service's back; `:'name'` quotes a variable."""
        psql = self.postgres.bin_dir / "psql"
        tool = str(psql) if psql.exists() else shutil.which("psql") or "psql"
        address = ["-h", "127.0.0.1", "-p", str(self.postgres.port), "-U", "postgres"]
        command = [tool, *address, "-d", DATABASE, "-v", "ON_ERROR_STOP=1", "-At"]
        for name, value in variables.items():
            command += ["-v", f"{name}={value}"]
        # From stdin, not -c: psql interpolates variables only in what it reads.
        result = subprocess.run(command, input=sql, capture_output=True, text=True, check=False)
        assert result.returncode == 0, f"psql failed: {result.stderr}"
        return result.stdout.strip()


def _start_all(services: list[Service], cleanup: ExitStack) -> None:
    """Start every service at once (startup dominates), stopping each at cleanup."""
    for service in services:
        cleanup.callback(service.stop)
        service.start()
    for service in services:
        if isinstance(service, Api):
            service.wait_until_live()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A synced project over its own PostgreSQL and Redis, migrated, with an admin."""
    output = tmp_path_factory.mktemp("scale-out")
    answers = {"database": "postgresql", "use_redis": "yes", "task_queue": "taskiq"}
    project = bake_project(output, answers)
    run(uv(), "sync", "--locked", cwd=project)
    logs = output / "logs"
    logs.mkdir()
    with postgres_server() as postgres, redis_server() as redis:
        postgres.create_database(DATABASE)
        env = {
            "DATABASE_URL": postgres.url(DATABASE),
            "REDIS_URL": redis.url(),
            "APP__ENVIRONMENT": "test",
            # Shared by every instance: a token signed by one must verify on the others.
            "AUTH__SECRET_KEY": secrets.token_urlsafe(48),
            "AUTH__ARGON2_MEMORY_KIB": "8192",
            "AUTH__ARGON2_TIME_COST": "1",
            # Only the per-address login limit is under test; these must not interfere.
            "RATE_LIMIT__REGISTRATION": "1000/hour",
            "RATE_LIMIT__ACCOUNT": "1000/minute",
            "CACHE__TTL_SECONDS": "600",
            "LOG__JSON_FORMAT": "true",
            "PYTHONUNBUFFERED": "1",
        }
        run(uv(), "run", PACKAGE, "migrate", cwd=project, env=env)
        admin = Account("admin@example.com", secrets.token_urlsafe(16))
        created = subprocess.run(
            [uv(), "run", PACKAGE, "create-superuser", "--email", admin.email, "--password-stdin"],
            cwd=project,
            env=project_environ(**env),
            input=admin.password + "\n",
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert created.returncode == 0, created.stdout + created.stderr
        yield Stack(project, env, postgres, redis, logs, admin)


def _new_account(api: Api) -> Account:
    account = Account(f"user-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(16))
    with api.client() as client:
        body = {"email": account.email, "password": account.password, "full_name": "Scale Out"}
        registered = client.post("/auth/register", json=body)
    assert registered.status_code == 201, _describe(registered, api)
    return account


def _login(api: Api, account: Account) -> dict[str, Any]:
    with api.client() as client:
        form = {"username": account.email, "password": account.password}
        response = client.post("/auth/login", data=form)
    assert response.status_code == 200, _describe(response, api)
    tokens: dict[str, Any] = response.json()
    return tokens


def _refresh(api: Api, refresh_token: str) -> httpx.Response:
    with api.client() as client:
        return client.post("/auth/refresh", json={"refresh_token": refresh_token})


def _bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _describe(response: httpx.Response, *services: Service) -> str:
    """Everything needed to report a wrong answer: status, headers, body and logs."""
    lines = [
        f"{response.request.method} {response.request.url} -> {response.status_code}",
        f"content-type: {response.headers.get('content-type')}",
        f"body: {response.text[:2000]}",
    ]
    lines += [service.tail() for service in services]
    return "\n".join(lines)


def _assert_problem(
    response: httpx.Response, status: int, *services: Service, code: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, _describe(response, *services)
    media_type = response.headers.get("content-type", "")
    assert media_type.startswith(PROBLEM_MEDIA_TYPE), _describe(response, *services)
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status, _describe(response, *services)
    if code is not None:
        assert problem["code"] == code, _describe(response, *services)
    return problem


def _timed(call: Callable[[], httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _timed_answer(
    call: Callable[[], httpx.Response], what: str, service: Service
) -> tuple[httpx.Response, float]:
    """Like `_timed`, but a request that gets no answer fails with the service's log."""
    started = time.monotonic()
    try:
        response = call()
    except httpx.TimeoutException:
        elapsed = time.monotonic() - started
        pytest.fail(f"{what}: no answer after {elapsed:.3f} s\n{service.tail()}")
    return response, time.monotonic() - started


def _wait_for(
    call: Callable[[], httpx.Response], status: int, timeout: float
) -> tuple[httpx.Response | None, float]:
    """Repeat `call` until it answers `status`; the last answer and the time it took."""
    started = time.monotonic()
    last: httpx.Response | None = None
    while time.monotonic() - started < timeout:
        try:
            last = call()
        except httpx.TransportError:
            last = None
        if last is not None and last.status_code == status:
            break
        time.sleep(0.1)
    return last, time.monotonic() - started


def _log_events(service: Service) -> list[dict[str, Any]]:
    events = []
    for line in service.output().splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def _assert_no_server_errors(*services: Service) -> None:
    """No instance logged an unhandled error or answered 5xx other than a deliberate 503."""
    for service in services:
        events = _log_events(service)
        unhandled = [event for event in events if event.get("event") == "unhandled_error"]
        assert not unhandled, f"{service.name} logged {unhandled}\n{service.tail()}"
        failed = [
            event
            for event in events
            if event.get("event") == "request"
            and isinstance(event.get("status"), int)
            and event["status"] >= 500
            and event["status"] != 503
        ]
        assert not failed, f"{service.name} answered {failed}\n{service.tail()}"


@dataclass(frozen=True)
class ScaleOut:
    a: Api
    b: Api
    worker: Service


@pytest.fixture(scope="class")
def scale_out(stack: Stack) -> Iterator[ScaleOut]:
    """Two API instances of the project and one worker, sharing PostgreSQL and Redis."""
    env = {"RATE_LIMIT__LOGIN": f"{LOGIN_LIMIT}/minute"}
    group = ScaleOut(stack.api("a", env), stack.api("b", env), stack.worker("worker", env))
    with ExitStack() as cleanup:
        _start_all([group.a, group.b, group.worker], cleanup)
        yield group


class TestScaleOut:
    def test_login_rate_limit_counts_across_instances(self, scale_out: ScaleOut) -> None:
        a, b = scale_out.a, scale_out.b
        source = _fresh_source()  # one client address, as seen by both instances
        form = {"username": "nobody@example.com", "password": "not-the-password"}
        with a.client(source) as on_a, b.client(source) as on_b:
            # Alternating: each instance sees only half of the attempts.
            for attempt, client in enumerate([on_a, on_b] * (LOGIN_LIMIT // 2), start=1):
                response = client.post("/auth/login", data=form)
                assert response.status_code == 401, f"attempt {attempt}: " + _describe(
                    response, a, b
                )
            over_on_a = on_a.post("/auth/login", data=form)
            over_on_b = on_b.post("/auth/login", data=form)
        with a.client() as elsewhere:
            other_address = elsewhere.post("/auth/login", data=form)

        seen = LOGIN_LIMIT // 2
        _report(f"login limit {LOGIN_LIMIT}/minute: A and B saw {seen} attempts each")
        _report(
            f"attempt {LOGIN_LIMIT + 1} on A -> {over_on_a.status_code}, "
            f"attempt {LOGIN_LIMIT + 2} on B -> {over_on_b.status_code}, "
            f"another address -> {other_address.status_code}"
        )
        problem = _assert_problem(over_on_a, 429, a, code="rate_limited")
        assert int(over_on_a.headers["Retry-After"]) >= 1, problem
        _assert_problem(over_on_b, 429, b, code="rate_limited")
        # The limit is per client address, not global.
        assert other_address.status_code == 401, _describe(other_address, a)

    def test_refresh_token_rotated_on_one_instance_is_dead_on_the_other(
        self, scale_out: ScaleOut
    ) -> None:
        a, b = scale_out.a, scale_out.b
        account = _new_account(a)

        # Control: a token rotated on A hands over a successor that B accepts.
        control = _refresh(a, _login(b, account)["refresh_token"])
        assert control.status_code == 200, _describe(control, a)
        accepted = _refresh(b, control.json()["refresh_token"])
        assert accepted.status_code == 200, _describe(accepted, b)

        original = _login(b, account)["refresh_token"]
        rotated = _refresh(a, original)
        assert rotated.status_code == 200, _describe(rotated, a)
        replayed = _refresh(b, original)
        _assert_problem(replayed, 401, b)
        # The replay was taken for theft: the whole family, successor included, is revoked.
        successor = _refresh(a, rotated.json()["refresh_token"])
        _assert_problem(successor, 401, a)
        successor_on_b = _refresh(b, rotated.json()["refresh_token"])
        _assert_problem(successor_on_b, 401, b)
        _report(
            "refresh: rotated on A, replayed on B -> 401; successor on A -> "
            f"{successor.status_code}, on B -> {successor_on_b.status_code}"
        )

    def test_logout_on_one_instance_revokes_on_the_other(self, scale_out: ScaleOut) -> None:
        a, b = scale_out.a, scale_out.b
        account = _new_account(a)
        kept = _login(a, account)  # another session of the same user, left alone

        # Logout with the live token: B then refuses it.
        live = _login(b, account)["refresh_token"]
        with a.client() as client:
            logout = client.post("/auth/logout", json={"refresh_token": live})
        assert logout.status_code == 204, _describe(logout, a)
        _assert_problem(_refresh(b, live), 401, b)

        # Logout with a superseded token of a family: its live token dies on B. The live
        # token was never presented to A, so only the family's revocation can refuse it.
        first = _login(b, account)["refresh_token"]
        rotated = _refresh(b, first)
        assert rotated.status_code == 200, _describe(rotated, b)
        with a.client() as client:
            logout = client.post("/auth/logout", json={"refresh_token": first})
        assert logout.status_code == 204, _describe(logout, a)
        revoked = _refresh(b, rotated.json()["refresh_token"])
        _assert_problem(revoked, 401, b)

        # One session ended, not every session of the user.
        still_valid = _refresh(b, kept["refresh_token"])
        assert still_valid.status_code == 200, _describe(still_valid, b)
        _report(f"logout on A: family refused on B ({revoked.status_code}); other session 200")

    def test_item_list_cache_is_shared_and_invalidated_across_instances(
        self, stack: Stack, scale_out: ScaleOut
    ) -> None:
        a, b = scale_out.a, scale_out.b
        headers = _bearer(_login(a, _new_account(a)))
        with a.client() as on_a, b.client() as on_b:
            on_a.headers.update(headers)
            on_b.headers.update(headers)
            user_id = on_a.get("/users/me").json()["id"]

            empty_a, empty_b = on_a.get("/items"), on_b.get("/items")
            assert empty_a.status_code == 200, _describe(empty_a, a)
            assert empty_a.json()["total"] == 0
            assert empty_b.content == empty_a.content, _describe(empty_b, b)

            created = on_b.post("/items", json={"title": "through B", "description": "first"})
            assert created.status_code == 201, _describe(created, b)
            after_a, after_b = on_a.get("/items"), on_b.get("/items")
            for listed, service in ((after_a, a), (after_b, b)):
                assert listed.status_code == 200, _describe(listed, service)
                assert listed.json()["total"] == 1, _describe(listed, service)
                assert [item["title"] for item in listed.json()["items"]] == ["through B"]

            # A row written behind the service's back: the cached list (filled on A, read
            # on B) does not show it until a write through an instance invalidates it.
            stack.psql(
                "INSERT INTO item (id, title, description, owner_id) "
                "VALUES (gen_random_uuid(), 'behind the back', NULL, :'owner')",
                owner=user_id,
            )
            count = stack.psql("SELECT count(*) FROM item WHERE owner_id = :'owner'", owner=user_id)
            assert count == "2", count
            stale_b = on_b.get("/items")
            stale_a = on_a.get("/items")
            assert stale_b.content == after_a.content, (
                "B did not answer from the shared cache\n" + _describe(stale_b, b)
            )
            assert stale_a.json()["total"] == 1, _describe(stale_a, a)

            written = on_a.post("/items", json={"title": "through A"})
            assert written.status_code == 201, _describe(written, a)
            fresh_b, fresh_a = on_b.get("/items"), on_a.get("/items")
        for listed, service in ((fresh_b, b), (fresh_a, a)):
            assert listed.status_code == 200, _describe(listed, service)
            assert listed.json()["total"] == 3, _describe(listed, service)
            titles = {item["title"] for item in listed.json()["items"]}
            assert titles == {"through B", "behind the back", "through A"}
        _report(
            "cache: direct INSERT hidden on A and B (total 1 of 2 rows) until a write "
            "on A; then total 3 on both"
        )

    def test_job_enqueued_by_one_instance_runs_in_the_worker(
        self, stack: Stack, scale_out: ScaleOut
    ) -> None:
        a, b, worker = scale_out.a, scale_out.b, scale_out.worker
        assert not worker.exited(), worker.tail()
        headers = _bearer(_login(a, stack.admin))
        with a.client() as on_a:
            enqueued = on_a.post("/admin/jobs/purge-refresh-tokens", headers=headers)
        assert enqueued.status_code == 202, _describe(enqueued, a)
        job = enqueued.json()
        assert job["status"] == "queued", job
        assert re.fullmatch(r"[0-9a-f]{32}", job["id"]), job

        with b.client() as on_b:
            on_b.headers.update(headers)
            started = time.monotonic()
            while True:
                last = on_b.get(f"/admin/jobs/{job['id']}")
                assert last.status_code == 200, _describe(last, b)
                elapsed = time.monotonic() - started
                if last.json()["status"] != "queued" or elapsed > JOB_TIMEOUT_SECONDS:
                    break
                time.sleep(0.2)
        outcome = last.json()
        _report(f"job {job['id']}: {outcome} after {elapsed:.2f} s of polling B")
        assert outcome["status"] == "succeeded", _describe(last, b, worker)
        assert isinstance(outcome["result"], int), outcome
        assert not isinstance(outcome["result"], bool), outcome

        def purged(service: Service) -> list[dict[str, Any]]:
            events = _log_events(service)
            return [event for event in events if event.get("event") == "refresh_tokens_purged"]

        worker_runs = purged(worker)
        assert worker_runs, f"the worker logged no refresh_tokens_purged\n{worker.tail()}"
        assert worker_runs[-1].get("count") == outcome["result"], worker_runs
        assert not purged(a), f"instance A ran the job\n{a.tail()}"
        assert not purged(b), f"instance B ran the job\n{b.tail()}"
        _report(f"worker logged {worker_runs[-1]}; A and B logged no run")

    def test_no_instance_failed_unexpectedly(self, scale_out: ScaleOut) -> None:
        _assert_no_server_errors(scale_out.a, scale_out.b, scale_out.worker)


@dataclass(frozen=True)
class Faulty:
    open: Api  # rate limiter fails open
    closed: Api  # rate limiter fails closed


@pytest.fixture(scope="class")
def faulty(stack: Stack) -> Iterator[Faulty]:
    """Instances with small timeouts, one per rate-limiter failure policy."""
    env = {
        "DB__CONNECT_TIMEOUT_SECONDS": str(DB_CONNECT_TIMEOUT_SECONDS),
        "DB__POOL_TIMEOUT_SECONDS": str(DB_POOL_TIMEOUT_SECONDS),
        "DB__QUERY_TIMEOUT_SECONDS": str(DB_QUERY_TIMEOUT_SECONDS),
        "REDIS__SOCKET_TIMEOUT_SECONDS": str(REDIS_SOCKET_TIMEOUT_SECONDS),
    }
    group = Faulty(
        stack.api("fail-open", {**env, "RATE_LIMIT__ON_STORAGE_ERROR": "allow"}),
        stack.api("fail-closed", {**env, "RATE_LIMIT__ON_STORAGE_ERROR": "deny"}),
    )
    with ExitStack() as cleanup:
        _start_all([group.open, group.closed], cleanup)
        yield group


def _wait_ready(api: Api) -> tuple[httpx.Response | None, float]:
    return _wait_for(lambda: api.health("ready", timeout=5), 200, RECOVERY_TIMEOUT_SECONDS)


class TestFaults:
    def test_redis_down_fails_open_and_recovers(self, stack: Stack, faulty: Faulty) -> None:
        api = faulty.open
        account = _new_account(api)
        tokens = _login(api, account)
        with api.client() as client:
            client.headers.update(_bearer(tokens))
            stack.redis.stop()
            try:
                ready, ready_time = _timed(lambda: api.health("ready"))
                me, me_time = _timed(lambda: client.get("/users/me"))
                items, items_time = _timed(lambda: client.get("/items"))
                refresh = {"refresh_token": tokens["refresh_token"]}
                refreshed, refresh_time = _timed(lambda: client.post("/auth/refresh", json=refresh))
            finally:
                stack.redis.start()
            _report(
                f"Redis down, fail open: ready {ready.status_code} in {ready_time:.3f} s, "
                f"/users/me {me.status_code} in {me_time:.3f} s, /items {items.status_code} "
                f"in {items_time:.3f} s, refresh {refreshed.status_code} in {refresh_time:.3f} s"
            )
            back, recovery_time = _wait_ready(api)
            login_after = client.post(
                "/auth/login", data={"username": account.email, "password": account.password}
            )
        _report(
            f"Redis back: ready 200 after {recovery_time:.3f} s; login {login_after.status_code}"
        )

        assert ready.status_code == 503, _describe(ready, api)
        assert ready.json()["checks"] == {"database": "ok", "redis": "unavailable"}, ready.text
        assert me.status_code == 200, _describe(me, api)
        assert items.status_code == 200, _describe(items, api)
        assert items.json()["total"] == 0, items.text
        # Refresh tokens live in the database: a Redis outage ends no session.
        assert refreshed.status_code == 200, _describe(refreshed, api)
        bound = REDIS_SOCKET_TIMEOUT_SECONDS * 4 + TIMING_MARGIN_SECONDS
        for what, elapsed in (("me", me_time), ("items", items_time), ("refresh", refresh_time)):
            assert elapsed < bound, f"{what} took {elapsed:.3f} s with Redis down (bound {bound})"
        assert back is not None, f"no answer from readiness after Redis restart\n{api.tail()}"
        assert back.status_code == 200, (
            f"not ready {recovery_time:.3f} s after Redis restart\n" + _describe(back, api)
        )
        assert login_after.status_code == 200, _describe(login_after, api)

    def test_redis_down_fails_closed_and_recovers(self, stack: Stack, faulty: Faulty) -> None:
        api = faulty.closed
        tokens = _login(api, _new_account(api))
        with api.client() as client:
            client.headers.update(_bearer(tokens))
            stack.redis.stop()
            try:
                me, me_time = _timed(lambda: client.get("/users/me"))
                items, items_time = _timed(lambda: client.get("/items"))
                live = api.health("live")
            finally:
                stack.redis.start()
            back, recovery_time = _wait_for(
                lambda: client.get("/users/me"), 200, RECOVERY_TIMEOUT_SECONDS
            )
        _report(
            f"Redis down, fail closed: /users/me {me.status_code} in {me_time:.3f} s, "
            f"/items {items.status_code} in {items_time:.3f} s; "
            f"/users/me 200 again {recovery_time:.3f} s after restart"
        )
        _assert_problem(me, 503, api, code="service_unavailable")
        _assert_problem(items, 503, api, code="service_unavailable")
        assert live.status_code == 200, _describe(live, api)
        assert back is not None, f"no answer after Redis restart\n{api.tail()}"
        assert back.status_code == 200, (
            f"not recovered {recovery_time:.3f} s after Redis restart\n" + _describe(back, api)
        )

    def test_database_hung_answers_503_in_bounded_time_and_recovers(
        self, stack: Stack, faulty: Faulty
    ) -> None:
        # A hung server keeps its connections open and never answers: only the query and
        # connect timeouts end a request, not a refused or reset connection. This runs before
        # the stop/start test: a restart leaves dead pooled connections that cost a 503 each.
        api = faulty.closed
        tokens = _login(api, _new_account(api))
        with api.client() as client:
            client.headers.update(_bearer(tokens))
            before = client.get("/items")
            assert before.status_code == 200, _describe(before, api)  # a pooled connection
            stack.postgres.pause()
            try:
                me, me_time = _timed_answer(lambda: client.get("/users/me"), "/users/me", api)
                items, items_time = _timed_answer(lambda: client.get("/items"), "/items", api)
                ready, ready_time = _timed_answer(lambda: api.health("ready"), "ready", api)
                live, live_time = _timed_answer(lambda: api.health("live", timeout=5), "live", api)
            finally:
                stack.postgres.resume()
            back, recovery_time = _wait_for(
                lambda: client.get("/users/me"), 200, RECOVERY_TIMEOUT_SECONDS
            )
            items_after = client.get("/items")
            ready_after = api.health("ready")
        _report(
            f"PostgreSQL hung: /users/me {me.status_code} in {me_time:.3f} s, /items "
            f"{items.status_code} in {items_time:.3f} s, ready {ready.status_code} in "
            f"{ready_time:.3f} s, live {live.status_code} in {live_time:.3f} s"
        )
        _report(f"PostgreSQL thawed: /users/me 200 after {recovery_time:.3f} s")

        for response in (me, items):
            _assert_problem(response, 503, api, code="service_unavailable")
        # A pooled connection meets the query timeout, a new one the connect timeout.
        query_time = DB_QUERY_TIMEOUT_SECONDS + CANCEL_WAIT_SECONDS
        bound = max(query_time, DB_CONNECT_TIMEOUT_SECONDS) + TIMING_MARGIN_SECONDS
        for what, elapsed in (("me", me_time), ("items", items_time)):
            assert elapsed < bound, f"{what} took {elapsed:.3f} s (bound {bound:g})\n{api.tail()}"
        assert ready.status_code == 503, _describe(ready, api)
        assert ready.json()["checks"] == {"database": "unavailable", "redis": "ok"}, ready.text
        ready_bound = READINESS_TIMEOUT_SECONDS + TIMING_MARGIN_SECONDS
        assert ready_time < ready_bound, f"ready took {ready_time:.3f} s with the database hung"
        assert live.status_code == 200, _describe(live, api)
        assert back is not None, f"no answer after PostgreSQL thawed\n{api.tail()}"
        assert back.status_code == 200, (
            f"not recovered {recovery_time:.3f} s after PostgreSQL thawed\n" + _describe(back, api)
        )
        assert items_after.status_code == 200, _describe(items_after, api)
        assert ready_after.status_code == 200, _describe(ready_after, api)

    def test_database_down_answers_503_in_bounded_time_and_recovers(
        self, stack: Stack, faulty: Faulty
    ) -> None:
        api = faulty.open
        tokens = _login(api, _new_account(api))
        with api.client() as client:
            client.headers.update(_bearer(tokens))
            assert client.get("/items").status_code == 200  # a pooled connection exists
            stack.postgres.stop()
            try:
                me, me_time = _timed(lambda: client.get("/users/me"))
                items, items_time = _timed(lambda: client.get("/items"))
                created, create_time = _timed(lambda: client.post("/items", json={"title": "x"}))
                ready, ready_time = _timed(lambda: api.health("ready"))
                live = api.health("live")
            finally:
                stack.postgres.start()
            back, recovery_time = _wait_for(
                lambda: client.get("/users/me"), 200, RECOVERY_TIMEOUT_SECONDS
            )
            items_after = client.get("/items")
            ready_after = api.health("ready")
        _report(
            f"PostgreSQL down: /users/me {me.status_code} in {me_time:.3f} s, /items "
            f"{items.status_code} in {items_time:.3f} s, POST /items {created.status_code} in "
            f"{create_time:.3f} s, ready {ready.status_code} in {ready_time:.3f} s"
        )
        _report(f"PostgreSQL back: /users/me 200 after {recovery_time:.3f} s")

        for response in (me, items, created):
            _assert_problem(response, 503, api, code="service_unavailable")
        bound = DB_CONNECT_TIMEOUT_SECONDS + TIMING_MARGIN_SECONDS
        for what, elapsed in (("me", me_time), ("items", items_time), ("create", create_time)):
            assert elapsed < bound, f"{what} took {elapsed:.3f} s with the database down"
        assert ready.status_code == 503, _describe(ready, api)
        assert ready.json()["checks"] == {"database": "unavailable", "redis": "ok"}, ready.text
        assert live.status_code == 200, _describe(live, api)
        assert back is not None, f"no answer after PostgreSQL restart\n{api.tail()}"
        assert back.status_code == 200, (
            f"not recovered {recovery_time:.3f} s after PostgreSQL restart\n" + _describe(back, api)
        )
        assert items_after.status_code == 200, _describe(items_after, api)
        assert ready_after.status_code == 200, _describe(ready_after, api)

    def test_no_instance_failed_unexpectedly(self, faulty: Faulty) -> None:
        _assert_no_server_errors(faulty.open, faulty.closed)
