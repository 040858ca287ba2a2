"""The service wired to a real SMTP server, for the tests of the account flows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    EmailVerification,
    Environment,
    Settings,
)
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import (
    FRONTEND_URL,
    client_for,
    make_settings,
{%- if cookiecutter.task_queue == "taskiq" %}
    run_next_job,
{%- endif %}
    serving,
)
from tests.factories.users import DEFAULT_PASSWORD
from tests.smtp import Mailbox, email_settings, smtp_server

SERVICE_NAME = "Shop"


def link_token(message: EmailMessage, action: str) -> str:
    """The token of the `{FRONTEND_URL}/<action>` link in `message`'s plain-text part."""
    body = message.get_body(("plain",))
    assert isinstance(body, EmailMessage)
    text = body.get_content()
    match = re.search(rf"{re.escape(FRONTEND_URL)}/{action}\?\S+", text)
    assert match is not None, text
    return parse_qs(urlsplit(match.group(0)).query)["token"][0]


@dataclass
class Service:
    """The app, a client for it, and the inbox of everything it mailed."""

    app: FastAPI
    client: httpx.AsyncClient
    mailbox: Mailbox
    settings: Settings
    connection: AsyncConnection

    def url(self, name: str) -> str:
        return self.app.url_path_for(name)

    async def mail(self, count: int) -> list[EmailMessage]:
        """Every message sent so far, once there are `count`; fails if they never come."""
{%- if cookiecutter.task_queue == "taskiq" %}
        # The API queues each message: a worker, run here in-process, sends it.
        for _ in range(count - len(self.mailbox.messages)):
            await run_next_job(self.settings, self.connection)
{%- endif %}
        return await self.mailbox.wait_for(count)

    async def login(self, email: str, password: str = DEFAULT_PASSWORD) -> httpx.Response:
        return await self.client.post(
            self.url("login"), data={"username": email, "password": password}
        )

    async def access_token(self, email: str, password: str = DEFAULT_PASSWORD) -> str:
        response = await self.login(email, password)
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def as_user(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}


def mail_settings(
    database_url: str,
    port: int,
    *,
    verification: EmailVerification = EmailVerification.OPTIONAL,
    **values: Any,
) -> Settings:
    """Test settings that mail through the SMTP server on `port`."""
    auth = make_settings(database_url).auth.model_copy(update={"email_verification": verification})
    return make_settings(
        database_url,
        app=AppSettings(environment=Environment.TEST, name=SERVICE_NAME, frontend_url=FRONTEND_URL),
        email=email_settings(port),
        auth=auth,
        **values,
    )


@asynccontextmanager
async def mail_service(
    database_url: str, connection: AsyncConnection, **settings: Any
) -> AsyncIterator[Service]:
    """The service on the test's transaction, mailing through a fresh SMTP server."""
    with smtp_server() as (mailbox, port):
        configured = mail_settings(database_url, port, **settings)
        async with (
            serving(create_app(configured), connection) as app,
            client_for(app) as client,
        ):
            yield Service(app, client, mailbox, configured, connection)
