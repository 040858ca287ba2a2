"""Request and response bodies of the account flows."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.accounts.tokens import TOKEN_MAX_LENGTH
from {{ cookiecutter.package_name }}.users.schemas import PASSWORD_MAX_LENGTH, Email, Password

AccountToken = Annotated[str, Field(min_length=1, max_length=TOKEN_MAX_LENGTH)]
CurrentPassword = Annotated[str, Field(min_length=1, max_length=PASSWORD_MAX_LENGTH)]


class Accepted(BaseModel):
    """The one answer of a request whose outcome is told by email, if at all."""

    status: Literal["accepted"] = "accepted"
    detail: str


CHECK_INBOX = Accepted(detail="If the address can receive it, an email is on its way.")


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: AccountToken


class PasswordResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email


class PasswordResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: AccountToken
    password: Password


class EmailChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_email: Email
    current_password: CurrentPassword
