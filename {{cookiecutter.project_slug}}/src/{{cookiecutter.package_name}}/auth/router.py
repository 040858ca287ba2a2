"""Routes: register, login, refresh, logout."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import JSONResponse

from {{ cookiecutter.package_name }}.accounts import service as accounts_service
from {{ cookiecutter.package_name }}.accounts.exceptions import EmailNotVerifiedError
from {{ cookiecutter.package_name }}.accounts.schemas import CHECK_INBOX, Accepted
from {{ cookiecutter.package_name }}.auth import service
from {{ cookiecutter.package_name }}.auth.dependencies import RefreshTokenStoreDep
from {{ cookiecutter.package_name }}.auth.schemas import LoginFormDep, RefreshRequest, TokenPair
from {{ cookiecutter.package_name }}.core.config import EmailVerification
from {{ cookiecutter.package_name }}.core.dependencies import (
    MailerDep,
    PasswordHasherDep,
    RateLimiterDep,
    SessionDep,
    SettingsDep,
    rate_limit,
)
from {{ cookiecutter.package_name }}.core.rate_limit import client_address
from {{ cookiecutter.package_name }}.mfa import service as mfa_service
from {{ cookiecutter.package_name }}.mfa.schemas import MfaChallenge
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserCreate, UserRead

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses={
        status.HTTP_202_ACCEPTED: {
            "model": Accepted,
            "description": "With AUTH__EMAIL_VERIFICATION=required: the same answer whether "
            "or not the address was registered; the address's inbox says which.",
        }
    },
    dependencies=[rate_limit("registration")],
    name="register",
)
async def register(
    data: UserCreate,
    session: SessionDep,
    hasher: PasswordHasherDep,
    limiter: RateLimiterDep,
    mailer: MailerDep,
    settings: SettingsDep,
) -> User | JSONResponse:
    """Create an account with the `user` role, and email it a verification link.

    With AUTH__EMAIL_VERIFICATION=required the answer is a 202 that tells nothing about
    the address; `off` sends no link.
    """
    await limiter.hit("account", "register", data.email)
    if settings.auth.email_verification is not EmailVerification.OFF:
        await limiter.hit("email_per_account", data.email)
    user = await accounts_service.register(session, hasher, mailer, settings, data=data)
    if user is None:
        return JSONResponse(CHECK_INBOX.model_dump(), status_code=status.HTTP_202_ACCEPTED)
    return user


@router.post("/login", name="login")
async def login(
    request: Request,
    form: LoginFormDep,
    session: SessionDep,
    hasher: PasswordHasherDep,
    store: RefreshTokenStoreDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> TokenPair | MfaChallenge:
    """Exchange an email (as `username`) and password for an access and a refresh token.

    With two-factor login on, the answer is an `mfa_required` challenge instead: send its
    `mfa_token` with a code to /auth/login/mfa. With AUTH__EMAIL_VERIFICATION=required, an
    unverified address is a 403 `email_not_verified`. Attempts are limited per client
    address and per account (429 with Retry-After).
    """
    user = await service.authenticate(
        session,
        hasher,
        limiter,
        email=form.username,
        password=form.password,
        address=client_address(request),
    )
    verification = settings.auth.email_verification
    if verification is EmailVerification.REQUIRED and not user.email_verified:
        raise EmailNotVerifiedError
    if await mfa_service.is_enabled(session, user):
        mfa_token = await mfa_service.challenge(session, user)
        ttl = int(mfa_service.MFA_TOKEN_TTL.total_seconds())
        return MfaChallenge(mfa_token=mfa_token, expires_in=ttl)
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
