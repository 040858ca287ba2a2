"""The floor for the benchmark: each measured endpoint's database and JSON work, and no more.

FastAPI, SQLAlchemy and pydantic make the queries the service makes for `GET /users/me`,
`GET /items?limit=100` and `POST /items` (loading the current user, with the check that
the token's session is live, included), through the same engine, services and schemas,
and answer the same JSON; there are no tokens, middleware, rate limits or logging. The
service cannot be faster than this; the gap between the two is what the service adds to
its stack.

Served by harness.py from the generated project's environment, which has FastAPI and the
generated package (named by BENCH_PACKAGE); the template's own environment has neither, so
its type checker sees them as Any.
"""

from __future__ import annotations

import importlib
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Response

PACKAGE = os.environ.get("BENCH_PACKAGE", "my_service")


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


auth = _module("auth.service")
cache = _module("core.cache")
config = _module("core.config")
database = _module("core.db")
pagination = _module("core.pagination")
items = _module("items.service")
ItemRead = _module("items.schemas").ItemRead
UserRead = _module("users.schemas").UserRead
if TYPE_CHECKING:
    ItemCreate = Any
else:
    # FastAPI reads the request body into this model, so it must be the real one at runtime.
    ItemCreate = _module("items.schemas").ItemCreate

NO_CACHE = cache.NoCache()  # as in the service without Redis, the benchmarked default
engine = database.create_engine(config.get_settings())
read_session = database.create_read_sessionmaker(engine)
write_session = database.create_sessionmaker(engine)


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    yield
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/health/live")
async def liveness() -> dict[str, str]:
    """What the benchmark polls to see that the app is up."""
    return {"status": "ok"}


async def load_user(session: Any, user_id: uuid.UUID, live_session: uuid.UUID) -> Any:
    """What authentication costs the service beyond the token: the query loading the user."""
    user = await auth.load_user(session, user_id, live_session=live_session)
    if user is None:
        raise LookupError(user_id)
    return user


# `session` is the access token's session (the `sid` claim), whose liveness the query checks.
@app.get("/users/{user_id}")
async def read_user(user_id: uuid.UUID, session: uuid.UUID) -> Response:
    async with read_session() as db:
        user = await load_user(db, user_id, session)
    return Response(UserRead.model_validate(user).model_dump_json(), media_type="application/json")


@app.get("/users/{user_id}/items")
async def list_items(user_id: uuid.UUID, session: uuid.UUID, limit: int = 20) -> Response:
    async with read_session() as db:
        user = await load_user(db, user_id, session)
        params = pagination.PageParams(limit=limit, offset=0)
        body = await items.list_items(db, NO_CACHE, owner_id=user.id, params=params)
    return Response(body, media_type="application/json")


@app.post("/users/{user_id}/items", status_code=201)
async def create_item(user_id: uuid.UUID, session: uuid.UUID, data: ItemCreate) -> Response:
    async with write_session() as db:
        user = await load_user(db, user_id, session)
        item = await items.create(db, NO_CACHE, owner_id=user.id, changes=data.model_dump())
        await database.commit(db)
    return Response(
        ItemRead.model_validate(item).model_dump_json(),
        status_code=201,
        media_type="application/json",
    )
