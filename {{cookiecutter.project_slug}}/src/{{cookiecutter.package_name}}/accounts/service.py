"""Email verification, password reset and email change; callers own the transaction.

Every message goes out through `Mailer.send_after_commit`: only once the change it
reports has committed. Requests that could reveal whether an address has an account
answer the same either way; only the owner of the address learns anything, by email.
"""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts import tokens
from {{ cookiecutter.package_name }}.accounts.exceptions import (
    EmailAlreadyVerifiedError,
    EmailUnchangedError,
    InvalidAccountTokenError,
)
from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.auth.store import RefreshTokenStore
from {{ cookiecutter.package_name }}.core.config import EmailVerification, Settings
from {{ cookiecutter.package_name }}.core.db import release_connection, utcnow
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.email import messages
from {{ cookiecutter.package_name }}.email.mailer import Mailer
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.exceptions import (
    EmailAlreadyRegisteredError,
    WrongCurrentPasswordError,
)
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

logger = structlog.get_logger(__name__)

VERIFY_EMAIL_TTL = timedelta(hours=24)
EMAIL_CHANGE_TTL = timedelta(hours=1)


async def send_verification(
    session: AsyncSession, mailer: Mailer, settings: Settings, user: User
) -> None:
    token = await tokens.issue(session, user, TokenPurpose.VERIFY_EMAIL, ttl=VERIFY_EMAIL_TTL)
    email = messages.verify_email(settings, to=user.email, token=token, valid_for=VERIFY_EMAIL_TTL)
    mailer.send_after_commit(session, email)


async def register(
    session: AsyncSession,
    hasher: PasswordHasher,
    mailer: Mailer,
    settings: Settings,
    *,
    data: UserCreate,
) -> User | None:
    """Create the account and send its verification email, as AUTH__EMAIL_VERIFICATION says.

    With `required`, the result is None whether or not the address was free, so the
    answer reveals nothing: a new address gets its verification link, a registered one a
    notice (or, not yet verified, a fresh link), and both cost the same password hash.
    """
    mode = settings.auth.email_verification
    if mode is not EmailVerification.REQUIRED:
        user = await auth_service.register(session, hasher, data=data)
        if mode is EmailVerification.OPTIONAL:
            await send_verification(session, mailer, settings, user)
        return user

    existing = await users_service.get_by_email(session, email=data.email)
    await release_connection(session)
    hashed_password = await hasher.hash(data.password)
    if existing is None:
        try:
            async with session.begin_nested():
                existing = await users_service.create(
                    session,
                    email=data.email,
                    hashed_password=hashed_password,
                    full_name=data.full_name,
                )
        except EmailAlreadyRegisteredError:  # a concurrent registration won the race
            return None
        await send_verification(session, mailer, settings, existing)
    elif existing.email_verified:
        mailer.send_after_commit(
            session, messages.registration_attempt(settings, to=existing.email)
        )
    elif existing.is_active:
        await send_verification(session, mailer, settings, existing)
    return None


async def _redeem(
    session: AsyncSession, token: str, purpose: TokenPurpose
) -> tuple[AccountToken, User]:
    found = await tokens.find(session, token, purpose)
    if found is None or not await tokens.spend(session, found[0]):
        raise InvalidAccountTokenError
    return found


async def verify_email(session: AsyncSession, *, token: str) -> User:
    _, user = await _redeem(session, token, TokenPurpose.VERIFY_EMAIL)
    return await users_service.update(
        session, user, changes={"email_verified_at": user.email_verified_at or utcnow()}
    )


async def resend_verification(
    session: AsyncSession, mailer: Mailer, settings: Settings, user: User
) -> None:
    if user.email_verified:
        raise EmailAlreadyVerifiedError
    await send_verification(session, mailer, settings, user)


async def request_password_reset(
    session: AsyncSession, mailer: Mailer, settings: Settings, *, email: str
) -> None:
    """Send a reset link if `email` names an active account; nothing says whether it did."""
    user = await users_service.get_by_email(session, email=email)
    if user is None or not user.is_active:
        return
    ttl = timedelta(minutes=settings.auth.password_reset_ttl_minutes)
    token = await tokens.issue(session, user, TokenPurpose.RESET_PASSWORD, ttl=ttl)
    message = messages.reset_password(settings, to=user.email, token=token, valid_for=ttl)
    mailer.send_after_commit(session, message)


async def reset_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    store: RefreshTokenStore,
    *,
    token: str,
    password: str,
) -> None:
    """Set the password the link's owner chose and end every session of the account.

    The link also proves the address, so an unverified one becomes verified.
    """
    found = await tokens.find(session, token, TokenPurpose.RESET_PASSWORD)
    if found is None:
        raise InvalidAccountTokenError
    record, user = found
    await release_connection(session)  # no pooled connection waits on the hash
    hashed_password = await hasher.hash(password)
    if not await tokens.spend(session, record):
        raise InvalidAccountTokenError
    await store.revoke_user(user.id)
    changes: dict[str, object] = {
        "hashed_password": hashed_password,
        "tokens_valid_after": utcnow(),
    }
    if not user.email_verified:
        changes["email_verified_at"] = utcnow()
    await users_service.update(session, user, changes=changes)
    logger.info("password_reset", user_id=str(user.id))


async def request_email_change(
    session: AsyncSession,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    mailer: Mailer,
    settings: Settings,
    user: User,
    *,
    new_email: str,
    current_password: str,
    address: str,
) -> None:
    """Email a confirmation link to `new_email` and a notice to the current address.

    An address another account already has gets no link, and the answer does not say so;
    the notice goes out either way. The address changes only when the link is followed.
    """
    valid = await auth_service.check_password(
        session,
        hasher,
        limiter,
        user=user,
        email=user.email,
        address=address,
        password=current_password,
    )
    if not valid:
        raise WrongCurrentPasswordError
    if new_email == user.email:
        raise EmailUnchangedError
    if await users_service.get_by_email(session, email=new_email) is None:
        token = await tokens.issue(
            session, user, TokenPurpose.CHANGE_EMAIL, ttl=EMAIL_CHANGE_TTL, email=new_email
        )
        confirmation = messages.confirm_email_change(
            settings, to=new_email, token=token, valid_for=EMAIL_CHANGE_TTL
        )
        mailer.send_after_commit(session, confirmation)
    notice = messages.email_change_requested(settings, to=user.email, new_email=new_email)
    mailer.send_after_commit(session, notice)


async def confirm_email_change(session: AsyncSession, *, token: str) -> User:
    """Move the account to the address the link was sent to, which it thereby verifies."""
    record, user = await _redeem(session, token, TokenPurpose.CHANGE_EMAIL)
    try:
        async with session.begin_nested():
            await users_service.update(
                session, user, changes={"email": record.email, "email_verified_at": utcnow()}
            )
    except IntegrityError as error:  # another account took the address meanwhile
        raise EmailAlreadyRegisteredError from error
    logger.info("email_changed", user_id=str(user.id))
    return user
