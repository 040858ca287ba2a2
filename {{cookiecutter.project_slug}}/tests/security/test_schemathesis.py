"""Property-based contract test: schemathesis drives every operation of the app's own schema.

It runs in-process (ASGI), authenticated as an admin so every operation is reachable, against
its own migrated SQLite database. Each operation gets FUZZ_EXAMPLES generated requests
(default 25; `nox -s fuzz` runs more). No response may be a 5xx, and every response must
match the documented status codes, content types and body schemas.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import create_engine, create_sessionmaker
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users import service as users_service
from {{ cookiecutter.package_name }}.users.models import Role, User
from tests.conftest import access_token_for, make_settings, migrate

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


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


# The schema is read from an app on a throwaway URL at import; requests go to `fuzz_app`.
# (schemathesis.pytest.from_fixture would be neater but breaks on pytest 9.)
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(make_settings("sqlite+aiosqlite://"))
)


@schema.parametrize()
@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_honours_its_contract(
    case: schemathesis.Case[Any], fuzz_app: FastAPI, admin_headers: dict[str, str]
) -> None:
    case.call_and_validate(app=fuzz_app, headers=admin_headers, checks=CHECKS)
