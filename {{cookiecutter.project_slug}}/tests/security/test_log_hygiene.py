"""No secret, token, password or request body reaches the logs, even at DEBUG."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import AppSettings, Environment, LogSettings
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import TEST_SECRET_KEY, client_for, make_settings, serving

EMAIL = "log-hygiene@example.com"
PASSWORD = "first secret passphrase 7Q"
NEW_PASSWORD = "second secret passphrase 9Z"
WRONG_PASSWORD = "wrong secret passphrase 3X"
ITEM_BODY = "body text that must stay out of logs"


@asynccontextmanager
async def _debug_app(database_url: str, connection: AsyncConnection) -> AsyncIterator[FastAPI]:
    """The app at DEBUG level with JSON lines, on the test's transaction.

    Built inside the test, so its log handler writes to the stdout `capsys` captures.
    """
    app = create_app(make_settings(database_url, log=LogSettings(level="DEBUG", json_format=True)))
    async with serving(app, connection):
        yield app


async def test_full_auth_flow_logs_no_secret(
    database_url: str, connection: AsyncConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    async with _debug_app(database_url, connection) as app, client_for(app) as client:
        registered = await client.post(
            app.url_path_for("register"), json={"email": EMAIL, "password": PASSWORD}
        )
        login = await client.post(
            app.url_path_for("login"), data={"username": EMAIL, "password": PASSWORD}
        )
        first = login.json()
        bearer = {"Authorization": f"Bearer {first['access_token']}"}
        await client.get(app.url_path_for("read_me"), headers=bearer)
        await client.post(
            app.url_path_for("create_item"), json={"title": ITEM_BODY}, headers=bearer
        )
        rotated = (
            await client.post(
                app.url_path_for("refresh_tokens"), json={"refresh_token": first["refresh_token"]}
            )
        ).json()
        replay = await client.post(
            app.url_path_for("refresh_tokens"), json={"refresh_token": first["refresh_token"]}
        )
        await client.post(
            app.url_path_for("login"), data={"username": EMAIL, "password": WRONG_PASSWORD}
        )
        logout = await client.post(
            app.url_path_for("logout"), json={"refresh_token": rotated["refresh_token"]}
        )
        # The replay and the logout ended the first session: change the password in another.
        second = (
            await client.post(
                app.url_path_for("login"), data={"username": EMAIL, "password": PASSWORD}
            )
        ).json()
        changed = await client.patch(
            app.url_path_for("update_me"),
            json={"password": NEW_PASSWORD, "current_password": PASSWORD},
            headers={"Authorization": f"Bearer {second['access_token']}"},
        )

    assert registered.status_code == 201, registered.text
    assert replay.status_code == 401, replay.text
    assert changed.status_code == 200, changed.text
    assert logout.status_code == 204, logout.text
    logs = capsys.readouterr().out
    events = [json.loads(line)["event"] for line in logs.splitlines() if line]
    assert "request" in events  # the logs were captured at all
    secrets = {
        "password": PASSWORD,
        "new password": NEW_PASSWORD,
        "wrong password": WRONG_PASSWORD,
        "signing key": TEST_SECRET_KEY,
        "access token": first["access_token"],
        "refresh token": first["refresh_token"],
        "rotated access token": rotated["access_token"],
        "rotated refresh token": rotated["refresh_token"],
        "request body": ITEM_BODY,
        "password hash": "$argon2",
        "authorization header": "Bearer ",
    }
    assert [name for name, secret in secrets.items() if secret in logs] == []


async def test_access_lines_name_the_user_once_authenticated(
    database_url: str, connection: AsyncConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    async with _debug_app(database_url, connection) as app, client_for(app) as client:
        await client.post(app.url_path_for("register"), json={"email": EMAIL, "password": PASSWORD})
        login = await client.post(
            app.url_path_for("login"), data={"username": EMAIL, "password": PASSWORD}
        )
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        me = await client.get(app.url_path_for("read_me"), headers=bearer)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    access = {line["path"]: line for line in lines if line["event"] == "request"}
    assert access["/api/v1/users/me"]["user_id"] == me.json()["id"]
    assert "user_id" not in access["/api/v1/auth/login"]


# Far above one traceback's size, far below the megabytes that locals rendering wrote.
ERROR_LOG_MAX_BYTES = 32_000


async def test_unhandled_error_in_development_logs_no_locals_and_stays_small(
    database_url: str, connection: AsyncConnection, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = make_settings(
        database_url,
        app=AppSettings(environment=Environment.DEVELOPMENT),
        log=LogSettings(json_format=False),
    )
    app = create_app(settings)

    async def fail_holding_a_password() -> None:
        password = PASSWORD
        if password:
            msg = "the route failed"
            raise RuntimeError(msg)

    app.add_api_route("/fail", fail_holding_a_password, name="fail_holding_a_password")
    async with serving(app, connection), client_for(app) as client:
        response = await client.get(app.url_path_for("fail_holding_a_password"))

    assert response.status_code == 500, response.text
    logs = capsys.readouterr().out
    assert "the route failed" in logs  # the traceback itself is there
    assert PASSWORD not in logs
    assert len(logs.encode()) < ERROR_LOG_MAX_BYTES, len(logs.encode())
