"""Token schemas."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Form
from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.users.models import EMAIL_MAX_LENGTH
from {{ cookiecutter.package_name }}.users.schemas import PASSWORD_MAX_LENGTH

# Generous bound for a signed JWT; anything longer is not one of ours.
TOKEN_MAX_LENGTH = 4096


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int = Field(description="Lifetime of the access token, in seconds.")


class LoginForm:
    """The OAuth2 password form, with every field bounded (Swagger's Authorize uses it)."""

    def __init__(
        self,
        username: Annotated[str, Form(min_length=1, max_length=EMAIL_MAX_LENGTH)],
        password: Annotated[str, Form(min_length=1, max_length=PASSWORD_MAX_LENGTH)],
        grant_type: Annotated[str | None, Form(pattern="^password$")] = None,
        scope: Annotated[str, Form(max_length=1000)] = "",
    ) -> None:
        self.username = username
        self.password = password
        self.grant_type = grant_type
        self.scopes = scope.split()


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(min_length=1, max_length=TOKEN_MAX_LENGTH)]
