"""Routes: your own account, and account administration (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from {{ cookiecutter.package_name }}.auth.dependencies import (
    CurrentUserDep,
    RefreshTokenStoreDep,
    require_role,
)
from {{ cookiecutter.package_name }}.core.db import SessionDep
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParamsDep
from {{ cookiecutter.package_name }}.core.security import PasswordHasherDep
from {{ cookiecutter.package_name }}.users import service
from {{ cookiecutter.package_name }}.users.dependencies import UserByIdDep
from {{ cookiecutter.package_name }}.users.exceptions import (
    CannotChangeOwnAccessError,
    WrongCurrentPasswordError,
)
from {{ cookiecutter.package_name }}.users.models import Role, User
from {{ cookiecutter.package_name }}.users.schemas import UserAdminUpdate, UserRead, UserUpdateMe

router = APIRouter(prefix="/users", tags=["users"])
admin_router = APIRouter(
    prefix="/users", tags=["users (admin)"], dependencies=[require_role(Role.ADMIN)]
)


@router.get("/me", response_model=UserRead, name="read_me")
async def read_me(user: CurrentUserDep) -> User:
    """The authenticated user's account."""
    return user


@router.patch("/me", response_model=UserRead, name="update_me")
async def update_me(
    data: UserUpdateMe,
    user: CurrentUserDep,
    session: SessionDep,
    hasher: PasswordHasherDep,
    store: RefreshTokenStoreDep,
) -> User:
    """Change your name, or your password (with `current_password`).

    A new password signs out every session: all your refresh tokens are revoked.
    """
    hashed_password = None
    if data.password is not None:
        valid, _ = await hasher.verify(data.current_password or "", user.hashed_password)
        if not valid:
            raise WrongCurrentPasswordError
        hashed_password = await hasher.hash(data.password)
        await store.revoke_user(user.id)
    return await service.update(
        session, user, full_name=data.full_name, hashed_password=hashed_password
    )


@admin_router.get("", name="list_users")
async def list_users(session: SessionDep, page: PageParamsDep) -> Page[UserRead]:
    """Every account, oldest first."""
    users, total = await service.list_users(session, limit=page.limit, offset=page.offset)
    return Page[UserRead].of(users, total=total, params=page)


@admin_router.get("/{user_id}", response_model=UserRead, name="read_user")
async def read_user(user: UserByIdDep) -> User:
    """One account."""
    return user


@admin_router.patch("/{user_id}", response_model=UserRead, name="update_user")
async def update_user(
    data: UserAdminUpdate,
    user: UserByIdDep,
    admin: CurrentUserDep,
    session: SessionDep,
    store: RefreshTokenStoreDep,
) -> User:
    """Change an account's name, role or status; deactivating signs it out everywhere."""
    if user.id == admin.id and (data.role is not None or data.is_active is not None):
        raise CannotChangeOwnAccessError
    if data.is_active is False:
        await store.revoke_user(user.id)
    return await service.update(
        session, user, full_name=data.full_name, role=data.role, is_active=data.is_active
    )


@admin_router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    name="delete_user",
)
async def delete_user(user: UserByIdDep, admin: CurrentUserDep, session: SessionDep) -> None:
    """Delete an account with its items and tokens."""
    if user.id == admin.id:
        raise CannotChangeOwnAccessError
    await service.delete(session, user)
