"""Liveness and readiness."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings, running


async def test_liveness_is_ok(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.get(app.url_path_for("liveness"))

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


async def test_readiness_checks_the_database(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.get(app.url_path_for("readiness"))

    assert response.status_code == 200, response.text
{%- if cookiecutter.use_redis == "yes" %}
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}
{%- else %}
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}
{%- endif %}


async def test_readiness_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'app.db'}"
    app = create_app(make_settings(unreachable))

    async with running(app) as client:
        response = await client.get(app.url_path_for("readiness"))

    assert response.status_code == 503, response.text
{%- if cookiecutter.use_redis == "yes" %}
    assert response.json() == {
        "status": "unavailable",
        "checks": {"database": "unavailable", "redis": "ok"},
    }
{%- else %}
    assert response.json() == {"status": "unavailable", "checks": {"database": "unavailable"}}
{%- endif %}
