"""Items for tests."""

from __future__ import annotations

from polyfactory import Use
from polyfactory.factories.sqlalchemy_factory import SQLAlchemyFactory
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.users.models import User


class ItemFactory(SQLAlchemyFactory[Item]):
    # Related rows only when a test asks for them (polyfactory's defaults differ by version).
    __set_relationships__ = False
    __set_association_proxy__ = False
    title = Use(lambda: ItemFactory.__faker__.sentence(nb_words=4)[:200])
    description = None
    created_at = Use(utcnow)
    updated_at = Use(utcnow)


async def create_item(session: AsyncSession, owner: User, **fields: object) -> Item:
    """Build an item owned by `owner` and save it in the test session."""
    item = ItemFactory.build(owner_id=owner.id, **fields)
    session.add(item)
    # Commit releases the test's savepoint: the row survives the app's rollbacks, and the
    # outer transaction still discards it after the test.
    await session.commit()
    return item
