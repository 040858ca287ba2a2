"""Errors of the account flows."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.errors import (
    AppError,
    ConflictError,
    PermissionDeniedError,
)


class InvalidAccountTokenError(AppError):
    """One answer for a token that is unknown, used, expired or superseded."""

    code = "invalid_account_token"
    title = "This link is invalid, used or expired"


class EmailNotVerifiedError(PermissionDeniedError):
    code = "email_not_verified"
    title = "Verify your email address first"


class EmailAlreadyVerifiedError(ConflictError):
    code = "email_already_verified"
    title = "Your email address is already verified"


class EmailUnchangedError(AppError):
    code = "email_unchanged"
    title = "That is already your email address"
