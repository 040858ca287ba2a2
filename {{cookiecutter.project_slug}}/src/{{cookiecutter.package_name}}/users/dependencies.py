"""Load a user by id for admin routes, or 404."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from {{ cookiecutter.package_name }}.core.db import SessionDep
from {{ cookiecutter.package_name }}.users import service
from {{ cookiecutter.package_name }}.users.exceptions import UserNotFoundError
from {{ cookiecutter.package_name }}.users.models import User


async def get_user_by_id(user_id: uuid.UUID, session: SessionDep) -> User:
    user = await service.get(session, user_id)
    if user is None:
        raise UserNotFoundError
    return user


UserByIdDep = Annotated[User, Depends(get_user_by_id)]
