"""CRUD over the current user's items."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import User
from tests.factories.items import create_item


async def test_create_item_returns_201(
    auth_client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    response = await auth_client.post(
        app.url_path_for("create_item"), json={"title": "First", "description": "Details"}
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["title"] == "First"
    assert body["description"] == "Details"
    assert body["owner_id"] == str(user.id)
    assert body["created_at"].endswith(("Z", "+00:00"))


@pytest.mark.parametrize(
    "payload",
    [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "ok", "description": "x" * 2001},
        {"title": "ok", "owner_id": str(uuid.uuid4())},
        {},
    ],
    ids=["empty-title", "long-title", "long-description", "owner_id", "missing-title"],
)
async def test_create_item_invalid_input_is_422(
    auth_client: httpx.AsyncClient, app: FastAPI, payload: dict[str, object]
) -> None:
    response = await auth_client.post(app.url_path_for("create_item"), json=payload)

    assert response.status_code == 422, response.text


async def test_create_item_without_token_is_401(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.post(app.url_path_for("create_item"), json={"title": "x"})

    assert response.status_code == 401, response.text


async def test_list_items_pages_own_items_only(
    auth_client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    user: User,
    other_user: User,
) -> None:
    for _ in range(5):
        await create_item(session, user)
    await create_item(session, other_user)

    response = await auth_client.get(
        app.url_path_for("list_items"), params={"limit": 2, "offset": 4}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 5
    assert (body["limit"], body["offset"]) == (2, 4)
    assert len(body["items"]) == 1
    assert body["items"][0]["owner_id"] == str(user.id)


@pytest.mark.parametrize(("items", "offset"), [(3, 10), (0, 0)], ids=["past-the-end", "none"])
async def test_list_items_counts_the_total_when_the_page_is_empty(
    auth_client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    user: User,
    items: int,
    offset: int,
) -> None:
    for _ in range(items):
        await create_item(session, user)

    response = await auth_client.get(app.url_path_for("list_items"), params={"offset": offset})

    assert response.status_code == 200, response.text
    assert (response.json()["items"], response.json()["total"]) == ([], items)


async def test_list_items_defaults_to_20(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    for _ in range(21):
        await create_item(session, user)

    body = (await auth_client.get(app.url_path_for("list_items"))).json()

    assert (len(body["items"]), body["total"], body["limit"]) == (20, 21, 20)


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 101}, {"offset": -1}, {"limit": "many"}],
    ids=["zero", "too-big", "negative-offset", "not-a-number"],
)
async def test_list_items_bad_paging_is_422(
    auth_client: httpx.AsyncClient, app: FastAPI, params: dict[str, int | str]
) -> None:
    response = await auth_client.get(app.url_path_for("list_items"), params=params)

    assert response.status_code == 422, response.text


async def test_read_item_returns_it(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    item = await create_item(session, user, title="Mine")

    response = await auth_client.get(app.url_path_for("read_item", item_id=str(item.id)))

    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Mine"


async def test_another_users_item_is_404_for_every_method(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, other_user: User
) -> None:
    item = await create_item(session, other_user)
    path = app.url_path_for("read_item", item_id=str(item.id))

    responses = [
        await auth_client.get(path),
        await auth_client.patch(path, json={"title": "stolen"}),
        await auth_client.delete(path),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404]
    assert responses[0].json()["code"] == "item_not_found"
    await session.refresh(item)
    assert item.title != "stolen"


async def test_unknown_item_is_404(auth_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await auth_client.get(app.url_path_for("read_item", item_id=str(uuid.uuid4())))

    assert response.status_code == 404, response.text


async def test_malformed_item_id_is_422(auth_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await auth_client.get(app.url_path_for("read_item", item_id="42"))

    assert response.status_code == 422, response.text


async def test_update_item_changes_only_given_fields(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    item = await create_item(session, user, title="Old", description="Keep me")

    response = await auth_client.patch(
        app.url_path_for("update_item", item_id=str(item.id)), json={"title": "New"}
    )

    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["description"]) == ("New", "Keep me")


async def test_update_item_can_clear_description(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    item = await create_item(session, user, description="Drop me")

    response = await auth_client.patch(
        app.url_path_for("update_item", item_id=str(item.id)), json={"description": None}
    )

    assert response.status_code == 200, response.text
    assert response.json()["description"] is None


@pytest.mark.parametrize(
    "payload",
    [{"title": None}, {"title": ""}, {"owner_id": str(uuid.uuid4())}],
    ids=["null-title", "empty-title", "owner_id"],
)
async def test_update_item_invalid_input_is_422(
    auth_client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    user: User,
    payload: dict[str, object],
) -> None:
    item = await create_item(session, user)

    response = await auth_client.patch(
        app.url_path_for("update_item", item_id=str(item.id)), json=payload
    )

    assert response.status_code == 422, response.text


async def test_delete_item_removes_it(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    item = await create_item(session, user)
    path = app.url_path_for("delete_item", item_id=str(item.id))

    deleted = await auth_client.delete(path)
    again = await auth_client.get(path)

    assert deleted.status_code == 204, deleted.text
    assert deleted.content == b""
    assert again.status_code == 404, again.text


async def test_every_write_shows_in_the_next_list(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    list_url = app.url_path_for("list_items")
    assert (await auth_client.get(list_url)).json()["total"] == 0

    created = (await auth_client.post(app.url_path_for("create_item"), json={"title": "A"})).json()
    after_create = (await auth_client.get(list_url)).json()
    item_url = app.url_path_for("update_item", item_id=created["id"])
    await auth_client.patch(item_url, json={"title": "B"})
    after_update = (await auth_client.get(list_url)).json()
    await auth_client.delete(item_url)
    after_delete = (await auth_client.get(list_url)).json()

    assert [item["title"] for item in after_create["items"]] == ["A"]
    assert [item["title"] for item in after_update["items"]] == ["B"]
    assert after_delete["total"] == 0
