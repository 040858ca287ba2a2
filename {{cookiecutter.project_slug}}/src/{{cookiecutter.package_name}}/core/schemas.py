"""Helpers for request schemas, shared by every domain."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel
from pydantic_core import PydanticCustomError

# Unicode category Cc: C0 controls, DEL and C1 controls. NUL breaks PostgreSQL text columns,
# and the others have no place in names or titles (they forge log lines and terminal output).
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Multi-line fields keep line breaks and tabs.
_CONTROL_CHARACTERS_BUT_WHITESPACE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def refuse_nulls(model: BaseModel, *fields: str) -> None:
    """For partial updates: each of `fields` may be left out, but not set to null."""
    for name in fields:
        if name in model.model_fields_set and getattr(model, name) is None:
            msg = f"{name} cannot be null; leave it out to keep the current value"
            raise ValueError(msg)


def refuse_control_characters(value: str) -> str:
    """Validator for single-line text: no control character at all."""
    if _CONTROL_CHARACTERS.search(value):
        raise PydanticCustomError("control_character", "must not contain control characters")
    return value


def refuse_control_characters_but_line_breaks(value: str) -> str:
    """Validator for multi-line text: no control character but \\n, \\r and \\t."""
    if _CONTROL_CHARACTERS_BUT_WHITESPACE.search(value):
        raise PydanticCustomError(
            "control_character", "must not contain control characters other than line breaks"
        )
    return value


# Every text field of a request uses one of these; bound its length where it is used.
SingleLineText = Annotated[str, AfterValidator(refuse_control_characters)]
MultiLineText = Annotated[str, AfterValidator(refuse_control_characters_but_line_breaks)]
