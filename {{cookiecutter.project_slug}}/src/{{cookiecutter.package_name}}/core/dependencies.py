"""What routes ask for: the request's session and the shared resources, as `Annotated` aliases.

A request has one session. It is a unit of work, committed before the response is sent,
when the route asks for `SessionDep` anywhere among its dependencies; otherwise it is a
read-only session that is never committed and refuses writes. `ReadSessionDep` hands out
that same session, so a dependency that only reads (the current user) joins whichever kind
the route chose. The aliases read the resources straight from the app, not through
`ResourcesDep`: one dependency less to solve on every request.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request, params
from fastapi.dependencies.models import Dependant
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
from {{ cookiecutter.package_name }}.core.http_client import HttpClient
from {{ cookiecutter.package_name }}.core.rate_limit import RateLimiter, client_address
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.email.mailer import Mailer


async def open_request_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one session: a unit of work if the route writes, else read-only."""
    resources = resources_of(request.app)
    if _route_writes(request.scope.get("route")):
        async with resources.sessionmaker() as session:
            yield session
            await commit(session)
    else:
        async with resources.read_sessionmaker() as session:
            yield session


# scope="function" commits before the response is sent, so a failed commit is never a 2xx.
# A ReadSession, unless the route also asks for SessionDep somewhere: then its unit of work.
ReadSessionDep = Annotated[ReadSession, Depends(open_request_session, scope="function")]


async def get_session(session: ReadSessionDep) -> AsyncSession:
    """Declares that the route writes: the request's session is then a unit of work."""
    return session


SessionDep = Annotated[AsyncSession, Depends(get_session)]

# Route id -> (the route, whether it writes). Routes are not hashable; the reference
# guards against a dead route's id being reused by a new one.
_WRITES: dict[int, tuple[weakref.ref[object], bool]] = {}


def _route_writes(route: object) -> bool:
    """Whether `route` asks for SessionDep among its dependencies (worked out once per route)."""
    known = _WRITES.get(id(route))
    if known is not None and known[0]() is route:
        return known[1]
    dependant = getattr(route, "dependant", None)
    # Not a FastAPI route (no dependant to read): commit, to be safe.
    writes = dependant is None or _asks_for_session(dependant)
    if route is not None:
        _WRITES[id(route)] = (weakref.ref(route), writes)
    return writes


def _asks_for_session(dependant: Dependant) -> bool:
    return any(sub.call is get_session or _asks_for_session(sub) for sub in dependant.dependencies)


async def get_settings(request: Request) -> Settings:
    """The settings the running app was built with (not the cached global)."""
    return resources_of(request.app).settings


async def get_password_hasher(request: Request) -> PasswordHasher:
    return resources_of(request.app).password_hasher


async def get_rate_limiter(request: Request) -> RateLimiter:
    return resources_of(request.app).rate_limiter


async def get_cache(request: Request) -> Cache:
    return resources_of(request.app).cache


SettingsDep = Annotated[Settings, Depends(get_settings)]
PasswordHasherDep = Annotated[PasswordHasher, Depends(get_password_hasher)]
RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]
CacheDep = Annotated[Cache, Depends(get_cache)]


async def get_mailer(request: Request) -> Mailer:
    return resources_of(request.app).mailer


MailerDep = Annotated[Mailer, Depends(get_mailer)]


async def get_http_client(request: Request) -> HttpClient:
    return resources_of(request.app).http_client


HttpClientDep = Annotated[HttpClient, Depends(get_http_client)]
{%- if cookiecutter.use_redis == "yes" %}


async def get_redis(request: Request) -> Redis:
    return resources_of(request.app).redis


RedisDep = Annotated[Redis, Depends(get_redis)]
{%- endif %}
{%- if cookiecutter.task_queue == "taskiq" %}


async def get_broker(request: Request) -> AsyncBroker:
    return resources_of(request.app).broker


BrokerDep = Annotated[AsyncBroker, Depends(get_broker)]
{%- endif %}


def rate_limit(name: str) -> params.Depends:
    """A route dependency enforcing `settings.rate_limit.<name>` per client address."""
    if name not in RateLimitSettings.model_fields:
        msg = f"no rate limit named {name!r} in RateLimitSettings"
        raise ValueError(msg)

    # On every API request: the limiter is read here rather than through a sub-dependency.
    async def enforce(request: Request) -> None:
        await resources_of(request.app).rate_limiter.hit(name, client_address(request))

    return params.Depends(enforce)
