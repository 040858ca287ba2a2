"""Register, login, refresh."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.users.models import Role, User
from tests.conftest import access_token_for
from tests.factories.users import DEFAULT_PASSWORD, create_user


async def _login(
    client: httpx.AsyncClient, app: FastAPI, email: str, password: str
) -> httpx.Response:
    return await client.post(
        app.url_path_for("login"), data={"username": email, "password": password}
    )


async def test_register_creates_user(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(
        app.url_path_for("register"),
        json={"email": "New.Person@Example.com", "password": "long enough pw", "full_name": "New"},
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["email"] == "new.person@example.com"
    assert body["role"] == "user"
    assert body["is_active"] is True
    assert "password" not in response.text
    assert "hashed_password" not in body


async def test_register_duplicate_email_any_case_is_409(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    response = await client.post(
        app.url_path_for("register"),
        json={"email": user.email.upper(), "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 409, response.text
    assert response.json()["code"] == "email_already_registered"


@pytest.mark.parametrize(
    "payload",
    [
        {"email": "not-an-email", "password": "long enough pw"},
        {"email": "ok@example.com", "password": "short"},
        {"email": "ok@example.com", "password": "x" * 2000},
        {"email": "ok@example.com", "password": "long enough pw", "role": "admin"},
        {"email": "ok@example.com", "password": "long enough pw", "is_active": False},
        {"email": "ok@example.com"},
    ],
    ids=["bad-email", "short-password", "huge-password", "role", "is_active", "no-password"],
)
async def test_register_invalid_input_is_422(
    client: httpx.AsyncClient, app: FastAPI, payload: dict[str, object]
) -> None:
    response = await client.post(app.url_path_for("register"), json=payload)

    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    assert body["errors"]
    assert "long enough pw" not in response.text  # inputs are not echoed


async def test_login_returns_token_pair(
    client: httpx.AsyncClient, app: FastAPI, user: User, settings: Settings
) -> None:
    response = await _login(client, app, user.email, DEFAULT_PASSWORD)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.auth.access_token_ttl_seconds
    me = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["id"] == str(user.id)


async def test_login_email_is_case_insensitive(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    response = await _login(client, app, user.email.upper(), DEFAULT_PASSWORD)

    assert response.status_code == 200, response.text


async def test_login_wrong_password_and_unknown_email_look_the_same(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    wrong_password = await _login(client, app, user.email, "wrong password!")
    unknown_email = await _login(client, app, "nobody@example.com", DEFAULT_PASSWORD)

    for response in (wrong_password, unknown_email):
        assert response.status_code == 401, response.text
        assert response.headers["WWW-Authenticate"] == "Bearer"
    strip = {"request_id"}
    assert {k: v for k, v in wrong_password.json().items() if k not in strip} == {
        k: v for k, v in unknown_email.json().items() if k not in strip
    }


async def test_login_inactive_user_is_401(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, password_hash: str
) -> None:
    inactive = await create_user(session, hashed_password=password_hash, is_active=False)

    response = await _login(client, app, inactive.email, DEFAULT_PASSWORD)

    assert response.status_code == 401, response.text


async def test_login_rehashes_outdated_hash(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession
) -> None:
    import bcrypt  # noqa: PLC0415 - only this test makes bcrypt hashes

    legacy_hash = bcrypt.hashpw(DEFAULT_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    legacy = await create_user(session, hashed_password=legacy_hash)

    response = await _login(client, app, legacy.email, DEFAULT_PASSWORD)

    assert response.status_code == 200, response.text
    await session.refresh(legacy)
    assert legacy.hashed_password.startswith("$argon2id$")


async def test_refresh_returns_new_pair(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    tokens = (await _login(client, app, user.email, DEFAULT_PASSWORD)).json()

    response = await client.post(
        app.url_path_for("refresh_tokens"), json={"refresh_token": tokens["refresh_token"]}
    )

    assert response.status_code == 200, response.text
    assert response.json()["access_token"]


async def test_refresh_with_access_token_is_401(
    client: httpx.AsyncClient, app: FastAPI, user: User, settings: Settings
) -> None:
    response = await client.post(
        app.url_path_for("refresh_tokens"),
        json={"refresh_token": access_token_for(settings, user)},
    )

    assert response.status_code == 401, response.text
    assert response.json()["code"] == "invalid_token"


async def test_refresh_with_garbage_is_401(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(
        app.url_path_for("refresh_tokens"), json={"refresh_token": "not.a.jwt"}
    )

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_new_accounts_never_get_admin(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(
        app.url_path_for("register"),
        json={"email": "x@example.com", "password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 201, response.text
    assert response.json()["role"] == Role.USER
