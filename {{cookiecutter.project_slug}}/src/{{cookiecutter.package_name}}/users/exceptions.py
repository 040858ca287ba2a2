"""User domain errors."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.errors import (
    AppError,
    ConflictError,
    FieldError,
    NotFoundError,
    PermissionDeniedError,
)


class UserNotFoundError(NotFoundError):
    code = "user_not_found"
    title = "User not found"


class EmailAlreadyRegisteredError(ConflictError):
    code = "email_already_registered"
    title = "Email already registered"


class CannotChangeOwnAccessError(PermissionDeniedError):
    code = "cannot_change_own_access"
    title = "Admins cannot change their own role, status or account through admin routes"


class LastAdminError(ConflictError):
    code = "last_admin"
    title = "The service must keep at least one active admin"


class WrongCurrentPasswordError(AppError):
    """A 400, not a 401: the session is fine, the form is not."""

    code = "wrong_current_password"
    title = "Current password is wrong"

    def __init__(self) -> None:
        field_error = FieldError(loc=["body", "current_password"], msg=self.title, type=self.code)
        super().__init__("current_password is not your password.", errors=[field_error])
