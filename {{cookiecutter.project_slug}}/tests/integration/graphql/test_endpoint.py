"""The endpoint: schema snapshot, abuse limits, introspection, errors, limits, logs, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from {{ cookiecutter.package_name }}.core.config import (
    AppSettings,
    Environment,
    GraphQLSettings,
    RateLimitSettings,
    Settings,
)
from {{ cookiecutter.package_name }}.graphql.schema import SCHEMA_TYPES
from {{ cookiecutter.package_name }}.items import service as items_service
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import (
    PRODUCTION_EMAIL,
    captured_logs,
    client_for,
    make_settings,
    production_app,
    serving,
)
from tests.integration.core.test_metrics import _sample
from tests.integration.graphql.queries import GRAPHQL_PATH, codes, execute

COMMITTED_SCHEMA = Path(__file__).resolve().parents[3] / "schema.graphql"
REFRESH = "uv run {{ cookiecutter.package_name }} graphql-schema"
INTROSPECTION = "{ __schema { queryType { name } } }"
DEEP = "{ items { items { owner { email } } } }"  # depth 4


@asynccontextmanager
async def _client(
    connection: AsyncConnection, settings: Settings, token: str | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with serving(app, connection), client_for(app, token) as client:
        yield client


def test_the_schema_is_the_committed_one() -> None:
    assert SCHEMA_TYPES.as_str() + "\n" == COMMITTED_SCHEMA.read_text(encoding="utf-8"), (
        f"The GraphQL schema changed: run `{REFRESH}`, review the diff of schema.graphql "
        "and commit it."
    )


async def test_graphql_stays_out_of_the_openapi_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]

    assert not [path for path in paths if "graphql" in path]


async def test_introspection_is_on_outside_production(client: httpx.AsyncClient) -> None:
    body = await execute(client, INTROSPECTION)

    assert body == {"data": {"__schema": {"queryType": {"name": "Query"}}}}


async def test_introspection_and_field_hints_are_off_in_production(
    database_url: str, connection: AsyncConnection
) -> None:
    settings = make_settings(database_url, app=production_app(), email=PRODUCTION_EMAIL)
    async with _client(connection, settings) as client:
        introspection = await execute(client, INTROSPECTION)
        typo = await execute(client, "{ itemz { total } }")
        graphiql = await client.get(GRAPHQL_PATH)

    assert set(codes(introspection)) == {"invalid_query"}
    assert "introspection" in introspection["errors"][0]["message"].lower()
    assert codes(typo) == ["invalid_query"]
    assert "Did you mean" not in typo["errors"][0]["message"]
    assert graphiql.status_code == 404


async def test_production_can_turn_introspection_on(
    database_url: str, connection: AsyncConnection
) -> None:
    settings = make_settings(
        database_url,
        app=production_app(),
        email=PRODUCTION_EMAIL,
        graphql=GraphQLSettings(introspection=True),
    )
    async with _client(connection, settings) as client:
        body = await execute(client, INTROSPECTION)

    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_graphiql_is_served_in_development_only(
    database_url: str, connection: AsyncConnection, client: httpx.AsyncClient
) -> None:
    settings = make_settings(database_url, app=AppSettings(environment=Environment.DEVELOPMENT))
    async with _client(connection, settings) as development:
        page = await development.get(GRAPHQL_PATH, headers={"Accept": "text/html"})

    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    assert (await client.get(GRAPHQL_PATH, headers={"Accept": "text/html"})).status_code == 404


@pytest.mark.parametrize(
    ("limits", "document"),
    [
        ({"max_depth": 2}, DEEP),
        ({"max_aliases": 2}, "{ a: me { id } b: me { id } c: me { id } }"),
        ({"max_tokens": 10}, "{ me { id email fullName role isActive emailVerified } }"),
    ],
    ids=["depth", "aliases", "tokens"],
)
async def test_documents_past_a_limit_are_refused_before_running(
    database_url: str,
    connection: AsyncConnection,
    user_token: str,
    limits: dict[str, int],
    document: str,
) -> None:
    settings = make_settings(database_url, graphql=GraphQLSettings(**limits))
    async with _client(connection, settings, user_token) as client:
        body = await execute(client, document)

    assert codes(body) == ["invalid_query"]
    assert body.get("data") is None


async def test_the_default_limits_let_the_example_queries_through(
    auth_client: httpx.AsyncClient,
) -> None:
    body = await execute(auth_client, DEEP)

    assert body == {"data": {"items": {"items": []}}}


async def test_a_bug_is_an_internal_error_without_its_details(
    auth_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*_args: object, **_kwargs: object) -> None:
        msg = "secret internals"
        raise RuntimeError(msg)

    monkeypatch.setattr(items_service, "page_of_items", broken)
    with captured_logs() as events:
        body = await execute(auth_client, "{ items { total } }")

    assert codes(body) == ["internal_error"]
    assert "secret" not in str(body)
    assert "Traceback" not in str(body)
    [logged] = [event for event in events if event["event"] == "graphql_unhandled_error"]
    assert logged["log_level"] == "error"


async def test_the_rate_limit_answers_in_graphql_shape(
    database_url: str, connection: AsyncConnection, user_token: str
) -> None:
    limits = RateLimitSettings(default="2/hour")
    settings = make_settings(database_url, rate_limit=limits)
    async with _client(connection, settings, user_token) as client:
        for _ in range(2):
            await execute(client, "{ me { id } }")
        limited = await client.post(GRAPHQL_PATH, json={"query": "{ me { id } }"})

    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) > 0
    assert limited.headers["X-Request-ID"]
    assert codes(limited.json()) == ["rate_limited"]


async def test_operations_are_counted_by_root_field_and_logged(
    auth_client: httpx.AsyncClient,
) -> None:
    with captured_logs() as events:
        # Two fields, resolved side by side: the line still names the user.
        await execute(auth_client, "query Mine { me { id } items { total } }")
        await execute(auth_client, "{ nosuchfield }")
        await execute(auth_client, "{ users { total } }")  # not an admin

    access = [event.get("graphql") for event in events if event["event"] == "request"]
    assert access == [["query.me", "query.items"], ["invalid"], ["query.users"]]
    assert all(event.get("user_id") for event in events if event["event"] == "request")
    metrics = (await auth_client.get("/metrics")).text
    counted = "graphql_fields_total"
    assert _sample(metrics, counted, operation="query.me", outcome="ok") == 1
    assert _sample(metrics, counted, operation="query.items", outcome="ok") == 1
    assert _sample(metrics, counted, operation="invalid", outcome="error") == 1
    assert _sample(metrics, counted, operation="query.users", outcome="error") == 1
    assert _sample(metrics, counted, operation="query.nosuchfield", outcome="error") is None
