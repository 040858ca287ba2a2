"""The real server (the CLI's uvicorn, in a subprocess): its limits, shutdown and start."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import PRODUCTION_ENV, {% if cookiecutter.use_redis == "yes" %}TEST_REDIS_URL, {% endif %}TEST_SECRET_KEY, free_port

STARTUP_TIMEOUT_SECONDS = 60
PACKAGE = "{{ cookiecutter.package_name }}"
{%- if cookiecutter.use_redis == "yes" %}
# The servers count rate limits in the suite's Redis, flushed before every test.
SERVICE_ENV = {"REDIS_URL": TEST_REDIS_URL}
{%- else %}
SERVICE_ENV: dict[str, str] = {}
{%- endif %}

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX signals")


def _server_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The environment of a server on its own SQLite file, free of the developer's settings."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if "__" not in key and key != "DATABASE_URL" and not key.startswith("OTEL_")
    }
    return {
        **inherited,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'server.db'}",
        "APP__ENVIRONMENT": "test",
        "AUTH__SECRET_KEY": TEST_SECRET_KEY,
        "LOG__JSON_FORMAT": "true",
        **SERVICE_ENV,
        **overrides,
    }


@contextmanager
def _serve(
    tmp_path: Path, env: dict[str, str], *options: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - the project's own CLI
        [sys.executable, "-m", PACKAGE, "serve", "--port", str(port), *options],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield server, f"http://127.0.0.1:{port}"
    finally:
        if server.poll() is None:
            server.kill()
        if server.stdout and not server.stdout.closed:
            server.communicate(timeout=30)


def _wait_until_live(server: subprocess.Popen[str], base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"server exited early:\n{server.communicate()[0]}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("server did not become live in time")


def _wait_for_request_in_flight(base_url: str, method: str) -> None:
    """Poll the in-flight gauge until the server is busy with a `method` request."""
    sample = "http_requests_in_progress{" + f'method="{method}"' + "} 1.0"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sample in httpx.get(f"{base_url}/metrics", timeout=5).text:
            return
        time.sleep(0.02)
    pytest.fail(f"no {method} request in flight")


def _events(output: str) -> list[dict[str, Any]]:
    lines = (line for line in output.splitlines() if line.startswith("{"))
    return [json.loads(line) for line in lines]


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    # A costly password hash makes registration take about a second.
    env = _server_env(tmp_path, AUTH__ARGON2_MEMORY_KIB="8192", AUTH__ARGON2_TIME_COST="200")
    responses: list[httpx.Response] = []
    with _serve(tmp_path, env) as (server, base_url):
        _wait_until_live(server, base_url)

        def register() -> None:
            body = {"email": "slow@example.com", "password": "a slow but strong password"}
            responses.append(httpx.post(f"{base_url}/api/v1/auth/register", json=body, timeout=30))

        request = threading.Thread(target=register)
        request.start()
        _wait_for_request_in_flight(base_url, "POST")
        server.send_signal(signal.SIGTERM)
        request.join(timeout=30)
        output, _ = server.communicate(timeout=30)

    assert [response.status_code for response in responses] == [201], output
    assert responses[0].json()["email"] == "slow@example.com"
    # A clean exit; recent uvicorn re-raises the signal it handled, so SIGTERM is one too.
    assert server.returncode in {0, -signal.SIGTERM}, output
    events = [(event["event"], event.get("path")) for event in _events(output)]
    # The request finished first; then the lifespan closed the engine and said goodbye.
    assert events.index(("shutdown", None)) > events.index(("request", "/api/v1/auth/register"))


def test_console_logs_into_a_pipe_carry_no_colour_codes(tmp_path: Path) -> None:
    # Console lines, not JSON; neither NO_COLOR nor FORCE_COLOR decides for the pipe.
    env = {"LOG__JSON_FORMAT": "false", "NO_COLOR": "", "FORCE_COLOR": ""}
    with _live_server(tmp_path, **env) as (server, base_url):
        httpx.get(f"{base_url}/health/live", timeout=10)
        server.terminate()
        output, _ = server.communicate(timeout=30)

    assert "startup" in output
    assert "/health/live" in output
    assert "\x1b[" not in output


def test_production_start_fails_fast_without_a_database(tmp_path: Path) -> None:
    database = tmp_path / "no-such-directory" / "app.db"
    env = _server_env(
        tmp_path,
        **PRODUCTION_ENV,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        DB__CONNECT_TIMEOUT_SECONDS="5",
    )
    with _serve(tmp_path, env) as (server, _):
        # Bounded: it fails at its first connection instead of retrying.
        output, _ = server.communicate(timeout=STARTUP_TIMEOUT_SECONDS)

    assert server.returncode != 0, output
    failures = [event for event in _events(output) if event["event"] == "startup_failed"]
    assert len(failures) == 1, output
    assert failures[0]["reason"] == (
        f"cannot reach the database at sqlite+aiosqlite:///{database} (FileNotFoundError); "
        "check that its directory exists and is writable, or fix DATABASE_URL"
    )


@contextmanager
def _live_server(
    tmp_path: Path, *options: str, **env: str
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    with _serve(tmp_path, _server_env(tmp_path, **env), *options) as (server, base_url):
        _wait_until_live(server, base_url)
        yield server, base_url


def _connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.settimeout(10)
    return sock


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _seconds_until_closed(sock: socket.socket) -> float:
    started = time.monotonic()
    _read_until_closed(sock)
    return time.monotonic() - started


def test_a_request_head_that_never_ends_is_disconnected(tmp_path: Path) -> None:
    with _live_server(tmp_path, "--head-timeout", "1") as (_, base_url), _connect(base_url) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n")

        assert _seconds_until_closed(sock) < 5


def test_a_request_head_trickled_in_is_disconnected(tmp_path: Path) -> None:
    with _live_server(tmp_path, "--head-timeout", "1") as (_, base_url), _connect(base_url) as sock:
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n")
        started = time.monotonic()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while time.monotonic() - started < 10:
                sock.sendall(b"X-Slow: 1\r\n")  # each line would reset a keep-alive timer
                time.sleep(0.2)

        assert time.monotonic() - started < 5


def test_an_idle_connection_is_closed_after_the_keep_alive_timeout(tmp_path: Path) -> None:
    with (
        _live_server(tmp_path, "--keep-alive-timeout", "1") as (_, base_url),
        _connect(base_url) as sock,
    ):
        sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n\r\n")
        response = b""
        while b'"status"' not in response:
            response += sock.recv(65536)

        assert response.startswith(b"HTTP/1.1 200 "), response
        assert _seconds_until_closed(sock) < 5


def test_an_oversized_request_head_is_refused(tmp_path: Path) -> None:
    with _live_server(tmp_path) as (_, base_url), _connect(base_url) as sock:
        header = b"X-Big: " + b"a" * 8000 + b"\r\n"
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # closed mid-way
            sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n" + header * 100)
        response = _read_until_closed(sock)

    assert response == b"" or response.startswith((b"HTTP/1.1 400 ", b"HTTP/1.1 431 ")), response


def test_many_small_headers_over_the_bound_are_refused(tmp_path: Path) -> None:
    with _live_server(tmp_path) as (_, base_url), _connect(base_url) as sock:
        headers = b"".join(b"X-H%d: 1\r\n" % number for number in range(3000))  # about 30 KiB
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"GET /health/live HTTP/1.1\r\nHost: test\r\n" + headers + b"\r\n")
        response = _read_until_closed(sock)

    assert response == b"" or response.startswith(b"HTTP/1.1 400 "), response


def test_a_head_just_under_the_bound_is_served(tmp_path: Path) -> None:
    with _live_server(tmp_path) as (_, base_url):
        response = httpx.get(f"{base_url}/health/live", headers={"X-Big": "a" * 15_000})

    assert response.status_code == 200, response.text


def test_a_large_body_is_not_counted_as_head_and_the_connection_goes_on(tmp_path: Path) -> None:
    with _live_server(tmp_path) as (_, base_url):
        host, port = base_url.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        # Sent with its head in one write, so the server reads both in one chunk.
        body = json.dumps({"email": "big@example.com", "password": "x" * 200_000}).encode()
        headers = {"Content-Type": "application/json"}
        connection.request("POST", "/api/v1/auth/register", body=body, headers=headers)
        first = connection.getresponse()
        first_body = first.read()
        connection.request("GET", "/health/live")
        second = connection.getresponse()
        second.read()
        connection.close()

    assert first.status == 422, first_body  # the password's length, judged by the app
    assert second.status == 200


def test_connections_over_the_limit_get_503(tmp_path: Path) -> None:
    with _live_server(tmp_path, "--max-connections", "3") as (_, base_url):
        with _connect(base_url) as first, _connect(base_url) as second:
            first.sendall(b"GET /health/live HTTP/1.1\r\n")  # both held open, heads unfinished
            second.sendall(b"GET /health/live HTTP/1.1\r\n")
            time.sleep(0.2)
            over_the_limit = httpx.get(f"{base_url}/health/live", timeout=10)
        time.sleep(0.2)
        under_the_limit = httpx.get(f"{base_url}/health/live", timeout=10)

    assert over_the_limit.status_code == 503, over_the_limit.text
    assert under_the_limit.status_code == 200, under_the_limit.text


def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_rate_limit_key(
    tmp_path: Path,
) -> None:
    with _live_server(tmp_path, RATE_LIMIT__DEFAULT="2/hour") as (_, base_url):
        statuses = [
            httpx.get(
                f"{base_url}/api/v1/users/me",
                headers={"X-Forwarded-For": f"203.0.113.{number}"},
                timeout=10,
            ).status_code
            for number in range(3)
        ]

    assert statuses == [401, 401, 429]


def test_forwarded_for_from_a_trusted_proxy_is_the_rate_limit_key(tmp_path: Path) -> None:
    with _live_server(
        tmp_path, RATE_LIMIT__DEFAULT="2/hour", APP__TRUSTED_PROXIES='["127.0.0.1"]'
    ) as (_, base_url):
        statuses = [
            httpx.get(
                f"{base_url}/api/v1/users/me",
                headers={"X-Forwarded-For": f"203.0.113.{number}"},
                timeout=10,
            ).status_code
            for number in range(3)
        ]

    assert statuses == [401, 401, 401]


def test_production_warns_once_about_forwarded_headers_when_no_proxy_is_trusted(
    tmp_path: Path,
) -> None:
    with _live_server(tmp_path, **PRODUCTION_ENV) as (server, base_url):
        for _ in range(2):
            httpx.get(
                f"{base_url}/health/live", headers={"X-Forwarded-For": "203.0.113.1"}, timeout=10
            )
        server.terminate()
        output, _ = server.communicate(timeout=30)

    warnings = [e for e in _events(output) if e["event"] == "forwarded_headers_ignored"]
    assert len(warnings) == 1, output
