"""GraphQL inputs go through the REST request schemas: one set of rules for both APIs."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from strawberry import UNSET

ModelT = TypeVar("ModelT", bound=BaseModel)


def validated(model: type[ModelT], data: object) -> ModelT:
    """`data`'s fields, those given (not UNSET), validated by the REST schema `model`.

    A refused value raises pydantic's ValidationError, reported as `validation_error`.
    """
    given = {name: value for name, value in vars(data).items() if value is not UNSET}
    return model.model_validate(given)
