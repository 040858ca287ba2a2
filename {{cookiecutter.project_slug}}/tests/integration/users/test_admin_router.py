"""Account administration by admins."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.items.models import Item
from {{ cookiecutter.package_name }}.users.models import User
from tests.factories.items import create_item
from tests.factories.users import DEFAULT_PASSWORD


@pytest.mark.usefixtures("user")
async def test_admin_lists_users(admin_client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await admin_client.get(app.url_path_for("list_users"), params={"limit": 1})

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 2
    assert len(body["items"]) == 1
    assert "hashed_password" not in response.text


async def test_admin_reads_a_user(
    admin_client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    response = await admin_client.get(app.url_path_for("read_user", user_id=str(user.id)))

    assert response.status_code == 200, response.text
    assert response.json()["email"] == user.email


async def test_admin_reading_unknown_user_is_404(
    admin_client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await admin_client.get(app.url_path_for("read_user", user_id=str(uuid.uuid4())))

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "user_not_found"


async def test_admin_promotes_a_user(
    admin_client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    response = await admin_client.patch(
        app.url_path_for("update_user", user_id=str(user.id)),
        json={"role": "admin", "full_name": "Promoted"},
    )

    assert response.status_code == 200, response.text
    assert (response.json()["role"], response.json()["full_name"]) == ("admin", "Promoted")


async def test_deactivating_a_user_signs_them_out(
    admin_client: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    tokens = (
        await client.post(
            app.url_path_for("login"), data={"username": user.email, "password": DEFAULT_PASSWORD}
        )
    ).json()

    response = await admin_client.patch(
        app.url_path_for("update_user", user_id=str(user.id)), json={"is_active": False}
    )

    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False
    refreshed = await client.post(
        app.url_path_for("refresh_tokens"), json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 401, refreshed.text


async def test_admin_deletes_a_user_and_their_items(
    admin_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, user: User
) -> None:
    item_id = (await create_item(session, user)).id

    response = await admin_client.delete(app.url_path_for("delete_user", user_id=str(user.id)))

    assert response.status_code == 204, response.text
    gone = await admin_client.get(app.url_path_for("read_user", user_id=str(user.id)))
    assert gone.status_code == 404, gone.text
    session.expunge_all()
    assert await session.get(Item, item_id) is None
