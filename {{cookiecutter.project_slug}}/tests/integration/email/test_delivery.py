"""Delivery through a real SMTP server (aiosmtpd on loopback): TLS modes, retries, commit."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
import structlog
import trustme
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from structlog.typing import EventDict

from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    EmailBackend,
    Settings,
    SmtpTLS,
)
from {{ cookiecutter.package_name }}.core.db import commit
from {{ cookiecutter.package_name }}.core.logging import REQUEST_ID_KEY
from {{ cookiecutter.package_name }}.email.mailer import Mailer
from {{ cookiecutter.package_name }}.email.messages import Email, verify_email
from {{ cookiecutter.package_name }}.email.transports import ConsoleTransport, create_transport
from tests.conftest import FRONTEND_URL, captured_logs, make_settings
from tests.smtp import PASSWORD, SENDER, USERNAME, Mailbox, email_settings, smtp_server

TOKEN = "secret-token-0123456789"  # must never reach a log line


def _settings(database_url: str, port: int, **email: object) -> Settings:
    return make_settings(
        database_url,
        app=AppSettings(name="Shop", frontend_url=FRONTEND_URL),
        email=email_settings(port, **email),
    )


def _mailer(settings: Settings, max_attempts: int = 3) -> Mailer:
    """The service's mailer, retrying without waiting."""
    return Mailer(
        settings, create_transport(settings), max_attempts=max_attempts, retry_delay_seconds=0
    )


def _verification(settings: Settings) -> Email:
    return verify_email(
        settings, to="ada@example.com", token=TOKEN, valid_for=timedelta(minutes=30)
    )


@pytest.fixture(autouse=True)
def logs() -> Iterator[list[EventDict]]:
    """What the test logs: the mailer's events are part of its contract."""
    with captured_logs() as events:
        yield events


@pytest.fixture
def mailbox_port() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture(scope="module")
def certificate_authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(certificate_authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate_authority.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def ca_file(certificate_authority: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(path))
    return path


def _text_and_html(message: EmailMessage) -> tuple[str, str]:
    """Both parts, with the wire's CRLF line ends turned back into newlines."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert isinstance(text, EmailMessage)
    assert isinstance(html, EmailMessage)
    return _lines(text.get_content()), _lines(html.get_content())


def _lines(content: str) -> str:
    return content.replace("\r\n", "\n")


async def test_a_message_arrives_with_its_text_and_html_parts(
    database_url: str, mailbox_port: tuple[Mailbox, int]
) -> None:
    mailbox, port = mailbox_port
    settings = _settings(database_url, port)
    email = _verification(settings)

    assert await _mailer(settings).deliver(email)

    [message] = await mailbox.wait_for(1)
    assert message["From"] == SENDER
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == email.subject
    text, html = _text_and_html(message)
    assert text == email.text
    assert html == email.html


@pytest.mark.parametrize("tls", [SmtpTLS.STARTTLS, SmtpTLS.TLS])
async def test_tls_modes_log_in_over_an_encrypted_connection(
    database_url: str, server_tls: ssl.SSLContext, ca_file: Path, tls: SmtpTLS
) -> None:
    if tls is SmtpTLS.STARTTLS:
        server = smtp_server(starttls=server_tls, require_login=True)
    else:
        server = smtp_server(implicit_tls=server_tls, require_login=True)
    with server as (mailbox, port):
        settings = _settings(
            database_url,
            port,
            smtp_tls=tls,
            smtp_ca_file=ca_file,
            smtp_username=USERNAME,
            smtp_password=PASSWORD,
        )

        assert await _mailer(settings).deliver(_verification(settings))

        assert len(await mailbox.wait_for(1)) == 1
        assert mailbox.logins == [USERNAME]


async def test_a_certificate_from_an_unknown_authority_is_refused(
    database_url: str, server_tls: ssl.SSLContext, logs: list[EventDict]
) -> None:
    with smtp_server(starttls=server_tls) as (mailbox, port):
        # No EMAIL__SMTP_CA_FILE: the system's authorities, which never signed the test CA.
        settings = _settings(database_url, port, smtp_tls=SmtpTLS.STARTTLS)

        delivered = await _mailer(settings, max_attempts=1).deliver(_verification(settings))

    assert not delivered
    assert mailbox.messages == []
    assert [log["event"] for log in logs] == ["email_send_failed"]


async def test_starttls_is_never_skipped_when_the_server_does_not_offer_it(
    database_url: str, mailbox_port: tuple[Mailbox, int]
) -> None:
    mailbox, port = mailbox_port
    settings = _settings(database_url, port, smtp_tls=SmtpTLS.STARTTLS)

    assert not await _mailer(settings, max_attempts=1).deliver(_verification(settings))
    assert mailbox.messages == []


async def test_a_temporary_failure_is_retried(
    database_url: str, mailbox_port: tuple[Mailbox, int], logs: list[EventDict]
) -> None:
    mailbox, port = mailbox_port
    mailbox.fail_with = ["451 4.3.0 Try again later", "421 4.7.0 Busy"]
    settings = _settings(database_url, port)

    assert await _mailer(settings, max_attempts=3).deliver(_verification(settings))

    assert len(await mailbox.wait_for(1)) == 1
    assert [(log["event"], log["attempt"]) for log in logs] == [
        ("email_send_failed", 1),
        ("email_send_failed", 2),
        ("email_sent", 3),
    ]


async def test_attempts_are_bounded_and_the_failure_logged_without_the_token(
    database_url: str, mailbox_port: tuple[Mailbox, int], logs: list[EventDict]
) -> None:
    mailbox, port = mailbox_port
    mailbox.fail_with = ["451 4.3.0 Try again later"] * 5
    settings = _settings(database_url, port)

    with structlog.contextvars.bound_contextvars(**{REQUEST_ID_KEY: "req-42"}):
        assert not await _mailer(settings, max_attempts=2).deliver(_verification(settings))

    assert mailbox.messages == []
    assert len(mailbox.fail_with) == 3
    final = logs[-1]
    assert (final["event"], final["log_level"]) == ("email_send_failed", "error")
    assert final["attempt"] == 2
    assert final[REQUEST_ID_KEY] == "req-42"
    assert final["template"] == "verify_email"
    assert TOKEN not in repr(logs)


async def test_a_permanent_failure_is_not_retried(
    database_url: str, mailbox_port: tuple[Mailbox, int]
) -> None:
    mailbox, port = mailbox_port
    mailbox.fail_with = ["554 5.7.1 Rejected", "250 unused"]
    settings = _settings(database_url, port)

    assert not await _mailer(settings, max_attempts=3).deliver(_verification(settings))
    assert mailbox.fail_with == ["250 unused"]


async def test_an_unreachable_server_costs_bounded_attempts(
    database_url: str, logs: list[EventDict]
) -> None:
    with smtp_server() as (_mailbox, port):
        pass  # stopped: nothing listens on the port now
    settings = _settings(database_url, port)

    assert not await _mailer(settings, max_attempts=2).deliver(_verification(settings))

    assert [log["attempt"] for log in logs] == [1, 2]


async def test_a_message_goes_out_only_once_its_change_commits(
    database_url: str, connection: AsyncConnection, mailbox_port: tuple[Mailbox, int]
) -> None:
    mailbox, port = mailbox_port
    settings = _settings(database_url, port)
    mailer = _mailer(settings)
    email = _verification(settings)

    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        mailer.send_after_commit(session, email)
        await session.rollback()
    async with AsyncSession(bind=connection, join_transaction_mode="create_savepoint") as session:
        mailer.send_after_commit(session, email)
        assert mailbox.messages == []  # not before the commit
        await commit(session)
    await mailer.aclose()

    assert len(await mailbox.wait_for(1)) == 1
    assert len(mailbox.messages) == 1  # the rolled-back one never went out


async def test_shutdown_waits_for_the_sends_in_flight(
    database_url: str, mailbox_port: tuple[Mailbox, int]
) -> None:
    mailbox, port = mailbox_port
    settings = _settings(database_url, port)
    mailer = _mailer(settings)

    for _ in range(3):
        await mailer.dispatch(_verification(settings))
    await mailer.aclose()

    assert len(mailbox.messages) == 3


async def test_the_console_backend_logs_the_message_and_sends_nothing(
    database_url: str, logs: list[EventDict]
) -> None:
    settings = make_settings(database_url)
    assert settings.email_backend is EmailBackend.CONSOLE
    mailer = Mailer(settings, create_transport(settings))
    assert isinstance(mailer.transport, ConsoleTransport)
    email = _verification(settings)

    assert await mailer.deliver(email)

    logged = next(log for log in logs if log["event"] == "email_logged")
    assert (logged["to"], logged["subject"]) == ("ada@example.com", email.subject)
    assert TOKEN in logged["body"]  # development's only way to follow the link
