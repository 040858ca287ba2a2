"""Login reveals nothing about which emails exist (OWASP API2), and reads passwords as NFKC."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import bcrypt
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.core.security import PasswordHasher
from {{ cookiecutter.package_name }}.users.models import User
from tests.factories.users import create_user

COMPARED_FIELDS = ("type", "title", "status", "detail", "code")
WRONG_PASSWORD = "not the password"


@pytest.fixture
def hash_checks(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every password check the app's hasher performs: at current parameters or not.

    A check against a hash at current parameters is what costs the full price; counting
    them compares the work of two logins without timing them.
    """
    checks: list[str] = []
    context = resources_of(app).password_hasher._context
    needs_update = context.needs_update

    def record(check: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(secret: str, hashed: str, *args: Any, **kwargs: Any) -> Any:
            checks.append("outdated" if needs_update(hashed) else "current")
            return check(secret, hashed, *args, **kwargs)

        return recorded

    monkeypatch.setattr(context, "verify", record(context.verify))
    monkeypatch.setattr(context, "verify_and_update", record(context.verify_and_update))
    return checks


async def _login(
    client: httpx.AsyncClient, app: FastAPI, email: str, password: str = WRONG_PASSWORD
) -> httpx.Response:
    return await client.post(
        app.url_path_for("login"), data={"username": email, "password": password}
    )


async def test_unknown_email_and_wrong_password_answer_alike(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    known = await _login(client, app, user.email)
    unknown = await _login(client, app, "nobody-here@example.com")

    assert known.status_code == unknown.status_code == 401
    assert known.headers["WWW-Authenticate"] == unknown.headers["WWW-Authenticate"]
    assert [known.json().get(field) for field in COMPARED_FIELDS] == [
        unknown.json().get(field) for field in COMPARED_FIELDS
    ]


async def test_unknown_email_costs_one_full_hash_like_a_wrong_password(
    client: httpx.AsyncClient, app: FastAPI, user: User, hash_checks: list[str]
) -> None:
    await _login(client, app, user.email)
    known_checks = list(hash_checks)
    hash_checks.clear()
    await _login(client, app, "nobody-here@example.com")

    assert known_checks == hash_checks == ["current"]


@pytest.fixture(params=["bcrypt", "argon2-other-cost"])
async def outdated_user(
    request: pytest.FixtureRequest, session: AsyncSession, settings: Settings
) -> User:
    """A user whose hash predates the current parameters (a legacy scheme or another cost)."""
    if request.param == "bcrypt":
        hashed = bcrypt.hashpw(b"an older password", bcrypt.gensalt(rounds=4)).decode()
    else:
        auth = settings.auth.model_copy(update={"argon2_time_cost": 2})
        older = PasswordHasher(settings.model_copy(update={"auth": auth}))
        hashed = await older.hash("an older password")
    return await create_user(session, hashed_password=hashed)


async def test_wrong_password_on_an_outdated_hash_costs_a_full_hash_like_an_unknown_email(
    client: httpx.AsyncClient, app: FastAPI, outdated_user: User, hash_checks: list[str]
) -> None:
    response = await _login(client, app, outdated_user.email)
    known_checks = list(hash_checks)
    hash_checks.clear()
    await _login(client, app, "nobody-here@example.com")

    assert response.status_code == 401, response.text
    assert known_checks.count("current") == hash_checks.count("current") == 1


async def test_right_password_on_an_outdated_hash_logs_in_and_upgrades_it(
    client: httpx.AsyncClient, app: FastAPI, session: AsyncSession, outdated_user: User
) -> None:
    response = await _login(client, app, outdated_user.email, "an older password")

    assert response.status_code == 200, response.text
    await session.refresh(outdated_user)
    context = resources_of(app).password_hasher._context
    assert not context.needs_update(outdated_user.hashed_password)


async def test_wrong_unnormalised_password_costs_as_much_as_it_does_for_an_unknown_email(
    client: httpx.AsyncClient, app: FastAPI, user: User, hash_checks: list[str]
) -> None:
    decomposed = unicodedata.normalize("NFD", "mot de passe à côté")
    await _login(client, app, user.email, decomposed)
    known_checks = list(hash_checks)
    hash_checks.clear()
    await _login(client, app, "nobody-here@example.com", decomposed)

    assert known_checks == hash_checks == ["current", "current"]


async def test_password_registered_composed_logs_in_typed_decomposed(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    password = unicodedata.normalize("NFC", "Crème brûlée façon grand-mère 1987")
    email = "unicode-password@example.com"
    registered = await client.post(
        app.url_path_for("register"), json={"email": email, "password": password}
    )
    assert registered.status_code == 201, registered.text

    response = await _login(client, app, email, unicodedata.normalize("NFD", password))

    assert response.status_code == 200, response.text
