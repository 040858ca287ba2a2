"""Authentication errors."""

from __future__ import annotations

from {{ cookiecutter.package_name }}.core.errors import AuthenticationError


class InvalidCredentialsError(AuthenticationError):
    """Same answer for an unknown email, a wrong password and an inactive account."""

    code = "invalid_credentials"
    title = "Invalid email or password"


class InvalidTokenError(AuthenticationError):
    code = "invalid_token"
    title = "Invalid or expired token"
