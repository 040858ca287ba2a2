"""Slow tier: a newcomer's first run, over real HTTP."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import bake_project, run, uv
from tests.servers import free_port

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT_SECONDS = 60


def _wait_until_live(base_url: str, server: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"server exited early:\n{server.communicate()[0]}")
        try:
            if httpx.get(f"{base_url}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail("server did not become live in time")


def test_served_project_registers_logs_in_and_manages_items(tmp_path: Path) -> None:
    project = bake_project(tmp_path)
    run(uv(), "sync", "--locked", cwd=project)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [uv(), "run", "my_service", "serve", "--port", str(port)],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_until_live(base_url, server)
        with httpx.Client(base_url=f"{base_url}/api/v1", timeout=10) as client:
            registered = client.post(
                "/auth/register", json={"email": "ada@example.com", "password": "analytical engine"}
            )
            assert registered.status_code == 201, registered.text
            login = client.post(
                "/auth/login", data={"username": "ada@example.com", "password": "analytical engine"}
            )
            assert login.status_code == 200, login.text
            client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
            for title in ("first", "second"):
                created = client.post("/items", json={"title": title})
                assert created.status_code == 201, created.text
            listed = client.get("/items").json()
            docs = httpx.get(f"{base_url}/docs", timeout=10)
            ready = httpx.get(f"{base_url}/health/ready", timeout=10)
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=30)

    assert listed["total"] == 2
    assert {item["title"] for item in listed["items"]} == {"first", "second"}
    assert docs.status_code == 200
    assert "server" not in docs.headers  # no version banner
    assert "swagger" in docs.text.lower()
    assert ready.json()["checks"] == {"database": "ok"}
    assert (project / ".env").is_file()
    assert (project / "my_service.db").is_file()
    assert server.returncode == 0, output
    assert "analytical engine" not in output  # no password in any log line
