"""Password hashing and JWTs: the only module that knows the hashing and JWT libraries."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Request
from jose import JWTError, jwt
from passlib.context import CryptContext

from {{ cookiecutter.package_name }}.core.config import Settings


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
            argon2__parallelism=settings.auth.argon2_parallelism,
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

    async def _run(self, function: Callable[..., Any], *args: object) -> Any:  # noqa: ANN401
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1, thread_name_prefix="password-hasher"
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)


async def get_password_hasher(request: Request) -> PasswordHasher:
    hasher: PasswordHasher = request.app.state.password_hasher
    return hasher


PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]


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
    token = jwt.encode(claims, settings.secret_key, algorithm=settings.auth.algorithm)
    return token, TokenClaims(
        subject=subject, token_type=token_type, token_id=token_id, expires_at=expires_at
    )


def decode_token(settings: Settings, token: str, *, expected_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, issuer, audience, times and type, or raise."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[settings.auth.algorithm],
            audience=settings.auth.audience,
            issuer=settings.auth.issuer,
            options={
                "require_exp": True,
                "require_iat": True,
                "require_sub": True,
                "require_jti": True,
                "leeway": settings.auth.clock_skew_seconds,
            },
        )
    except JWTError as error:
        raise InvalidTokenError(str(error)) from error

    # python-jose checks exp and nbf but not whether the token was issued in the future.
    issued_at = claims["iat"]
    if not isinstance(issued_at, int | float) or issued_at > time.time() + (
        settings.auth.clock_skew_seconds
    ):
        msg = "the token is issued in the future"
        raise InvalidTokenError(msg)

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


def fingerprint(token_id: str) -> str:
    """What the server stores for a token id: its SHA-256, so a leaked table replays nothing."""
    return hashlib.sha256(token_id.encode()).hexdigest()
