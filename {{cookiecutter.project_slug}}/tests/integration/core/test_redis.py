"""Redis: the shared read cache, the limiter's storage policy, and readiness."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from {{ cookiecutter.package_name }}.core.config import (
    CacheSettings,
    RateLimitSettings,
    RedisSettings,
)
from {{ cookiecutter.package_name }}.core.redis_cache import MAX_ENTRY_BYTES, RedisCache
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import (
    TEST_REDIS_URL,
    access_token_for,
    client_for,
    make_settings,
    running,
    serving,
)
from tests.factories.items import create_item
from tests.factories.users import DEFAULT_PASSWORD

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


def _app_without_redis(
    database_url: str, *, on_storage_error: Literal["allow", "deny"], login: str = "10/hour"
) -> FastAPI:
    return create_app(
        make_settings(
            database_url,
            redis_url=UNREACHABLE_REDIS,
            rate_limit=RateLimitSettings(on_storage_error=on_storage_error, login=login),
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


async def test_password_checks_stay_limited_while_redis_is_down(
    database_url: str, connection: AsyncConnection, user: User
) -> None:
    app = _app_without_redis(database_url, on_storage_error="allow", login="2/hour")
    async with serving(app, connection), client_for(app) as client:
        statuses = [
            (
                await client.post(
                    app.url_path_for("login"), data={"username": user.email, "password": password}
                )
            ).status_code
            for password in ("wrong guess", "another guess", DEFAULT_PASSWORD)
        ]

    # Counted in process meanwhile; the right password gets the same 429 as a wrong one.
    assert statuses == [401, 401, 429]


async def test_no_limit_is_skipped_when_a_burst_exceeds_the_redis_pool(
    database_url: str, connection: AsyncConnection
) -> None:
    settings = make_settings(
        database_url,
        rate_limit=RateLimitSettings(default="20/hour"),
        # Twelve requests per pooled connection: enough to queue, few enough that the last
        # one waits well under the pool's bound on a loaded machine. A hung Redis is not what
        # this test is about.
        redis=RedisSettings(max_connections=5, socket_timeout_seconds=5.0),
    )
    app = create_app(settings)
    async with serving(app, connection), client_for(app) as client:
        url = app.url_path_for("read_me")
        responses = await asyncio.gather(*(client.get(url) for _ in range(60)))

    statuses = Counter(response.status_code for response in responses)
    # Past the limit, no token was even looked at: 401s are exactly the requests let through.
    assert statuses == {401: 20, 429: 40}


async def test_readiness_reports_redis_down(database_url: str) -> None:
    app = create_app(make_settings(database_url, redis_url=UNREACHABLE_REDIS))

    async with running(app) as client:
        response = await client.get(app.url_path_for("readiness"))

    assert response.status_code == 503, response.text
    assert response.json()["checks"] == {"database": "ok", "redis": "unavailable"}


async def test_a_value_over_the_entry_bound_is_served_but_not_stored(redis: Redis) -> None:
    cache = RedisCache(redis, ttl_seconds=60)
    oversized = b"x" * (MAX_ENTRY_BYTES + 1)
    produced = 0

    async def produce() -> bytes:
        nonlocal produced
        produced += 1
        return oversized

    assert await cache.get_or_set("ns", "big", produce) == oversized
    assert await cache.get_or_set("ns", "big", produce) == oversized
    assert produced == 2
    assert [key async for key in redis.scan_iter("cache:ns:*")] == []


def _cache_redis_url() -> str:
    """Another database of the test Redis server, standing in for the cache's own Redis."""
    server, database = TEST_REDIS_URL.rsplit("/", 1)
    return f"{server}/{0 if database != '0' else 1}"


async def test_the_cache_uses_its_own_redis_when_one_is_configured(
    database_url: str, connection: AsyncConnection, user: User, redis: Redis
) -> None:
    settings = make_settings(database_url, cache=CacheSettings(redis_url=_cache_redis_url()))
    cache_server = Redis.from_url(_cache_redis_url())
    pattern = f"cache:*{user.id}*"
    try:
        async with serving(create_app(settings), connection) as app:
            async with client_for(app, access_token_for(settings, user)) as client:
                response = await client.get(app.url_path_for("list_items"))
            in_cache_redis = [key async for key in cache_server.scan_iter(pattern)]
        in_service_redis = [key async for key in redis.scan_iter(pattern)]
    finally:
        for key in [key async for key in cache_server.scan_iter(pattern)]:
            await cache_server.delete(key)
        await cache_server.aclose()

    assert response.status_code == 200, response.text
    assert in_cache_redis
    assert in_service_redis == []
