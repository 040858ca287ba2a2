"""Routes: register, login, refresh, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from {{ cookiecutter.package_name }}.auth import service
from {{ cookiecutter.package_name }}.auth.dependencies import RefreshTokenStoreDep
from {{ cookiecutter.package_name }}.auth.schemas import LoginFormDep, RefreshRequest, TokenPair
from {{ cookiecutter.package_name }}.core.dependencies import (
    PasswordHasherDep,
    RateLimiterDep,
    SessionDep,
    SettingsDep,
    rate_limit,
)
from {{ cookiecutter.package_name }}.core.rate_limit import client_address
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserCreate, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    dependencies=[rate_limit("registration")],
    name="register",
)
async def register(
    data: UserCreate, session: SessionDep, hasher: PasswordHasherDep, limiter: RateLimiterDep
) -> User:
    """Create an account with the `user` role."""
    await limiter.hit("account", "register", data.email)
    return await service.register(session, hasher, data=data)


@router.post("/login", name="login")
async def login(
    request: Request,
    form: LoginFormDep,
    session: SessionDep,
    hasher: PasswordHasherDep,
    store: RefreshTokenStoreDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> TokenPair:
    """Exchange an email (as `username`) and password for an access and a refresh token.

    Attempts are limited per client address and per account (429 with Retry-After).
    """
    user = await service.authenticate(
        session,
        hasher,
        limiter,
        email=form.username,
        password=form.password,
        address=client_address(request),
    )
    return await service.issue_tokens(store, settings, user)


@router.post("/refresh", dependencies=[rate_limit("refresh")], name="refresh_tokens")
async def refresh_tokens(
    data: RefreshRequest, session: SessionDep, store: RefreshTokenStoreDep, settings: SettingsDep
) -> TokenPair:
    """Exchange a refresh token for a new pair; the old refresh token stops working."""
    return await service.refresh(session, store, settings, refresh_token=data.refresh_token)


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[rate_limit("refresh")],
    name="logout",
)
async def logout(
    data: RefreshRequest, session: SessionDep, store: RefreshTokenStoreDep, settings: SettingsDep
) -> None:
    """Revoke the refresh token and every token rotated from the same login."""
    await service.logout(session, store, settings, refresh_token=data.refresh_token)
