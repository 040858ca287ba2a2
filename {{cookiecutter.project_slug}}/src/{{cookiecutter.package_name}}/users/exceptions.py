"""User domain errors."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.errors import (
    AuthenticationError,
    ConflictError,
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


class WrongCurrentPasswordError(AuthenticationError):
    code = "wrong_current_password"
    title = "Current password is wrong"
