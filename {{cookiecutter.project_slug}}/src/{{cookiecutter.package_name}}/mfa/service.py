"""TOTP setup, the second step of login, and recovery codes; callers own the transaction.

A code is accepted once: an authenticator's time step is spent with a conditional UPDATE,
so a replay, even a concurrent one, finds it spent. Attempts count against the same
per-account and per-address limits as passwords.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import uuid
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

import pyotp
import structlog
from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts import tokens
from {{ cookiecutter.package_name }}.accounts.models import TokenPurpose
from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.auth.exceptions import InvalidTokenError
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.mfa.exceptions import (
    InvalidMfaCodeError,
    MfaAlreadyEnabledError,
    MfaLoginFailedError,
    MfaNotEnabledError,
    MfaNotPendingError,
)
from {{ cookiecutter.package_name }}.mfa.models import RecoveryCode, TotpAuthenticator
from {{ cookiecutter.package_name }}.mfa.schemas import TotpSetup
from {{ cookiecutter.package_name }}.users.exceptions import WrongCurrentPasswordError
from {{ cookiecutter.package_name }}.users.models import User, normalize_email

if TYPE_CHECKING:
    from cryptography.fernet import Fernet

logger = structlog.get_logger(__name__)

MFA_TOKEN_TTL = timedelta(minutes=5)
RECOVERY_CODES = 10
# No 0/o, 1/l/i: codes get read off paper. 16 of 31 symbols: 79 bits.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_RECOVERY_LENGTH = 16
_TOTP_CODE = re.compile(r"\d{6}")
# Codes of the step before and after the current one pass: clocks drift, people are slow.
_VALID_WINDOW = 1


@lru_cache(maxsize=4)
def _fernet(secret_key: str) -> Fernet:
    """The key that encrypts TOTP secrets, derived from AUTH__SECRET_KEY (HKDF-SHA256)."""
    from cryptography.fernet import Fernet  # noqa: PLC0415 - only accounts with MFA need it
    from cryptography.hazmat.primitives import hashes  # noqa: PLC0415 - as above
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415 - as above

    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"mfa-totp-secret").derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(settings: Settings, secret: str) -> str:
    return _fernet(settings.secret_key).encrypt(secret.encode()).decode()


def _decrypt(settings: Settings, encrypted: str) -> str | None:
    """The secret, or None when AUTH__SECRET_KEY changed since it was stored."""
    from cryptography.fernet import InvalidToken  # noqa: PLC0415 - see _fernet

    try:
        return _fernet(settings.secret_key).decrypt(encrypted.encode()).decode()
    except InvalidToken:
        logger.error("totp_secret_unreadable")
        return None


def _fingerprint(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _normalised_recovery_code(code: str) -> str:
    return code.replace("-", "").replace(" ", "").lower()


def _new_recovery_code() -> str:
    symbols = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
    return "-".join(symbols[i : i + 4] for i in range(0, _RECOVERY_LENGTH, 4))


async def _authenticator(session: AsyncSession, user: User) -> TotpAuthenticator | None:
    return await session.get(TotpAuthenticator, user.id, populate_existing=True)


async def is_enabled(session: AsyncSession, user: User) -> bool:
    confirmed = await session.scalar(
        select(TotpAuthenticator.confirmed_at).where(TotpAuthenticator.user_id == user.id)
    )
    return confirmed is not None


async def _check_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    user: User,
    *,
    password: str,
    address: str,
) -> None:
    valid = await auth_service.check_password(
        session, hasher, limiter, user=user, email=user.email, address=address, password=password
    )
    if not valid:
        raise WrongCurrentPasswordError


async def begin_setup(
    session: AsyncSession,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    settings: Settings,
    user: User,
    *,
    current_password: str,
    address: str,
) -> TotpSetup:
    """A new pending authenticator; it replaces an earlier pending one."""
    await _check_password(
        session, hasher, limiter, user, password=current_password, address=address
    )
    authenticator = await _authenticator(session, user)
    if authenticator is not None and authenticator.confirmed_at is not None:
        raise MfaAlreadyEnabledError
    secret = pyotp.random_base32()
    if authenticator is None:
        authenticator = TotpAuthenticator(user_id=user.id)
        session.add(authenticator)
    authenticator.encrypted_secret = _encrypt(settings, secret)
    authenticator.created_at = utcnow()
    authenticator.last_used_step = None
    await session.flush()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.app.name)
    return TotpSetup(secret=secret, otpauth_uri=uri)


async def confirm_setup(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: Settings,
    user: User,
    *,
    code: str,
    address: str,
) -> list[str]:
    """Turn two-factor login on with a first code; return new recovery codes, shown once."""
    authenticator = await _authenticator(session, user)
    if authenticator is None or authenticator.confirmed_at is not None:
        raise MfaNotPendingError
    await limiter.hit_password_check(account=normalize_email(user.email), address=address)
    if not await _spend_totp_code(session, settings, authenticator, code):
        raise InvalidMfaCodeError
    authenticator.confirmed_at = utcnow()
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    session.add_all(
        RecoveryCode(fingerprint=_fingerprint(_normalised_recovery_code(code)), user_id=user.id)
        for code in codes
    )
    await session.flush()
    logger.info("mfa_enabled", user_id=str(user.id))
    return codes


async def disable(
    session: AsyncSession,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    settings: Settings,
    user: User,
    *,
    current_password: str,
    code: str,
    address: str,
) -> None:
    """Turn two-factor login off: needs the password and a code (or a recovery code)."""
    await _check_password(
        session, hasher, limiter, user, password=current_password, address=address
    )
    authenticator = await _authenticator(session, user)
    if authenticator is None or authenticator.confirmed_at is None:
        raise MfaNotEnabledError
    if not await _spend_code(session, settings, authenticator, code):
        raise InvalidMfaCodeError
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    await session.delete(authenticator)
    await session.flush()
    logger.info("mfa_disabled", user_id=str(user.id))


async def challenge(session: AsyncSession, user: User) -> str:
    """The MFA token that, with a code, finishes this login: short-lived and single use."""
    return await tokens.issue(session, user, TokenPurpose.MFA_LOGIN, ttl=MFA_TOKEN_TTL)


async def finish_login(
    session: AsyncSession,
    limiter: RateLimiter,
    settings: Settings,
    *,
    mfa_token: str,
    code: str,
    address: str,
) -> User:
    """The user whose login `mfa_token` began, once `code` is theirs; the token is spent."""
    found = await tokens.find(session, mfa_token, TokenPurpose.MFA_LOGIN)
    if found is None:
        raise InvalidTokenError
    record, user = found
    await limiter.hit_password_check(account=normalize_email(user.email), address=address)
    authenticator = await _authenticator(session, user)
    if authenticator is None or authenticator.confirmed_at is None:
        raise InvalidTokenError  # turned off since the password step
    if not await _spend_code(session, settings, authenticator, code):
        raise MfaLoginFailedError
    if not await tokens.spend(session, record):
        raise InvalidTokenError
    return user


async def _spend_code(
    session: AsyncSession, settings: Settings, authenticator: TotpAuthenticator, code: str
) -> bool:
    if _TOTP_CODE.fullmatch(code):
        return await _spend_totp_code(session, settings, authenticator, code)
    return await _spend_recovery_code(session, authenticator.user_id, code)


async def _spend_totp_code(
    session: AsyncSession, settings: Settings, authenticator: TotpAuthenticator, code: str
) -> bool:
    """Whether `code` is current and later than the last one accepted; if so, it is spent."""
    secret = _decrypt(settings, authenticator.encrypted_secret)
    if secret is None or not _TOTP_CODE.fullmatch(code):
        return False
    totp = pyotp.TOTP(secret)
    now = totp.timecode(utcnow())
    steps = range(now - _VALID_WINDOW, now + _VALID_WINDOW + 1)
    matching = [step for step in steps if hmac.compare_digest(totp.generate_otp(step), code)]
    if not matching:
        return False
    step = matching[-1]
    spent: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment] # DML gives a CursorResult
        update(TotpAuthenticator)
        .where(
            TotpAuthenticator.user_id == authenticator.user_id,
            or_(
                TotpAuthenticator.last_used_step.is_(None),
                TotpAuthenticator.last_used_step < step,
            ),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1


async def _spend_recovery_code(session: AsyncSession, user_id: uuid.UUID, code: str) -> bool:
    spent: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment] # DML gives a CursorResult
        update(RecoveryCode)
        .where(
            RecoveryCode.fingerprint == _fingerprint(_normalised_recovery_code(code)),
            RecoveryCode.user_id == user_id,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if spent.rowcount == 1:
        logger.info("recovery_code_used", user_id=str(user_id))
    return spent.rowcount == 1
