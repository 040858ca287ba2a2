"""Cross-cutting HTTP behaviour: error shape, request ids, headers, logs, CORS."""

from __future__ import annotations

import json

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.core.config import AppSettings, Environment, LogSettings
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings, running


async def test_unknown_route_is_problem_json_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/no/such/route")

    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert body["code"] == "not_found"
    assert body["request_id"] == response.headers["X-Request-ID"]


async def test_wrong_method_is_problem_json_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")

    assert response.status_code == 405, response.text
    assert response.json()["code"] == "method_not_allowed"


async def test_malformed_json_is_422_with_field_errors(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await auth_client.post(
        app.url_path_for("create_item"),
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["type"] == "json_invalid"


async def test_unhandled_error_is_generic_500_and_logged_once(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings(database_url, log=LogSettings(json_format=True)))

    @app.get("/boom")
    async def boom() -> None:
        msg = "secret internals"
        raise RuntimeError(msg)

    async with running(app) as client:
        response = await client.get("/boom")

    assert response.status_code == 500, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "secret internals" not in response.text
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [error] = [line for line in lines if "exception" in line]
    assert error["event"] == "unhandled_error"
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert "RuntimeError: secret internals" in error["exception"]


async def test_request_id_is_generated_and_returned(client: httpx.AsyncClient) -> None:
    first = await client.get("/health/live")
    second = await client.get("/health/live")

    assert len(first.headers["X-Request-ID"]) == 32
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]


async def test_valid_incoming_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})

    assert response.headers["X-Request-ID"] == "abc-123"


async def test_invalid_incoming_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith junk"})

    assert response.headers["X-Request-ID"] != "bad id\twith junk"
    assert len(response.headers["X-Request-ID"]) == 32


async def test_security_headers_on_every_response(client: httpx.AsyncClient) -> None:
    for path in ("/health/live", "/missing"):
        response = await client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"


async def test_log_lines_are_json_with_request_id(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings(database_url, log=LogSettings(json_format=True)))
    async with running(app) as client:
        await client.get("/health/live", headers={"X-Request-ID": "trace-me"})

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    access = [line for line in lines if line["event"] == "request"]
    assert access == [
        {
            "event": "request",
            "method": "GET",
            "path": "/health/live",
            "status": 200,
            "duration_ms": access[0]["duration_ms"],
            "request_id": "trace-me",
            "level": "info",
            "logger": "{{ cookiecutter.package_name }}.core.middleware",
            "timestamp": access[0]["timestamp"],
        }
    ]


async def test_cors_allows_only_configured_origins(database_url: str) -> None:
    settings = make_settings(
        database_url,
        app=AppSettings(environment=Environment.TEST, cors_origins=["https://app.example.com"]),
    )
    preflight = {"Access-Control-Request-Method": "GET"}
    async with running(create_app(settings)) as client:
        allowed = await client.options(
            "/health/live", headers={"Origin": "https://app.example.com", **preflight}
        )
        denied = await client.options(
            "/health/live", headers={"Origin": "https://evil.example.com", **preflight}
        )

    assert allowed.headers["access-control-allow-origin"] == "https://app.example.com"
    assert "access-control-allow-origin" not in denied.headers


async def test_no_cors_headers_by_default(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"Origin": "https://app.example.com"})

    assert "access-control-allow-origin" not in response.headers


async def test_openapi_documents_the_problem_schema(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    assert "Problem" in spec["components"]["schemas"]
    assert "/api/v1/items" in spec["paths"]
