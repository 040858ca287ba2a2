"""Account tokens: hashed at rest, single use, superseded by newer ones, cleaned up as used."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.accounts import tokens
from {{ cookiecutter.package_name }}.accounts.models import AccountToken, TokenPurpose
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.users.models import User

TTL = timedelta(minutes=10)


async def _rows(session: AsyncSession, user: User) -> list[AccountToken]:
    result = await session.scalars(select(AccountToken).where(AccountToken.user_id == user.id))
    return list(result)


async def test_only_a_hash_of_the_token_is_stored(session: AsyncSession, user: User) -> None:
    token = await tokens.issue(session, user, TokenPurpose.RESET_PASSWORD, ttl=TTL)

    [row] = await _rows(session, user)
    assert token not in (row.fingerprint, row.email)
    assert len(token) >= 43  # 256 random bits


async def test_a_token_is_spent_once_and_is_good_for_its_purpose_only(
    session: AsyncSession, user: User
) -> None:
    token = await tokens.issue(session, user, TokenPurpose.VERIFY_EMAIL, ttl=TTL)

    assert await tokens.find(session, token, TokenPurpose.RESET_PASSWORD) is None
    found = await tokens.find(session, token, TokenPurpose.VERIFY_EMAIL)
    assert found is not None
    assert await tokens.spend(session, found[0]) is True
    assert await tokens.spend(session, found[0]) is False
    assert await tokens.find(session, token, TokenPurpose.VERIFY_EMAIL) is None


async def test_a_newer_token_supersedes_older_ones_of_its_purpose(
    session: AsyncSession, user: User
) -> None:
    first = await tokens.issue(session, user, TokenPurpose.RESET_PASSWORD, ttl=TTL)
    other = await tokens.issue(session, user, TokenPurpose.VERIFY_EMAIL, ttl=TTL)
    second = await tokens.issue(session, user, TokenPurpose.RESET_PASSWORD, ttl=TTL)

    assert await tokens.find(session, first, TokenPurpose.RESET_PASSWORD) is None
    assert await tokens.find(session, second, TokenPurpose.RESET_PASSWORD) is not None
    assert await tokens.find(session, other, TokenPurpose.VERIFY_EMAIL) is not None


async def test_issuing_deletes_the_users_expired_tokens(session: AsyncSession, user: User) -> None:
    for _ in range(3):
        await tokens.issue(session, user, TokenPurpose.MFA_LOGIN, ttl=TTL)
    await session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))

    await tokens.issue(session, user, TokenPurpose.VERIFY_EMAIL, ttl=TTL)

    count = await session.scalar(
        select(func.count()).select_from(AccountToken).where(AccountToken.user_id == user.id)
    )
    assert count == 1


async def test_a_token_for_an_address_the_account_left_is_dead(
    session: AsyncSession, user: User
) -> None:
    token = await tokens.issue(session, user, TokenPurpose.VERIFY_EMAIL, ttl=TTL)
    user.email = "moved@example.com"
    await session.flush()

    assert await tokens.find(session, token, TokenPurpose.VERIFY_EMAIL) is None


async def test_an_overlong_token_is_refused_without_a_query(session: AsyncSession) -> None:
    assert await tokens.find(session, "x" * 1000, TokenPurpose.VERIFY_EMAIL) is None
