"""The current user, role checks, and the refresh-token store."""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request, params
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth import service
from {{ cookiecutter.package_name }}.auth.exceptions import InvalidTokenError
from {{ cookiecutter.package_name }}.auth.schemas import TOKEN_MAX_LENGTH
from {{ cookiecutter.package_name }}.auth.store import DatabaseRefreshTokenStore, RefreshTokenStore
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.dependencies import ReadSessionDep, SessionDep
from {{ cookiecutter.package_name }}.core.errors import AuthenticationError, PermissionDeniedError
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.core.security import TokenType
from {{ cookiecutter.package_name }}.users.models import Role, User

LOGIN_PATH = "/api/v1/auth/login"
# auto_error=False: a missing token gets our problem JSON rather than FastAPI's default body.
bearer_token = OAuth2PasswordBearer(tokenUrl=LOGIN_PATH, auto_error=False)


async def get_current_user(
    request: Request,
    token: Annotated[str | None, Depends(bearer_token)],
    session: ReadSessionDep,
) -> User:
    """The user the bearer token was issued to, loaded on every request.

    Through the request's one session: read-only, or the route's unit of work when it writes.
    The settings are read from the app, not through SettingsDep: one dependency less to
    solve on nearly every request.
    """
    return await authenticate(session, resources_of(request.app).settings, token)


async def authenticate(session: AsyncSession, settings: Settings, token: str | None) -> User:
    """The user an access token was issued to, or AuthenticationError (also for GraphQL)."""
    if not token:
        msg = "Missing bearer token."
        raise AuthenticationError(msg)
    if len(token) > TOKEN_MAX_LENGTH:  # not one of ours: refused before any decoding
        raise InvalidTokenError
    user, _ = await service.user_from_token(session, settings, token, token_type=TokenType.ACCESS)
    # Every later log line of this request, the access line included, names the user.
    structlog.contextvars.bind_contextvars(user_id=str(user.id))
    return user


CurrentUserDep = Annotated[User, Depends(get_current_user)]


async def get_refresh_token_store(session: SessionDep) -> RefreshTokenStore:
    """Refresh-token records live in the request's unit of work: rotation commits with it."""
    return DatabaseRefreshTokenStore(session)


RefreshTokenStoreDep = Annotated[RefreshTokenStore, Depends(get_refresh_token_store)]


def require_role(*roles: Role) -> params.Depends:
    """A dependency that lets only users holding one of `roles` through (403 otherwise)."""

    async def check_role(user: CurrentUserDep) -> User:
        return ensure_role(user, *roles)

    return params.Depends(check_role)


def ensure_role(user: User, *roles: Role) -> User:
    """`user`, if it holds one of `roles`; PermissionDeniedError otherwise."""
    if user.role not in roles:
        raise PermissionDeniedError
    return user
