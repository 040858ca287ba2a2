"""A real SMTP server on loopback (aiosmtpd), keeping what it receives for the test to read."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from {{ cookiecutter.package_name }}.core.config import EmailBackend, EmailSettings, SmtpTLS
from tests.conftest import free_port

SENDER = "Shop <noreply@example.com>"
USERNAME = "mailer"
PASSWORD = "mailer-password"


@dataclass
class Mailbox:
    """The aiosmtpd handler: stores each message; answers `fail_with` replies first, if any."""

    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    fail_with: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            if self.fail_with:
                return self.fail_with.pop(0)
            content = envelope.original_content or b""
            parsed = message_from_bytes(content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            self.messages.append(parsed)
        return "250 OK"

    def authenticate(
        self, _server: SMTP, _session: Session, _envelope: Envelope, _mechanism: str, data: Any
    ) -> AuthResult:
        """aiosmtpd's authenticator: USERNAME and PASSWORD log in, and are recorded."""
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USERNAME.encode(),
            PASSWORD.encode(),
        )
        if ok:
            self.logins.append(USERNAME)
        return AuthResult(success=ok, handled=False)

    async def wait_for(self, count: int, seconds: float = 5.0) -> list[EmailMessage]:
        """The messages, once `count` have arrived; fails after `seconds`."""
        async with asyncio.timeout(seconds):
            while len(self.messages) < count:  # noqa: ASYNC110 - filled from the server's thread
                await asyncio.sleep(0.01)
        return list(self.messages)


def email_settings(port: int, **values: object) -> EmailSettings:
    """Mail through the test server on `port`, in the clear."""
    return EmailSettings.model_validate(
        {
            "backend": EmailBackend.SMTP,
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "smtp_tls": SmtpTLS.NONE,
            "from_address": SENDER,
            **values,
        }
    )


@contextmanager
def smtp_server(
    *,
    starttls: ssl.SSLContext | None = None,
    implicit_tls: ssl.SSLContext | None = None,
    require_login: bool = False,
) -> Iterator[tuple[Mailbox, int]]:
    """A server on a free loopback port; yields its mailbox and port."""
    mailbox = Mailbox()
    options: dict[str, Any] = {}
    if starttls is not None:
        options.update(tls_context=starttls, require_starttls=True)
    if require_login:
        # aiosmtpd counts only STARTTLS as TLS: over implicit TLS it must offer AUTH as if
        # in the clear, and cannot then insist on it (the test checks `logins` instead).
        options.update(
            authenticator=mailbox.authenticate,
            auth_required=implicit_tls is None,
            auth_require_tls=implicit_tls is None,
        )
    port = free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        ssl_context=implicit_tls,
        server_hostname="localhost",
        **options,
    )
    controller.start()
    try:
        yield mailbox, port
    finally:
        controller.stop()
