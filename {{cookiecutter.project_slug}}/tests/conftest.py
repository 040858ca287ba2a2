"""Fixtures: a database migrated once per test session, and one rolled-back transaction per test.

Tests run on a throwaway SQLite file unless DATABASE_URL names another server: then a
separate `<database>_test` database is created there (and dropped afterwards).
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import replace
from typing import Any

import httpx
import pytest
import structlog
from alembic import command
from fastapi import FastAPI
{%- if cookiecutter.use_redis == "yes" %}
from redis.asyncio import Redis
from redis.exceptions import RedisError
{%- endif %}
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from structlog.testing import LogCapture
from structlog.typing import EventDict
{%- if cookiecutter.task_queue == "taskiq" %}
from taskiq.receiver import Receiver
{%- endif %}

from {{ cookiecutter.package_name }}.commands import alembic_config
from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    AuthSettings,
    EmailBackend,
    EmailSettings,
    Environment,
    RateLimitSettings,
    Settings,
)
from {{ cookiecutter.package_name }}.core.db import ReadSession, create_engine
from {{ cookiecutter.package_name }}.core.resources import Resources, bind_resources, resources_of
from {{ cookiecutter.package_name }}.core.security import PasswordHasher, TokenType, create_token
from {{ cookiecutter.package_name }}.main import create_app
{%- if cookiecutter.task_queue == "taskiq" %}
from {{ cookiecutter.package_name }}.tasks.dependencies import (
    bind_worker_resources,
    get_worker_resources,
)
from {{ cookiecutter.package_name }}.tasks.worker import create_worker_broker
{%- endif %}
from {{ cookiecutter.package_name }}.users.models import Role, User
from tests.factories.users import DEFAULT_PASSWORD, create_user

TEST_SECRET_KEY = "test-only-secret-key-0123456789abcdefghijklmnop"
# Test servers listen on loopback without certificates; production's default, verify-full,
# has tests of its own (tests/unit/core/test_config.py). Set DB__SSL to test over TLS.
os.environ.setdefault("DB__SSL", "disable")
# Production also refuses to start without a mail server and the address its links point to.
FRONTEND_URL = "https://app.example.com"
PRODUCTION_EMAIL = EmailSettings(
    backend=EmailBackend.SMTP, smtp_host="127.0.0.1", from_address="noreply@example.com"
)
PRODUCTION_ENV = {
    "APP__ENVIRONMENT": "production",
    "APP__FRONTEND_URL": FRONTEND_URL,
    "EMAIL__BACKEND": "smtp",
    "EMAIL__SMTP_HOST": "127.0.0.1",
    "EMAIL__FROM_ADDRESS": "noreply@example.com",
}
{%- if cookiecutter.use_redis == "yes" %}
# A database of its own: the suite flushes it before every test.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
{%- endif %}


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: never read from the developer's .env."""
    values: dict[str, object] = {
        "database_url": database_url,
{%- if cookiecutter.use_redis == "yes" %}
        "redis_url": TEST_REDIS_URL,
{%- endif %}
        "app": AppSettings(environment=Environment.TEST),
        # Cheap hashing keeps the suite fast; production cost is a setting.
        "auth": AuthSettings(
            secret_key=TEST_SECRET_KEY, argon2_memory_kib=8192, argon2_time_cost=1
        ),
        # Limits are tested on purpose in tests/security; elsewhere they stay out of the way.
        "rate_limit": RateLimitSettings(
            default="10000/minute",
            login="10000/minute",
            registration="10000/minute",
            refresh="10000/minute",
            account="10000/minute",
            email="10000/minute",
            email_per_account="10000/minute",
        ),
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type] # mixed value types


def free_port() -> int:
    """A loopback port nothing listens on (until a test starts a server there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def production_app(**values: Any) -> AppSettings:
    """Production's app settings, with the APP__FRONTEND_URL it requires."""
    return AppSettings(environment=Environment.PRODUCTION, frontend_url=FRONTEND_URL, **values)


@contextmanager
def captured_logs() -> Iterator[list[EventDict]]:
    """Every event logged meanwhile, whatever level an earlier app configured, with its context.

    Not structlog's `capture_logs`, which keeps that level's filter.
    """
    configuration = structlog.get_config()
    capture = LogCapture()
    structlog.configure(
        processors=[structlog.contextvars.merge_contextvars, capture],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
    )
    try:
        yield capture.entries
    finally:
        structlog.configure(**configuration)


def migrate(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")


async def _recreate_database(server_url: URL, name: str, *, drop_only: bool = False) -> None:
    # Connected to the server's maintenance database, since `name` is the one dropped.
    backend = server_url.get_backend_name()
    admin_url = server_url.set(database="postgres" if backend == "postgresql" else None)
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    charset = " CHARACTER SET utf8mb4" if backend == "mysql" else ""
    try:
        async with engine.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote_identifier(name)
            await connection.execute(text(f"DROP DATABASE IF EXISTS {quoted}"))
            if not drop_only:
                await connection.execute(text(f"CREATE DATABASE {quoted}{charset}"))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this test session (and xdist worker)."""
    server = os.environ.get("DATABASE_URL", "")
    if not server or server.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        migrate(make_settings(url))
        yield url
        return

    server_url = make_url(server)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{server_url.database}_test_{worker}"
    asyncio.run(_recreate_database(server_url, name))
    url = server_url.set(database=name).render_as_string(hide_password=False)
    migrate(make_settings(url))
    yield url
    asyncio.run(_recreate_database(server_url, name, drop_only=True))


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return make_settings(database_url)
{%- if cookiecutter.use_redis == "yes" %}


@pytest.fixture(autouse=True)
async def redis() -> AsyncIterator[Redis]:
    """The test Redis database, emptied before each test."""
    client = Redis.from_url(TEST_REDIS_URL)
    try:
        await client.flushdb()
    except RedisError as error:
        await client.aclose()
        pytest.fail(f"no Redis at TEST_REDIS_URL={TEST_REDIS_URL} ({error}); start one first")
    yield client
    await client.aclose()
{%- endif %}


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@pytest.fixture
async def connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    async with engine.connect() as connection:
        transaction = await connection.begin()
        try:
            yield connection
        finally:
            await transaction.rollback()


@pytest.fixture
async def session(connection: AsyncConnection) -> AsyncIterator[AsyncSession]:
    """The test's own session, in the outer transaction: nothing it writes survives the test."""
    session = AsyncSession(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield session
    finally:
        await session.close()


def on_connection(resources: Resources, connection: AsyncConnection) -> Resources:
    """`resources` whose sessions join the test's connection: their commits release savepoints."""
    return replace(
        resources,
        sessionmaker=async_sessionmaker(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        ),
        read_sessionmaker=async_sessionmaker(
            bind=connection,
            class_=ReadSession,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
        ),
    )

{%- if cookiecutter.task_queue == "taskiq" %}


async def run_next_job(
    settings: Settings, connection: AsyncConnection, *, timeout_seconds: float = 10.0
) -> None:
    """Do what `{{ cookiecutter.package_name }} worker` does, for one queued job, in-process.

    The worker's sessions join the test's transaction, as the app's do. Fails when no job
    arrives within `timeout_seconds`.
    """
    broker = create_worker_broker(settings)
    broker.is_worker_process = True
    await broker.startup()
    try:
        joined = on_connection(get_worker_resources(broker.state), connection)
        bind_worker_resources(broker.state, joined)
        receiver = Receiver(broker, run_startup=False)
        async with asyncio.timeout(timeout_seconds):
            async for message in broker.listen():
                await receiver.callback(message, raise_err=True)
                break
    finally:
        await broker.shutdown()
{%- endif %}


@asynccontextmanager
async def client_for(app: FastAPI, token: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to `app` in-process, authenticated when given a token."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=headers
    ) as client:
        yield client


@asynccontextmanager
async def running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's startup and shutdown around a client for it."""
    async with app.router.lifespan_context(app), client_for(app) as client:
        yield client


@asynccontextmanager
async def serving(app: FastAPI, connection: AsyncConnection) -> AsyncIterator[FastAPI]:
    """Run `app`'s lifespan, with every request's session joined to the test's transaction."""
    async with app.router.lifespan_context(app):
        bind_resources(app, on_connection(resources_of(app), connection))
        yield app


@pytest.fixture
async def app(settings: Settings, connection: AsyncConnection) -> AsyncIterator[FastAPI]:
    """The app on the test database."""
    async with serving(create_app(settings), connection) as app:
        yield app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(app) as client:
        yield client


@pytest.fixture(scope="session")
async def password_hash(settings: Settings) -> str:
    """The hash of DEFAULT_PASSWORD, computed once."""
    return await PasswordHasher(settings).hash(DEFAULT_PASSWORD)


@pytest.fixture
async def user(session: AsyncSession, password_hash: str) -> User:
    return await create_user(session, hashed_password=password_hash)


@pytest.fixture
async def other_user(session: AsyncSession, password_hash: str) -> User:
    return await create_user(session, hashed_password=password_hash)


def access_token_for(settings: Settings, user: User) -> str:
    token, _ = create_token(settings, subject=str(user.id), token_type=TokenType.ACCESS)
    return token


@pytest.fixture
def user_token(settings: Settings, user: User) -> str:
    return access_token_for(settings, user)


@pytest.fixture
async def admin(session: AsyncSession, password_hash: str) -> User:
    return await create_user(session, hashed_password=password_hash, role=Role.ADMIN)


@pytest.fixture
async def admin_client(
    app: FastAPI, settings: Settings, admin: User
) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated as `admin`."""
    async with client_for(app, access_token_for(settings, admin)) as client:
        yield client


@pytest.fixture
async def auth_client(app: FastAPI, user_token: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client authenticated as `user`."""
    async with client_for(app, user_token) as client:
        yield client
