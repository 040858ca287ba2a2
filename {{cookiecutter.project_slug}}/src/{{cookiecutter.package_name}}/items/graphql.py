"""GraphQL types and fields of the items domain, over items.service."""

from __future__ import annotations

import uuid
from datetime import datetime
from functools import partial
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.pagination import DEFAULT_LIMIT, PageParams
from {{ cookiecutter.package_name }}.graphql.context import Info
from {{ cookiecutter.package_name }}.graphql.inputs import validated
from {{ cookiecutter.package_name }}.items import service
from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.items.schemas import ItemCreate, ItemRead, ItemUpdate
from {{ cookiecutter.package_name }}.users.graphql import UserType

ItemId = Annotated[uuid.UUID, strawberry.argument(name="id")]


async def owner(root: ItemType, info: Info) -> UserType:
    return UserType.of(await info.context.users.load(root.owner_id))


@strawberry.type(name="Item")
class ItemType:
    id: uuid.UUID
    title: str
    description: str | None
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
    owner: UserType = strawberry.field(
        resolver=owner, description="The item's owner: loaded with the other owners at once."
    )

    @classmethod
    def of(cls, item: Item | ItemRead) -> ItemType:
        read = item if isinstance(item, ItemRead) else ItemRead.model_validate(item)
        return cls(**read.model_dump())


@strawberry.type(name="ItemPage")
class ItemPage:
    items: list[ItemType]
    total: int
    limit: int
    offset: int


@strawberry.input(description="As the body of POST /api/v1/items.")
class ItemCreateInput:
    title: str
    description: str | None = None


@strawberry.input(description="As the body of PATCH /api/v1/items/{item_id}.")
class ItemUpdateInput:
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET


async def items(info: Info, limit: int = DEFAULT_LIMIT, offset: int = 0) -> ItemPage:
    params = PageParams(limit=limit, offset=offset)
    user = await info.context.user()
    page = await info.context.run(partial(service.page_of_items, owner_id=user.id, params=params))
    return ItemPage(
        items=[ItemType.of(item) for item in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


async def item(info: Info, item_id: ItemId) -> ItemType:
    user = await info.context.user()
    return ItemType.of(
        await info.context.run(partial(service.get, item_id=item_id, owner_id=user.id))
    )


async def create_item(
    info: Info, data: Annotated[ItemCreateInput, strawberry.argument(name="input")]
) -> ItemType:
    changes = validated(ItemCreate, data).model_dump()
    user = await info.context.user()
    created = await info.context.run(
        partial(service.create, cache=info.context.cache, owner_id=user.id, changes=changes)
    )
    return ItemType.of(created)


async def update_item(
    info: Info, item_id: ItemId, data: Annotated[ItemUpdateInput, strawberry.argument(name="input")]
) -> ItemType:
    changes = validated(ItemUpdate, data).model_dump(exclude_unset=True)
    user = await info.context.user()

    async def update(session: AsyncSession) -> Item:
        owned = await service.get(session, item_id, owner_id=user.id)
        return await service.update(session, info.context.cache, owned, changes=changes)

    return ItemType.of(await info.context.run(update))


async def delete_item(info: Info, item_id: ItemId) -> bool:
    user = await info.context.user()

    async def delete(session: AsyncSession) -> bool:
        owned = await service.get(session, item_id, owner_id=user.id)
        await service.delete(session, info.context.cache, owned)
        return True

    return await info.context.run(delete)


@strawberry.type
class ItemQueries:
    items: ItemPage = strawberry.field(resolver=items, description="Your items, newest first.")
    item: ItemType = strawberry.field(resolver=item, description="One of your items.")


@strawberry.type
class ItemMutations:
    create_item: ItemType = strawberry.mutation(
        resolver=create_item, description="Create an item owned by you."
    )
    update_item: ItemType = strawberry.mutation(
        resolver=update_item, description="Change fields of one of your items."
    )
    delete_item: bool = strawberry.mutation(
        resolver=delete_item, description="Delete one of your items; true once it is gone."
    )
