"""Database: declarative base, engine, session factories, and the unit-of-work helpers."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, event, func, text
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, ORMExecuteState, Session, mapped_column
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator, TypeEngine

from {{ cookiecutter.package_name }}.core.config import DatabaseSSL, Settings, mask_url

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    SQLite and MySQL store no offset: values go in as UTC and come back marked as UTC.
    MySQL also keeps microseconds only in DATETIME(6).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[datetime]:
        if dialect.name == "mysql":
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            msg = "naive datetimes are ambiguous; pass a timezone-aware value"
            raise ValueError(msg)
        value = value.astimezone(UTC)
        # MariaDB rejects an offset in a DATETIME literal.
        return value.replace(tzinfo=None) if dialect.name == "mysql" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002 - the base's
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


def database_url(settings: Settings) -> URL:
    """DATABASE_URL, with DB__PASSWORD as its password when that is set.

    A password given apart needs no URL-encoding: `@`, `:`, `/` and `%` are plain characters.
    """
    url = make_url(settings.database_url)
    if settings.db.password is not None:
        url = url.set(password=settings.db.password.get_secret_value())
    return url


def create_engine(settings: Settings) -> AsyncEngine:
    url = database_url(settings)
    try:
        return _create_engine(url, settings)
    except ModuleNotFoundError as error:
        # The dialect imports its driver when the engine is made.
        msg = (
            f"the database driver for {url.drivername} is not installed (no module "
            f"{error.name!r}): add it with `uv add {error.name}`"
        )
        raise MissingDriverError(msg) from error


def _create_engine(url: URL, settings: Settings) -> AsyncEngine:
    if url.get_backend_name() == "sqlite":
        # SQLite takes one writer at a time: one connection avoids "database is locked".
        # An in-memory database lives in its connection, so that one is shared outright.
        in_memory = url.database in {None, "", ":memory:"}
        pool: dict[str, Any] = (
            {"poolclass": StaticPool}
            if in_memory
            else {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
        )
        engine = create_async_engine(url, echo=settings.db.echo, hide_parameters=True, **pool)
        _enable_sqlite_transactions(engine)
        return engine
    return create_async_engine(
        url,
        connect_args=_connect_args(url.get_backend_name(), settings),
        echo=settings.db.echo,
        # Parameters hold emails and password hashes: keep them out of logs and errors.
        hide_parameters=True,
        pool_size=settings.db.pool_size,
        max_overflow=settings.db.max_overflow,
        pool_timeout=settings.db.pool_timeout_seconds,
        pool_recycle=settings.db.pool_recycle_seconds,
        pool_pre_ping=settings.db.pool_pre_ping,
    )


def _connect_args(backend: str, settings: Settings) -> dict[str, Any]:
    """Bound the time connecting and querying may take, set TLS, pin the session clock to UTC."""
    connect, query = settings.db.connect_timeout_seconds, settings.db.query_timeout_seconds
    tls = tls_context(settings)
    if backend == "mysql":
        return {
            "connect_timeout": connect,
            "read_timeout": query,
            "init_command": "SET time_zone = '+00:00'",
            # With a context asyncmy always starts TLS: a server without it is refused.
            "ssl": tls,
        }
    if backend == "postgresql":
        return {
            "timeout": connect,
            "command_timeout": query,
            "server_settings": {"timezone": "UTC"},
            # False, not None: None is asyncpg's "prefer", a TLS attempt on every connect.
            # A context means TLS or no connection.
            "ssl": tls or False,
        }
    return {}


def tls_context(settings: Settings) -> ssl.SSLContext | None:
    """The TLS context DB__SSL asks for, made once per engine; None for plain TCP."""
    mode = settings.database_ssl
    if mode is DatabaseSSL.DISABLE:
        return None
    context = ssl.create_default_context(cafile=settings.db.ssl_root_cert)
    if mode is DatabaseSSL.REQUIRE:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _enable_sqlite_transactions(engine: AsyncEngine) -> None:
    """Let SQLAlchemy emit BEGIN itself so savepoints work, and enforce foreign keys."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:  # noqa: ANN401 - driver adapter
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


class DatabaseUnavailableError(RuntimeError):
    """The database cannot be used; the message says where, why and what to do, no password."""


class MissingDriverError(DatabaseUnavailableError):
    """DATABASE_URL names a driver that is not installed."""


async def check_database(engine: AsyncEngine, *, timeout_seconds: float) -> None:
    """Run `SELECT 1`, or raise DatabaseUnavailableError."""
    database = engine.url.database
    # Told before connecting: aiosqlite's thread, failing to open the file, can outlive a
    # short-lived event loop and print a traceback after the one-line error.
    if (
        engine.dialect.name == "sqlite"
        and database not in {None, "", ":memory:"}
        and not Path(str(database)).parent.is_dir()
    ):
        raise _unavailable(engine, FileNotFoundError.__name__)
    try:
        async with asyncio.timeout(timeout_seconds), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        # The type only: driver messages can quote connection parameters.
        raise _unavailable(engine, type(_driver_error(error)).__name__) from error


def _unavailable(engine: AsyncEngine, reason: str) -> DatabaseUnavailableError:
    url = mask_url(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name == "sqlite":
        advice = "check that its directory exists and is writable, or fix DATABASE_URL"
    else:
        advice = (
            "check that the server is running, that DATABASE_URL is right, and that DB__SSL "
            "(verify-full by default in production) suits the server's TLS"
        )
    return DatabaseUnavailableError(f"cannot reach the database at {url} ({reason}); {advice}")


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception (asyncpg's InvalidCatalogNameError), under SQLAlchemy's."""
    while (inner := getattr(error, "orig", None) or error.__cause__) is not None:
        error = inner
    return error


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for units of work: committed by their owner, rolled back on close otherwise."""
    return async_sessionmaker(engine, expire_on_commit=False)


class ReadOnlySessionError(RuntimeError):
    """A write was attempted through a ReadSession; use SessionDep for routes that write."""


class _ReadOnlySyncSession(Session):
    """The synchronous session behind a ReadSession; the listeners below refuse its writes."""


@event.listens_for(_ReadOnlySyncSession, "before_flush")
def _refuse_flush(session: Session, _context: object, _instances: object) -> None:
    if session.new or session.deleted or any(session.is_modified(obj) for obj in session.dirty):
        msg = "this session is read-only: added, changed or deleted objects are not saved"
        raise ReadOnlySessionError(msg)


@event.listens_for(_ReadOnlySyncSession, "do_orm_execute")
def _refuse_write_statements(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        msg = "this session is read-only: INSERT, UPDATE and DELETE are refused"
        raise ReadOnlySessionError(msg)


class ReadSession(AsyncSession):
    """A session for read-only work: never committed, and ORM writes through it are refused.

    A distinct type, so a route's signature says whether it writes.
    """

    sync_session_class = _ReadOnlySyncSession


def create_read_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[ReadSession]:
    """Read-only sessions.

    On PostgreSQL they run in autocommit, which saves the BEGIN and COMMIT round trips; each
    statement still sees committed data only, as it would in a READ COMMITTED transaction.
    Elsewhere BEGIN costs no round trip (SQLite) or autocommit would cost two (MySQL).
    """
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return async_sessionmaker(engine, class_=ReadSession, expire_on_commit=False)


AFTER_COMMIT_KEY = "after_commit"


def after_commit(session: AsyncSession, action: Callable[[], Awaitable[None]]) -> None:
    """Run `action` once the unit of work has committed (say, to invalidate a cache).

    Not before: another request could read the old rows in between and cache them again.
    """
    session.info.setdefault(AFTER_COMMIT_KEY, []).append(action)


async def commit(session: AsyncSession) -> None:
    """Commit, then run the actions registered with `after_commit`."""
    await session.commit()
    for action in session.info.pop(AFTER_COMMIT_KEY, []):
        await action()


async def release_connection(session: AsyncSession) -> None:
    """End the current transaction so its pooled connection is not held during slow work.

    Loaded objects stay usable (`expire_on_commit=False`); the session starts a new
    transaction on its next query.
    """
    await session.commit()
