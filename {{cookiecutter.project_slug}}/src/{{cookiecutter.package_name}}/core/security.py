"""Password hashing and JWTs: the only module that knows the hashing and JWT libraries."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from jose import JWTError, jwt
from passlib.context import CryptContext

from {{ cookiecutter.package_name }}.core.config import Settings

# Distinct tokens whose verified claims are kept (see `_verified_claims`).
VERIFIED_TOKENS_CACHED = 1024
# HMAC with a shared secret: the service both signs and verifies its tokens.
ALGORITHM = "HS256"
# Tolerated clock difference between servers when checking exp, nbf and iat.
CLOCK_SKEW_SECONDS = 10


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


class InvalidTokenError(Exception):
    """The token is malformed, forged, expired, or of the wrong type."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    subject: str
    token_type: TokenType
    token_id: str
    expires_at: datetime


class PasswordHasher:
    """argon2id for new hashes; older schemes still verify and are re-hashed on login.

    Hashing is CPU-bound, so it runs in worker threads, never on the event loop, and at most
    one per CPU at a time: more would only add memory (argon2 takes `argon2_memory_kib`
    each) and latency, not throughput. The threads are a fixed pool of their own: the
    allocator keeps a hash's memory per thread, so a growing pool would grow the process.
    """

    def __init__(self, settings: Settings) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._context = CryptContext(
            schemes=["argon2", "bcrypt"],
            deprecated="auto",
            argon2__type="ID",
            argon2__memory_cost=settings.auth.argon2_memory_kib,
            argon2__time_cost=settings.auth.argon2_time_cost,
            argon2__parallelism=1,  # one lane: hashes already run one per CPU at a time
        )
        # Verified against for unknown users, so a miss costs as much as a wrong password.
        self._dummy_hash: str = self._context.hash(uuid.uuid4().hex)

    async def hash(self, password: str) -> str:
        hashed: str = await self._run(self._context.hash, password)
        return hashed

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """Check a password; return (valid, new hash when the stored one is outdated)."""
        if hashed is None:
            await self._run(self._context.verify, password, self._dummy_hash)
            return False, None
        try:
            valid, new_hash = await self._run(self._context.verify_and_update, password, hashed)
        except ValueError:  # e.g. an unknown hash format or a bcrypt input over 72 bytes
            return False, None
        return bool(valid), new_hash

    def close(self) -> None:
        """Let the threads go; the next hash starts new ones."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self, function: Callable[..., Any], *args: object) -> Any:  # noqa: ANN401 - what `function` returns
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1, thread_name_prefix="password-hasher"
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)


def create_token(
    settings: Settings, *, subject: str, token_type: TokenType
) -> tuple[str, TokenClaims]:
    """Sign a token for `subject`; return it with the claims it carries."""
    ttl = (
        settings.auth.access_token_ttl_seconds
        if token_type is TokenType.ACCESS
        else settings.auth.refresh_token_ttl_seconds
    )
    now = datetime.now(UTC)
    expires_at = now + timedelta(seconds=ttl)
    token_id = uuid.uuid4().hex
    claims: dict[str, Any] = {
        "sub": subject,
        "type": token_type.value,
        "jti": token_id,
        "iss": settings.auth.issuer,
        "aud": settings.auth.audience,
        "iat": now,
        "nbf": now,
        "exp": expires_at,
    }
    token = jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)
    return token, TokenClaims(
        subject=subject, token_type=token_type, token_id=token_id, expires_at=expires_at
    )


def decode_token(settings: Settings, token: str, *, expected_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, issuer, audience, times and type, or raise."""
    claims = _verified_claims(
        token,
        settings.secret_key,
        ALGORITHM,
        audience=settings.auth.audience,
        issuer=settings.auth.issuer,
    )
    _check_times(claims, leeway=CLOCK_SKEW_SECONDS)
    subject, token_type, token_id = claims.get("sub"), claims.get("type"), claims.get("jti")
    if not isinstance(subject, str) or not subject:
        msg = "the subject must be a non-empty string"
        raise InvalidTokenError(msg)
    if token_type != expected_type.value:
        msg = f"expected a {expected_type.value} token"
        raise InvalidTokenError(msg)
    if not isinstance(token_id, str):
        msg = "the token id must be a string"
        raise InvalidTokenError(msg)
    return TokenClaims(
        subject=subject,
        token_type=expected_type,
        token_id=token_id,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
    )


# A client sends the same access token with every request until it expires, so each
# token's signature is checked once. Its times are checked on every use (`_check_times`);
# failures are not cached.
@lru_cache(maxsize=VERIFIED_TOKENS_CACHED)
def _verified_claims(
    token: str, key: str, algorithm: str, *, audience: str, issuer: str
) -> Mapping[str, Any]:
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            # Times are `_check_times`' job; python-jose would verify a claim it requires.
            options={
                "verify_exp": False,
                "verify_nbf": False,
                "require_sub": True,
                "require_jti": True,
            },
        )
    except JWTError as error:
        raise InvalidTokenError(str(error)) from error
    return MappingProxyType(claims)


def _check_times(claims: Mapping[str, Any], *, leeway: int) -> None:
    """Reject an expired token, or one not valid yet or issued in the future."""
    now = time.time()
    if _timestamp(claims, "exp") < now - leeway:
        msg = "the token has expired"
        raise InvalidTokenError(msg)
    if _timestamp(claims, "nbf", default=0) > now + leeway:
        msg = "the token is not valid yet"
        raise InvalidTokenError(msg)
    if _timestamp(claims, "iat") > now + leeway:
        msg = "the token is issued in the future"
        raise InvalidTokenError(msg)


def _timestamp(claims: Mapping[str, Any], name: str, default: float | None = None) -> float:
    value = claims.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"the {name} claim must be a number of seconds"
        raise InvalidTokenError(msg)
    return value


def fingerprint(token_id: str) -> str:
    """What the server stores for a token id: its SHA-256, so a leaked table replays nothing."""
    return hashlib.sha256(token_id.encode()).hexdigest()
