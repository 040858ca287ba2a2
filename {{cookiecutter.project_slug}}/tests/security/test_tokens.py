"""Forged, tampered, stale and misused tokens are all a 401 with `WWW-Authenticate: Bearer`."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.security import TokenType, create_token
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import TEST_SECRET_KEY
from tests.factories.tokens import claims_for


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forge(settings: Settings, user: User, attack: str) -> str:
    """A token for `user` that must not be accepted, built the way jwt_tool would."""
    later = datetime.now(UTC) + timedelta(minutes=10)
    signed: dict[str, tuple[str, dict[str, object]]] = {
        "wrong-key": ("another-secret-key-that-is-long-enough!", {}),
        "expired": (TEST_SECRET_KEY, {"exp": datetime.now(UTC) - timedelta(minutes=1)}),
        "not-yet-valid": (TEST_SECRET_KEY, {"nbf": later}),
        "issued-in-future": (TEST_SECRET_KEY, {"iat": later}),
        "no-sub": (TEST_SECRET_KEY, {"sub": None}),
        "malformed-sub": (TEST_SECRET_KEY, {"sub": "not-a-uuid"}),
        "numeric-sub": (TEST_SECRET_KEY, {"sub": 12345}),
        "unknown-sub": (TEST_SECRET_KEY, {"sub": str(uuid.uuid4())}),
        "wrong-issuer": (TEST_SECRET_KEY, {"iss": "someone-else"}),
        "wrong-audience": (TEST_SECRET_KEY, {"aud": "someone-else"}),
        "refresh-type": (TEST_SECRET_KEY, {"type": "refresh"}),
        "no-type": (TEST_SECRET_KEY, {"type": None}),
    }
    if attack in signed:
        key, overrides = signed[attack]
        return jwt.encode(claims_for(settings, str(user.id), **overrides), key, algorithm="HS256")
    claims = json.loads(
        json.dumps(claims_for(settings, str(user.id)), default=lambda d: int(d.timestamp()))
    )
    if attack == "alg-none":
        return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    if attack == "tampered-payload":
        genuine = jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS256")
        header, _, signature = genuine.split(".")
        return f"{header}.{_b64({**claims, 'sub': str(uuid.uuid4())})}.{signature}"
    if attack == "hs512-with-same-key":  # an algorithm outside the allow-list
        return jwt.encode(claims, TEST_SECRET_KEY, algorithm="HS512")
    raise AssertionError(attack)


ATTACKS = [
    "alg-none",
    "wrong-key",
    "tampered-payload",
    "hs512-with-same-key",
    "expired",
    "not-yet-valid",
    "issued-in-future",
    "no-sub",
    "malformed-sub",
    "numeric-sub",
    "unknown-sub",
    "wrong-issuer",
    "wrong-audience",
    "refresh-type",
    "no-type",
]


@pytest.mark.parametrize("attack", ATTACKS)
async def test_forged_access_token_is_401(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, user: User, attack: str
) -> None:
    token = _forge(settings, user, attack)

    response = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"


async def test_genuine_token_is_accepted(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, user: User
) -> None:
    token = jwt.encode(claims_for(settings, str(user.id)), TEST_SECRET_KEY, algorithm="HS256")

    response = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 200, response.text


@pytest.mark.parametrize("state", ["deleted", "deactivated"])
async def test_token_of_a_removed_user_is_401(
    client: httpx.AsyncClient,
    app: FastAPI,
    settings: Settings,
    session: AsyncSession,
    user: User,
    state: str,
) -> None:
    token, _ = create_token(settings, subject=str(user.id), token_type=TokenType.ACCESS)
    if state == "deleted":
        await session.delete(user)
    else:
        user.is_active = False
    await session.commit()

    response = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {token}"}
    )

    assert response.status_code == 401, response.text


async def test_access_token_is_not_a_refresh_token(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, user: User
) -> None:
    token, _ = create_token(settings, subject=str(user.id), token_type=TokenType.ACCESS)

    response = await client.post(app.url_path_for("refresh_tokens"), json={"refresh_token": token})

    assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    "header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", "bearer", "Token abc"]
)
async def test_malformed_authorization_header_is_401(
    client: httpx.AsyncClient, app: FastAPI, header: str
) -> None:
    response = await client.get(app.url_path_for("read_me"), headers={"Authorization": header})

    assert response.status_code == 401, response.text
