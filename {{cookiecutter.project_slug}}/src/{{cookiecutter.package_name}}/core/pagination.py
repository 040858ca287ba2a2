"""Offset pagination: bounded page size, and a page with its total in one query."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_OFFSET = 2**31 - 1


class PageParams(BaseModel):
    """The bounds hold wherever a page is asked for: REST query strings and GraphQL alike."""

    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    offset: Annotated[int, Field(ge=0, le=MAX_OFFSET)] = 0


async def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageParamsDep = Annotated[PageParams, Depends(page_params)]


ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    limit: int
    offset: int


async def paginate(
    session: AsyncSession,
    query: Select[Any],
    params: PageParams,
    schema: type[Page[ItemT]],
    *,
    parameters: Mapping[str, Any] | None = None,
) -> Page[ItemT]:
    """One page of `query`'s rows, validated into `schema`, with the total of all pages.

    The total comes with each row as a window count, so a page is one query; only a page
    past the end needs a second one to count. Select columns or a table, not ORM entities,
    when the page is read-only: plain rows cost less than tracked objects. `parameters`
    fill the query's `bindparam()`s, so a query built once can serve every request.
    """
    counted = query.add_columns(func.count().over().label("total"))
    page = counted.limit(params.limit).offset(params.offset)
    rows = (await session.execute(page, parameters)).all()
    if rows:
        total = rows[0].total
    elif params.offset == 0:
        total = 0
    else:
        count = select(func.count()).select_from(query.subquery())
        total = await session.scalar(count, parameters) or 0
    return schema.model_validate(
        {"items": rows, "total": total, "limit": params.limit, "offset": params.offset},
        from_attributes=True,
    )
