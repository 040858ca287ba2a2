"""Refresh tokens rotate, replays revoke the family, logout and password changes revoke."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.security import TokenType, create_token
from {{ cookiecutter.package_name }}.users.models import User
from tests.factories.users import DEFAULT_PASSWORD


async def _login(client: httpx.AsyncClient, app: FastAPI, user: User) -> dict[str, str]:
    response = await client.post(
        app.url_path_for("login"), data={"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def _refresh(client: httpx.AsyncClient, app: FastAPI, token: str) -> httpx.Response:
    return await client.post(app.url_path_for("refresh_tokens"), json={"refresh_token": token})


async def test_refresh_rotates_the_token(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    first = await _login(client, app, user)

    rotated = await _refresh(client, app, first["refresh_token"])

    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["refresh_token"] != first["refresh_token"]
    assert (await _refresh(client, app, rotated.json()["refresh_token"])).status_code == 200


async def test_reusing_a_rotated_token_revokes_the_family(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    first = await _login(client, app, user)
    second = (await _refresh(client, app, first["refresh_token"])).json()

    replay = await _refresh(client, app, first["refresh_token"])
    after_replay = await _refresh(client, app, second["refresh_token"])

    assert replay.status_code == 401, replay.text
    assert after_replay.status_code == 401, after_replay.text


async def test_reuse_revokes_only_its_own_family(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    phone = await _login(client, app, user)
    laptop = await _login(client, app, user)
    await _refresh(client, app, phone["refresh_token"])

    await _refresh(client, app, phone["refresh_token"])  # replay on the phone's family

    assert (await _refresh(client, app, laptop["refresh_token"])).status_code == 200


async def test_logout_revokes_the_refresh_token(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    tokens = await _login(client, app, user)

    logout = await client.post(
        app.url_path_for("logout"), json={"refresh_token": tokens["refresh_token"]}
    )

    assert logout.status_code == 204, logout.text
    assert (await _refresh(client, app, tokens["refresh_token"])).status_code == 401


async def test_logout_with_a_forged_token_is_401(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, user: User
) -> None:
    never_issued, _ = create_token(settings, subject=str(user.id), token_type=TokenType.REFRESH)

    response = await client.post(app.url_path_for("logout"), json={"refresh_token": never_issued})

    assert response.status_code == 401, response.text


async def test_refresh_token_never_issued_is_401(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, user: User
) -> None:
    # Correctly signed, but the server never recorded it (e.g. the signing key leaked).
    never_issued, _ = create_token(settings, subject=str(user.id), token_type=TokenType.REFRESH)

    assert (await _refresh(client, app, never_issued)).status_code == 401


async def test_password_change_revokes_all_refresh_tokens(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    sessions = [await _login(client, app, user) for _ in range(2)]

    change = await client.patch(
        app.url_path_for("update_me"),
        json={"password": "an entirely new passphrase", "current_password": DEFAULT_PASSWORD},
        headers={"Authorization": f"Bearer {sessions[0]['access_token']}"},
    )

    assert change.status_code == 200, change.text
    for tokens in sessions:
        assert (await _refresh(client, app, tokens["refresh_token"])).status_code == 401


@pytest.mark.parametrize("field", ["refresh_token"])
async def test_oversized_refresh_token_is_422(
    client: httpx.AsyncClient, app: FastAPI, field: str
) -> None:
    response = await client.post(app.url_path_for("refresh_tokens"), json={field: "x" * 5000})

    assert response.status_code == 422, response.text
