"""Items: persistence always scoped to an owner, and the owner's cached list."""

from __future__ import annotations

import uuid
from functools import partial

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.cache import Cache
from {{ cookiecutter.package_name }}.core.db import after_commit
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParams, paginate
from {{ cookiecutter.package_name }}.items.exceptions import ItemNotFoundError
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import ItemRead

# Built once: each request only fills in the owner.
_OWNER_ITEMS = (
    select(Item.__table__)
    .where(Item.owner_id == bindparam("owner_id"))
    .order_by(Item.created_at.desc(), Item.id)
)


async def get(session: AsyncSession, item_id: uuid.UUID, *, owner_id: uuid.UUID) -> Item:
    """The owner's item, or ItemNotFoundError: another user's item is "not found" too."""
    item = await session.get(Item, item_id)
    if item is None or item.owner_id != owner_id:
        raise ItemNotFoundError
    return item


async def list_items(
    session: AsyncSession, cache: Cache, *, owner_id: uuid.UUID, params: PageParams
) -> bytes:
    """One page of the owner's items, newest first, as the JSON of a `Page[ItemRead]`.

    Served from the cache until the owner's next write commits.
    """

    async def produce() -> bytes:
        page = await page_of_items(session, owner_id=owner_id, params=params)
        return page.model_dump_json().encode()

    key = f"{params.offset}:{params.limit}"
    return await cache.get_or_set(_list_namespace(owner_id), key, produce)


async def page_of_items(
    session: AsyncSession, *, owner_id: uuid.UUID, params: PageParams
) -> Page[ItemRead]:
    """One page of the owner's items, newest first, straight from the database."""
    return await paginate(
        session, _OWNER_ITEMS, params, Page[ItemRead], parameters={"owner_id": owner_id}
    )


async def create(
    session: AsyncSession,
    cache: Cache,
    *,
    owner_id: uuid.UUID,
    changes: dict[str, object],
) -> Item:
    item = Item(owner_id=owner_id, **changes)
    session.add(item)
    await session.flush()
    _forget_list(session, cache, owner_id)
    return item


async def update(
    session: AsyncSession, cache: Cache, item: Item, *, changes: dict[str, object]
) -> Item:
    """Set the fields in `changes`; a field left out stays as it is."""
    for field, value in changes.items():
        setattr(item, field, value)
    await session.flush()
    _forget_list(session, cache, item.owner_id)
    return item


async def delete(session: AsyncSession, cache: Cache, item: Item) -> None:
    await session.delete(item)
    await session.flush()
    _forget_list(session, cache, item.owner_id)


def _list_namespace(owner_id: uuid.UUID) -> str:
    return f"items:{owner_id}"


def _forget_list(session: AsyncSession, cache: Cache, owner_id: uuid.UUID) -> None:
    # After the commit, not before: a read in between would cache the old rows again.
    after_commit(session, partial(cache.invalidate, _list_namespace(owner_id)))
