"""Headers, CORS and production guard rails (OWASP API8)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from {{ cookiecutter.package_name }} import cli
from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    AuthSettings,
    Environment,
    Settings,
    get_settings,
)
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import (
    PRODUCTION_EMAIL,
    PRODUCTION_ENV,
    make_settings,
    production_app,
    running,
)

STRONG_SECRET = "s" * 48
API_DOCS_PATHS = ["/docs", "/redoc", "/openapi.json"]


def _production_app(database_url: str, *, api_docs: bool | None = None) -> FastAPI:
    return create_app(
        make_settings(
            database_url,
            app=production_app(api_docs=api_docs),
            auth=AuthSettings(secret_key=STRONG_SECRET),
            email=PRODUCTION_EMAIL,
        )
    )


@pytest.mark.parametrize("path", ["/health/live", "/api/v1/users/me", "/no-such-route"])
async def test_security_headers_on_every_response(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)

    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in response.headers
    assert "server" not in response.headers


async def test_token_responses_are_not_cacheable(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(
        app.url_path_for("login"), data={"username": "x@example.com", "password": "whatever"}
    )

    assert response.headers["Cache-Control"] == "no-store"


async def test_hsts_in_production_over_https(database_url: str) -> None:
    settings = make_settings(
        database_url,
        app=production_app(),
        auth=AuthSettings(secret_key=STRONG_SECRET),
        email=PRODUCTION_EMAIL,
    )
    app = create_app(settings)
    async with running(app) as client:
        over_http = await client.get("/health/live")
        over_https = await client.get("https://testserver/health/live")

    assert "Strict-Transport-Security" not in over_http.headers
    assert over_https.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_preflight_from_unknown_origin_is_not_granted(database_url: str) -> None:
    app = create_app(
        make_settings(
            database_url,
            app=AppSettings(environment=Environment.TEST, cors_origins=["https://app.example.com"]),
        )
    )
    preflight = {"Access-Control-Request-Method": "POST", "Origin": "https://evil.example.com"}
    async with running(app) as client:
        response = await client.options("/api/v1/items", headers=preflight)

    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    ("app_settings", "auth", "message"),
    [
        (AppSettings(environment=Environment.PRODUCTION), AuthSettings(), "AUTH__SECRET_KEY"),
        (
            AppSettings(environment=Environment.PRODUCTION),
            AuthSettings(secret_key="change-me"),
            "AUTH__SECRET_KEY",
        ),
        (
            AppSettings(
                environment=Environment.PRODUCTION,
                cors_origins=["*"],
                cors_allow_credentials=True,
            ),
            AuthSettings(secret_key=STRONG_SECRET),
            "APP__CORS_ORIGINS",
        ),
        (
            AppSettings(
                environment=Environment.PRODUCTION,
                cors_origins=["https://app.example.com", "null"],
                cors_allow_credentials=True,
            ),
            AuthSettings(secret_key=STRONG_SECRET),
            "APP__CORS_ORIGINS cannot contain 'null'",
        ),
    ],
    ids=[
        "missing-secret",
        "placeholder-secret",
        "wildcard-cors-with-credentials",
        "null-origin-with-credentials",
    ],
)
def test_production_refuses_unsafe_settings(
    app_settings: AppSettings, auth: AuthSettings, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, app=app_settings, auth=auth, email=PRODUCTION_EMAIL)


@pytest.mark.parametrize("path", API_DOCS_PATHS)
async def test_api_docs_in_production_are_not_served_by_default(
    database_url: str, path: str
) -> None:
    async with running(_production_app(database_url)) as client:
        response = await client.get(path)

    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("path", API_DOCS_PATHS)
async def test_api_docs_in_production_are_served_when_turned_on(
    database_url: str, path: str
) -> None:
    async with running(_production_app(database_url, api_docs=True)) as client:
        response = await client.get(path)

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("path", API_DOCS_PATHS)
async def test_api_docs_outside_production_are_served_by_default(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 200, response.text


async def test_api_docs_outside_production_can_be_turned_off(database_url: str) -> None:
    settings = make_settings(
        database_url, app=AppSettings(environment=Environment.TEST, api_docs=False)
    )
    async with running(create_app(settings)) as client:
        response = await client.get("/openapi.json")

    assert response.status_code == 404, response.text


def test_openapi_command_writes_the_spec_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in PRODUCTION_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AUTH__SECRET_KEY", STRONG_SECRET)
    get_settings.cache_clear()
    try:
        assert cli.main(["openapi", "--output", "spec.json"]) == 0
    finally:
        get_settings.cache_clear()

    spec = json.loads((tmp_path / "spec.json").read_text(encoding="utf-8"))
    assert "/api/v1/auth/login" in spec["paths"]


@pytest.mark.parametrize("path", ["/api/v1/items/", "/api/v1/users/me/", "/health/live/", "/docs/"])
async def test_trailing_slash_gets_no_redirect_to_the_request_host(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path, headers={"Host": "evil.example"})

    assert response.status_code == 404, response.text
    assert "location" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"


def test_no_documented_route_ends_with_a_slash(app: FastAPI) -> None:
    # Without slash redirects, a route declared as "/x/" would not answer at "/x".
    paths = list(app.openapi()["paths"])

    assert "/api/v1/items" in paths
    assert [path for path in paths if path.endswith("/")] == []
