"""The outbound client against a real second service: timeouts, retries, breaker, propagation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
import structlog
from fastapi import APIRouter, FastAPI
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from {{ cookiecutter.package_name }}.core.config import HttpClientSettings, Settings
from {{ cookiecutter.package_name }}.core.dependencies import HttpClientDep
from {{ cookiecutter.package_name }}.core.http_client import (
    RETRY_ATTEMPTS,
    BreakerState,
    HttpClient,
    UpstreamUnavailableError,
)
from {{ cookiecutter.package_name }}.core.metrics import HttpMetrics
{%- if cookiecutter.use_opentelemetry == "yes" %}
from {{ cookiecutter.package_name }}.core.tracing import tracer_provider
{%- endif %}
from {{ cookiecutter.package_name }}.main import create_app, include_api
from tests.conftest import client_for, free_port, serving
from tests.integration.core.test_metrics import _sample
from tests.upstream import Upstream, serving_upstream

# A route that calls the upstream, so the tests see what an API caller sees.
probe = APIRouter(prefix="/probe")
PROBE = "/api/v1/probe/upstream"


@probe.get("/upstream", name="probe_upstream")
async def call_upstream(http_client: HttpClientDep, url: str) -> dict[str, int]:
    response = await http_client.get(url)
    return {"status": response.status_code}


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[Upstream]:
    with serving_upstream() as upstream:
        yield upstream


@pytest.fixture
def upstream(upstream_server: Upstream) -> Upstream:
    upstream_server.reset()
    return upstream_server


def client_settings(**values: float) -> HttpClientSettings:
    return HttpClientSettings(**{"timeout_seconds": 2.0, "budget_seconds": 10.0, **values})


@asynccontextmanager
async def client_with(metrics: HttpMetrics, **values: float) -> AsyncIterator[HttpClient]:
    client = HttpClient(client_settings(**values), metrics)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def metrics(engine: AsyncEngine) -> HttpMetrics:
    return HttpMetrics(engine)


@pytest.fixture
async def http_client(metrics: HttpMetrics) -> AsyncIterator[HttpClient]:
    async with client_with(metrics, breaker_failures=100) as client:
        yield client


async def test_a_get_that_fails_with_503_is_retried_until_it_succeeds(
    http_client: HttpClient, upstream: Upstream
) -> None:
    response = await http_client.get(f"{upstream.url}/flaky/2/get")

    assert response.status_code == 200
    assert upstream.calls["/flaky/2/get"] == 3


async def test_out_of_attempts_the_last_answer_comes_back(
    http_client: HttpClient, upstream: Upstream
) -> None:
    response = await http_client.get(f"{upstream.url}/flaky/9/get")

    assert response.status_code == 503
    assert upstream.calls["/flaky/9/get"] == RETRY_ATTEMPTS


async def test_a_post_is_sent_once_whatever_the_answer(
    http_client: HttpClient, upstream: Upstream
) -> None:
    response = await http_client.post(f"{upstream.url}/flaky/1/post", json={"n": 1})

    assert response.status_code == 503
    assert upstream.calls["/flaky/1/post"] == 1


async def test_an_answer_a_retry_cannot_cure_is_not_retried(
    http_client: HttpClient, upstream: Upstream
) -> None:
    response = await http_client.get(f"{upstream.url}/status/500")

    assert response.status_code == 500
    assert upstream.calls["/status/500"] == 1


async def test_redirects_are_returned_not_followed(
    http_client: HttpClient, upstream: Upstream
) -> None:
    response = await http_client.get(f"{upstream.url}/redirect")

    assert response.status_code == 307
    assert upstream.calls["/ok"] == 0


async def test_a_slow_upstream_times_out_on_every_attempt(
    metrics: HttpMetrics, upstream: Upstream
) -> None:
    async with client_with(metrics, timeout_seconds=0.2) as client:
        with pytest.raises(UpstreamUnavailableError):
            await client.get(f"{upstream.url}/slow/5")

    assert upstream.calls["/slow/5"] == RETRY_ATTEMPTS
    host = upstream.url.removeprefix("http://")
    outcome = {"method": "GET", "outcome": "timeout", "upstream": host}
    assert _sample(metrics.render().decode(), "http_client_requests_total", **outcome) == 3


async def test_the_budget_ends_a_call_and_its_retries(
    metrics: HttpMetrics, upstream: Upstream
) -> None:
    async with client_with(metrics, timeout_seconds=5.0, budget_seconds=0.3) as client:
        with pytest.raises(UpstreamUnavailableError):
            await client.get(f"{upstream.url}/slow/3")

    assert upstream.calls["/slow/3"] == 1


async def test_an_unreachable_upstream_is_unavailable(http_client: HttpClient) -> None:
    with pytest.raises(UpstreamUnavailableError, match="did not answer"):
        await http_client.get(f"http://127.0.0.1:{free_port()}/")


async def test_a_relative_url_is_a_programming_error(http_client: HttpClient) -> None:
    with pytest.raises(ValueError, match="absolute URL"):
        await http_client.get("/ok")


async def test_calls_carry_the_request_id_of_the_request_being_served(
    http_client: HttpClient, upstream: Upstream
) -> None:
    with structlog.contextvars.bound_contextvars(request_id="req-123"):
        await http_client.get(f"{upstream.url}/ok")

    assert upstream.last_headers["x-request-id"] == "req-123"
{%- if cookiecutter.use_opentelemetry == "yes" %}


async def test_calls_carry_the_trace_context_of_the_current_span(
    http_client: HttpClient, upstream: Upstream
) -> None:
    tracer = tracer_provider().get_tracer(__name__)
    with tracer.start_as_current_span("outer") as span:
        await http_client.get(f"{upstream.url}/ok")

    trace_id = format(span.get_span_context().trace_id, "032x")
    assert upstream.last_headers["traceparent"].split("-")[1] == trace_id
{%- endif %}


async def test_the_breaker_opens_fails_fast_and_closes_after_a_good_trial(
    metrics: HttpMetrics, upstream: Upstream
) -> None:
    host = upstream.url.removeprefix("http://")
    async with client_with(metrics, breaker_failures=2, breaker_reset_seconds=0.2) as client:
        for _ in range(2):
            assert (await client.get(f"{upstream.url}/status/500")).status_code == 500
        assert client.breaker(upstream.url).state is BreakerState.OPEN
        with pytest.raises(UpstreamUnavailableError, match="keeps failing"):
            await client.get(f"{upstream.url}/ok")
        assert upstream.calls["/ok"] == 0
        assert _sample(metrics.render().decode(), "http_client_circuit_state", upstream=host) == 2

        await asyncio.sleep(0.25)
        assert (await client.get(f"{upstream.url}/status/500")).status_code == 500  # the trial
        with pytest.raises(UpstreamUnavailableError):
            await client.get(f"{upstream.url}/ok")  # a failed trial opens it again

        await asyncio.sleep(0.25)
        assert (await client.get(f"{upstream.url}/ok")).status_code == 200

    assert client.breaker(upstream.url).state is BreakerState.CLOSED
    assert _sample(metrics.render().decode(), "http_client_circuit_state", upstream=host) == 0
    outcome = {"method": "GET", "outcome": "circuit_open", "upstream": host}
    assert _sample(metrics.render().decode(), "http_client_requests_total", **outcome) == 2


@pytest.fixture
async def app(settings: Settings, connection: AsyncConnection) -> AsyncIterator[FastAPI]:
    fragile = client_settings(breaker_failures=1, breaker_reset_seconds=60)
    app = create_app(settings.model_copy(update={"http_client": fragile}))
    include_api(app, probe)
    async with serving(app, connection):
        yield app


async def test_a_route_calls_through_the_service_client(app: FastAPI, upstream: Upstream) -> None:
    async with client_for(app) as client:
        response = await client.get(
            PROBE,
            params={"url": f"{upstream.url}/ok"},
            headers={"X-Request-ID": "from-the-caller"},
        )

    assert response.json() == {"status": 200}
    assert upstream.last_headers["x-request-id"] == "from-the-caller"


async def test_callers_get_a_503_problem_while_the_breaker_is_open(
    app: FastAPI, upstream: Upstream
) -> None:
    async with client_for(app) as client:
        failing = await client.get(PROBE, params={"url": f"{upstream.url}/status/500"})
        response = await client.get(PROBE, params={"url": f"{upstream.url}/ok"})

    assert failing.json() == {"status": 500}
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "upstream_unavailable"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert upstream.calls["/ok"] == 0
