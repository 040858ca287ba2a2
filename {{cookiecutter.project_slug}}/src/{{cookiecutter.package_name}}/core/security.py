"""Password hashing and JWTs: the only module that knows the hashing and JWT libraries."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
import re
import sys
import threading
import time
import unicodedata
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from jose import JWTError, jwt
from passlib.context import CryptContext

from {{ cookiecutter.package_name }}.core.config import Settings

# Verified tokens remembered (see `VerifiedTokenCache`), and how many of them one subject
# may hold: a client uses one or two at a time, and one account must not evict the others.
VERIFIED_TOKENS_CACHED = 1024
VERIFIED_TOKENS_PER_SUBJECT = 8
# How far below the event loop the hashing threads run (Linux nice values are per thread):
# under a burst of logins the hashes take the CPU the loop leaves, so every other request
# keeps its latency (the benchmark's health p99 under a login load halves).
HASHING_NICENESS = 10
# A JWT segment in its one canonical spelling: base64url without padding.
_SEGMENT = re.compile(r"[A-Za-z0-9_-]+")
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
    # Seconds since the epoch, with a fraction: a password change refuses tokens issued
    # before it even within the same second.
    issued_at: float
    # The login (refresh-token family) the token belongs to; tokens from before it existed
    # carry none.
    session_id: str | None = None


class PasswordHasher:
    """argon2id for new hashes; older schemes still verify and are re-hashed on login.

    Passwords are NFKC-normalised first, so the same password typed on another keyboard or
    system (composed or decomposed accents, full-width digits) is the same password.

    Hashing is CPU-bound, so it runs in worker threads, never on the event loop, and at most
    one per CPU at a time: more would only add memory (argon2 takes `argon2_memory_kib`
    each) and latency, not throughput. The threads are a fixed pool of their own: the
    allocator keeps a hash's memory per thread, so a growing pool would grow the process.
    On Linux the threads run at a lower priority than the event loop (HASHING_NICENESS).
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
        hashed: str = await self._run(self._context.hash, _normalised(password))
        return hashed

    async def verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """Check a password; return (valid, new hash when the stored one is outdated)."""
        result: tuple[bool, str | None] = await self._run(self._verify, password, hashed)
        return result

    def _verify(self, password: str, hashed: str | None) -> tuple[bool, str | None]:
        """Every failure costs one verification at current parameters per form tried.

        That is what an unknown email (`hashed is None`) costs, so neither a missing account
        nor an outdated, cheaper hash shows in the time a wrong password takes.
        """
        normalised = _normalised(password)
        # The raw form too: hashes made before normalisation must keep working.
        forms = dict.fromkeys((normalised, password))
        current = hashed is not None and self._is_current(hashed)
        for form in forms:
            if hashed is not None and self._matches(form, hashed):
                if current and form == normalised:
                    return True, None
                return True, self._context.hash(normalised)
            if not current:
                self._context.verify(form, self._dummy_hash)
        return False, None

    def _is_current(self, hashed: str) -> bool:
        try:
            return not self._context.needs_update(hashed)
        except ValueError:  # an unknown hash format
            return False

    def _matches(self, password: str, hashed: str) -> bool:
        try:
            return bool(self._context.verify(password, hashed))
        except ValueError:  # e.g. an unknown hash format or a bcrypt input over 72 bytes
            return False

    def close(self) -> None:
        """Let the threads go; the next hash starts new ones."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def _run(self, function: Callable[..., Any], *args: object) -> Any:  # noqa: ANN401 - what `function` returns
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=os.cpu_count() or 1,
                thread_name_prefix="password-hasher",
                initializer=_yield_to_the_event_loop,
            )
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)


def create_token(
    settings: Settings, *, subject: str, token_type: TokenType, session_id: str | None = None
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
        "iat": now.timestamp(),  # a datetime would be encoded in whole seconds
        "nbf": now,
        "exp": expires_at,
    }
    if session_id is not None:
        claims["sid"] = session_id
    token = jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)
    return token, TokenClaims(
        subject=subject,
        token_type=token_type,
        token_id=token_id,
        expires_at=expires_at,
        issued_at=now.timestamp(),
        session_id=session_id,
    )


def decode_token(settings: Settings, token: str, *, expected_type: TokenType) -> TokenClaims:
    """Verify signature, algorithm, issuer, audience, times and type, or raise."""
    audience, issuer = settings.auth.audience, settings.auth.issuer
    # The key and claims it was verified against are part of the digest: a rotated key
    # or another audience never finds a token verified under the old ones.
    digest = hashlib.sha256(
        "\0".join((settings.secret_key, audience, issuer, token)).encode("utf-8", "surrogatepass")
    ).digest()
    verified = verified_tokens.get(digest)
    if verified is None:
        verified = _verify(token, settings.secret_key, audience=audience, issuer=issuer)
        verified_tokens.add(digest, verified)
    _check_times(verified.times, leeway=CLOCK_SKEW_SECONDS)
    if verified.token_type != expected_type.value:
        msg = f"expected a {expected_type.value} token"
        raise InvalidTokenError(msg)
    return TokenClaims(
        subject=verified.subject,
        token_type=expected_type,
        token_id=verified.token_id,
        expires_at=datetime.fromtimestamp(verified.times["exp"], UTC),
        issued_at=verified.times["iat"],
        session_id=verified.session_id,
    )


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """What is kept of a token whose signature and claims checked out: no more than it needs."""

    subject: str
    token_type: str | None
    token_id: str
    session_id: str | None
    times: Mapping[str, Any]  # exp, nbf and iat as signed, checked on every use


class VerifiedTokenCache:
    """Verified tokens by a fixed-size digest, least recently used evicted first.

    A client sends the same access token with every request until it expires, so each
    token's signature is checked once. Only verified tokens get in (failures are never
    kept), at most `per_subject` of them for one subject: that account's oldest goes first.
    """

    def __init__(self, maxsize: int, *, per_subject: int) -> None:
        self._maxsize = maxsize
        self._per_subject = per_subject
        self._entries: OrderedDict[bytes, VerifiedToken] = OrderedDict()
        self._by_subject: dict[str, list[bytes]] = {}
        self._lock = threading.Lock()

    def get(self, digest: bytes) -> VerifiedToken | None:
        with self._lock:
            verified = self._entries.get(digest)
            if verified is not None:
                self._entries.move_to_end(digest)
            return verified

    def add(self, digest: bytes, verified: VerifiedToken) -> None:
        with self._lock:
            if digest in self._entries:
                return
            held = self._by_subject.get(verified.subject, ())
            if len(held) >= self._per_subject:
                del self._entries[self._by_subject[verified.subject].pop(0)]
            elif len(self._entries) >= self._maxsize:
                evicted_digest, evicted = self._entries.popitem(last=False)
                others = self._by_subject[evicted.subject]
                others.remove(evicted_digest)
                if not others:
                    del self._by_subject[evicted.subject]
            self._by_subject.setdefault(verified.subject, []).append(digest)
            self._entries[digest] = verified

    def held_by(self, subject: str) -> int:
        with self._lock:
            return len(self._by_subject.get(subject, ()))

    def __len__(self) -> int:
        return len(self._entries)


verified_tokens = VerifiedTokenCache(
    VERIFIED_TOKENS_CACHED, per_subject=VERIFIED_TOKENS_PER_SUBJECT
)


def _verify(token: str, key: str, *, audience: str, issuer: str) -> VerifiedToken:
    if not _is_canonical(token):
        msg = "the token is not in canonical base64url form"
        raise InvalidTokenError(msg)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
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
    subject, token_type, token_id = claims.get("sub"), claims.get("type"), claims.get("jti")
    if not isinstance(subject, str) or not subject:
        msg = "the subject must be a non-empty string"
        raise InvalidTokenError(msg)
    if not isinstance(token_id, str):
        msg = "the token id must be a string"
        raise InvalidTokenError(msg)
    session_id = claims.get("sid")
    if session_id is not None and not isinstance(session_id, str):
        msg = "the session id must be a string"
        raise InvalidTokenError(msg)
    return VerifiedToken(
        subject=subject,
        token_type=token_type if isinstance(token_type, str) else None,
        token_id=token_id,
        session_id=session_id,
        times={name: claims[name] for name in ("exp", "nbf", "iat") if name in claims},
    )


def _is_canonical(token: str) -> bool:
    """Only one spelling of a token verifies: no padding, no stray characters, no unused bits.

    base64 decoders skip what they do not expect, so without this one signed token has
    endless spellings, each a new cache entry.
    """
    segments = token.split(".")
    if len(segments) != 3:  # header, payload, signature
        return False
    for segment in segments:
        if _SEGMENT.fullmatch(segment) is None:
            return False
        try:
            decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        except binascii.Error:  # a length no encoder produces
            return False
        if base64.urlsafe_b64encode(decoded).rstrip(b"=").decode() != segment:
            return False
    return True


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


def _yield_to_the_event_loop() -> None:
    """Lower the calling hashing thread's priority; elsewhere the nice value is per process."""
    if sys.platform == "linux":
        thread = threading.get_native_id()
        niceness = os.getpriority(os.PRIO_PROCESS, thread) + HASHING_NICENESS
        os.setpriority(os.PRIO_PROCESS, thread, niceness)


def _normalised(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def fingerprint(token_id: str) -> str:
    """What the server stores for a token id: its SHA-256, so a leaked table replays nothing."""
    return hashlib.sha256(token_id.encode()).hexdigest()
