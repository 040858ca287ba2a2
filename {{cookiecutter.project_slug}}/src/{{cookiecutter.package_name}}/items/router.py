"""Routes: CRUD over the current user's items."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep
from {{ cookiecutter.package_name }}.core.dependencies import CacheDep, ReadSessionDep, SessionDep
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParamsDep
from {{ cookiecutter.package_name }}.items import service
from {{ cookiecutter.package_name }}.items.dependencies import ItemByIdDep
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import ItemCreate, ItemRead, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ItemRead, name="create_item")
async def create_item(
    data: ItemCreate, user: CurrentUserDep, session: SessionDep, cache: CacheDep
) -> Item:
    """Create an item owned by you."""
    return await service.create(session, cache, owner_id=user.id, changes=data.model_dump())


@router.get("", response_model=Page[ItemRead], name="list_items")
async def list_items(
    user: CurrentUserDep, session: ReadSessionDep, page: PageParamsDep, cache: CacheDep
) -> Response:
    """Your items, newest first."""
    body = await service.list_items(session, cache, owner_id=user.id, params=page)
    return Response(body, media_type="application/json")


@router.get("/{item_id}", response_model=ItemRead, name="read_item")
async def read_item(item_id: uuid.UUID, user: CurrentUserDep, session: ReadSessionDep) -> Item:
    """One of your items."""
    return await service.get(session, item_id, owner_id=user.id)


@router.patch("/{item_id}", response_model=ItemRead, name="update_item")
async def update_item(
    data: ItemUpdate, item: ItemByIdDep, session: SessionDep, cache: CacheDep
) -> Item:
    """Change fields of one of your items."""
    return await service.update(session, cache, item, changes=data.model_dump(exclude_unset=True))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, name="delete_item")
async def delete_item(item: ItemByIdDep, session: SessionDep, cache: CacheDep) -> None:
    """Delete one of your items."""
    await service.delete(session, cache, item)
