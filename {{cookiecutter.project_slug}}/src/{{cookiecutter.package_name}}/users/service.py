"""User persistence; callers hash passwords and own the transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.exceptions import EmailAlreadyRegisteredError
from {{ cookiecutter.package_name }}.users.models import Role, User


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, *, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == email.lower()))
    return result.scalar_one_or_none()


async def create(
    session: AsyncSession,
    *,
    email: str,
    hashed_password: str,
    full_name: str | None = None,
    role: Role = Role.USER,
) -> User:
    user = User(
        email=email.lower(), hashed_password=hashed_password, full_name=full_name, role=role
    )
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent registration won the race
        raise EmailAlreadyRegisteredError from error
    return user


async def update(
    session: AsyncSession,
    user: User,
    *,
    full_name: str | None = None,
    hashed_password: str | None = None,
) -> User:
    if full_name is not None:
        user.full_name = full_name
    if hashed_password is not None:
        user.hashed_password = hashed_password
    await session.flush()
    return user
