"""Registration, credential checks, and the token lifecycle."""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy import bindparam, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.exceptions import (
    InvalidCredentialsError,
    InvalidTokenError,
)
from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.auth.schemas import TokenPair
from {{ cookiecutter.package_name }}.auth.store import Outcome, RefreshTokenStore
from {{ cookiecutter.package_name }}.core import security
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import release_connection
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter
from {{ cookiecutter.package_name }}.core.security import PasswordHasher, TokenType
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.exceptions import EmailAlreadyRegisteredError
from {{ cookiecutter.package_name }}.users.models import User, normalize_email
from {{ cookiecutter.package_name }}.users.schemas import UserCreate

logger = structlog.get_logger(__name__)

# Built once, executed with parameters: composing a statement on every request costs more
# than running it, since each execution reuses the compiled form.
_USER = select(User).where(User.id == bindparam("user_id"))
_USER_WITH_LIVE_SESSION = _USER.where(
    exists().where(
        RefreshToken.family_id == bindparam("session_id"), RefreshToken.revoked_at.is_(None)
    )
)


async def register(session: AsyncSession, hasher: PasswordHasher, *, data: UserCreate) -> User:
    if await users_service.get_by_email(session, email=data.email) is not None:
        raise EmailAlreadyRegisteredError
    await release_connection(session)
    hashed_password = await hasher.hash(data.password)
    return await users_service.create(
        session, email=data.email, hashed_password=hashed_password, full_name=data.full_name
    )


async def check_password(
    session: AsyncSession,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    *,
    user: User | None,
    email: str,
    address: str,
    password: str,
) -> bool:
    """Whether `password` is `user`'s: every password check goes through here.

    The guessing limits of `email` and the client `address` are hit before the hash is
    checked (RateLimitedError past one), so no answer, a limit's or a storage failure's,
    depends on the guess. No pooled connection waits on the hash.
    """
    await release_connection(session)
    account = normalize_email(email)
    await limiter.hit_password_check(account=account, address=address)
    # An unknown email still costs one hash, so timing does not reveal which emails exist.
    valid, new_hash = await hasher.verify(password, user.hashed_password if user else None)
    if user is None or not valid:
        return False
    await limiter.remember_sign_in(account=account, address=address)
    if new_hash is not None:
        await users_service.update(session, user, changes={"hashed_password": new_hash})
    return True


async def authenticate(
    session: AsyncSession,
    hasher: PasswordHasher,
    limiter: RateLimiter,
    *,
    email: str,
    password: str,
    address: str,
) -> User:
    """Return the active user with these credentials, or raise InvalidCredentialsError."""
    user = await users_service.get_by_email(session, email=email)
    valid = await check_password(
        session, hasher, limiter, user=user, email=email, address=address, password=password
    )
    if user is None or not valid or not user.is_active:
        raise InvalidCredentialsError
    return user


async def issue_tokens(
    store: RefreshTokenStore,
    settings: Settings,
    user: User,
    *,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    """A new access and refresh token; the refresh token starts or continues a family.

    The access token names the family as its session, so ending the family ends it too.
    """
    subject = str(user.id)
    family_id = family_id or uuid.uuid4()
    access_token, _ = security.create_token(
        settings, subject=subject, token_type=TokenType.ACCESS, session_id=str(family_id)
    )
    refresh_token, refresh = security.create_token(
        settings, subject=subject, token_type=TokenType.REFRESH
    )
    await store.add(
        security.fingerprint(refresh.token_id),
        user_id=user.id,
        family_id=family_id,
        expires_at=refresh.expires_at,
    )
    return TokenPair(
        access_token=access_token,
        refresh_token=refresh_token,
        expires_in=settings.auth.access_token_ttl_seconds,
    )


async def user_from_token(
    session: AsyncSession, settings: Settings, token: str, *, token_type: TokenType
) -> tuple[User, security.TokenClaims]:
    """The active user a valid token of `token_type` was issued to, or InvalidTokenError.

    An access token's session (its refresh-token family) must still be live, and a token
    issued at or before the user's `tokens_valid_after` is refused: both checks ride on
    the one query that loads the user.
    """
    try:
        claims = security.decode_token(settings, token, expected_type=token_type)
        user_id = uuid.UUID(claims.subject)
        session_id = None if claims.session_id is None else uuid.UUID(claims.session_id)
    except (security.InvalidTokenError, ValueError) as error:
        raise InvalidTokenError from error
    live_session = session_id if token_type is TokenType.ACCESS else None
    user = await load_user(session, user_id, live_session=live_session)
    if user is None or not user.is_active:
        raise InvalidTokenError
    if user.tokens_valid_after is not None and (
        claims.issued_at <= user.tokens_valid_after.timestamp()
    ):
        raise InvalidTokenError
    return user, claims


async def load_user(
    session: AsyncSession, user_id: uuid.UUID, *, live_session: uuid.UUID | None
) -> User | None:
    """The user, provided `live_session` (a refresh-token family), if given, is not revoked."""
    if live_session is None:
        result = await session.execute(_USER, {"user_id": user_id})
    else:
        parameters = {"user_id": user_id, "session_id": live_session}
        result = await session.execute(_USER_WITH_LIVE_SESSION, parameters)
    return result.scalar_one_or_none()


async def refresh(
    session: AsyncSession, store: RefreshTokenStore, settings: Settings, *, refresh_token: str
) -> TokenPair:
    """Rotate: spend the refresh token and issue a new pair in the same family.

    Presenting a token that was already spent means it was stolen (or the client is
    broken): the whole family is revoked, so neither the thief nor the owner can go on.
    """
    user, claims = await user_from_token(
        session, settings, refresh_token, token_type=TokenType.REFRESH
    )
    redemption = await store.redeem(security.fingerprint(claims.token_id))
    if redemption.outcome is Outcome.REUSED and redemption.family_id is not None:
        await store.revoke_family(redemption.family_id)
        logger.warning("refresh_token_reused", user_id=str(user.id))
        # The revocation must outlive this failed request, which rolls back on the raise.
        await session.commit()
        raise InvalidTokenError
    if redemption.outcome is not Outcome.ACCEPTED or redemption.user_id != user.id:
        raise InvalidTokenError
    return await issue_tokens(store, settings, user, family_id=redemption.family_id)


async def logout(
    session: AsyncSession, store: RefreshTokenStore, settings: Settings, *, refresh_token: str
) -> None:
    """End the session the refresh token belongs to: its whole family is revoked."""
    user, claims = await user_from_token(
        session, settings, refresh_token, token_type=TokenType.REFRESH
    )
    redemption = await store.redeem(security.fingerprint(claims.token_id))
    if redemption.family_id is None or redemption.user_id != user.id:
        raise InvalidTokenError
    await store.revoke_family(redemption.family_id)
