"""Object- and function-level authorization, and mass assignment (OWASP API1, API3, API5)."""

from __future__ import annotations

import uuid

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.users.models import Role, User
from tests.factories.items import create_item


async def test_user_cannot_touch_another_users_item(
    auth_client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, other_user: User
) -> None:
    item = await create_item(session, other_user, title="private")
    path = app.url_path_for("read_item", item_id=str(item.id))

    statuses = [
        (await auth_client.get(path)).status_code,
        (await auth_client.patch(path, json={"title": "mine now"})).status_code,
        (await auth_client.delete(path)).status_code,
    ]
    listed = (await auth_client.get(app.url_path_for("list_items"))).json()

    assert statuses == [404, 404, 404]
    assert listed["total"] == 0


@pytest.mark.parametrize(
    ("method", "route"),
    [
        ("GET", "list_users"),
        ("GET", "read_user"),
        ("PATCH", "update_user"),
        ("DELETE", "delete_user"),
    ],
)
async def test_admin_routes_are_403_for_users(
    auth_client: httpx.AsyncClient,
    app: FastAPI,
    other_user: User,
    method: str,
    route: str,
) -> None:
    path_params = {} if route == "list_users" else {"user_id": str(other_user.id)}
    body = {"role": "admin"} if method == "PATCH" else None

    response = await auth_client.request(method, app.url_path_for(route, **path_params), json=body)

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "permission_denied"


async def test_admin_routes_are_401_without_token(client: httpx.AsyncClient, app: FastAPI) -> None:
    response = await client.get(app.url_path_for("list_users"))

    assert response.status_code == 401, response.text


@pytest.mark.parametrize(
    "payload",
    [{"role": "admin"}, {"is_active": True}, {"id": str(uuid.uuid4())}, {"hashed_password": "x"}],
    ids=["role", "is_active", "id", "hashed_password"],
)
async def test_user_cannot_mass_assign_protected_fields_on_self(
    auth_client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    user: User,
    payload: dict[str, object],
) -> None:
    response = await auth_client.patch(app.url_path_for("update_me"), json=payload)

    assert response.status_code == 422, response.text
    await session.refresh(user)
    assert user.role is Role.USER


@pytest.mark.parametrize(
    "payload",
    [{"role": "admin"}, {"is_active": False}, {"is_superuser": True}],
    ids=["role", "is_active", "is_superuser"],
)
async def test_register_rejects_privilege_fields(
    client: httpx.AsyncClient, app: FastAPI, payload: dict[str, object]
) -> None:
    body = {"email": "eve@example.com", "password": "a perfectly fine pw", **payload}

    response = await client.post(app.url_path_for("register"), json=body)

    assert response.status_code == 422, response.text


async def test_item_owner_cannot_be_reassigned(
    auth_client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    user: User,
    other_user: User,
) -> None:
    item = await create_item(session, user)

    response = await auth_client.patch(
        app.url_path_for("update_item", item_id=str(item.id)), json={"owner_id": str(other_user.id)}
    )

    assert response.status_code == 422, response.text


async def test_admin_cannot_change_own_role_or_status(
    admin_client: httpx.AsyncClient, app: FastAPI, admin: User
) -> None:
    path = app.url_path_for("update_user", user_id=str(admin.id))

    demote = await admin_client.patch(path, json={"role": "user"})
    deactivate = await admin_client.patch(path, json={"is_active": False})
    delete = await admin_client.delete(app.url_path_for("delete_user", user_id=str(admin.id)))

    assert [demote.status_code, deactivate.status_code, delete.status_code] == [403, 403, 403]
    assert demote.json()["code"] == "cannot_change_own_access"
