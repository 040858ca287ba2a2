"""Sessions: units of work commit whatever the method, read sessions refuse writes, and
the pool reuses its connections."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.db import (
    ReadOnlySessionError,
    ReadSession,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
)
from {{ cookiecutter.package_name }}.core.dependencies import ReadSessionDep, SessionDep
from {{ cookiecutter.package_name }}.core.resources import bind_resources, resources_of
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import make_settings


async def _statements_share_a_transaction(
    factory: async_sessionmaker[AsyncSession] | async_sessionmaker[ReadSession],
) -> bool:
    async with factory() as session:
        first = await session.scalar(text("SELECT txid_current()"))
        second = await session.scalar(text("SELECT txid_current()"))
        return bool(first == second)


async def test_read_only_sessions_run_in_autocommit_on_postgresql(engine: AsyncEngine) -> None:
    read, write = create_read_sessionmaker(engine), create_sessionmaker(engine)

    if engine.dialect.name != "postgresql":
        # Elsewhere only the session class differs.
        assert (read.class_, read.kw) == (ReadSession, write.kw)
        return
    assert not await _statements_share_a_transaction(read)
    assert await _statements_share_a_transaction(write)


async def test_a_read_session_refuses_to_save_objects(engine: AsyncEngine) -> None:
    async with create_read_sessionmaker(engine)() as session:
        session.add(Item(owner_id=uuid.uuid4(), title="never saved"))
        with pytest.raises(ReadOnlySessionError):
            await session.flush()


async def test_a_read_session_refuses_write_statements(engine: AsyncEngine) -> None:
    async with create_read_sessionmaker(engine)() as session:
        with pytest.raises(ReadOnlySessionError):
            await session.execute(update(User).values(full_name="never written"))


async def test_a_get_route_that_asks_for_a_session_commits_its_writes(
    app: FastAPI, auth_client: httpx.AsyncClient, session: AsyncSession, user: User
) -> None:
    @app.get("/test/rename-in-get")
    async def rename_in_get(db: SessionDep) -> None:
        await db.execute(update(User).where(User.id == user.id).values(full_name="Renamed"))

    response = await auth_client.get("/test/rename-in-get")
    await session.refresh(user)

    assert response.status_code == 200, response.text
    assert user.full_name == "Renamed"


async def test_a_route_that_writes_through_a_read_session_fails(
    app: FastAPI, auth_client: httpx.AsyncClient, session: AsyncSession, user: User
) -> None:
    @app.get("/test/write-in-read-session")
    async def write_in_read_session(db: ReadSessionDep) -> None:
        await db.execute(update(User).where(User.id == user.id).values(full_name="Renamed"))

    response = await auth_client.get("/test/write-in-read-session")
    await session.refresh(user)

    assert response.status_code == 500, response.text
    assert user.full_name != "Renamed"


class _CountingSessionmaker(async_sessionmaker[Any]):
    opened = 0

    def __call__(self, **local_kw: Any) -> Any:
        self.opened += 1
        return super().__call__(**local_kw)


@pytest.mark.parametrize(
    ("method", "route", "body", "writes"),
    [("GET", "list_items", None, False), ("PATCH", "update_me", {"full_name": "N"}, True)],
    ids=["read-route", "write-route"],
)
async def test_a_request_opens_one_session_of_the_kind_its_route_declares(
    app: FastAPI,
    auth_client: httpx.AsyncClient,
    method: str,
    route: str,
    body: dict[str, str] | None,
    writes: bool,  # noqa: FBT001 - a parametrized expectation
) -> None:
    resources = resources_of(app)
    write = _CountingSessionmaker(**resources.sessionmaker.kw)
    read = _CountingSessionmaker(class_=ReadSession, **resources.read_sessionmaker.kw)
    bind_resources(app, replace(resources, sessionmaker=write, read_sessionmaker=read))

    response = await auth_client.request(method, app.url_path_for(route), json=body)

    assert response.status_code == 200, response.text
    assert (write.opened, read.opened) == ((1, 0) if writes else (0, 1))


async def test_a_busy_service_reuses_its_connections_instead_of_opening_new_ones(
    database_url: str,
) -> None:
    settings = make_settings(database_url)
    engine = create_engine(settings)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda connection, _: opened.append(connection))

    async def query() -> None:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            await asyncio.sleep(0.01)  # held a moment, as by a request

    burst = 3 * settings.db.pool_size
    await asyncio.gather(*(query() for _ in range(burst)))
    after_first_burst = len(opened)
    await asyncio.gather(*(query() for _ in range(burst)))
    await engine.dispose()

    # Concurrency beyond the pool waits for a connection (SQLite's pool is one); none is
    # opened per request.
    assert after_first_burst <= settings.db.pool_size
    assert len(opened) == after_first_burst
