"""One email, one account: every spelling that normalises alike is the same, others differ."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import RateLimitSettings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.users.models import normalize_email
from tests.conftest import make_settings, serving
from tests.factories.users import DEFAULT_PASSWORD

EMAIL = "victim@example.com"
# Each of these is a different address from EMAIL; MySQL's default collation said otherwise.
DISTINCT_SPELLINGS = ["victim@exämple.com", "victím@example.com"]
# Each of these normalises to EMAIL (the last one in full-width letters).
SAME_SPELLINGS = [
    "Victim@Example.COM",
    " victim@example.com ",
    "\uff56\uff49\uff43\uff54\uff49\uff4d@example.com",
]


async def _register(client: httpx.AsyncClient, app: FastAPI, email: str) -> httpx.Response:
    return await client.post(
        app.url_path_for("register"), json={"email": email, "password": DEFAULT_PASSWORD}
    )


async def _login(client: httpx.AsyncClient, app: FastAPI, email: str, password: str) -> int:
    response = await client.post(
        app.url_path_for("login"), data={"username": email, "password": password}
    )
    return response.status_code


def test_normalize_email_folds_case_width_and_surrounding_space_but_not_accents() -> None:
    assert {normalize_email(email) for email in SAME_SPELLINGS} == {EMAIL}
    assert normalize_email("victim@exämple.com") != EMAIL


async def test_registering_another_case_of_an_email_is_409(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    first = await _register(client, app, "a@example.com")
    second = await _register(client, app, "A@Example.com")

    assert first.status_code == 201, first.text
    assert second.status_code == 409, second.text


async def test_accented_and_plain_emails_are_distinct_accounts(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    plain = await _register(client, app, "a@example.com")
    accented = await _register(client, app, "a@exämple.com")

    assert plain.status_code == 201, plain.text
    assert accented.status_code == 201, accented.text
    assert plain.json()["id"] != accented.json()["id"]


@pytest.mark.parametrize(
    "spelling", [*DISTINCT_SPELLINGS, "Victim@Exämple.com ", "victim@example.com\u200b"]
)
async def test_login_as_a_distinct_spelling_with_the_right_password_is_401(
    client: httpx.AsyncClient, app: FastAPI, spelling: str
) -> None:
    assert (await _register(client, app, EMAIL)).status_code == 201

    assert await _login(client, app, spelling, DEFAULT_PASSWORD) == 401


@pytest.mark.parametrize("spelling", SAME_SPELLINGS)
async def test_login_as_a_spelling_of_the_same_email_is_that_account(
    client: httpx.AsyncClient, app: FastAPI, spelling: str
) -> None:
    assert (await _register(client, app, EMAIL)).status_code == 201

    assert await _login(client, app, spelling, DEFAULT_PASSWORD) == 200


async def test_an_account_does_not_block_registering_distinct_spellings(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    assert (await _register(client, app, EMAIL)).status_code == 201

    statuses = [(await _register(client, app, email)).status_code for email in DISTINCT_SPELLINGS]

    assert statuses == [201] * len(DISTINCT_SPELLINGS)


async def test_account_limit_counts_every_spelling_of_one_email_together(
    database_url: str, connection: AsyncConnection
) -> None:
    generous = dict.fromkeys(("default", "login", "registration", "refresh"), "1000/minute")
    limits = RateLimitSettings(**generous, account=f"{len(SAME_SPELLINGS)}/minute")
    app = create_app(make_settings(database_url, rate_limit=limits))
    async with serving(app, connection), _client(app) as client:
        assert (await _register(client, app, EMAIL)).status_code == 201
        statuses = [await _login(client, app, email, "wrong guess") for email in SAME_SPELLINGS]
        blocked = await _login(client, app, EMAIL.upper() + " ", "wrong guess")

    assert statuses == [401] * len(SAME_SPELLINGS)
    assert blocked == 429


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
