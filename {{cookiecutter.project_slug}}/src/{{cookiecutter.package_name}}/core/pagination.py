"""Offset pagination: bounded page size, total count."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Generic, Self, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageParams(BaseModel):
    limit: int
    offset: int


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, rows: Iterable[object], *, total: int, params: PageParams) -> Self:
        """One page of `rows` (ORM objects), validated into the item schema."""
        return cls.model_validate(
            {"items": list(rows), "total": total, "limit": params.limit, "offset": params.offset},
            from_attributes=True,
        )
