"""Routes: set up and turn off a TOTP authenticator, and the second step of login."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from {{ cookiecutter.package_name }}.auth import service as auth_service
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep, RefreshTokenStoreDep
from {{ cookiecutter.package_name }}.auth.schemas import TokenPair
from {{ cookiecutter.package_name }}.core.dependencies import (
    PasswordHasherDep,
    RateLimiterDep,
    SessionDep,
    SettingsDep,
)
from {{ cookiecutter.package_name }}.core.rate_limit import client_address
from {{ cookiecutter.package_name }}.mfa import service
from {{ cookiecutter.package_name }}.mfa.schemas import (
    MfaLogin,
    RecoveryCodes,
    TotpCode,
    TotpDisable,
    TotpSetup,
    TotpSetupRequest,
)

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(prefix="/users/me/mfa", tags=["users"])


@router.post("/login/mfa", name="login_mfa")
async def login_mfa(
    request: Request,
    data: MfaLogin,
    session: SessionDep,
    store: RefreshTokenStoreDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> TokenPair:
    """Finish a login that answered `mfa_required`: the MFA token and a code give the tokens.

    The code is the authenticator's current one, or a recovery code; each works once.
    Attempts count against the account's password limits (429).
    """
    user = await service.finish_login(
        session,
        limiter,
        settings,
        mfa_token=data.mfa_token,
        code=data.code,
        address=client_address(request),
    )
    return await auth_service.issue_tokens(store, settings, user)


@me_router.post("/totp", status_code=status.HTTP_201_CREATED, name="begin_totp_setup")
async def begin_totp_setup(
    request: Request,
    data: TotpSetupRequest,
    user: CurrentUserDep,
    session: SessionDep,
    hasher: PasswordHasherDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
) -> TotpSetup:
    """Start setting up an authenticator app; it takes effect once a code confirms it."""
    return await service.begin_setup(
        session,
        hasher,
        limiter,
        settings,
        user,
        current_password=data.current_password,
        address=client_address(request),
    )


@me_router.post("/totp/confirm", name="confirm_totp_setup")
async def confirm_totp_setup(
    request: Request,
    data: TotpCode,
    user: CurrentUserDep,
    session: SessionDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
) -> RecoveryCodes:
    """Turn two-factor login on with the app's current code; returns 10 recovery codes.

    The codes are shown this once: store them somewhere safe.
    """
    codes = await service.confirm_setup(
        session, limiter, settings, user, code=data.code, address=client_address(request)
    )
    return RecoveryCodes(recovery_codes=codes)


@me_router.delete(
    "/totp",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    name="disable_totp",
)
async def disable_totp(
    request: Request,
    data: TotpDisable,
    user: CurrentUserDep,
    session: SessionDep,
    hasher: PasswordHasherDep,
    limiter: RateLimiterDep,
    settings: SettingsDep,
) -> None:
    """Turn two-factor login off, with your password and a code or recovery code."""
    await service.disable(
        session,
        hasher,
        limiter,
        settings,
        user,
        current_password=data.current_password,
        code=data.code,
        address=client_address(request),
    )
