"""Password hashing and JWT helpers."""

from __future__ import annotations

import os
import sys
import threading
import time
import unicodedata
from datetime import UTC, datetime, timedelta

import bcrypt
import pytest
from jose import jwt
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.security import (
    CLOCK_SKEW_SECONDS,
    HASHING_NICENESS,
    VERIFIED_TOKENS_PER_SUBJECT,
    InvalidTokenError,
    PasswordHasher,
    TokenType,
    VerifiedToken,
    VerifiedTokenCache,
    create_token,
    decode_token,
    fingerprint,
    verified_tokens,
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


async def test_password_verifies_in_any_unicode_normal_form(hasher: PasswordHasher) -> None:
    composed = unicodedata.normalize("NFC", "mot de passe à côté")
    hashed = await hasher.hash(composed)

    assert await hasher.verify(unicodedata.normalize("NFD", composed), hashed) == (True, None)


async def test_full_width_characters_are_their_plain_forms(hasher: PasswordHasher) -> None:
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in "password123")  # U+FF50...
    hashed = await hasher.hash(full_width)

    assert await hasher.verify("password123", hashed) == (True, None)


async def test_hash_of_an_unnormalised_password_still_verifies_and_is_rehashed(
    hasher: PasswordHasher,
) -> None:
    decomposed = unicodedata.normalize("NFD", "mot de passe à côté")
    legacy = hasher._context.hash(decomposed)  # as stored before passwords were normalised

    valid, new_hash = await hasher.verify(decomposed, legacy)

    assert valid
    assert new_hash is not None
    assert await hasher.verify(unicodedata.normalize("NFC", decomposed), new_hash) == (True, None)


async def test_hashing_threads_run_below_the_event_loop(unit_settings: Settings) -> None:
    def own_niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    hasher = PasswordHasher(unit_settings)
    try:
        in_hashing_thread = await hasher._run(own_niceness)
    finally:
        hasher.close()

    # Linux gives each thread its own nice value; elsewhere it is the whole process's.
    lowered = HASHING_NICENESS if sys.platform == "linux" else 0
    assert in_hashing_thread == min(own_niceness() + lowered, 19)


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
        {"exp": timedelta(minutes=-1)},
        {"aud": "someone-else"},
        {"iss": "someone-else"},
        {"sub": None},
        {"sub": 42},
        {"jti": None},
        {"jti": 7},
        {"type": None},
        {"iat": timedelta(minutes=5)},
        {"nbf": timedelta(minutes=5)},
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
    # Times are offsets from now, resolved here: collection can be minutes before the run.
    now = datetime.now(UTC)
    claims = {
        name: now + value if isinstance(value, timedelta) else value
        for name, value in overrides.items()
    }
    token = jwt.encode(
        claims_for(unit_settings, "someone", **claims), TEST_SECRET_KEY, algorithm="HS256"
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


def test_surrogate_in_a_token_is_rejected_not_a_crash(unit_settings: Settings) -> None:
    with pytest.raises(InvalidTokenError):
        decode_token(unit_settings, "a.b.\ud800", expected_type=TokenType.ACCESS)


@pytest.mark.parametrize("segment", [0, 1, 2], ids=["header", "payload", "signature"])
def test_token_with_a_padded_segment_is_rejected(unit_settings: Settings, segment: int) -> None:
    token, _ = create_token(unit_settings, subject="user-1", token_type=TokenType.ACCESS)
    segments = token.split(".")
    segments[segment] += "="

    with pytest.raises(InvalidTokenError, match="canonical"):
        decode_token(unit_settings, ".".join(segments), expected_type=TokenType.ACCESS)


def test_one_subject_cannot_fill_the_verified_token_cache(unit_settings: Settings) -> None:
    bystander, _ = create_token(unit_settings, subject="bystander", token_type=TokenType.ACCESS)
    decode_token(unit_settings, bystander, expected_type=TokenType.ACCESS)

    for _ in range(VERIFIED_TOKENS_PER_SUBJECT * 4):
        token, _ = create_token(unit_settings, subject="hoarder", token_type=TokenType.ACCESS)
        decode_token(unit_settings, token, expected_type=TokenType.ACCESS)

    assert verified_tokens.held_by("hoarder") == VERIFIED_TOKENS_PER_SUBJECT
    assert verified_tokens.held_by("bystander") == 1


def _verified(subject: str) -> VerifiedToken:
    return VerifiedToken(
        subject=subject, token_type="access", token_id="id", session_id=None, times={}
    )


def test_verified_token_cache_is_bounded_and_evicts_the_least_recently_used() -> None:
    cache = VerifiedTokenCache(3, per_subject=2)
    cache.add(b"a1", _verified("a"))
    cache.add(b"b1", _verified("b"))
    cache.add(b"c1", _verified("c"))
    assert cache.get(b"a1") is not None  # now the most recently used

    cache.add(b"d1", _verified("d"))

    assert len(cache) == 3
    assert cache.get(b"b1") is None
    assert cache.held_by("b") == 0
    assert cache.get(b"a1") is not None
    assert cache.held_by("d") == 1


def test_verified_token_cache_evicts_a_subjects_own_oldest_entry_first() -> None:
    cache = VerifiedTokenCache(10, per_subject=2)
    cache.add(b"other", _verified("other"))
    for digest in (b"a1", b"a2", b"a3"):
        cache.add(digest, _verified("a"))

    assert cache.get(b"a1") is None
    assert cache.get(b"a2") is not None
    assert cache.get(b"a3") is not None
    assert cache.get(b"other") is not None
    assert cache.held_by("a") == 2


def test_verified_token_cache_keeps_count_when_a_subject_evicts_its_own_last_entry() -> None:
    cache = VerifiedTokenCache(1, per_subject=2)
    cache.add(b"a1", _verified("a"))
    cache.add(b"a2", _verified("a"))  # pushes out a1, the oldest overall
    cache.add(b"b1", _verified("b"))  # pushes out a2

    assert len(cache) == 1
    assert cache.held_by("a") == 0
    assert cache.held_by("b") == 1


def test_verified_token_cache_adds_a_digest_once() -> None:
    cache = VerifiedTokenCache(10, per_subject=2)
    cache.add(b"a1", _verified("a"))
    cache.add(b"a1", _verified("a"))

    assert len(cache) == 1
    assert cache.held_by("a") == 1
