"""Login reveals nothing about which emails exist (OWASP API2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.users.models import User

COMPARED_FIELDS = ("type", "title", "status", "detail", "code")


@pytest.fixture
def hash_checks(app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every password check the app's hasher performs (which path, not the secret)."""
    checks: list[str] = []
    context = resources_of(app).password_hasher._context

    def record(name: str, check: Callable[..., Any]) -> Callable[..., Any]:
        def recorded(*args: Any, **kwargs: Any) -> Any:
            checks.append(name)
            return check(*args, **kwargs)

        return recorded

    monkeypatch.setattr(context, "verify", record("verify", context.verify))
    monkeypatch.setattr(context, "verify_and_update", record("verify", context.verify_and_update))
    return checks


async def _login(client: httpx.AsyncClient, app: FastAPI, email: str) -> httpx.Response:
    return await client.post(
        app.url_path_for("login"), data={"username": email, "password": "not the password"}
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

    assert known_checks == hash_checks == ["verify"]
