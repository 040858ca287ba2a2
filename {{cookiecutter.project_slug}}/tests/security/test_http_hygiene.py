"""Headers, CORS and production guard rails (OWASP API8)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    AuthSettings,
    Environment,
    Settings,
)
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings, running

STRONG_SECRET = "s" * 48


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
        app=AppSettings(environment=Environment.PRODUCTION),
        auth=AuthSettings(secret_key=STRONG_SECRET),
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
    ],
    ids=["missing-secret", "placeholder-secret", "wildcard-cors-with-credentials"],
)
def test_production_refuses_unsafe_settings(
    app_settings: AppSettings, auth: AuthSettings, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None, app=app_settings, auth=auth)
