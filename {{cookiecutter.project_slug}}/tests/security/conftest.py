"""Fixtures of the fuzzing suites: an app on its own migrated database, and an admin's token."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.models import Role, User
from tests.conftest import access_token_for, make_settings, migrate


@pytest.fixture(scope="module")
def fuzz_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    database: Path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    fuzz_settings = make_settings(f"sqlite+aiosqlite:///{database}")
    migrate(fuzz_settings)
    return fuzz_settings


@pytest.fixture(scope="module")
def fuzz_app(fuzz_settings: Settings) -> FastAPI:
    # Real sessions, not the rolled-back test transaction: schemathesis runs the app on its
    # own event loop.
    return create_app(fuzz_settings)


@pytest.fixture(scope="module")
def admin_headers(fuzz_settings: Settings) -> dict[str, str]:
    async def create_admin() -> User:
        engine = create_engine(fuzz_settings)
        try:
            async with create_sessionmaker(engine).begin() as session:
                return await users_service.create(
                    session,
                    email="fuzz-admin@example.com",
                    hashed_password=await PasswordHasher(fuzz_settings).hash("fuzzing admin pw"),
                    role=Role.ADMIN,
                )
        finally:
            await engine.dispose()

    admin = asyncio.run(create_admin())
    return {"Authorization": f"Bearer {access_token_for(fuzz_settings, admin)}"}
