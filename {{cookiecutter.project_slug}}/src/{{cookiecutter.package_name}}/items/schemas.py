"""Item request and response schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from {{ cookiecutter.package_name }}.core.schemas import (
    MultiLineText,
    SingleLineText,
    refuse_nulls,
)
from {{ cookiecutter.package_name }}.items.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH

Title = Annotated[SingleLineText, Field(min_length=1, max_length=TITLE_MAX_LENGTH)]
Description = Annotated[MultiLineText, Field(max_length=DESCRIPTION_MAX_LENGTH)]


class ItemCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"title": "Buy milk", "description": "Two litres, semi-skimmed."}]
        },
    )

    title: Title
    description: Description | None = None


class ItemUpdate(BaseModel):
    """Fields left out stay as they are; `description: null` clears it."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"title": "Buy oat milk"}]}
    )

    title: Title | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _title_not_null(self) -> ItemUpdate:
        refuse_nulls(self, "title")
        return self


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    title: str
    description: str | None
    owner_id: uuid.UUID
    created_at: datetime
    updated_at: datetime
