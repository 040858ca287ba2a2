"""Token schemas."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Form
from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.core.schemas import SingleLineText
from {{ cookiecutter.package_name }}.users.models import EMAIL_MAX_LENGTH
from {{ cookiecutter.package_name }}.users.schemas import PASSWORD_MAX_LENGTH

# Generous bound for a signed JWT; anything longer is not one of ours.
TOKEN_MAX_LENGTH = 4096


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int = Field(description="Lifetime of the access token, in seconds.")


@dataclass(frozen=True, slots=True)
class LoginForm:
    username: str
    password: str


async def login_form(
    username: Annotated[SingleLineText, Form(min_length=1, max_length=EMAIL_MAX_LENGTH)],
    password: Annotated[SingleLineText, Form(min_length=1, max_length=PASSWORD_MAX_LENGTH)],
    # OAuth2's other fields, validated for clients that send them; the service has no scopes.
    grant_type: Annotated[str | None, Form(pattern="^password$")] = None,  # noqa: ARG001 - validated only
    scope: Annotated[str, Form(max_length=1000)] = "",  # noqa: ARG001 - validated only
) -> LoginForm:
    """The OAuth2 password form, with every field bounded (Swagger's Authorize uses it).

    A function, not a class, because FastAPI runs a class's `__init__` in a worker thread.
    """
    return LoginForm(username, password)


LoginFormDep = Annotated[LoginForm, Depends(login_form)]


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: Annotated[str, Field(min_length=1, max_length=TOKEN_MAX_LENGTH)]
