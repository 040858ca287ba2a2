"""Users: persistence, self-service changes and administration; callers own the transaction."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.store import RefreshTokenStore
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParams, paginate
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.users.exceptions import (
    CannotChangeOwnAccessError,
    EmailAlreadyRegisteredError,
    UserNotFoundError,
    WrongCurrentPasswordError,
)
from {{ cookiecutter.package_name }}.users.models import Role, User
from {{ cookiecutter.package_name }}.users.schemas import UserRead


async def get(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFoundError
    return user


async def get_by_email(session: AsyncSession, *, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == email.lower()))
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession, *, params: PageParams) -> Page[UserRead]:
    """Every account, oldest first."""
    query = select(User.__table__).order_by(User.created_at, User.id)
    return await paginate(session, query, params, Page[UserRead])


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


async def update(session: AsyncSession, user: User, *, changes: dict[str, object]) -> User:
    """Set the fields in `changes`; a field left out stays as it is."""
    for field, value in changes.items():
        setattr(user, field, value)
    await session.flush()
    return user


async def update_me(
    session: AsyncSession,
    hasher: PasswordHasher,
    store: RefreshTokenStore,
    user: User,
    *,
    changes: dict[str, object],
) -> User:
    """A user's changes to their own account; a new password needs the current one.

    A new password signs out every session: all the user's refresh tokens are revoked.
    """
    password = changes.pop("password", None)
    current_password = changes.pop("current_password", None)
    if isinstance(password, str):
        valid, _ = await hasher.verify(str(current_password or ""), user.hashed_password)
        if not valid:
            raise WrongCurrentPasswordError
        changes["hashed_password"] = await hasher.hash(password)
        await store.revoke_user(user.id)
    return await update(session, user, changes=changes)


async def administer(
    session: AsyncSession,
    store: RefreshTokenStore,
    user: User,
    *,
    admin: User,
    changes: dict[str, object],
) -> User:
    """An admin's changes to another account; deactivating it signs it out everywhere."""
    if user.id == admin.id and ("role" in changes or "is_active" in changes):
        raise CannotChangeOwnAccessError
    if changes.get("is_active") is False:
        await store.revoke_user(user.id)
    return await update(session, user, changes=changes)


async def delete(session: AsyncSession, user: User, *, admin: User) -> None:
    """Delete an account with its items and tokens; never the admin's own."""
    if user.id == admin.id:
        raise CannotChangeOwnAccessError
    await session.delete(user)
    await session.flush()
