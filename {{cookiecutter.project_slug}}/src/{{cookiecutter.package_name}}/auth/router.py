"""Routes: register, login, refresh."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from {{ cookiecutter.package_name }}.auth import service
from {{ cookiecutter.package_name }}.auth.schemas import RefreshRequest, TokenPair
from {{ cookiecutter.package_name }}.core.config import SettingsDep
from {{ cookiecutter.package_name }}.core.db import SessionDep
from {{ cookiecutter.package_name }}.core.rate_limit import rate_limit
from {{ cookiecutter.package_name }}.core.security import PasswordHasherDep
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserCreate, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register", status_code=status.HTTP_201_CREATED, response_model=UserRead, name="register"
)
async def register(data: UserCreate, session: SessionDep, hasher: PasswordHasherDep) -> User:
    """Create an account with the `user` role."""
    return await service.register(session, hasher, data=data)


@router.post("/login", dependencies=[rate_limit("login")], name="login")
async def login(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    hasher: PasswordHasherDep,
    settings: SettingsDep,
) -> TokenPair:
    """Exchange an email (as `username`) and password for an access and a refresh token."""
    user = await service.authenticate(session, hasher, email=form.username, password=form.password)
    return service.issue_tokens(settings, user)


@router.post("/refresh", name="refresh_tokens")
async def refresh_tokens(
    data: RefreshRequest, session: SessionDep, settings: SettingsDep
) -> TokenPair:
    """Exchange a refresh token for a new token pair."""
    return await service.refresh(session, settings, refresh_token=data.refresh_token)
