"""Routes: the current user's own account."""

from __future__ import annotations

from fastapi import APIRouter

from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep
from {{ cookiecutter.package_name }}.core.db import SessionDep
from {{ cookiecutter.package_name }}.core.security import PasswordHasherDep
from {{ cookiecutter.package_name }}.users import service
from {{ cookiecutter.package_name }}.users.exceptions import WrongCurrentPasswordError
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserRead, UserUpdateMe

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead, name="read_me")
async def read_me(user: CurrentUserDep) -> User:
    """The authenticated user's account."""
    return user


@router.patch("/me", response_model=UserRead, name="update_me")
async def update_me(
    data: UserUpdateMe, user: CurrentUserDep, session: SessionDep, hasher: PasswordHasherDep
) -> User:
    """Change your name, or your password (with `current_password`)."""
    hashed_password = None
    if data.password is not None:
        valid, _ = await hasher.verify(data.current_password or "", user.hashed_password)
        if not valid:
            raise WrongCurrentPasswordError
        hashed_password = await hasher.hash(data.password)
    return await service.update(
        session, user, full_name=data.full_name, hashed_password=hashed_password
    )
