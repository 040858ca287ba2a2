"""Routes: CRUD over the current user's items."""

from __future__ import annotations

from fastapi import APIRouter, status

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep
from {{ cookiecutter.package_name }}.core.db import SessionDep
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParamsDep
from {{ cookiecutter.package_name }}.items import service
from {{ cookiecutter.package_name }}.items.dependencies import ItemByIdDep
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import ItemCreate, ItemRead, ItemUpdate

router = APIRouter(prefix="/items", tags=["items"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ItemRead, name="create_item")
async def create_item(data: ItemCreate, user: CurrentUserDep, session: SessionDep) -> Item:
    """Create an item owned by you."""
    return await service.create(
        session, owner_id=user.id, title=data.title, description=data.description
    )


@router.get("", name="list_items")
async def list_items(
    user: CurrentUserDep, session: SessionDep, page: PageParamsDep
) -> Page[ItemRead]:
    """Your items, newest first."""
    items, total = await service.list_items(
        session, owner_id=user.id, limit=page.limit, offset=page.offset
    )
    return Page[ItemRead].of(items, total=total, params=page)


@router.get("/{item_id}", response_model=ItemRead, name="read_item")
async def read_item(item: ItemByIdDep) -> Item:
    """One of your items."""
    return item


@router.patch("/{item_id}", response_model=ItemRead, name="update_item")
async def update_item(data: ItemUpdate, item: ItemByIdDep, session: SessionDep) -> Item:
    """Change fields of one of your items."""
    return await service.update(session, item, changes=data.model_dump(exclude_unset=True))


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, name="delete_item")
async def delete_item(item: ItemByIdDep, session: SessionDep) -> None:
    """Delete one of your items."""
    await service.delete(session, item)
