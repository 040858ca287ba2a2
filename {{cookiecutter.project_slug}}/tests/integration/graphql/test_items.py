"""GraphQL over the items service: the same scoping, rules and errors as the REST routes."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from {{ cookiecutter.package_name }}.items.models import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH
from {{ cookiecutter.package_name }}.users.models import User
from tests.factories.items import create_item
from tests.integration.graphql.queries import codes, execute

CREATE = """
mutation Create($input: ItemCreateInput!) {
  createItem(input: $input) { id title description ownerId }
}
"""
UPDATE = """
mutation Update($id: UUID!, $input: ItemUpdateInput!) {
  updateItem(id: $id, input: $input) { id title description }
}
"""
DELETE = "mutation Delete($id: UUID!) { deleteItem(id: $id) }"
ONE = "query One($id: UUID!) { item(id: $id) { id title owner { email } } }"
PAGE = """
query Page($limit: Int!, $offset: Int!) {
  items(limit: $limit, offset: $offset) { total limit offset items { id title owner { email } } }
}
"""


async def test_create_read_update_delete(auth_client: httpx.AsyncClient, user: User) -> None:
    created = await execute(auth_client, CREATE, input={"title": "Milk"})
    item = created["data"]["createItem"]
    assert (item["title"], item["description"], item["ownerId"]) == ("Milk", None, str(user.id))

    one = await execute(auth_client, ONE, id=item["id"])
    assert one["data"]["item"] == {
        "id": item["id"],
        "title": "Milk",
        "owner": {"email": user.email},
    }

    updated = await execute(auth_client, UPDATE, id=item["id"], input={"description": "Oat"})
    assert updated["data"]["updateItem"] == {
        "id": item["id"],
        "title": "Milk",
        "description": "Oat",
    }

    assert (await execute(auth_client, DELETE, id=item["id"]))["data"] == {"deleteItem": True}
    assert codes(await execute(auth_client, ONE, id=item["id"])) == ["item_not_found"]


async def test_a_page_has_the_rest_bounds_and_total(
    auth_client: httpx.AsyncClient, session: AsyncSession, user: User
) -> None:
    for title in ("A", "B", "C"):
        await create_item(session, user, title=title)

    page = (await execute(auth_client, PAGE, limit=2, offset=1))["data"]["items"]

    assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (3, 2, 1, 2)
    for limit, offset in ((0, 0), (101, 0), (10, -1)):
        assert codes(await execute(auth_client, PAGE, limit=limit, offset=offset)) == [
            "validation_error"
        ]


async def test_another_users_item_is_not_found(
    auth_client: httpx.AsyncClient, session: AsyncSession, other_user: User
) -> None:
    theirs = await create_item(session, other_user, title="Theirs")

    for document, variables in (
        (ONE, {"id": str(theirs.id)}),
        (UPDATE, {"id": str(theirs.id), "input": {"title": "Mine now"}}),
        (DELETE, {"id": str(theirs.id)}),
    ):
        body = await execute(auth_client, document, **variables)
        assert codes(body) == ["item_not_found"], document
        assert body["data"] is None
    assert (await execute(auth_client, PAGE, limit=10, offset=0))["data"]["items"]["total"] == 0


async def test_without_a_token_every_field_is_not_authenticated(
    client: httpx.AsyncClient,
) -> None:
    for document, variables in (
        ("{ me { id } }", {}),
        (PAGE, {"limit": 10, "offset": 0}),
        (ONE, {"id": str(uuid.uuid4())}),
        (CREATE, {"input": {"title": "x"}}),
        (DELETE, {"id": str(uuid.uuid4())}),
    ):
        assert codes(await execute(client, document, **variables)) == ["not_authenticated"]


BAD_INPUTS = {
    "empty title": {"title": ""},
    "title too long": {"title": "x" * (TITLE_MAX_LENGTH + 1)},
    "title over two lines": {"title": "one\ntwo"},
    "control character": {"title": "bell\x07"},
    "description too long": {"title": "ok", "description": "x" * (DESCRIPTION_MAX_LENGTH + 1)},
}


@pytest.mark.parametrize("bad", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
async def test_create_refuses_what_rest_refuses(
    auth_client: httpx.AsyncClient, app: FastAPI, bad: dict[str, str]
) -> None:
    rest = await auth_client.post(app.url_path_for("create_item"), json=bad)
    body = await execute(auth_client, CREATE, input=bad)

    assert rest.status_code == 422
    assert codes(body) == ["validation_error"]
    [error] = body["errors"]
    rest_fields = {tuple(field["loc"][1:]) for field in rest.json()["errors"]}
    assert {tuple(field["loc"]) for field in error["extensions"]["errors"]} == rest_fields
    assert (await execute(auth_client, PAGE, limit=10, offset=0))["data"]["items"]["total"] == 0


async def test_update_refuses_a_null_title_as_rest_does(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    mine = await create_item(session, user, title="Keep")

    rest = await auth_client.patch(
        app.url_path_for("update_item", item_id=str(mine.id)), json={"title": None}
    )
    body = await execute(auth_client, UPDATE, id=str(mine.id), input={"title": None})

    assert rest.status_code == 422
    assert codes(body) == ["validation_error"]
    assert (await execute(auth_client, ONE, id=str(mine.id)))["data"]["item"]["title"] == "Keep"


async def _statements_for_a_page(
    client: httpx.AsyncClient, engine: AsyncEngine, size: int
) -> list[str]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE")):  # the test's own transaction
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        body = await execute(client, PAGE, limit=size, offset=0)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert len(body["data"]["items"]["items"]) == size
    return statements


async def test_owners_load_in_one_query_however_many_items(
    auth_client: httpx.AsyncClient, engine: AsyncEngine, session: AsyncSession, user: User
) -> None:
    await create_item(session, user)
    one = await _statements_for_a_page(auth_client, engine, 1)
    for _ in range(99):
        await create_item(session, user)

    hundred = await _statements_for_a_page(auth_client, engine, 100)

    # The caller, the page (its total in the same query) and the owners, batched.
    assert len(hundred) == len(one) == 3, hundred
