"""Access tokens end with their session: at logout, and at a password change."""

from __future__ import annotations

import math
import time
from datetime import UTC, datetime

import httpx
from fastapi import FastAPI
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import TEST_SECRET_KEY
from tests.factories.tokens import claims_for
from tests.factories.users import DEFAULT_PASSWORD

NEW_PASSWORD = "quartz lantern meadow 1987 orbit"


async def _login(
    client: httpx.AsyncClient, app: FastAPI, user: User, password: str = DEFAULT_PASSWORD
) -> dict[str, str]:
    response = await client.post(
        app.url_path_for("login"), data={"username": user.email, "password": password}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def _read_me(client: httpx.AsyncClient, app: FastAPI, access_token: str) -> int:
    response = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {access_token}"}
    )
    return response.status_code


async def _change_password(client: httpx.AsyncClient, app: FastAPI, access_token: str) -> None:
    response = await client.patch(
        app.url_path_for("update_me"),
        json={"password": NEW_PASSWORD, "current_password": DEFAULT_PASSWORD},
        headers={"Authorization": f"Bearer {access_token}"},
    )
    assert response.status_code == 200, response.text


async def test_logout_ends_that_sessions_access_token_at_once(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    phone = await _login(client, app, user)
    laptop = await _login(client, app, user)

    logout = await client.post(
        app.url_path_for("logout"), json={"refresh_token": phone["refresh_token"]}
    )

    assert logout.status_code == 204, logout.text
    assert await _read_me(client, app, phone["access_token"]) == 401
    assert await _read_me(client, app, laptop["access_token"]) == 200


async def test_refreshing_keeps_the_sessions_access_tokens_working(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    first = await _login(client, app, user)

    rotated = await client.post(
        app.url_path_for("refresh_tokens"), json={"refresh_token": first["refresh_token"]}
    )

    assert rotated.status_code == 200, rotated.text
    assert await _read_me(client, app, first["access_token"]) == 200
    assert await _read_me(client, app, rotated.json()["access_token"]) == 200


async def test_password_change_ends_earlier_access_tokens_and_a_new_login_works(
    client: httpx.AsyncClient, app: FastAPI, user: User, user_token: str
) -> None:
    session = await _login(client, app, user)

    await _change_password(client, app, session["access_token"])

    # `user_token` belongs to no session: only the user's valid-after time can end it.
    assert await _read_me(client, app, user_token) == 401
    assert await _read_me(client, app, session["access_token"]) == 401
    fresh = await _login(client, app, user, NEW_PASSWORD)
    assert await _read_me(client, app, fresh["access_token"]) == 200


async def test_valid_after_time_splits_tokens_issued_within_one_second(
    client: httpx.AsyncClient,
    app: FastAPI,
    settings: Settings,
    session: AsyncSession,
    user: User,
) -> None:
    second = math.floor(time.time()) - 1
    user.tokens_valid_after = datetime.fromtimestamp(second + 0.5, UTC)
    await session.commit()

    def token_issued_at(issued_at: float) -> str:
        claims = claims_for(settings, str(user.id), iat=issued_at)
        return jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS256")

    assert await _read_me(client, app, token_issued_at(second + 0.2)) == 401
    assert await _read_me(client, app, token_issued_at(second + 0.5)) == 401
    assert await _read_me(client, app, token_issued_at(second + 0.8)) == 200
