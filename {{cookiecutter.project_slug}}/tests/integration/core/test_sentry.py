"""Sentry: an unhandled error sends one event without personal data; a 4xx sends none.

Events are recorded by replacing the client's transport, the way sentry-sdk's own tests do:
nothing leaves the machine.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sentry_sdk
import structlog
from fastapi import FastAPI
from pydantic import SecretStr
from sentry_sdk.envelope import Envelope

from {{ cookiecutter.package_name }}.core.config import SentrySettings
from {{ cookiecutter.package_name }}.core.sentry import setup as setup_sentry
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import client_for, make_settings

DSN = "https://public-key@sentry.example.com/42"
PASSWORD_IN_A_FRAME = "password held in a local variable"


@pytest.fixture
def sentry_events() -> list[dict[str, Any]]:
    """The events the app sent (see `sentry_app`)."""
    return []


@pytest.fixture
async def sentry_app(
    database_url: str, sentry_events: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[FastAPI]:
    """An app with a DSN and a `POST /boom` that fails; the SDK is reset afterwards."""
    app = create_app(make_settings(database_url, sentry=SentrySettings(dsn=SecretStr(DSN))))
    client = sentry_sdk.get_client()
    assert client.is_active()

    def record(envelope: Envelope) -> None:
        event = envelope.get_event()
        if event is not None:
            sentry_events.append(dict(event))

    monkeypatch.setattr(client.transport, "capture_envelope", record)

    @app.post("/boom")
    async def boom() -> None:
        structlog.get_logger("tests.boom").info("about_to_fail", step=3)
        password = PASSWORD_IN_A_FRAME
        msg = f"failed with {len(password)} characters at hand"
        raise RuntimeError(msg)

    try:
        async with app.router.lifespan_context(app):
            yield app
    finally:
        client.close()
        sentry_sdk.get_global_scope().set_client(None)


async def test_unhandled_error_sends_one_event_without_personal_data(
    sentry_app: FastAPI, sentry_events: list[dict[str, Any]]
) -> None:
    async with client_for(sentry_app) as client:
        response = await client.post(
            "/boom",
            json={"password": "a password in the body"},
            headers={"Authorization": "Bearer a-token", "Cookie": "session=abc"},
        )

    assert response.status_code == 500, response.text
    [event] = sentry_events
    [exception] = event["exception"]["values"]
    assert exception["type"] == "RuntimeError"
    assert exception["stacktrace"]["frames"]  # the traceback came along
    sent = json.dumps(event, default=str)
    for private in (PASSWORD_IN_A_FRAME, "a password in the body", "a-token", "session=abc"):
        assert private not in sent
    assert "user" not in event or "ip_address" not in event["user"]


async def test_the_event_carries_the_log_lines_before_it_as_breadcrumbs(
    sentry_app: FastAPI, sentry_events: list[dict[str, Any]]
) -> None:
    async with client_for(sentry_app) as client:
        await client.post("/boom")

    [event] = sentry_events
    crumbs = [
        crumb for crumb in event["breadcrumbs"]["values"] if crumb["category"] == "tests.boom"
    ]
    assert [(crumb["message"], crumb["level"], crumb["data"]["step"]) for crumb in crumbs] == [
        ("about_to_fail", "info", 3)
    ]


async def test_client_errors_send_nothing(
    sentry_app: FastAPI, sentry_events: list[dict[str, Any]]
) -> None:
    async with client_for(sentry_app) as client:
        responses = [
            await client.get("/no/such/page"),
            await client.get(sentry_app.url_path_for("read_me")),
            await client.post(sentry_app.url_path_for("register"), json={}),
        ]

    assert [response.status_code for response in responses] == [404, 401, 422]
    assert sentry_events == []


def test_without_a_dsn_nothing_is_initialised(database_url: str) -> None:
    setup_sentry(make_settings(database_url))

    assert not sentry_sdk.get_client().is_active()


def test_an_empty_dsn_counts_as_none(database_url: str) -> None:
    setup_sentry(make_settings(database_url, sentry=SentrySettings(dsn=SecretStr(""))))

    assert not sentry_sdk.get_client().is_active()
