"""Prometheus metrics at /metrics: requests by route template and status, pool gauges, access."""

from __future__ import annotations

import uuid

import httpx
from fastapi import FastAPI
from pydantic import SecretStr

from {{ cookiecutter.package_name }}.core.config import AppSettings, Environment, MetricsSettings
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings, running


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus text, or None when it is absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    prefix = name + "{" + wanted + "} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line.removeprefix(prefix))
    return None


async def test_requests_are_counted_by_route_template_and_status(
    auth_client: httpx.AsyncClient, app: FastAPI
) -> None:
    await auth_client.get("/health/live")
    await auth_client.get(app.url_path_for("read_item", item_id=str(uuid.uuid4())))
    await auth_client.get("/no/such/page")

    response = await auth_client.get("/metrics")

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    total = "http_requests_total"
    assert _sample(text, total, method="GET", route="/health/live", status="200") == 1
    item_route = "/api/v1/items/{item_id}"
    assert _sample(text, total, method="GET", route=item_route, status="404") == 1
    assert _sample(text, total, method="GET", route="unmatched", status="404") == 1
    count = "http_request_duration_seconds_count"
    assert _sample(text, count, method="GET", route="/health/live", status="200") == 1
    # The scrape itself is the one request in flight.
    assert _sample(text, "http_requests_in_progress", method="GET") == 1


API_DOCS_PATHS = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


async def test_api_docs_have_route_labels_of_their_own(client: httpx.AsyncClient) -> None:
    for path in API_DOCS_PATHS:
        response = await client.get(path)
        assert response.status_code == 200, response.text

    text = (await client.get("/metrics")).text

    total = "http_requests_total"
    for path in API_DOCS_PATHS:
        assert _sample(text, total, method="GET", route=path, status="200") == 1, path
    assert _sample(text, total, method="GET", route="unmatched", status="200") is None


async def test_api_docs_turned_off_count_as_unmatched(database_url: str) -> None:
    settings = make_settings(
        database_url, app=AppSettings(environment=Environment.TEST, api_docs=False)
    )
    async with running(create_app(settings)) as client:
        assert (await client.get("/docs")).status_code == 404
        text = (await client.get("/metrics")).text

    assert _sample(text, "http_requests_total", method="GET", route="unmatched", status="404") == 1
    assert _sample(text, "http_requests_total", method="GET", route="/docs", status="404") is None


async def test_unknown_methods_share_one_label(client: httpx.AsyncClient) -> None:
    await client.request("BREW", "/health/live")

    text = (await client.get("/metrics")).text

    assert _sample(text, "http_requests_total", method="other", route="/health/live", status="405")


async def test_database_pool_gauges_are_exported(client: httpx.AsyncClient) -> None:
    text = (await client.get("/metrics")).text

    size = _sample(text, "db_pool_size")
    assert size is not None
    assert size >= 1
    assert _sample(text, "db_pool_checked_out") is not None
    assert _sample(text, "db_pool_checked_in") is not None
    assert _sample(text, "db_pool_overflow") == 0


async def test_in_memory_database_reports_no_pool() -> None:
    app = create_app(make_settings("sqlite+aiosqlite:///:memory:"))
    async with running(app) as client:
        text = (await client.get("/metrics")).text

    assert _sample(text, "db_pool_size") is None
    assert "http_requests_total" in text


async def test_metrics_are_outside_the_api_and_its_docs(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()

    assert "/metrics" not in spec["paths"]


async def test_metrics_can_require_a_bearer_token(database_url: str) -> None:
    metrics = MetricsSettings(bearer_token=SecretStr("scrape-token-0123456789"))
    app = create_app(make_settings(database_url, metrics=metrics))
    async with running(app) as client:
        anonymous = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"}
        )

    assert anonymous.status_code == 401, anonymous.text
    assert wrong.status_code == 401, wrong.text
    assert right.status_code == 200, right.text
    assert "http_requests_total" in right.text


async def test_routes_sharing_a_name_keep_their_own_template(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    @app.get("/first/{key}", name="twin")
    async def first(key: str) -> str:
        return key

    @app.get("/second/{key}", name="twin")
    async def second(key: str) -> str:
        return key

    await client.get("/second/abc")
    text = (await client.get("/metrics")).text

    assert _sample(text, "http_requests_total", method="GET", route="/second/{key}", status="200")
