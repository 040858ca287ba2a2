"""What routes ask for: the request's sessions and the shared resources, as `Annotated` aliases.

`SessionDep` is one unit of work, committed before the response is sent. Read-only routes
ask for `ReadSessionDep` instead: it is never committed and refuses writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, params
{%- if cookiecutter.use_redis == "yes" %}
from redis.asyncio import Redis
{%- endif %}
from sqlalchemy.ext.asyncio import AsyncSession
{%- if cookiecutter.task_queue == "taskiq" %}
from taskiq import AsyncBroker
{%- endif %}

from {{ cookiecutter.package_name }}.core.cache import Cache
from {{ cookiecutter.package_name }}.core.config import RateLimitSettings, Settings
from {{ cookiecutter.package_name }}.core.db import ReadSession, commit
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter, client_address
from {{ cookiecutter.package_name }}.core.resources import ResourcesDep
from {{ cookiecutter.package_name }}.core.security import PasswordHasher


async def get_session(resources: ResourcesDep) -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit on success, roll back on any error."""
    async with resources.sessionmaker() as session:
        yield session
        await commit(session)


async def get_read_session(resources: ResourcesDep) -> AsyncIterator[ReadSession]:
    """A read-only session for the request: nothing to commit, so it is just closed."""
    async with resources.read_sessionmaker() as session:
        yield session


# scope="function" commits before the response is sent, so a failed commit is never a 2xx.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
ReadSessionDep = Annotated[ReadSession, Depends(get_read_session, scope="function")]


async def get_settings(resources: ResourcesDep) -> Settings:
    """The settings the running app was built with (not the cached global)."""
    return resources.settings


async def get_password_hasher(resources: ResourcesDep) -> PasswordHasher:
    return resources.password_hasher


async def get_rate_limiter(resources: ResourcesDep) -> RateLimiter:
    return resources.rate_limiter


async def get_cache(resources: ResourcesDep) -> Cache:
    return resources.cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
CacheDep = Annotated[Cache, Depends(get_cache)]
{%- if cookiecutter.use_redis == "yes" %}


async def get_redis(resources: ResourcesDep) -> Redis:
    return resources.redis


RedisDep = Annotated[Redis, Depends(get_redis)]
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}


async def get_broker(resources: ResourcesDep) -> AsyncBroker:
    return resources.broker


BrokerDep = Annotated[AsyncBroker, Depends(get_broker)]
{%- endif %}


def rate_limit(name: str) -> params.Depends:
    """A route dependency enforcing `settings.rate_limit.<name>` per client address."""
    if name not in RateLimitSettings.model_fields:
        msg = f"no rate limit named {name!r} in RateLimitSettings"
        raise ValueError(msg)

    async def enforce(request: Request, limiter: RateLimiterDep) -> None:
        await limiter.hit(name, client_address(request))

    return params.Depends(enforce)
