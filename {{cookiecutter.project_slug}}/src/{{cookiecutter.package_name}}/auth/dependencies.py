"""The current user, and role checks."""

from __future__ import annotations

from typing import Annotated

import structlog
{%- if cookiecutter.use_redis == "yes" %}
from fastapi import Depends, Request, params
{%- else %}
from fastapi import Depends, params
{%- endif %}
from fastapi.security import OAuth2PasswordBearer
{%- if cookiecutter.use_redis == "yes" %}
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession
{%- endif %}

from {{ cookiecutter.package_name }}.auth import service
{%- if cookiecutter.use_redis == "yes" %}
from {{ cookiecutter.package_name }}.auth.redis_store import RedisRefreshTokenStore
{%- endif %}
from {{ cookiecutter.package_name }}.auth.store import DatabaseRefreshTokenStore, RefreshTokenStore
{%- if cookiecutter.use_redis == "yes" %}
from {{ cookiecutter.package_name }}.core.config import Settings, SettingsDep
{%- else %}
from {{ cookiecutter.package_name }}.core.config import SettingsDep
{%- endif %}
from {{ cookiecutter.package_name }}.core.db import SessionDep
from {{ cookiecutter.package_name }}.core.errors import AuthenticationError, PermissionDeniedError
from {{ cookiecutter.package_name }}.core.security import TokenType
from {{ cookiecutter.package_name }}.users.models import Role, User

LOGIN_PATH = "/api/v1/auth/login"
# auto_error=False: a missing token gets our problem JSON rather than FastAPI's default body.
bearer_token = OAuth2PasswordBearer(tokenUrl=LOGIN_PATH, auto_error=False)


async def get_current_user(
    token: Annotated[str | None, Depends(bearer_token)],
    session: SessionDep,
    settings: SettingsDep,
) -> User:
    if not token:
        msg = "Missing bearer token."
        raise AuthenticationError(msg)
    user, _ = await service.user_from_token(session, settings, token, token_type=TokenType.ACCESS)
    # Every later log line of this request, the access line included, names the user.
    structlog.contextvars.bind_contextvars(user_id=str(user.id))
    return user


CurrentUserDep = Annotated[User, Depends(get_current_user)]

{% if cookiecutter.use_redis == "yes" %}
def refresh_token_store(
    settings: Settings, session: AsyncSession, redis: Redis
) -> RefreshTokenStore:
    """The store `settings.auth.session_store` names."""
    if settings.auth.session_store == "redis":
        return RedisRefreshTokenStore(redis, ttl_seconds=settings.auth.refresh_token_ttl_seconds)
    return DatabaseRefreshTokenStore(session)


async def get_refresh_token_store(
    request: Request, session: SessionDep, settings: SettingsDep
) -> RefreshTokenStore:
    return refresh_token_store(settings, session, request.app.state.redis)
{%- else %}
async def get_refresh_token_store(session: SessionDep) -> RefreshTokenStore:
    return DatabaseRefreshTokenStore(session)
{%- endif %}


RefreshTokenStoreDep = Annotated[RefreshTokenStore, Depends(get_refresh_token_store)]


def require_role(*roles: Role) -> params.Depends:
    """A dependency that lets only users holding one of `roles` through (403 otherwise)."""

    async def check_role(user: CurrentUserDep) -> User:
        if user.role not in roles:
            raise PermissionDeniedError
        return user

    return params.Depends(check_role)
