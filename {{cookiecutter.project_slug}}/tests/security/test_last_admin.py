"""No admin change, however concurrent, leaves the service without an active admin."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from {{ cookiecutter.package_name }}.auth.store import DatabaseRefreshTokenStore
from {{ cookiecutter.package_name }}.core.db import create_sessionmaker
from {{ cookiecutter.package_name }}.users import service
from {{ cookiecutter.package_name }}.users.exceptions import LastAdminError
from {{ cookiecutter.package_name }}.users.models import Role, User
from tests.factories.users import UserFactory, create_user


async def test_demoting_the_last_other_admin_after_losing_the_role_is_409(
    session: AsyncSession, password_hash: str
) -> None:
    first = await create_user(session, hashed_password=password_hash, role=Role.ADMIN)
    second = await create_user(session, hashed_password=password_hash, role=Role.ADMIN)
    # Another request demotes `second` after this one loaded both admins.
    await session.execute(
        update(User)
        .where(User.id == second.id)
        .values(role=Role.USER)
        .execution_options(synchronize_session=False)
    )

    with pytest.raises(LastAdminError) as refused:
        await service.administer(
            session,
            DatabaseRefreshTokenStore(session),
            first,
            admin=second,
            changes={"role": Role.USER},
        )

    assert (refused.value.status_code, refused.value.code) == (409, "last_admin")


async def test_deleting_the_last_other_admin_after_losing_the_role_is_409(
    session: AsyncSession, password_hash: str
) -> None:
    first = await create_user(session, hashed_password=password_hash, role=Role.ADMIN)
    second = await create_user(session, hashed_password=password_hash, role=Role.ADMIN)
    await session.execute(
        update(User)
        .where(User.id == second.id)
        .values(is_active=False)
        .execution_options(synchronize_session=False)
    )

    with pytest.raises(LastAdminError):
        await service.delete(session, first, admin=second)


@pytest.fixture
async def two_committed_admins(
    engine: AsyncEngine, password_hash: str
) -> AsyncIterator[tuple[uuid.UUID, uuid.UUID]]:
    """Two admins committed for real, so two connections see them; deleted afterwards."""
    admins = [UserFactory.build(hashed_password=password_hash, role=Role.ADMIN) for _ in range(2)]
    async with create_sessionmaker(engine).begin() as session:
        session.add_all(admins)
    yield admins[0].id, admins[1].id
    async with create_sessionmaker(engine).begin() as session:
        await session.execute(delete(User).where(User.id.in_([admin.id for admin in admins])))


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    engine: AsyncEngine, two_committed_admins: tuple[uuid.UUID, uuid.UUID]
) -> None:
    sessionmaker = create_sessionmaker(engine)
    # SQLite serialises writers through its one pooled connection: the second session cannot
    # read before the first commits. Elsewhere both read first, then both try to write.
    both_loaded = asyncio.Barrier(1 if engine.dialect.name == "sqlite" else 2)

    async def demote(admin_id: uuid.UUID, target_id: uuid.UUID) -> None:
        async with sessionmaker.begin() as session:
            admin, target = await session.get(User, admin_id), await session.get(User, target_id)
            assert admin is not None
            assert target is not None
            await both_loaded.wait()
            await service.administer(
                session,
                DatabaseRefreshTokenStore(session),
                target,
                admin=admin,
                changes={"role": Role.USER},
            )

    first, second = two_committed_admins
    outcomes = await asyncio.wait_for(
        asyncio.gather(demote(first, second), demote(second, first), return_exceptions=True),
        timeout=30,
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["LastAdminError", "NoneType"]
    async with sessionmaker() as session:
        roles = await session.scalars(select(User.role).where(User.id.in_([first, second])))
        assert sorted(roles) == [Role.ADMIN, Role.USER]
