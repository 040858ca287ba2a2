"""Item persistence, always scoped to an owner."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.items.models import Item


async def get(session: AsyncSession, item_id: uuid.UUID, *, owner_id: uuid.UUID) -> Item | None:
    item = await session.get(Item, item_id)
    return item if item is not None and item.owner_id == owner_id else None


async def list_items(
    session: AsyncSession, *, owner_id: uuid.UUID, limit: int, offset: int
) -> tuple[Sequence[Row[Any]], int]:
    """One page of the owner's items, newest first, and the owner's total.

    Plain rows, read-only: building and tracking an ORM object per item costs more than
    the query. The total comes with each row as a window count, so a page is one query;
    only a page past the end needs a second one to count.
    """
    owned = Item.owner_id == owner_id
    columns = [*Item.__table__.columns, func.count().over().label("total")]
    result = await session.execute(
        select(*columns)
        .where(owned)
        .order_by(Item.created_at.desc(), Item.id)
        .limit(limit)
        .offset(offset)
    )
    rows = result.all()
    if rows:
        return rows, rows[0].total
    if offset == 0:
        return rows, 0
    total = await session.scalar(select(func.count()).select_from(Item).where(owned))
    return rows, total or 0


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
