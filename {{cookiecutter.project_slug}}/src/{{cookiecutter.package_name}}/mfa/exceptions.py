"""Errors of two-factor login."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.errors import (
    AppError,
    AuthenticationError,
    ConflictError,
    FieldError,
)


class InvalidMfaCodeError(AppError):
    """A 400 on the account's own routes; `MfaLoginFailedError` answers the login."""

    code = "invalid_mfa_code"
    title = "Invalid or already used code"

    def __init__(self) -> None:
        field_error = FieldError(loc=["body", "code"], msg=self.title, type=self.code)
        super().__init__("The code is wrong, expired or already used.", errors=[field_error])


class MfaLoginFailedError(AuthenticationError):
    code = "invalid_mfa_code"
    title = "Invalid or already used code"


class MfaAlreadyEnabledError(ConflictError):
    code = "mfa_already_enabled"
    title = "Two-factor login is already on; turn it off first"


class MfaNotPendingError(ConflictError):
    code = "mfa_not_pending"
    title = "No authenticator is waiting for confirmation; start the setup first"


class MfaNotEnabledError(ConflictError):
    code = "mfa_not_enabled"
    title = "Two-factor login is off"
