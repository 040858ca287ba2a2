"""Password hashing and JWT helpers."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import bcrypt
import pytest
from jose import jwt
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.security import (
    CLOCK_SKEW_SECONDS,
    InvalidTokenError,
    PasswordHasher,
    TokenType,
    create_token,
    decode_token,
    fingerprint,
)
from tests.conftest import TEST_SECRET_KEY, make_settings
from tests.factories.tokens import claims_for


@pytest.fixture(scope="module")
def unit_settings() -> Settings:
    return make_settings("sqlite+aiosqlite://")


@pytest.fixture(scope="module")
def hasher(unit_settings: Settings) -> PasswordHasher:
    return PasswordHasher(unit_settings)


async def test_hash_then_verify_accepts_right_password(hasher: PasswordHasher) -> None:
    hashed = await hasher.hash("s3cret-pass")

    assert hashed.startswith("$argon2id$")
    assert await hasher.verify("s3cret-pass", hashed) == (True, None)


async def test_verify_rejects_wrong_password(hasher: PasswordHasher) -> None:
    hashed = await hasher.hash("s3cret-pass")

    assert await hasher.verify("other-pass", hashed) == (False, None)


async def test_long_unicode_password_is_not_truncated(hasher: PasswordHasher) -> None:
    password = "пароль-" * 20  # well over 72 bytes
    hashed = await hasher.hash(password)

    assert (await hasher.verify(password, hashed))[0]
    assert not (await hasher.verify(password[:-1], hashed))[0]


async def test_verify_without_hash_fails(hasher: PasswordHasher) -> None:
    assert await hasher.verify("anything", None) == (False, None)


async def test_verify_of_unknown_hash_format_fails(hasher: PasswordHasher) -> None:
    assert await hasher.verify("anything", "not-a-hash") == (False, None)


async def test_bcrypt_hash_verifies_and_asks_for_rehash(hasher: PasswordHasher) -> None:
    legacy = bcrypt.hashpw(b"old-password", bcrypt.gensalt(rounds=4)).decode()

    valid, new_hash = await hasher.verify("old-password", legacy)

    assert valid
    assert new_hash is not None
    assert new_hash.startswith("$argon2id$")


def test_token_round_trip(unit_settings: Settings) -> None:
    token, issued = create_token(unit_settings, subject="user-1", token_type=TokenType.ACCESS)

    claims = decode_token(unit_settings, token, expected_type=TokenType.ACCESS)

    assert claims.subject == "user-1"
    assert claims.token_type is TokenType.ACCESS
    assert claims.token_id == issued.token_id
    lifetime = claims.expires_at - datetime.now(UTC)
    assert 0 < lifetime.total_seconds() <= unit_settings.auth.access_token_ttl_seconds


def test_refresh_token_is_not_an_access_token(unit_settings: Settings) -> None:
    token, _ = create_token(unit_settings, subject="user-1", token_type=TokenType.REFRESH)

    with pytest.raises(InvalidTokenError, match="expected a access token"):
        decode_token(unit_settings, token, expected_type=TokenType.ACCESS)


def test_token_signed_with_another_key_is_rejected(unit_settings: Settings) -> None:
    token = jwt.encode(claims_for(unit_settings, "someone"), "another-key-" * 4, algorithm="HS256")

    with pytest.raises(InvalidTokenError):
        decode_token(unit_settings, token, expected_type=TokenType.ACCESS)


def test_unsigned_token_is_rejected(unit_settings: Settings) -> None:
    signed = jwt.encode(claims_for(unit_settings, "someone"), TEST_SECRET_KEY, algorithm="HS256")
    _, payload, _ = signed.split(".")
    header = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0"  # {"alg":"none","typ":"JWT"}

    with pytest.raises(InvalidTokenError):
        decode_token(unit_settings, f"{header}.{payload}.", expected_type=TokenType.ACCESS)


@pytest.mark.parametrize(
    "overrides",
    [
        {"exp": datetime.now(UTC) - timedelta(minutes=1)},
        {"aud": "someone-else"},
        {"iss": "someone-else"},
        {"sub": None},
        {"sub": 42},
        {"jti": None},
        {"jti": 7},
        {"type": None},
        {"iat": datetime.now(UTC) + timedelta(minutes=5)},
        {"nbf": datetime.now(UTC) + timedelta(minutes=5)},
        {"exp": None},
        {"iat": None},
        {"exp": "tomorrow"},
    ],
    ids=[
        "expired",
        "wrong-audience",
        "wrong-issuer",
        "no-sub",
        "int-sub",
        "no-jti",
        "int-jti",
        "no-type",
        "issued-in-future",
        "not-yet-valid",
        "no-exp",
        "no-iat",
        "text-exp",
    ],
)
def test_invalid_claims_are_rejected(unit_settings: Settings, overrides: dict[str, object]) -> None:
    token = jwt.encode(
        claims_for(unit_settings, "someone", **overrides), TEST_SECRET_KEY, algorithm="HS256"
    )

    with pytest.raises(InvalidTokenError):
        decode_token(unit_settings, token, expected_type=TokenType.ACCESS)


def test_small_clock_skew_is_tolerated(unit_settings: Settings) -> None:
    skewed = datetime.now(UTC) + timedelta(seconds=CLOCK_SKEW_SECONDS // 2)
    token = jwt.encode(
        claims_for(unit_settings, "someone", iat=skewed, nbf=skewed),
        TEST_SECRET_KEY,
        algorithm="HS256",
    )

    assert decode_token(unit_settings, token, expected_type=TokenType.ACCESS).subject == "someone"


def test_token_is_rejected_once_it_expires_although_it_was_verified_before(
    unit_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    token, issued = create_token(unit_settings, subject="user-1", token_type=TokenType.ACCESS)
    decode_token(unit_settings, token, expected_type=TokenType.ACCESS)
    after_expiry = issued.expires_at.timestamp() + CLOCK_SKEW_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: after_expiry)

    with pytest.raises(InvalidTokenError, match="expired"):
        decode_token(unit_settings, token, expected_type=TokenType.ACCESS)


def test_token_verified_under_one_key_is_rejected_under_another(unit_settings: Settings) -> None:
    token, _ = create_token(unit_settings, subject="user-1", token_type=TokenType.ACCESS)
    decode_token(unit_settings, token, expected_type=TokenType.ACCESS)
    rotated = unit_settings.model_copy(
        update={"auth": unit_settings.auth.model_copy(update={"secret_key": SecretStr("k" * 64)})}
    )

    with pytest.raises(InvalidTokenError):
        decode_token(rotated, token, expected_type=TokenType.ACCESS)


def test_fingerprint_is_a_stable_sha256() -> None:
    assert fingerprint("abc") == fingerprint("abc")
    assert len(fingerprint("abc")) == 64
    assert fingerprint("abc") != "abc"
