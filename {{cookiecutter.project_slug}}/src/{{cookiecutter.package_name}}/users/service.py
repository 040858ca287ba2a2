"""User persistence; callers hash passwords and own the transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.exceptions import EmailAlreadyRegisteredError
from {{ cookiecutter.package_name }}.users.models import Role, User


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, *, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == email.lower()))
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> tuple[list[User], int]:
    total = await session.scalar(select(func.count()).select_from(User))
    result = await session.scalars(
        select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
    )
    return list(result), total or 0


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
    role: Role | None = None,
    is_active: bool | None = None,
) -> User:
    """Set the given fields; `None` leaves a field as it is."""
    if full_name is not None:
        user.full_name = full_name
    if hashed_password is not None:
        user.hashed_password = hashed_password
    if role is not None:
        user.role = role
    if is_active is not None:
        user.is_active = is_active
    await session.flush()
    return user


async def delete(session: AsyncSession, user: User) -> None:
    await session.delete(user)
    await session.flush()
