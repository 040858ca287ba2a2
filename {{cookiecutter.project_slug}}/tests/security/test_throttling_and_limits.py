"""Brute force is throttled per address and per account; inputs are bounded (OWASP API4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import AppSettings, Environment, RateLimitSettings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import make_settings, serving
from tests.factories.users import DEFAULT_PASSWORD

GENEROUS = "1000/minute"


def _limited_app(database_url: str, **limits: str) -> FastAPI:
    values = dict.fromkeys(("default", "login", "registration", "refresh", "account"), GENEROUS)
    return create_app(
        make_settings(database_url, rate_limit=RateLimitSettings(**{**values, **limits}))
    )


@asynccontextmanager
async def _client(
    app: FastAPI, connection: AsyncConnection, address: str = "203.0.113.7"
) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app, connection), _client_from(app, address) as client:
        yield client


def _client_from(app: FastAPI, address: str) -> httpx.AsyncClient:
    """A client whose requests come from `address`, for an app already serving."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _login(client: httpx.AsyncClient, app: FastAPI, email: str, password: str) -> int:
    response = await client.post(
        app.url_path_for("login"), data={"username": email, "password": password}
    )
    return response.status_code


async def test_login_brute_force_from_one_address_gets_429(
    database_url: str, connection: AsyncConnection, user: User
) -> None:
    app = _limited_app(database_url, login="5/minute")
    async with _client(app, connection) as client:
        attempts = [await _login(client, app, f"guess{n}@example.com", "guess") for n in range(5)]
        blocked = await client.post(
            app.url_path_for("login"), data={"username": user.email, "password": DEFAULT_PASSWORD}
        )

    assert attempts == [401] * 5
    assert blocked.status_code == 429, blocked.text
    assert blocked.headers["content-type"] == "application/problem+json"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60


async def test_login_brute_force_on_one_account_from_many_addresses_gets_429(
    database_url: str, connection: AsyncConnection, user: User
) -> None:
    app = _limited_app(database_url, account="3/minute")
    statuses = []
    async with serving(app, connection):
        for n in range(4):
            async with _client_from(app, f"198.51.100.{n + 1}") as client:
                statuses.append(await _login(client, app, user.email.upper(), "wrong guess"))

    assert statuses == [401, 401, 401, 429]


async def test_registration_is_throttled_per_address(
    database_url: str, connection: AsyncConnection
) -> None:
    app = _limited_app(database_url, registration="2/hour")
    async with _client(app, connection) as client:
        statuses = [
            (
                await client.post(
                    app.url_path_for("register"),
                    json={"email": f"bot{n}@example.com", "password": "automated signup"},
                )
            ).status_code
            for n in range(3)
        ]

    assert statuses == [201, 201, 429]


async def test_default_limit_applies_to_every_api_route(
    database_url: str, connection: AsyncConnection, user_token: str
) -> None:
    app = _limited_app(database_url, default="2/minute")
    async with _client(app, connection) as client:
        client.headers["Authorization"] = f"Bearer {user_token}"
        statuses = [
            (await client.get(app.url_path_for("list_items"))).status_code for _ in range(3)
        ]
        health = await client.get(app.url_path_for("liveness"))

    assert statuses == [200, 200, 429]
    assert health.status_code == 200  # probes are not API routes


async def test_body_over_the_limit_is_413_before_parsing(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await auth_client.post(
        app.url_path_for("create_item"),
        content=b'{"title": "' + b"x" * (1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413, response.text
    assert response.json()["code"] == "request_too_large"


async def test_streamed_body_over_the_limit_is_413(
    database_url: str, connection: AsyncConnection, user_token: str
) -> None:
    settings = make_settings(
        database_url, app=AppSettings(environment=Environment.TEST, max_body_bytes=2048)
    )
    app = create_app(settings)

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"title": "'
        for _ in range(10):
            yield b"x" * 1024
        yield b'"}'

    async with _client(app, connection) as client:
        response = await client.post(
            app.url_path_for("create_item"),
            content=chunks(),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {user_token}"},
        )

    assert response.status_code == 413, response.text
    assert "Content-Length" not in response.request.headers


@pytest.mark.parametrize(
    ("route", "payload"),
    [
        ("register", {"email": "a@example.com", "password": "p" * 1025}),
        ("register", {"email": ("a" * 320) + "@example.com", "password": "long enough pw"}),
        (
            "register",
            {"email": "a@example.com", "password": "long enough pw", "full_name": "n" * 201},
        ),
        ("create_item", {"title": "t" * 201}),
        ("create_item", {"title": "ok", "description": "d" * 2001}),
    ],
    ids=["password", "email", "full-name", "title", "description"],
)
async def test_overlong_fields_are_422(
    auth_client: httpx.AsyncClient, app: FastAPI, route: str, payload: dict[str, str]
) -> None:
    response = await auth_client.post(app.url_path_for(route), json=payload)

    assert response.status_code == 422, response.text


async def test_overlong_login_form_is_422(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(
        app.url_path_for("login"), data={"username": "u" * 400, "password": "p" * 2000}
    )

    assert response.status_code == 422, response.text


@pytest.mark.parametrize("password", ["password123", "Qwerty123", "12345678"])
async def test_common_passwords_are_refused(
    client: httpx.AsyncClient, app: FastAPI, password: str
) -> None:
    response = await client.post(
        app.url_path_for("register"), json={"email": "c@example.com", "password": password}
    )

    assert response.status_code == 422, response.text
    assert "too common" in response.text


async def test_long_unicode_password_round_trips(client: httpx.AsyncClient, app: FastAPI) -> None:
    password = "🔐 длинный пароль " * 8  # far beyond bcrypt's 72 bytes
    registered = await client.post(
        app.url_path_for("register"), json={"email": "u@example.com", "password": password}
    )
    truncated = await client.post(
        app.url_path_for("login"), data={"username": "u@example.com", "password": password[:72]}
    )
    full = await client.post(
        app.url_path_for("login"), data={"username": "u@example.com", "password": password}
    )

    assert registered.status_code == 201, registered.text
    assert truncated.status_code == 401, truncated.text
    assert full.status_code == 200, full.text
