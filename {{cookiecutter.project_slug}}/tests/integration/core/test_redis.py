"""Redis: the shared read cache, the limiter's storage policy, and readiness."""

from __future__ import annotations

from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from {{ cookiecutter.package_name }}.core.config import RateLimitSettings
from {{ cookiecutter.package_name }}.core.redis_cache import RedisCache
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import access_token_for, client_for, make_settings, running, serving
from tests.factories.items import create_item

# Nothing listens here: every Redis call fails at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


async def test_the_item_list_is_served_from_the_cache_until_a_write(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    list_url = app.url_path_for("list_items")
    await create_item(session, user, title="first")
    cached = (await auth_client.get(list_url)).json()
    # Written behind the API's back: the cache cannot know.
    await create_item(session, user, title="second")
    still_cached = (await auth_client.get(list_url)).json()
    await auth_client.post(app.url_path_for("create_item"), json={"title": "third"})
    fresh = (await auth_client.get(list_url)).json()

    assert cached["total"] == still_cached["total"] == 1
    assert fresh["total"] == 3


async def test_cache_entries_are_per_owner(
    app: FastAPI, session: AsyncSession, user: User, other_user: User
) -> None:
    await create_item(session, user, title="mine")
    settings = resources_of(app).settings
    async with client_for(app, access_token_for(settings, user)) as mine:
        mine_body = (await mine.get(app.url_path_for("list_items"))).json()
    async with client_for(app, access_token_for(settings, other_user)) as theirs:
        theirs_body = (await theirs.get(app.url_path_for("list_items"))).json()

    assert mine_body["total"] == 1
    assert theirs_body["total"] == 0


async def test_a_value_produced_during_an_invalidation_is_never_served(redis: Redis) -> None:
    cache = RedisCache(redis, ttl_seconds=60)

    async def produce_while_a_write_commits() -> bytes:
        await cache.invalidate("ns")  # the write lands while the old value is produced
        return b"old"

    async def produce_new() -> bytes:
        return b"new"

    assert await cache.get_or_set("ns", "k", produce_while_a_write_commits) == b"old"
    assert await cache.get_or_set("ns", "k", produce_new) == b"new"


async def test_the_cache_falls_back_to_the_database_when_redis_is_down() -> None:
    cache = RedisCache(Redis.from_url(UNREACHABLE_REDIS), ttl_seconds=60)
    calls = 0

    async def produce() -> bytes:
        nonlocal calls
        calls += 1
        return b"value"

    assert await cache.get_or_set("ns", "k", produce) == b"value"
    assert await cache.get_or_set("ns", "k", produce) == b"value"
    await cache.invalidate("ns")  # logged, not raised: the write has committed
    assert calls == 2


def _app_without_redis(database_url: str, *, on_storage_error: Literal["allow", "deny"]) -> FastAPI:
    return create_app(
        make_settings(
            database_url,
            redis_url=UNREACHABLE_REDIS,
            rate_limit=RateLimitSettings(on_storage_error=on_storage_error),
        )
    )


@pytest.mark.parametrize(("policy", "status"), [("allow", 200), ("deny", 503)])
async def test_the_limiter_follows_its_storage_error_policy(
    database_url: str,
    connection: AsyncConnection,
    user: User,
    policy: Literal["allow", "deny"],
    status: int,
) -> None:
    app = _app_without_redis(database_url, on_storage_error=policy)
    async with serving(app, connection):
        token = access_token_for(resources_of(app).settings, user)
        async with client_for(app, token) as client:
            response = await client.get(app.url_path_for("read_me"))

    assert response.status_code == status, response.text
    if status == 503:
        assert response.headers["content-type"] == "application/problem+json"


async def test_readiness_reports_redis_down(database_url: str) -> None:
    app = create_app(make_settings(database_url, redis_url=UNREACHABLE_REDIS))

    async with running(app) as client:
        response = await client.get(app.url_path_for("readiness"))

    assert response.status_code == 503, response.text
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}
