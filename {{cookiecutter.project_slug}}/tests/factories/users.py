"""Users for tests."""

from __future__ import annotations

import uuid

from polyfactory import Use
from polyfactory.factories.sqlalchemy_factory import SQLAlchemyFactory
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.users.models import Role, User

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(SQLAlchemyFactory[User]):
    # Related rows only when a test asks for them (polyfactory's defaults differ by version).
    __set_relationships__ = False
    __set_association_proxy__ = False
    email = Use(lambda: f"user-{uuid.uuid4().hex[:12]}@example.com")
    full_name = "Test User"
    role = Role.USER
    is_active = True
    tokens_valid_after = None
    email_verified_at = None
    created_at = Use(utcnow)
    updated_at = Use(utcnow)


async def create_user(session: AsyncSession, **fields: object) -> User:
    """Build a user (defaults above, `fields` win) and save it in the test session."""
    user = UserFactory.build(**fields)
    session.add(user)
    # Commit releases the test's savepoint: the row survives the app's rollbacks, and the
    # outer transaction still discards it after the test.
    await session.commit()
    return user
