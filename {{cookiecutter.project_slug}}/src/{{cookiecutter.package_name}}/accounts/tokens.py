"""Issue, check and spend account tokens: random, single use, short-lived, stored hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.users.models import User

# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
TOKEN_MAX_LENGTH = 128


def _fingerprint(token: str) -> str:
    # 256 random bits need no salt or slow hash: a leaked table replays nothing.
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(
    session: AsyncSession,
    user: User,
    purpose: TokenPurpose,
    *,
    ttl: timedelta,
    email: str | None = None,
) -> str:
    """A new token for `user`, sent to `email` (theirs unless given); earlier ones die.

    Only the latest link of a purpose works, so an old email in the inbox opens nothing.
    The user's expired tokens are deleted meanwhile: no job is needed to keep the table small.
    """
    now = utcnow()
    await session.execute(
        delete(AccountToken).where(AccountToken.user_id == user.id, AccountToken.expires_at < now)
    )
    await session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            fingerprint=_fingerprint(token),
            user_id=user.id,
            purpose=purpose,
            email=email or user.email,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return token


async def find(
    session: AsyncSession, token: str, purpose: TokenPurpose
) -> tuple[AccountToken, User] | None:
    """The live token of `purpose` and its active user, or None: unknown, used or expired.

    A token issued before the user's last password change, or sent to an address the
    account no longer has (an email change's is sent to the new one), is dead too.
    """
    if len(token) > TOKEN_MAX_LENGTH:
        return None
    result = await session.execute(
        select(AccountToken, User)
        .join(User, User.id == AccountToken.user_id)
        .where(AccountToken.fingerprint == _fingerprint(token), AccountToken.purpose == purpose)
        # As stored now, not as this session last saw it: `spend` bypasses the session.
        .execution_options(populate_existing=True)
    )
    row = result.one_or_none()
    if row is None:
        return None
    record, user = row
    dead = (
        record.used_at is not None
        or record.expires_at <= utcnow()
        or not user.is_active
        or (user.tokens_valid_after is not None and record.created_at <= user.tokens_valid_after)
        or (purpose is not TokenPurpose.CHANGE_EMAIL and record.email != user.email)
    )
    return None if dead else (record, user)


async def spend(session: AsyncSession, record: AccountToken) -> bool:
    """Mark `record` used; False when a concurrent request spent it first."""
    spent: CursorResult[tuple[()]] = await session.execute(  # type: ignore[assignment] # DML gives a CursorResult
        update(AccountToken)
        .where(AccountToken.fingerprint == record.fingerprint, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1
