"""OpenTelemetry: one request, the expected spans, the request id, and trace ids in the logs."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from {{ cookiecutter.package_name }}.core.config import LogSettings
from {{ cookiecutter.package_name }}.core.tracing import (
    ENDPOINT_VARIABLES,
    create_tracer_provider,
    exporter_name,
    tracer_provider,
)
from {{ cookiecutter.package_name }}.main import create_app
from tests.conftest import make_settings, running


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    """Collect this test's spans; the tracer provider is process-wide and outlives the test."""
    exporter = InMemorySpanExporter()
    tracer_provider().add_span_processor(SimpleSpanProcessor(exporter))
    yield exporter
    # A processor cannot be removed; a stopped exporter refuses (and keeps) every later span,
    # silently, where a stopped processor would log a warning per span.
    exporter.shutdown()


def _statement(span: ReadableSpan) -> str:
    attributes = span.attributes or {}
    # The attribute's name depends on the semantic conventions in use.
    return str(attributes.get("db.statement") or attributes.get("db.query.text") or "")


async def test_a_request_produces_server_and_sql_spans_with_its_request_id(
    database_url: str, exporter: InMemorySpanExporter, capsys: pytest.CaptureFixture[str]
) -> None:
    app = create_app(make_settings(database_url, log=LogSettings(json_format=True)))
    async with running(app) as client:
        response = await client.get("/health/ready", headers={"X-Request-ID": "trace-me"})

    assert response.status_code == 200, response.text
    spans = exporter.get_finished_spans()
    [server] = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.name == "GET /health/ready"
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/health/ready"
    assert server.attributes["http.response.header.x_request_id"] == ("trace-me",)
    queries = [span for span in spans if span.kind is SpanKind.CLIENT]
    assert "SELECT 1" in [_statement(span) for span in queries]
    assert server.context is not None
    trace_id = server.context.trace_id
    assert all(span.context and span.context.trace_id == trace_id for span in queries)

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    [access] = [line for line in lines if line["event"] == "request"]
    assert access["request_id"] == "trace-me"
    assert access["trace_id"] == format(trace_id, "032x")
    assert len(access["span_id"]) == 16


async def test_probes_and_scrapes_are_not_traced(
    database_url: str, exporter: InMemorySpanExporter
) -> None:
    app = create_app(make_settings(database_url))
    async with running(app) as client:
        await client.get("/health/live")
        await client.get("/metrics")

    assert exporter.get_finished_spans() == ()


def test_spans_are_exported_once_a_collector_is_configured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in (*ENDPOINT_VARIABLES, "OTEL_TRACES_EXPORTER"):
        monkeypatch.delenv(name, raising=False)
    assert exporter_name() == "none"

    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert exporter_name() == "otlp"
    # Building the OTLP pipeline connects to nothing; shutting it down sends nothing.
    create_tracer_provider().shutdown()

    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert exporter_name() == "none"
