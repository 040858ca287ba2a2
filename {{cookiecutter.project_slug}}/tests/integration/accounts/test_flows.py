"""Verification, password reset and email change, end to end: the links come by real SMTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from {{ cookiecutter.package_name }}.accounts import service as accounts_service
from {{ cookiecutter.package_name }}.accounts.dependencies import VerifiedUserDep
from {{ cookiecutter.package_name }}.accounts.models import AccountToken
from {{ cookiecutter.package_name }}.core.config import EmailVerification, Settings
from {{ cookiecutter.package_name }}.core.db import commit, utcnow
from {{ cookiecutter.package_name }}.core.resources import resources_of
from {{ cookiecutter.package_name }}.users.models import User
from tests.accounts import Service, link_token, mail_service
from tests.conftest import access_token_for, captured_logs
from tests.factories.users import DEFAULT_PASSWORD, create_user

NEW_PASSWORD = "a brand new passphrase 42"


@pytest.fixture
async def service(settings: Settings, connection: AsyncConnection) -> AsyncIterator[Service]:
    async with mail_service(settings.database_url, connection) as service:
        yield service


@pytest.fixture
async def strict(settings: Settings, connection: AsyncConnection) -> AsyncIterator[Service]:
    """The service with AUTH__EMAIL_VERIFICATION=required."""
    async with mail_service(
        settings.database_url, connection, verification=EmailVerification.REQUIRED
    ) as service:
        yield service


async def _register(service: Service, email: str) -> int:
    response = await service.client.post(
        service.url("register"), json={"email": email, "password": DEFAULT_PASSWORD}
    )
    return response.status_code


async def _me(service: Service, token: str) -> dict[str, object]:
    response = await service.client.get(service.url("read_me"), headers=service.as_user(token))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_registration_mails_a_link_that_verifies_the_address_once(
    service: Service,
) -> None:
    assert await _register(service, "Ada@Example.com") == 201
    [message] = await service.mail(1)
    token = link_token(message, "verify-email")
    access = await service.access_token("ada@example.com")
    before = await _me(service, access)

    first = await service.client.post(service.url("verify_email"), json={"token": token})
    again = await service.client.post(service.url("verify_email"), json={"token": token})

    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Confirm your email address for Shop"
    assert (before["email_verified"], first.status_code) == (False, 204)
    assert (await _me(service, access))["email_verified"] is True
    assert again.status_code == 400
    assert again.json()["code"] == "invalid_account_token"


async def test_a_resent_link_replaces_the_first(service: Service) -> None:
    await _register(service, "ada@example.com")
    access = await service.access_token("ada@example.com")
    resent = await service.client.post(
        service.url("resend_verification_email"), headers=service.as_user(access)
    )
    first, second = await service.mail(2)

    stale = await service.client.post(
        service.url("verify_email"), json={"token": link_token(first, "verify-email")}
    )
    fresh = await service.client.post(
        service.url("verify_email"), json={"token": link_token(second, "verify-email")}
    )
    done = await service.client.post(
        service.url("resend_verification_email"), headers=service.as_user(access)
    )

    assert resent.status_code == 202, resent.text
    assert (stale.status_code, fresh.status_code) == (400, 204)
    assert done.status_code == 409
    assert done.json()["code"] == "email_already_verified"


async def test_required_verification_refuses_login_until_the_link_is_followed(
    strict: Service,
) -> None:
    registered = await strict.client.post(
        strict.url("register"), json={"email": "ada@example.com", "password": DEFAULT_PASSWORD}
    )
    [message] = await strict.mail(1)
    refused = await strict.login("ada@example.com")
    wrong_password = await strict.login("ada@example.com", "not the password at all")

    await strict.client.post(
        strict.url("verify_email"), json={"token": link_token(message, "verify-email")}
    )

    assert registered.status_code == 202
    assert (refused.status_code, refused.json()["code"]) == (403, "email_not_verified")
    # The verification check comes after the password's: it tells a guesser nothing.
    assert wrong_password.status_code == 401
    assert (await strict.login("ada@example.com")).status_code == 200


async def test_required_registration_answers_alike_for_a_taken_address(
    strict: Service, session: AsyncSession, password_hash: str
) -> None:
    await create_user(
        session,
        email="taken@example.com",
        hashed_password=password_hash,
        email_verified_at=utcnow(),
    )

    taken = await strict.client.post(
        strict.url("register"), json={"email": "taken@example.com", "password": NEW_PASSWORD}
    )
    free = await strict.client.post(
        strict.url("register"), json={"email": "free@example.com", "password": NEW_PASSWORD}
    )
    messages = {message["To"]: message for message in await strict.mail(2)}
    notice, verification = messages["taken@example.com"], messages["free@example.com"]

    assert (taken.status_code, taken.json()) == (free.status_code, free.json())
    assert taken.status_code == 202
    assert notice["To"] == "taken@example.com"
    assert "already has" in notice.get_body(("plain",)).get_content()  # type: ignore[union-attr] # a plain part is always there
    assert verification["To"] == "free@example.com"
    link_token(verification, "verify-email")
    # The taken account keeps its password.
    assert (await strict.login("taken@example.com")).status_code == 200


async def test_password_reset_sets_the_password_and_ends_every_session(
    service: Service, user: User
) -> None:
    tokens = (await service.login(user.email)).json()
    requested = await service.client.post(
        service.url("request_password_reset"), json={"email": user.email.upper()}
    )
    [message] = await service.mail(1)
    token = link_token(message, "reset-password")

    reset = await service.client.post(
        service.url("reset_password"), json={"token": token, "password": NEW_PASSWORD}
    )
    replayed = await service.client.post(
        service.url("reset_password"), json={"token": token, "password": "yet another passphrase"}
    )
    old_access = await service.client.get(
        service.url("read_me"), headers=service.as_user(tokens["access_token"])
    )
    old_refresh = await service.client.post(
        service.url("refresh_tokens"), json={"refresh_token": tokens["refresh_token"]}
    )

    assert requested.status_code == 202
    assert message["To"] == user.email
    assert reset.status_code == 204, reset.text
    assert replayed.status_code == 400
    assert (old_access.status_code, old_refresh.status_code) == (401, 401)
    assert (await service.login(user.email)).status_code == 401
    assert (await service.login(user.email, NEW_PASSWORD)).status_code == 200


async def test_a_reset_link_dies_when_the_password_changes_another_way(
    service: Service, user: User
) -> None:
    await service.client.post(service.url("request_password_reset"), json={"email": user.email})
    [message] = await service.mail(1)
    access = await service.access_token(user.email)
    changed = await service.client.patch(
        service.url("update_me"),
        json={"password": NEW_PASSWORD, "current_password": DEFAULT_PASSWORD},
        headers=service.as_user(access),
    )

    reset = await service.client.post(
        service.url("reset_password"),
        json={"token": link_token(message, "reset-password"), "password": "an attacker's choice"},
    )

    assert changed.status_code == 200, changed.text
    assert reset.status_code == 400
    assert (await service.login(user.email, NEW_PASSWORD)).status_code == 200


async def test_an_expired_reset_link_is_refused(
    service: Service, user: User, session: AsyncSession
) -> None:
    await service.client.post(service.url("request_password_reset"), json={"email": user.email})
    [message] = await service.mail(1)
    await session.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    await session.commit()

    reset = await service.client.post(
        service.url("reset_password"),
        json={"token": link_token(message, "reset-password"), "password": NEW_PASSWORD},
    )

    assert reset.status_code == 400
    assert reset.json()["code"] == "invalid_account_token"


async def test_a_reset_mails_only_a_known_active_account_and_answers_alike(
    service: Service, user: User, session: AsyncSession, password_hash: str
) -> None:
    inactive = await create_user(session, hashed_password=password_hash, is_active=False)

    answers = [
        await service.client.post(service.url("request_password_reset"), json={"email": email})
        for email in ("nobody@example.com", inactive.email, user.email)
    ]
    messages = await service.mail(1)
    await asyncio.sleep(0.2)  # time for a message that should not exist to arrive

    assert {(answer.status_code, answer.text) for answer in answers} == {(202, answers[0].text)}
    assert [message["To"] for message in service.mailbox.messages] == [user.email]
    assert messages[0]["To"] == user.email


async def test_an_email_change_moves_the_account_once_the_new_address_confirms(
    service: Service, user: User
) -> None:
    access = await service.access_token(user.email)
    requested = await service.client.post(
        service.url("request_email_change"),
        json={"new_email": "New.Address@Example.com", "current_password": DEFAULT_PASSWORD},
        headers=service.as_user(access),
    )
    messages = {message["To"]: message for message in await service.mail(2)}
    unchanged = await _me(service, access)

    confirmed = await service.client.post(
        service.url("confirm_email_change"),
        json={"token": link_token(messages["new.address@example.com"], "confirm-email-change")},
    )

    assert requested.status_code == 202, requested.text
    assert set(messages) == {user.email, "new.address@example.com"}
    assert "new.address@example.com" in messages[user.email]["Subject"] + str(
        messages[user.email].get_body(("plain",)).get_content()  # type: ignore[union-attr] # a plain part is always there
    )
    assert unchanged["email"] == user.email
    assert confirmed.status_code == 204, confirmed.text
    me = await _me(service, access)
    assert (me["email"], me["email_verified"]) == ("new.address@example.com", True)
    assert (await service.login(user.email)).status_code == 401
    assert (await service.login("new.address@example.com")).status_code == 200


async def test_an_email_change_needs_the_password_and_a_new_address(
    service: Service, user: User
) -> None:
    access = await service.access_token(user.email)

    wrong = await service.client.post(
        service.url("request_email_change"),
        json={"new_email": "x@example.com", "current_password": "not my password"},
        headers=service.as_user(access),
    )
    same = await service.client.post(
        service.url("request_email_change"),
        json={"new_email": user.email.upper(), "current_password": DEFAULT_PASSWORD},
        headers=service.as_user(access),
    )

    assert (wrong.status_code, wrong.json()["code"]) == (400, "wrong_current_password")
    assert (same.status_code, same.json()["code"]) == (400, "email_unchanged")


async def test_an_address_taken_meanwhile_is_not_given_twice(
    service: Service, user: User, session: AsyncSession, password_hash: str
) -> None:
    access = await service.access_token(user.email)
    await service.client.post(
        service.url("request_email_change"),
        json={"new_email": "wanted@example.com", "current_password": DEFAULT_PASSWORD},
        headers=service.as_user(access),
    )
    messages = {message["To"]: message for message in await service.mail(2)}
    await create_user(session, email="wanted@example.com", hashed_password=password_hash)

    confirmed = await service.client.post(
        service.url("confirm_email_change"),
        json={"token": link_token(messages["wanted@example.com"], "confirm-email-change")},
    )

    assert confirmed.status_code == 409
    assert confirmed.json()["code"] == "email_already_registered"
    assert (await _me(service, access))["email"] == user.email


async def test_a_taken_address_gets_no_link_and_the_answer_does_not_say(
    service: Service, user: User, other_user: User
) -> None:
    access = await service.access_token(user.email)

    taken = await service.client.post(
        service.url("request_email_change"),
        json={"new_email": other_user.email, "current_password": DEFAULT_PASSWORD},
        headers=service.as_user(access),
    )
    [notice] = await service.mail(1)
    await asyncio.sleep(0.2)

    assert taken.status_code == 202
    assert [message["To"] for message in service.mailbox.messages] == [user.email]
    assert notice["To"] == user.email


async def test_nothing_is_mailed_when_the_change_rolls_back(
    service: Service, user: User, connection: AsyncConnection
) -> None:
    mailer = resources_of(service.app).mailer
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        await accounts_service.request_password_reset(
            session, mailer, service.settings, email=user.email
        )
        await session.rollback()
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        await accounts_service.request_password_reset(
            session, mailer, service.settings, email=user.email
        )
        await commit(session)

    [message] = await service.mail(1)
    await asyncio.sleep(0.2)

    assert len(service.mailbox.messages) == 1
    link_token(message, "reset-password")


@pytest.mark.parametrize(
    ("verification", "unverified_status"),
    [(EmailVerification.OPTIONAL, 403), (EmailVerification.OFF, 200)],
)
async def test_verified_user_dep_guards_routes_unless_verification_is_off(
    settings: Settings,
    connection: AsyncConnection,
    session: AsyncSession,
    password_hash: str,
    verification: EmailVerification,
    unverified_status: int,
) -> None:
    async def verified_only(user: VerifiedUserDep) -> dict[str, str]:
        return {"email": user.email}

    verified = await create_user(session, hashed_password=password_hash, email_verified_at=utcnow())
    unverified = await create_user(session, hashed_password=password_hash)
    async with mail_service(
        settings.database_url, connection, verification=verification
    ) as service:
        service.app.add_api_route("/verified-only", verified_only)
        answers = [
            await service.client.get(
                "/verified-only",
                headers=service.as_user(access_token_for(service.settings, account)),
            )
            for account in (verified, unverified)
        ]

    assert answers[0].status_code == 200
    assert answers[1].status_code == unverified_status
    if unverified_status == 403:
        assert answers[1].json()["code"] == "email_not_verified"


async def test_with_verification_off_registration_mails_nothing(
    settings: Settings, connection: AsyncConnection
) -> None:
    async with mail_service(
        settings.database_url, connection, verification=EmailVerification.OFF
    ) as service:
        registered = await _register(service, "ada@example.com")
        await asyncio.sleep(0.2)

    assert registered == 201
    assert service.mailbox.messages == []


async def test_no_token_reaches_the_logs(service: Service, user: User) -> None:
    with captured_logs() as logs:
        await service.client.post(service.url("request_password_reset"), json={"email": user.email})
        [message] = await service.mail(1)
        token = link_token(message, "reset-password")
        await service.client.post(
            service.url("reset_password"), json={"token": token, "password": NEW_PASSWORD}
        )

    assert logs
    assert token not in repr(logs)
