"""How a message leaves the service: through an SMTP server, or into the log (development)."""

from __future__ import annotations

import ssl
from email.message import EmailMessage
from typing import Protocol

import aiosmtplib
import structlog

from {{ cookiecutter.package_name }}.core.config import EmailBackend, Settings, SmtpTLS

logger = structlog.get_logger(__name__)


class Transport(Protocol):
    async def send(self, message: EmailMessage) -> None:
        """Hand `message` over, or raise: a TransportError may be worth another attempt."""


class SmtpTransport:
    """One SMTP connection per message: the account flows send a few, not a stream."""

    def __init__(self, settings: Settings) -> None:
        email = settings.email
        assert email.smtp_host is not None  # noqa: S101 - the smtp backend's validator requires it
        self.hostname = email.smtp_host
        self.port = email.smtp_port
        self.tls = email.smtp_tls
        self.username = email.smtp_username
        self.password = email.smtp_password.get_secret_value() if email.smtp_password else None
        self.timeout = email.timeout_seconds
        self.tls_context: ssl.SSLContext | None = None
        if self.tls is not SmtpTLS.NONE:
            ca_file = str(email.smtp_ca_file) if email.smtp_ca_file else None
            self.tls_context = ssl.create_default_context(cafile=ca_file)

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            timeout=self.timeout,
            use_tls=self.tls is SmtpTLS.TLS,
            # Never opportunistic: `none` stays plain even when the server offers STARTTLS,
            # and `starttls` fails rather than send in the clear when it does not.
            start_tls=self.tls is SmtpTLS.STARTTLS,
            tls_context=self.tls_context,
        )


class ConsoleTransport:
    """Logs each message whole, links and all, so a developer can follow them."""

    async def send(self, message: EmailMessage) -> None:
        text = message.get_body(preferencelist=("plain",))
        logger.info(
            "email_logged",
            to=message["To"],
            subject=message["Subject"],
            body=text.get_content() if isinstance(text, EmailMessage) else None,
        )


def create_transport(settings: Settings) -> Transport:
    if settings.email_backend is EmailBackend.SMTP:
        return SmtpTransport(settings)
    return ConsoleTransport()
