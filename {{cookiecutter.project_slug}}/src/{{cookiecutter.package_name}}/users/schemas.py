"""User request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator

from {{ cookiecutter.package_name }}.core.schemas import (
    SingleLineText,
    refuse_control_characters,
    refuse_nulls,
)
from {{ cookiecutter.package_name }}.users import password_policy
from {{ cookiecutter.package_name }}.users.models import (
    EMAIL_MAX_LENGTH,
    FULL_NAME_MAX_LENGTH,
    Role,
    normalize_email,
)

PASSWORD_MIN_LENGTH = 8
# Bounds the cost of hashing; far above any passphrase a person types.
PASSWORD_MAX_LENGTH = 1024

Email = Annotated[
    EmailStr,
    Field(max_length=EMAIL_MAX_LENGTH),
    AfterValidator(refuse_control_characters),
    AfterValidator(normalize_email),
]


def _strong_enough(password: str) -> str:
    reason = password_policy.weakness(password)
    if reason is not None:
        raise ValueError(reason)
    return password


# Any Unicode, never truncated: argon2 hashes every byte (bcrypt would stop at 72).
Password = Annotated[
    str,
    Field(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
    AfterValidator(refuse_control_characters),
    AfterValidator(_strong_enough),
]
FullName = Annotated[SingleLineText, Field(min_length=1, max_length=FULL_NAME_MAX_LENGTH)]


class UserCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "ada@example.com",
                    "password": "plum-kettle-orbit-57-lantern",
                    "full_name": "Ada Lovelace",
                }
            ]
        },
    )

    email: Email
    password: Password
    full_name: FullName | None = None


class UserUpdateMe(BaseModel):
    """What users may change about themselves; role and status are not among it.

    Fields left out stay as they are; `full_name: null` clears it.
    """

    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = None
    password: Password | None = None
    current_password: Annotated[str, Field(max_length=PASSWORD_MAX_LENGTH)] | None = None

    @model_validator(mode="after")
    def _password_change_needs_current(self) -> UserUpdateMe:
        refuse_nulls(self, "password")
        if self.password is not None and self.current_password is None:
            msg = "current_password is required to set a new password"
            raise ValueError(msg)
        return self


class UserAdminUpdate(BaseModel):
    """What an admin may change about another account; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    full_name: FullName | None = None
    role: Role | None = None
    is_active: bool | None = None

    @model_validator(mode="after")
    def _access_not_null(self) -> UserAdminUpdate:
        refuse_nulls(self, "role", "is_active")
        return self


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str | None
    role: Role
    is_active: bool
    email_verified: bool
    created_at: datetime
    updated_at: datetime
