"""Hostile text input (NUL and other control characters) is a 422 naming the field, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Executable, func, literal, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from {{ cookiecutter.package_name }}.core.dependencies import SessionDep
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import client_for, make_settings, serving
from tests.factories.items import create_item
from tests.factories.users import DEFAULT_PASSWORD

# NUL (refused by PostgreSQL text columns), ESC (terminal escapes), DEL and a C1 control (NEL).
CONTROL_CHARACTERS = ["\x00", "\x1b", "\x7f", "\x85"]
# Single-line fields refuse line breaks and tabs too.
SINGLE_LINE_CONTROL_CHARACTERS = [*CONTROL_CHARACTERS, "\n", "\r", "\t"]
STRONG_PASSWORD = "a long and unusual passphrase 4K"


def _assert_field_refused(response: httpx.Response, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error", body
    assert ["body", field] in [error["loc"] for error in body["errors"]], body


def _with(character: str) -> str:
    return f"text{character}more"


@pytest.mark.parametrize("character", SINGLE_LINE_CONTROL_CHARACTERS, ids=repr)
async def test_create_item_title_with_control_character_is_422(
    auth_client: httpx.AsyncClient, app: FastAPI, character: str
) -> None:
    response = await auth_client.post(
        app.url_path_for("create_item"), json={"title": _with(character)}
    )

    _assert_field_refused(response, "title")


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
async def test_create_item_description_with_control_character_is_422(
    auth_client: httpx.AsyncClient, app: FastAPI, character: str
) -> None:
    response = await auth_client.post(
        app.url_path_for("create_item"),
        json={"title": "title", "description": _with(character)},
    )

    _assert_field_refused(response, "description")


async def test_create_item_description_keeps_line_breaks_and_tabs(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    description = "first line\r\nsecond line\n\tindented, and ünïcode ✓"

    response = await auth_client.post(
        app.url_path_for("create_item"), json={"title": "title", "description": description}
    )

    assert response.status_code == 201, response.text
    assert response.json()["description"] == description


@pytest.mark.parametrize("field", ["title", "description"])
@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
async def test_update_item_with_control_character_is_422(
    auth_client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    user: User,
    field: str,
    character: str,
) -> None:
    item = await create_item(session, user)

    response = await auth_client.patch(
        app.url_path_for("update_item", item_id=str(item.id)), json={field: _with(character)}
    )

    _assert_field_refused(response, field)


@pytest.mark.parametrize("field", ["email", "password", "full_name"])
@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
async def test_register_with_control_character_is_422(
    client: httpx.AsyncClient, app: FastAPI, field: str, character: str
) -> None:
    body = {"email": "newcomer@example.com", "password": STRONG_PASSWORD, "full_name": "New"}
    body[field] = (
        f"new{character}comer@example.com" if field == "email" else body[field] + character
    )

    response = await client.post(app.url_path_for("register"), json=body)

    _assert_field_refused(response, field)


@pytest.mark.parametrize("field", ["full_name", "password"])
@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
async def test_update_me_with_control_character_is_422(
    auth_client: httpx.AsyncClient, app: FastAPI, field: str, character: str
) -> None:
    body: dict[str, Any] = {"current_password": DEFAULT_PASSWORD}
    body[field] = STRONG_PASSWORD + character

    response = await auth_client.patch(app.url_path_for("update_me"), json=body)

    _assert_field_refused(response, field)


@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
async def test_admin_update_full_name_with_control_character_is_422(
    admin_client: httpx.AsyncClient, app: FastAPI, user: User, character: str
) -> None:
    response = await admin_client.patch(
        app.url_path_for("update_user", user_id=str(user.id)),
        json={"full_name": _with(character)},
    )

    _assert_field_refused(response, "full_name")


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("character", CONTROL_CHARACTERS, ids=repr)
async def test_login_with_control_character_is_422(
    client: httpx.AsyncClient, app: FastAPI, user: User, field: str, character: str
) -> None:
    form = {"username": user.email, "password": DEFAULT_PASSWORD}
    form[field] += character

    response = await client.post(app.url_path_for("login"), data=form)

    _assert_field_refused(response, field)


async def test_register_with_printable_unicode_password_is_accepted(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    body = {"email": "unicode@example.com", "password": "pässwörd ✓ 密码 with spaces"}

    response = await client.post(app.url_path_for("register"), json=body)

    assert response.status_code == 201, response.text


REFUSED_VALUE = "value-the-database-refuses"


def _statement_the_database_refuses(dialect: str, user: User) -> Executable:
    if dialect == "sqlite":
        # SQLite stores anything in any column; only its size limit is a data error.
        return select(literal(REFUSED_VALUE), func.zeroblob(2**31))
    # Longer than the column: a data error on PostgreSQL, and on MySQL in strict mode.
    return update(User).where(User.id == user.id).values(full_name=REFUSED_VALUE * 100)


async def test_data_error_from_the_database_is_422_logged_without_the_value(
    database_url: str,
    connection: AsyncConnection,
    user: User,
    capsys: pytest.CaptureFixture[str],
) -> None:
    statement = _statement_the_database_refuses(connection.dialect.name, user)
    app = create_app(make_settings(database_url))

    async def write_refused_value(session: SessionDep) -> None:
        await session.execute(statement)

    app.add_api_route("/refused", write_refused_value, methods=["POST"], name="refused")
    async with serving(app, connection), client_for(app) as client:
        response = await client.post(app.url_path_for("refused"))

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "invalid_data"
    logs = capsys.readouterr().out
    assert "database_refused_data" in logs
    assert REFUSED_VALUE not in logs
    assert REFUSED_VALUE not in response.text
