"""Weak passwords are refused wherever one is set, and the refusal never repeats the password."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI

from tests.factories.users import DEFAULT_PASSWORD
from tests.unit.users.test_password_policy import fullwidth

WEAK_PASSWORDS = [
    pytest.param("Password1!", "too common", id="suffixed"),
    pytest.param("password2", "too common", id="digit-suffixed"),
    pytest.param("2024!Dragon", "too common", id="prefixed"),
    pytest.param(fullwidth("password"), "too common", id="fullwidth"),
    pytest.param(fullwidth("PASSWORD"), "too common", id="fullwidth-upper"),
    pytest.param("aaaaaaaa", "different characters", id="one-character"),
    pytest.param("AaAaAaAaAaAa", "different characters", id="one-character-two-cases"),
    pytest.param("abcabcabcabc", "different characters", id="three-characters"),
]
STRONG_PASSWORDS = [
    pytest.param("quartz lantern mosaic orbit velvet pickle", id="passphrase"),
    pytest.param(DEFAULT_PASSWORD, id="suite-default"),
    pytest.param("Tr0ub4dor&3x", id="mixed"),
    pytest.param("gY7#kq2!Lm9z", id="random"),
    pytest.param("8302957163049285", id="random-digits"),
]


@pytest.mark.parametrize(("password", "reason"), WEAK_PASSWORDS)
async def test_register_with_weak_password_is_422_naming_field_and_reason(
    client: httpx.AsyncClient, app: FastAPI, password: str, reason: str
) -> None:
    response = await client.post(
        app.url_path_for("register"), json={"email": "weak@example.com", "password": password}
    )

    assert response.status_code == 422, response.text
    [error] = response.json()["errors"]
    assert error["loc"] == ["body", "password"]
    assert reason in error["msg"]
    assert password not in response.text


@pytest.mark.parametrize("password", STRONG_PASSWORDS)
async def test_register_with_strong_password_is_201(
    client: httpx.AsyncClient, app: FastAPI, password: str
) -> None:
    response = await client.post(
        app.url_path_for("register"), json={"email": "strong@example.com", "password": password}
    )

    assert response.status_code == 201, response.text


async def test_update_me_to_weak_password_is_422(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await auth_client.patch(
        app.url_path_for("update_me"),
        json={"password": "Password1!", "current_password": DEFAULT_PASSWORD},
    )

    assert response.status_code == 422, response.text
    assert [error["loc"] for error in response.json()["errors"]] == [["body", "password"]]
