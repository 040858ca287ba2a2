"""Forged, tampered, stale and misused tokens are all a 401 with `WWW-Authenticate: Bearer`."""

from __future__ import annotations

import base64
import gc
import json
import logging
import string
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta

import coverage
import httpx
import pytest
from fastapi import FastAPI
from jose import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.schemas import TOKEN_MAX_LENGTH
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


BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def _respell(token: str, spelling: str, variant: int = 0) -> str:
    """Another spelling of the same signature, which lenient base64 decoders read alike."""
    signed, signature = token.rsplit(".", 1)
    if spelling == "padded":
        signature += "=" * (1 + variant)
    elif spelling == "non-alphabet":
        signature = signature[:4] + "!!!!" * (1 + variant) + signature[4:]
    elif spelling == "unused-bits":  # 32 bytes take 43 characters: the last has 2 spare bits
        assert variant < 3
        last = BASE64URL.index(signature[-1]) | (1 + variant)
        signature = signature[:-1] + BASE64URL[last]
    elif spelling == "oversized":
        signature += "=" * (TOKEN_MAX_LENGTH + variant)
    else:
        raise AssertionError(spelling)
    return f"{signed}.{signature}"


@pytest.mark.parametrize("spelling", ["padded", "non-alphabet", "unused-bits", "oversized"])
async def test_non_canonical_spelling_of_a_genuine_token_is_401(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, user: User, spelling: str
) -> None:
    token, _ = create_token(settings, subject=str(user.id), token_type=TokenType.ACCESS)

    response = await client.get(
        app.url_path_for("read_me"),
        headers={"Authorization": f"Bearer {_respell(token, spelling)}"},
    )

    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_token"


async def test_many_spellings_of_one_token_retain_no_memory(
    client: httpx.AsyncClient, app: FastAPI, settings: Settings, user: User
) -> None:
    token, _ = create_token(settings, subject=str(user.id), token_type=TokenType.ACCESS)
    spellings = [
        *(_respell(token, "padded", TOKEN_MAX_LENGTH - 100 - len(token) - n) for n in range(100)),
        *(_respell(token, "non-alphabet", 900 - n) for n in range(100)),
        *(_respell(token, "oversized", n) for n in range(100)),
    ]
    assert len(set(spellings)) == 300
    url = app.url_path_for("read_me")
    # Warm up: the first requests fill caches that have nothing to do with tokens.
    for spelling in (token, spellings[0], spellings[-1]):
        await client.get(url, headers={"Authorization": f"Bearer {spelling}"})
    # pytest keeps every log record of a test, and coverage what it traced per greenlet:
    # that memory is theirs, not the service's.
    logging.disable(logging.INFO)
    measuring = coverage.Coverage.current()
    if measuring is not None:
        measuring.stop()
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for spelling in spellings:
            response = await client.get(url, headers={"Authorization": f"Bearer {spelling}"})
            assert response.status_code == 401, response.text
        gc.collect()
        retained = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
        logging.disable(logging.NOTSET)
        if measuring is not None:
            measuring.start()

    # The spellings total over 1 MiB: keeping any sizeable share of them would show.
    assert sum(map(len, spellings)) > 1024 * 1024
    assert retained < 128 * 1024, retained
