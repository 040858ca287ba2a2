"""Alembic environment: async engine, URL from the application settings."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import URL, Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from {{ cookiecutter.package_name }}.core.config import Settings, get_settings
from {{ cookiecutter.package_name }}.core.db import UTCDateTime, database_url
from {{ cookiecutter.package_name }}.models import Base

config = context.config
# The `alembic` command configures logging from alembic.ini; the app's CLI has its own.
if config.config_file_name is not None and "settings" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
DATETIME_COLUMN_TYPE = 'sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")'


def _database_url() -> URL:
    settings: Settings = config.attributes.get("settings") or get_settings()
    return database_url(settings)


def _render_item(type_: str, obj: object, context: AutogenContext) -> str | Literal[False]:
    # Migrations stay free of app imports: UTCDateTime is stored as a plain DateTime,
    # with microseconds on MySQL.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        context.imports.add("from sqlalchemy.dialects import mysql")
        return DATETIME_COLUMN_TYPE
    return False


def _configure(**options: object) -> None:
    context.configure(
        target_metadata=target_metadata,
        compare_type=True,
        render_item=_render_item,
        # The CLI's `migrate` lists what it applied.
        on_version_apply=config.attributes.get("on_version_apply"),
        **options,  # type: ignore[arg-type] # Alembic's options, passed through
    )


def run_migrations_offline() -> None:
    url = _database_url()
    _configure(url=url, literal_binds=True, render_as_batch=url.get_backend_name() == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def _run_migrations(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


async def run_migrations_online() -> None:
    engine = create_async_engine(_database_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run_migrations)
    finally:
        await engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    asyncio.run(run_migrations_online())
