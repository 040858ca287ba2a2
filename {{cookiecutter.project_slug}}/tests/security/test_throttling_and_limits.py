"""Brute force is throttled per address and per account; inputs are bounded (OWASP API4)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    Environment,
    RateLimitSettings,
    Settings,
)
from {{ cookiecutter.package_name }}.core.resources import bind_resources, resources_of
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import access_token_for, make_settings, serving
from tests.factories.users import DEFAULT_PASSWORD

GENEROUS = "1000/minute"
# Limits a test runs out of count per hour: `limits`' sliding window rounds the previous
# window's weighted count down, so a test crossing a minute boundary would be let through.


def _limited_app(database_url: str, **limits: str) -> FastAPI:
    names = ("default", "login", "registration", "refresh", "account", "account_ceiling")
    values = dict.fromkeys(names, GENEROUS)
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
    app = _limited_app(database_url, login="5/hour")
    async with _client(app, connection) as client:
        attempts = [await _login(client, app, f"guess{n}@example.com", "guess") for n in range(5)]
        blocked = await client.post(
            app.url_path_for("login"), data={"username": user.email, "password": DEFAULT_PASSWORD}
        )

    assert attempts == [401] * 5
    assert blocked.status_code == 429, blocked.text
    assert blocked.headers["content-type"] == "application/problem+json"
    assert 1 <= int(blocked.headers["Retry-After"]) <= 3600


async def test_login_brute_force_on_one_account_from_many_addresses_gets_429(
    database_url: str, connection: AsyncConnection, user: User
) -> None:
    app = _limited_app(database_url, account_ceiling="3/hour")
    statuses = []
    async with serving(app, connection):
        for n in range(4):
            async with _client_from(app, f"198.51.100.{n + 1}") as client:
                statuses.append(await _login(client, app, user.email.upper(), "wrong guess"))

    assert statuses == [401, 401, 401, 429]


async def test_guesses_from_one_address_do_not_lock_the_owner_out_elsewhere(
    database_url: str, connection: AsyncConnection, user: User
) -> None:
    app = _limited_app(database_url, account="3/hour")
    async with serving(app, connection):
        async with _client_from(app, "198.51.100.1") as attacker:
            guesses = [await _login(attacker, app, user.email, f"guess {n}") for n in range(4)]
            right_from_there = await _login(attacker, app, user.email, DEFAULT_PASSWORD)
        async with _client_from(app, "203.0.113.9") as owner:
            owner_status = await _login(owner, app, user.email, DEFAULT_PASSWORD)

    assert guesses == [401, 401, 401, 429]
    assert right_from_there == 429  # checked before the password: a right guess looks the same
    assert owner_status == 200


async def test_an_address_that_signed_in_before_passes_the_account_ceiling(
    database_url: str, connection: AsyncConnection, user: User
) -> None:
    # The owner's first sign-in, from an address new to the account, counts too.
    app = _limited_app(database_url, account_ceiling="4/hour")
    async with serving(app, connection), _client_from(app, "203.0.113.9") as owner:
        first = await _login(owner, app, user.email, DEFAULT_PASSWORD)
        guesses = []
        for n in range(4):
            async with _client_from(app, f"198.51.100.{n + 1}") as attacker:
                guesses.append(await _login(attacker, app, user.email, "wrong guess"))
        async with _client_from(app, "192.0.2.50") as new_device:
            from_new_address = await _login(new_device, app, user.email, DEFAULT_PASSWORD)
        again = await _login(owner, app, user.email, DEFAULT_PASSWORD)

    assert first == 200
    assert guesses == [401, 401, 401, 429]
    assert from_new_address == 429
    assert again == 200


async def _change_password(
    client: httpx.AsyncClient, app: FastAPI, current_password: str
) -> httpx.Response:
    return await client.patch(
        app.url_path_for("update_me"),
        json={"password": "a brand new password", "current_password": current_password},
    )


async def test_wrong_current_passwords_are_throttled_per_account(
    database_url: str, connection: AsyncConnection, user_token: str
) -> None:
    app = _limited_app(database_url, account="2/hour")
    async with _client(app, connection) as client:
        client.headers["Authorization"] = f"Bearer {user_token}"
        statuses = [(await _change_password(client, app, "guess")).status_code for _ in range(3)]
        right = await _change_password(client, app, DEFAULT_PASSWORD)

    assert statuses == [400, 400, 429]
    assert right.status_code == 429, right.text


async def test_password_changes_and_logins_share_the_limit_per_address(
    database_url: str, connection: AsyncConnection, user_token: str
) -> None:
    app = _limited_app(database_url, login="3/hour")
    async with _client(app, connection) as client:
        logins = [await _login(client, app, f"other{n}@example.com", "guess") for n in range(2)]
        client.headers["Authorization"] = f"Bearer {user_token}"
        changes = [(await _change_password(client, app, "guess")).status_code for _ in range(2)]

    assert logins == [401, 401]
    assert changes == [400, 429]


class _ConnectionWatchingHasher(PasswordHasher):
    """The real hasher, noting whether a request still held the test connection's savepoint."""

    def __init__(self, settings: Settings, connection: AsyncConnection) -> None:
        super().__init__(settings)
        self._connection = connection
        self.held_during_verify: list[bool] = []

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        self.held_during_verify.append(self._connection.in_nested_transaction())
        return await super().verify(password, hashed)


async def test_password_change_holds_no_connection_while_hashing(
    database_url: str, connection: AsyncConnection, user_token: str
) -> None:
    app = _limited_app(database_url)
    async with _client(app, connection) as client:
        resources = resources_of(app)
        hasher = _ConnectionWatchingHasher(resources.settings, connection)
        bind_resources(app, replace(resources, password_hasher=hasher))
        client.headers["Authorization"] = f"Bearer {user_token}"
        response = await _change_password(client, app, DEFAULT_PASSWORD)

    assert response.status_code == 200, response.text
    # Every request's session is a savepoint here: an open one is a held pooled connection.
    assert hasher.held_during_verify == [False]


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
    app = _limited_app(database_url, default="2/hour")
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


async def test_mfa_codes_count_against_the_account_like_passwords(
    database_url: str, connection: AsyncConnection, user: User
) -> None:
    app = _limited_app(database_url, account="6/hour")
    async with _client(app, connection) as client:
        token = access_token_for(resources_of(app).settings, user)
        headers = {"Authorization": f"Bearer {token}"}
        setup = await client.post(  # password check 1
            app.url_path_for("begin_totp_setup"),
            json={"current_password": DEFAULT_PASSWORD},
            headers=headers,
        )
        totp = pyotp.TOTP(setup.json()["secret"])
        await client.post(  # code check 2
            app.url_path_for("confirm_totp_setup"), json={"code": totp.now()}, headers=headers
        )
        login = await client.post(  # password check 3
            app.url_path_for("login"), data={"username": user.email, "password": DEFAULT_PASSWORD}
        )
        mfa = {"mfa_token": login.json()["mfa_token"], "code": "000000"}
        wrong = [
            (await client.post(app.url_path_for("login_mfa"), json=mfa)).status_code
            for _ in range(4)
        ]

    assert wrong == [401, 401, 401, 429]


async def test_mail_requests_are_limited_per_account_and_per_address(
    database_url: str, connection: AsyncConnection
) -> None:
    app = _limited_app(database_url, email="4/hour", email_per_account="2/hour")
    async with _client(app, connection) as client:
        statuses = [
            (
                await client.post(app.url_path_for("request_password_reset"), json={"email": email})
            ).status_code
            for email in ("a@example.com", "A@example.com", "a@example.com", "b@example.com")
        ]
        past_the_address_limit = await client.post(
            app.url_path_for("request_password_reset"), json={"email": "c@example.com"}
        )

    assert statuses == [202, 202, 429, 202]
    assert past_the_address_limit.status_code == 429
