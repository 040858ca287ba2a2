"""Routes: your own account, and account administration (admins only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response, status

from {{ cookiecutter.package_name }}.auth.dependencies import (
    CurrentUserDep,
    RefreshTokenStoreDep,
    require_role,
)
from {{ cookiecutter.package_name }}.core.dependencies import (
    PasswordHasherDep,
    RateLimiterDep,
    ReadSessionDep,
    SessionDep,
)
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParamsDep
from {{ cookiecutter.package_name }}.core.rate_limit import client_address
from {{ cookiecutter.package_name }}.users import service
from {{ cookiecutter.package_name }}.users.dependencies import UserByIdDep
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
    request: Request,
    data: UserUpdateMe,
    user: CurrentUserDep,
    session: SessionDep,
    hasher: PasswordHasherDep,
    limiter: RateLimiterDep,
    store: RefreshTokenStoreDep,
) -> User:
    """Change your name, or your password (with `current_password`).

    A wrong `current_password` is a 400; checks count against the login limits (429).
    A new password signs out every session: all your refresh tokens are revoked.
    """
    changes = data.model_dump(exclude_unset=True)
    return await service.update_me(
        session, hasher, limiter, store, user, changes=changes, address=client_address(request)
    )


@admin_router.get("", name="list_users")
async def list_users(session: ReadSessionDep, page: PageParamsDep) -> Page[UserRead]:
    """Every account, oldest first."""
    return await service.list_users(session, params=page)


@admin_router.get("/{user_id}", response_model=UserRead, name="read_user")
async def read_user(user_id: uuid.UUID, session: ReadSessionDep) -> User:
    """One account."""
    return await service.get(session, user_id)


@admin_router.patch("/{user_id}", response_model=UserRead, name="update_user")
async def update_user(
    data: UserAdminUpdate,
    user: UserByIdDep,
    admin: CurrentUserDep,
    session: SessionDep,
    store: RefreshTokenStoreDep,
) -> User:
    """Change an account's name, role or status; deactivating signs it out everywhere."""
    changes = data.model_dump(exclude_unset=True)
    return await service.administer(session, store, user, admin=admin, changes=changes)


@admin_router.delete(
    "/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    name="delete_user",
)
async def delete_user(user: UserByIdDep, admin: CurrentUserDep, session: SessionDep) -> None:
    """Delete an account with its items and tokens."""
    await service.delete(session, user, admin=admin)
