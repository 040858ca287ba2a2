"""Item persistence, always scoped to an owner."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.items.models import Item


async def get(session: AsyncSession, item_id: uuid.UUID, *, owner_id: uuid.UUID) -> Item | None:
    item = await session.get(Item, item_id)
    return item if item is not None and item.owner_id == owner_id else None


async def list_items(
    session: AsyncSession, *, owner_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Item], int]:
    """One page of the owner's items, newest first, and the owner's total."""
    total = await session.scalar(
        select(func.count()).select_from(Item).where(Item.owner_id == owner_id)
    )
    result = await session.scalars(
        select(Item)
        .where(Item.owner_id == owner_id)
        .order_by(Item.created_at.desc(), Item.id)
        .limit(limit)
        .offset(offset)
    )
    return list(result), total or 0


async def create(
    session: AsyncSession, *, owner_id: uuid.UUID, title: str, description: str | None
) -> Item:
    item = Item(owner_id=owner_id, title=title, description=description)
    session.add(item)
    await session.flush()
    return item


async def update(session: AsyncSession, item: Item, *, changes: dict[str, object]) -> Item:
    for field, value in changes.items():
        setattr(item, field, value)
    await session.flush()
    return item


async def delete(session: AsyncSession, item: Item) -> None:
    await session.delete(item)
    await session.flush()
