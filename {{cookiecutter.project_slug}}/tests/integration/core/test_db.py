"""Sessions: read-only requests skip the transaction round trips where that pays."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from {{ cookiecutter.package_name }}.core.db import create_read_sessionmaker, create_sessionmaker


async def _statements_share_a_transaction(factory: async_sessionmaker[AsyncSession]) -> bool:
    async with factory() as session:
        first = await session.scalar(text("SELECT txid_current()"))
        second = await session.scalar(text("SELECT txid_current()"))
        return bool(first == second)


async def test_read_only_sessions_run_in_autocommit_on_postgresql(engine: AsyncEngine) -> None:
    read, write = create_read_sessionmaker(engine), create_sessionmaker(engine)

    if engine.dialect.name != "postgresql":
        # Elsewhere they are ordinary sessions: no option differs.
        assert read.kw == write.kw
        return
    assert not await _statements_share_a_transaction(read)
    assert await _statements_share_a_transaction(write)
