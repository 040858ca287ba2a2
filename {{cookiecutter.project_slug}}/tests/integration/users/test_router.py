"""The current user's account."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.security import TokenType, create_token
from {{ cookiecutter.package_name }}.users.models import User
from tests.factories.users import DEFAULT_PASSWORD


async def test_read_me_returns_own_account(
    auth_client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    response = await auth_client.get(app.url_path_for("read_me"))

    assert response.status_code == 200, response.text
    assert response.json()["email"] == user.email
    assert "hashed_password" not in response.json()


async def test_read_me_without_token_is_401(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.get(app.url_path_for("read_me"))

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""], ids=["garbage", "three-parts", "empty"])
async def test_read_me_with_bad_token_is_401(
    client: httpx.AsyncClient, app: FastAPI, token: str
) -> None:
    response = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401, response.text


@pytest.mark.parametrize("subject", ["not-a-uuid", str(uuid.uuid4())], ids=["malformed", "unknown"])
async def test_read_me_with_token_of_no_user_is_401(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, subject: str
) -> None:
    token, _ = create_token(settings, subject=subject, token_type=TokenType.ACCESS)

    response = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401, response.text


async def test_deactivated_user_token_is_401(
    auth_client: httpx.AsyncClient, app: FastAPI, user: User, session: AsyncSession
) -> None:
    user.is_active = False
    await session.commit()

    response = await auth_client.get(app.url_path_for("read_me"))

    assert response.status_code == 401, response.text


async def test_update_me_changes_full_name(auth_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await auth_client.patch(app.url_path_for("update_me"), json={"full_name": "Renamed"})

    assert response.status_code == 200, response.text
    assert response.json()["full_name"] == "Renamed"


async def test_update_me_changes_password_with_current_one(
    auth_client: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    response = await auth_client.patch(
        app.url_path_for("update_me"),
        json={"password": "a brand new password", "current_password": DEFAULT_PASSWORD},
    )
    assert response.status_code == 200, response.text

    old = await client.post(
        app.url_path_for("login"), data={"username": user.email, "password": DEFAULT_PASSWORD}
    )
    new = await client.post(
        app.url_path_for("login"),
        data={"username": user.email, "password": "a brand new password"},
    )
    assert old.status_code == 401, old.text
    assert new.status_code == 200, new.text


async def test_update_me_with_wrong_current_password_is_400_naming_the_field(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await auth_client.patch(
        app.url_path_for("update_me"),
        json={"password": "a brand new password", "current_password": "not it at all"},
    )

    # Not 401: clients read that as "your session expired".
    assert response.status_code == 400, response.text
    assert "WWW-Authenticate" not in response.headers
    body = response.json()
    assert body["code"] == "wrong_current_password"
    assert [error["loc"] for error in body["errors"]] == [["body", "current_password"]]


@pytest.mark.parametrize(
    "payload",
    [
        {"password": "a brand new password"},
        {"role": "admin"},
        {"is_active": True},
        {"email": "other@example.com"},
        {"full_name": ""},
        {"full_name": "x" * 201},
    ],
    ids=["no-current-password", "role", "is_active", "email", "empty-name", "long-name"],
)
async def test_update_me_invalid_input_is_422(
    auth_client: httpx.AsyncClient, app: FastAPI, payload: dict[str, object], user: User
) -> None:
    response = await auth_client.patch(app.url_path_for("update_me"), json=payload)

    assert response.status_code == 422, response.text
    assert user.role == "user"
