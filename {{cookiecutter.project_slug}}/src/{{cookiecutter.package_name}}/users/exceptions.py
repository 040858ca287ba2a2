"""User domain errors."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
)


class UserNotFoundError(NotFoundError):
    code = "user_not_found"
    title = "User not found"


class EmailAlreadyRegisteredError(ConflictError):
    code = "email_already_registered"
    title = "Email already registered"


class WrongCurrentPasswordError(AuthenticationError):
    code = "wrong_current_password"
    title = "Current password is wrong"
