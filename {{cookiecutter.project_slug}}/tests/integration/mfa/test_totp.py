"""Two-factor login with TOTP (RFC 6238) and recovery codes, through the API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pyotp
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.main import create_app
from {{ cookiecutter.package_name }}.mfa.models import RecoveryCode, TotpAuthenticator
from {{ cookiecutter.package_name }}.users.models import User
from tests.conftest import client_for, make_settings, serving
from tests.factories.users import DEFAULT_PASSWORD

STEP_SECONDS = 30


@dataclass
class Enrolled:
    totp: pyotp.TOTP
    secret: str
    recovery_codes: list[str]


def _code(totp: pyotp.TOTP, steps_ahead: int = 0) -> str:
    """The code of the current time step, or of one `steps_ahead` (inside the window: 1)."""
    return totp.at(time.time() + steps_ahead * STEP_SECONDS)


async def _login(client: httpx.AsyncClient, app: FastAPI, user: User) -> httpx.Response:
    return await client.post(
        app.url_path_for("login"), data={"username": user.email, "password": DEFAULT_PASSWORD}
    )


async def _enrol(client: httpx.AsyncClient, app: FastAPI) -> Enrolled:
    setup = await client.post(
        app.url_path_for("begin_totp_setup"), json={"current_password": DEFAULT_PASSWORD}
    )
    assert setup.status_code == 201, setup.text
    secret = setup.json()["secret"]
    totp = pyotp.TOTP(secret)
    confirmed = await client.post(
        app.url_path_for("confirm_totp_setup"), json={"code": _code(totp)}
    )
    assert confirmed.status_code == 200, confirmed.text
    return Enrolled(totp, secret, confirmed.json()["recovery_codes"])


@pytest.fixture
async def enrolled(auth_client: httpx.AsyncClient, app: FastAPI) -> Enrolled:
    return await _enrol(auth_client, app)


@pytest.fixture
async def app_with_other_key(
    settings: Settings, connection: AsyncConnection
) -> AsyncIterator[FastAPI]:
    """The service after an operator rotated AUTH__SECRET_KEY."""
    other_key = SecretStr("a-rotated-test-secret-key-0123456789abcdefghij")
    auth = settings.auth.model_copy(update={"secret_key": other_key})
    async with serving(
        create_app(make_settings(settings.database_url, auth=auth)), connection
    ) as app:
        yield app


@pytest.fixture
async def challenge(
    client: httpx.AsyncClient,
    app: FastAPI,
    user: User,
    enrolled: Enrolled,  # noqa: ARG001 - MFA must be on before the login
) -> str:
    """The MFA token of a login whose password step passed."""
    response = await _login(client, app, user)
    assert response.status_code == 200, response.text
    return str(response.json()["mfa_token"])


async def test_setup_gives_a_secret_and_an_otpauth_uri_that_login_ignores_until_confirmed(
    auth_client: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    setup = await auth_client.post(
        app.url_path_for("begin_totp_setup"), json={"current_password": DEFAULT_PASSWORD}
    )
    login = await _login(client, app, user)

    body = setup.json()
    assert setup.status_code == 201, setup.text
    assert pyotp.parse_uri(body["otpauth_uri"]).secret == body["secret"]
    assert user.email in body["otpauth_uri"].replace("%40", "@")
    assert "access_token" in login.json()  # pending: no second step yet


async def test_setup_needs_the_current_password(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await auth_client.post(
        app.url_path_for("begin_totp_setup"), json={"current_password": "not my password"}
    )

    assert (response.status_code, response.json()["code"]) == (400, "wrong_current_password")


async def test_confirming_returns_ten_recovery_codes_stored_only_as_hashes(
    enrolled: Enrolled, session: AsyncSession, user: User
) -> None:
    stored = (
        await session.scalars(
            select(RecoveryCode.fingerprint).where(RecoveryCode.user_id == user.id)
        )
    ).all()
    authenticator = await session.get(TotpAuthenticator, user.id)

    assert len(set(enrolled.recovery_codes)) == 10
    assert len(stored) == 10
    assert not {code.replace("-", "") for code in enrolled.recovery_codes} & set(stored)
    assert authenticator is not None
    assert enrolled.secret not in authenticator.encrypted_secret


async def test_login_with_totp_answers_a_challenge_then_the_code_gives_tokens(
    client: httpx.AsyncClient, app: FastAPI, enrolled: Enrolled, challenge: str
) -> None:
    # The setup spent the current step's code; the next step's is within the window.
    response = await client.post(
        app.url_path_for("login_mfa"),
        json={"mfa_token": challenge, "code": _code(enrolled.totp, steps_ahead=1)},
    )

    assert response.status_code == 200, response.text
    tokens = response.json()
    me = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    rotated = await client.post(
        app.url_path_for("refresh_tokens"), json={"refresh_token": tokens["refresh_token"]}
    )
    reused = await client.post(
        app.url_path_for("refresh_tokens"), json={"refresh_token": tokens["refresh_token"]}
    )
    assert (rotated.status_code, reused.status_code) == (200, 401)


@pytest.mark.usefixtures("enrolled")
async def test_the_challenge_says_mfa_required_and_carries_no_tokens(
    client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    body = (await _login(client, app, user)).json()

    assert body["mfa_required"] is True
    assert set(body) == {"mfa_required", "mfa_token", "expires_in"}


async def test_a_code_is_accepted_once(
    client: httpx.AsyncClient, app: FastAPI, user: User, enrolled: Enrolled, challenge: str
) -> None:
    # The setup spent the current step's code; the next step's is within the window.
    code = _code(enrolled.totp, steps_ahead=1)
    first = await client.post(
        app.url_path_for("login_mfa"), json={"mfa_token": challenge, "code": code}
    )
    second_challenge = (await _login(client, app, user)).json()["mfa_token"]

    replayed = await client.post(
        app.url_path_for("login_mfa"), json={"mfa_token": second_challenge, "code": code}
    )
    setup_code = await client.post(
        app.url_path_for("login_mfa"),
        json={"mfa_token": second_challenge, "code": _code(enrolled.totp)},
    )

    assert first.status_code == 200, first.text
    assert (replayed.status_code, replayed.json()["code"]) == (401, "invalid_mfa_code")
    assert setup_code.status_code == 401  # older than the last code accepted


async def test_the_mfa_token_is_single_use_and_accepted_nowhere_else(
    client: httpx.AsyncClient, app: FastAPI, enrolled: Enrolled, challenge: str
) -> None:
    as_bearer = await client.get(
        app.url_path_for("read_me"), headers={"Authorization": f"Bearer {challenge}"}
    )
    as_refresh = await client.post(
        app.url_path_for("refresh_tokens"), json={"refresh_token": challenge}
    )
    first = await client.post(
        app.url_path_for("login_mfa"),
        json={"mfa_token": challenge, "code": _code(enrolled.totp, steps_ahead=1)},
    )
    again = await client.post(
        app.url_path_for("login_mfa"),
        json={"mfa_token": challenge, "code": enrolled.recovery_codes[0]},
    )

    assert (as_bearer.status_code, as_refresh.status_code) == (401, 401)
    assert first.status_code == 200
    assert (again.status_code, again.json()["code"]) == (401, "invalid_token")


async def test_an_access_token_is_no_mfa_token(
    client: httpx.AsyncClient, app: FastAPI, user_token: str, enrolled: Enrolled
) -> None:
    response = await client.post(
        app.url_path_for("login_mfa"),
        json={"mfa_token": user_token, "code": enrolled.recovery_codes[0]},
    )

    assert response.status_code == 422  # not even the shape of one


async def test_a_recovery_code_signs_in_once(
    client: httpx.AsyncClient, app: FastAPI, user: User, enrolled: Enrolled, challenge: str
) -> None:
    code = enrolled.recovery_codes[3]
    first = await client.post(
        app.url_path_for("login_mfa"), json={"mfa_token": challenge, "code": code.upper()}
    )
    second_challenge = (await _login(client, app, user)).json()["mfa_token"]
    again = await client.post(
        app.url_path_for("login_mfa"), json={"mfa_token": second_challenge, "code": code}
    )

    assert first.status_code == 200, first.text
    assert again.status_code == 401


async def test_turning_mfa_off_needs_the_password_and_a_code(
    auth_client: httpx.AsyncClient,
    client: httpx.AsyncClient,
    app: FastAPI,
    user: User,
    enrolled: Enrolled,
) -> None:
    url = app.url_path_for("disable_totp")
    wrong_code = await auth_client.request(
        "DELETE", url, json={"current_password": DEFAULT_PASSWORD, "code": "000000"}
    )
    wrong_password = await auth_client.request(
        "DELETE", url, json={"current_password": "nope", "code": enrolled.recovery_codes[0]}
    )
    disabled = await auth_client.request(
        "DELETE",
        url,
        json={"current_password": DEFAULT_PASSWORD, "code": enrolled.recovery_codes[0]},
    )
    again = await auth_client.request(
        "DELETE",
        url,
        json={"current_password": DEFAULT_PASSWORD, "code": enrolled.recovery_codes[1]},
    )

    assert (wrong_code.status_code, wrong_code.json()["code"]) == (400, "invalid_mfa_code")
    assert wrong_password.status_code == 400
    assert disabled.status_code == 204, disabled.text
    assert (again.status_code, again.json()["code"]) == (409, "mfa_not_enabled")
    assert "access_token" in (await _login(client, app, user)).json()


async def test_enrolling_twice_is_refused(
    auth_client: httpx.AsyncClient, app: FastAPI, enrolled: Enrolled
) -> None:
    response = await auth_client.post(
        app.url_path_for("begin_totp_setup"), json={"current_password": DEFAULT_PASSWORD}
    )
    unconfirmable = await auth_client.post(
        app.url_path_for("confirm_totp_setup"), json={"code": _code(enrolled.totp, 1)}
    )

    assert (response.status_code, response.json()["code"]) == (409, "mfa_already_enabled")
    assert (unconfirmable.status_code, unconfirmable.json()["code"]) == (409, "mfa_not_pending")


async def test_a_wrong_first_code_leaves_mfa_off(
    auth_client: httpx.AsyncClient, client: httpx.AsyncClient, app: FastAPI, user: User
) -> None:
    await auth_client.post(
        app.url_path_for("begin_totp_setup"), json={"current_password": DEFAULT_PASSWORD}
    )
    wrong = await auth_client.post(app.url_path_for("confirm_totp_setup"), json={"code": "123456"})

    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_mfa_code")
    assert "access_token" in (await _login(client, app, user)).json()


async def test_a_rotated_secret_key_leaves_recovery_codes_working_and_answers_no_500(
    app_with_other_key: FastAPI, user: User, enrolled: Enrolled
) -> None:
    app = app_with_other_key
    async with client_for(app) as client:
        challenge = (await _login(client, app, user)).json()["mfa_token"]
        response = await client.post(
            app.url_path_for("login_mfa"),
            json={"mfa_token": challenge, "code": _code(enrolled.totp, 1)},
        )
        recovery = await client.post(
            app.url_path_for("login_mfa"),
            json={"mfa_token": challenge, "code": enrolled.recovery_codes[0]},
        )

    assert response.status_code == 401
    assert recovery.status_code == 200  # recovery codes are hashed, not encrypted
