"""Users: persistence, self-service changes and administration; callers own the transaction."""

from __future__ import annotations

import uuid
{%- if cookiecutter.graphql == "yes" %}
from collections.abc import Collection
{%- endif %}

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.auth.store import RefreshTokenStore
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.core.errors import PermissionDeniedError
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParams, paginate
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.users.exceptions import (
    CannotChangeOwnAccessError,
    EmailAlreadyRegisteredError,
    LastAdminError,
    UserNotFoundError,
    WrongCurrentPasswordError,
)
from {{ cookiecutter.package_name }}.users.models import Role, User, normalize_email
from {{ cookiecutter.package_name }}.users.schemas import UserRead


async def get(session: AsyncSession, user_id: uuid.UUID) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise UserNotFoundError
    return user
{%- if cookiecutter.graphql == "yes" %}


async def get_many(session: AsyncSession, user_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, User]:
    """The users of `user_ids` that exist, by id, in one query."""
    result = await session.execute(select(User).where(User.id.in_(set(user_ids))))
    return {user.id: user for user in result.scalars()}
{%- endif %}


async def get_by_email(session: AsyncSession, *, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == normalize_email(email)))
    return result.scalar_one_or_none()


async def list_users(session: AsyncSession, *, params: PageParams) -> Page[UserRead]:
    """Every account, oldest first."""
    verified = User.email_verified_at.is_not(None).label("email_verified")
    query = select(User.__table__, verified).order_by(User.created_at, User.id)
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
        email=normalize_email(email),
        hashed_password=hashed_password,
        full_name=full_name,
        role=role,
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
    limiter: RateLimiter,
    store: RefreshTokenStore,
    user: User,
    *,
    changes: dict[str, object],
    address: str,
) -> User:
    """A user's changes to their own account; a new password needs the current one.

    The current password is checked under the login limits of the account and of the
    client `address`. A new password signs out every session: all the user's refresh
    tokens are revoked.
    """
    password = changes.pop("password", None)
    current_password = changes.pop("current_password", None)
    if isinstance(password, str):
        valid = await auth_service.check_password(
            session,
            hasher,
            limiter,
            user=user,
            email=user.email,
            address=address,
            password=str(current_password or ""),
        )
        if not valid:
            raise WrongCurrentPasswordError
        changes["hashed_password"] = await hasher.hash(password)
        changes["tokens_valid_after"] = utcnow()
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
    removes_admin = changes.get("role", user.role) != Role.ADMIN or not changes.get(
        "is_active", user.is_active
    )
    if removes_admin:
        await _keep_an_active_admin(session, user, admin=admin)
    if changes.get("is_active") is False:
        await store.revoke_user(user.id)
    return await update(session, user, changes=changes)


async def delete(session: AsyncSession, user: User, *, admin: User) -> None:
    """Delete an account with its items and tokens; never the admin's own."""
    if user.id == admin.id:
        raise CannotChangeOwnAccessError
    await _keep_an_active_admin(session, user, admin=admin)
    await session.delete(user)
    await session.flush()


async def _keep_an_active_admin(session: AsyncSession, user: User, *, admin: User) -> None:
    """Refuse to take `user`'s admin access away when no other active admin would remain.

    The active admins' rows stay locked until the change commits, so two admins demoting each
    other at once are serialised: the second one sees the first change and is refused. Locked
    in id order, so concurrent checks cannot deadlock. SQLite serialises writers anyway.
    """
    if user.role != Role.ADMIN or not user.is_active:
        return
    locked = await session.scalars(
        select(User.id)
        .where(User.role == Role.ADMIN, User.is_active.is_(True))
        .order_by(User.id)
        .with_for_update()
    )
    active_admins = set(locked)
    if not active_admins - {user.id}:
        raise LastAdminError
    if admin.id not in active_admins:
        # The acting admin lost the role while this request ran.
        raise PermissionDeniedError
