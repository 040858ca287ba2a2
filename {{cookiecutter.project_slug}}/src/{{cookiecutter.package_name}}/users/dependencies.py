"""Load a user by id for admin routes that change it, or 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from {{ cookiecutter.package_name }}.core.dependencies import SessionDep
from {{ cookiecutter.package_name }}.users import service
from {{ cookiecutter.package_name }}.users.models import User


async def get_user_by_id(user_id: uuid.UUID, session: SessionDep) -> User:
    return await service.get(session, user_id)


UserByIdDep = Annotated[User, Depends(get_user_by_id)]
