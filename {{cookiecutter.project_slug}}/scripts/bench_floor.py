"""The floor for the benchmark: each measured endpoint's database and JSON work, and no more.

FastAPI, SQLAlchemy and pydantic make the queries the service makes for `GET /users/me`,
`GET /items?limit=100` and `POST /items` (loading the current user included), through the
same engine, services and schemas, and answer the same JSON; there are no tokens,
middleware, rate limits or logging. The service cannot be faster than this; the gap
between the two is what the service adds to its stack.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import get_settings
from {{ cookiecutter.package_name }}.core.db import (
    commit,
    create_engine,
    create_read_sessionmaker,
    create_sessionmaker,
)
from {{ cookiecutter.package_name }}.core.pagination import Page, PageParams
from {{ cookiecutter.package_name }}.items import service as items
from {{ cookiecutter.package_name }}.items.schemas import ItemCreate, ItemRead
from {{ cookiecutter.package_name }}.users import service as users
from {{ cookiecutter.package_name }}.users.models import User
from {{ cookiecutter.package_name }}.users.schemas import UserRead

engine = create_engine(get_settings())
read_session = create_read_sessionmaker(engine)
write_session = create_sessionmaker(engine)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/health/live")
async def liveness() -> dict[str, str]:
    """What the benchmark polls to see that the app is up."""
    return {"status": "ok"}


async def load_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    """What authentication costs the service beyond the token: loading the user."""
    user = await users.get(session, user_id)
    if user is None:
        raise LookupError(user_id)
    return user


@app.get("/users/{user_id}")
async def read_user(user_id: uuid.UUID) -> Response:
    async with read_session() as session:
        user = await load_user(session, user_id)
    return Response(UserRead.model_validate(user).model_dump_json(), media_type="application/json")


@app.get("/users/{user_id}/items")
async def list_items(user_id: uuid.UUID, limit: int = 20) -> Response:
    async with read_session() as session:
        user = await load_user(session, user_id)
        rows, total = await items.list_items(session, owner_id=user.id, limit=limit, offset=0)
    page = Page[ItemRead].of(rows, total=total, params=PageParams(limit=limit, offset=0))
    return Response(page.model_dump_json(), media_type="application/json")


@app.post("/users/{user_id}/items", status_code=201)
async def create_item(user_id: uuid.UUID, data: ItemCreate) -> Response:
    async with write_session() as session:
        user = await load_user(session, user_id)
        item = await items.create(
            session, owner_id=user.id, title=data.title, description=data.description
        )
        await commit(session)
    return Response(
        ItemRead.model_validate(item).model_dump_json(),
        status_code=201,
        media_type="application/json",
    )
