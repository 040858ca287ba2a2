"""Load an item of the current user for a route that changes it, or 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep
from {{ cookiecutter.package_name }}.core.dependencies import SessionDep
from {{ cookiecutter.package_name }}.items import service
from {{ cookiecutter.package_name }}.items.models import Item


async def get_owned_item(item_id: uuid.UUID, user: CurrentUserDep, session: SessionDep) -> Item:
    return await service.get(session, item_id, owner_id=user.id)


ItemByIdDep = Annotated[Item, Depends(get_owned_item)]
