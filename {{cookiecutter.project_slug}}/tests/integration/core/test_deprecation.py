"""Deprecated routes keep answering, with the headers, OpenAPI flags and counts that say so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.deprecation import (
    Deprecation,
    deprecated,
    document_deprecations,
)
from {{ cookiecutter.package_name }}.main import create_app, include_api
from tests.conftest import captured_logs, client_for, serving
from tests.integration.core.test_metrics import _sample

SINCE, SUNSET = date(2026, 1, 1), date(2027, 1, 1)
# The example: /old/greeting is replaced by /greeting, and the whole /legacy router goes.
example = APIRouter(prefix="/examples")
legacy = APIRouter(
    prefix="/legacy", dependencies=[deprecated(since=SINCE, sunset=SUNSET)], tags=["legacy"]
)


@example.get("/greeting", name="greeting")
async def greeting() -> dict[str, str]:
    return {"greeting": "hello"}


@example.get(
    "/old/greeting",
    name="old_greeting",
    dependencies=[deprecated(since=SINCE, sunset=SUNSET, successor="/api/v1/examples/greeting")],
)
async def old_greeting() -> dict[str, str]:
    return {"greeting": "hello"}


@legacy.get("/ping", name="legacy_ping")
async def legacy_ping() -> dict[str, str]:
    return {"ping": "pong"}


@pytest.fixture
async def client(
    settings: Settings, connection: AsyncConnection
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    include_api(app, example)
    include_api(app, legacy)
    document_deprecations(app)  # create_app did it for its own routes; these came later
    async with serving(app, connection), client_for(app) as client:
        yield client


async def test_a_deprecated_route_answers_with_deprecation_sunset_and_successor(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/examples/old/greeting")

    assert response.status_code == 200, response.text
    assert response.json() == {"greeting": "hello"}
    assert response.headers["Deprecation"] == "@1767225600"  # 2026-01-01T00:00:00Z
    assert response.headers["Sunset"] == "Fri, 01 Jan 2027 00:00:00 GMT"
    assert response.headers["Link"] == '</api/v1/examples/greeting>; rel="successor-version"'


async def test_its_replacement_and_other_routes_carry_no_deprecation(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/examples/greeting")

    assert response.status_code == 200
    assert {"Deprecation", "Sunset", "Link"}.isdisjoint(response.headers)


async def test_a_deprecated_router_marks_each_of_its_routes(client: httpx.AsyncClient) -> None:
    ping = await client.get("/api/v1/legacy/ping")

    assert ping.headers["Deprecation"] == "@1767225600"
    assert ping.headers["Sunset"] == "Fri, 01 Jan 2027 00:00:00 GMT"
    assert "Link" not in ping.headers  # no successor named


async def test_openapi_flags_deprecated_operations_with_their_sunset(
    client: httpx.AsyncClient,
) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    old = paths["/api/v1/examples/old/greeting"]["get"]
    assert (old["deprecated"], old["x-sunset"]) == (True, "2027-01-01")
    assert paths["/api/v1/legacy/ping"]["get"]["deprecated"] is True
    current = paths["/api/v1/examples/greeting"]["get"]
    assert "deprecated" not in current
    assert "x-sunset" not in current


async def test_calls_to_deprecated_routes_are_logged_and_counted(
    client: httpx.AsyncClient,
) -> None:
    with captured_logs() as events:
        await client.get("/api/v1/examples/old/greeting")
        await client.get("/api/v1/examples/old/greeting")
        await client.get("/api/v1/examples/greeting")

    access = {
        (event["path"], event.get("deprecated", False))
        for event in events
        if event["event"] == "request"
    }
    assert access == {("/api/v1/examples/old/greeting", True), ("/api/v1/examples/greeting", False)}
    metrics = (await client.get("/metrics")).text
    counted = "http_deprecated_requests_total"
    assert _sample(metrics, counted, method="GET", route="/api/v1/examples/old/greeting") == 2
    assert _sample(metrics, counted, method="GET", route="/api/v1/examples/greeting") is None


def test_a_sunset_must_come_after_the_deprecation() -> None:
    with pytest.raises(ValueError, match="must come after"):
        Deprecation(since=SUNSET, sunset=SINCE)
