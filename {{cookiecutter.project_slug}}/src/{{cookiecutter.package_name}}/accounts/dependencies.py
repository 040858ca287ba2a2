"""`VerifiedUserDep`: the current user, provided their email address is verified."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from {{ cookiecutter.package_name }}.accounts.exceptions import EmailNotVerifiedError
from {{ cookiecutter.package_name }}.auth.dependencies import CurrentUserDep
from {{ cookiecutter.package_name }}.core.config import EmailVerification
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.users.models import User


async def get_verified_user(request: Request, user: CurrentUserDep) -> User:
    """403 `email_not_verified` for an unverified address, unless AUTH__EMAIL_VERIFICATION=off."""
    mode = resources_of(request.app).settings.auth.email_verification
    if mode is not EmailVerification.OFF and not user.email_verified:
        raise EmailNotVerifiedError
    return user


VerifiedUserDep = Annotated[User, Depends(get_verified_user)]
