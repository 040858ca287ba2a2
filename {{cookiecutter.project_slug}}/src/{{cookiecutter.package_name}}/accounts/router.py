"""Routes: verify an address, reset a forgotten password, move an account to a new address.

Routes that send email are limited per client address (`email`) and per destination
account (`email_per_account`); routes that spend a link's token, per client address.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from {{ cookiecutter.package_name }}.accounts import service
from {{ cookiecutter.package_name }}.accounts.schemas import (
    CHECK_INBOX,
    Accepted,
    EmailChangeRequest,
    PasswordResetConfirm,
    PasswordResetRequest,
    TokenBody,
)
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep, RefreshTokenStoreDep
from {{ cookiecutter.package_name }}.core.dependencies import (
    MailerDep,
    PasswordHasherDep,
    RateLimiterDep,
    SessionDep,
    SettingsDep,
    rate_limit,
)
from {{ cookiecutter.package_name }}.core.rate_limit import client_address

router = APIRouter(prefix="/auth", tags=["auth"])
me_router = APIRouter(prefix="/users/me", tags=["users"])


@router.post(
    "/verify-email",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[rate_limit("refresh")],
    name="verify_email",
)
async def verify_email(data: TokenBody, session: SessionDep) -> None:
    """Mark the address the link was sent to as verified (the link works once)."""
    await service.verify_email(session, token=data.token)


@router.post(
    "/verify-email/resend",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[rate_limit("email")],
    name="resend_verification_email",
)
async def resend_verification_email(
    user: CurrentUserDep,
    session: SessionDep,
    mailer: MailerDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> Accepted:
    """Send a new verification link to your address; earlier links stop working."""
    await limiter.hit("email_per_account", user.email)
    await service.resend_verification(session, mailer, settings, user)
    return CHECK_INBOX


@router.post(
    "/password-reset",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[rate_limit("email")],
    name="request_password_reset",
)
async def request_password_reset(
    data: PasswordResetRequest,
    session: SessionDep,
    mailer: MailerDep,
    settings: SettingsDep,
    limiter: RateLimiterDep,
) -> Accepted:
    """Email a password-reset link, if the address has an active account.

    The answer is the same for every address, so it does not tell whether one has an account.
    """
    await limiter.hit("email_per_account", data.email)
    await service.request_password_reset(session, mailer, settings, email=data.email)
    return CHECK_INBOX


@router.post(
    "/password-reset/confirm",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[rate_limit("refresh")],
    name="reset_password",
)
async def reset_password(
    data: PasswordResetConfirm,
    session: SessionDep,
    hasher: PasswordHasherDep,
    store: RefreshTokenStoreDep,
) -> None:
    """Set a new password with the link's token; every session of the account ends."""
    await service.reset_password(session, hasher, store, token=data.token, password=data.password)


@router.post(
    "/confirm-email-change",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[rate_limit("refresh")],
    name="confirm_email_change",
)
async def confirm_email_change(data: TokenBody, session: SessionDep) -> None:
    """Move the account to the new address the link was sent to (409 if it was taken meanwhile)."""
    await service.confirm_email_change(session, token=data.token)


@me_router.post(
    "/email",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[rate_limit("email")],
    name="request_email_change",
)
async def request_email_change(
    request: Request,
    data: EmailChangeRequest,
    user: CurrentUserDep,
    session: SessionDep,
    hasher: PasswordHasherDep,
    limiter: RateLimiterDep,
    mailer: MailerDep,
    settings: SettingsDep,
) -> Accepted:
    """Ask to move your account to `new_email`: it moves once that address confirms.

    A wrong `current_password` is a 400, checked under the login limits (429).
    """
    await limiter.hit("email_per_account", user.email)
    await limiter.hit("email_per_account", data.new_email)
    await service.request_email_change(
        session,
        hasher,
        limiter,
        mailer,
        settings,
        user,
        new_email=data.new_email,
        current_password=data.current_password,
        address=client_address(request),
    )
    return CHECK_INBOX
