"""Helpers for request schemas, shared by every domain."""

from __future__ import annotations

from pydantic import BaseModel


def refuse_nulls(model: BaseModel, *fields: str) -> None:
    """For partial updates: each of `fields` may be left out, but not set to null."""
    for name in fields:
        if name in model.model_fields_set and getattr(model, name) is None:
            msg = f"{name} cannot be null; leave it out to keep the current value"
            raise ValueError(msg)
