"""Routes: CRUD over the current user's items."""

from __future__ import annotations

import uuid
from functools import partial

from fastapi import APIRouter, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep
from {{ cookiecutter.package_name }}.core.cache import Cache, CacheDep
from {{ cookiecutter.package_name }}.core.db import SessionDep, after_commit
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParamsDep
from {{ cookiecutter.package_name }}.items import service
from {{ cookiecutter.package_name }}.items.dependencies import ItemByIdDep
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import ItemCreate, ItemRead, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])


def _invalidate_list(session: AsyncSession, cache: Cache, owner_id: uuid.UUID) -> None:
    after_commit(session, partial(cache.invalidate, _list_namespace(owner_id)))


def _list_namespace(owner_id: uuid.UUID) -> str:
    return f"items:{owner_id}"


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ItemRead, name="create_item")
async def create_item(
    data: ItemCreate, user: CurrentUserDep, session: SessionDep, cache: CacheDep
) -> Item:
    """Create an item owned by you."""
    item = await service.create(
        session, owner_id=user.id, title=data.title, description=data.description
    )
    _invalidate_list(session, cache, user.id)
    return item


@router.get("", response_model=Page[ItemRead], name="list_items")
async def list_items(
    user: CurrentUserDep, session: SessionDep, page: PageParamsDep, cache: CacheDep
) -> Response:
    """Your items, newest first."""

    async def produce() -> bytes:
        items, total = await service.list_items(
            session, owner_id=user.id, limit=page.limit, offset=page.offset
        )
        return Page[ItemRead].of(items, total=total, params=page).model_dump_json().encode()

    key = f"{page.offset}:{page.limit}"
    body = await cache.get_or_set(_list_namespace(user.id), key, produce)
    return Response(body, media_type="application/json")


@router.get("/{item_id}", response_model=ItemRead, name="read_item")
async def read_item(item: ItemByIdDep) -> Item:
    """One of your items."""
    return item


@router.patch("/{item_id}", response_model=ItemRead, name="update_item")
async def update_item(
    data: ItemUpdate, item: ItemByIdDep, session: SessionDep, cache: CacheDep
) -> Item:
    """Change fields of one of your items."""
    item = await service.update(session, item, changes=data.model_dump(exclude_unset=True))
    _invalidate_list(session, cache, item.owner_id)
    return item


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, name="delete_item")
async def delete_item(item: ItemByIdDep, session: SessionDep, cache: CacheDep) -> None:
    """Delete one of your items."""
    await service.delete(session, item)
    _invalidate_list(session, cache, item.owner_id)
