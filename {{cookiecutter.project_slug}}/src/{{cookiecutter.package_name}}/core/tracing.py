"""OpenTelemetry tracing: spans for requests and SQL, OTLP export, trace ids on log lines.

Spans are exported over OTLP/HTTP once OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) names
a collector; OTEL_TRACES_EXPORTER=none (or otlp) decides otherwise. The exporter reads the
other standard variables too (_HEADERS, _TIMEOUT, ...), the SDK reads OTEL_TRACES_SAMPLER,
and OTEL_SDK_DISABLED=true turns it all off.
"""

from __future__ import annotations

import os
from functools import cache

from fastapi import FastAPI
from opentelemetry import metrics, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.ext.asyncio import AsyncEngine
from structlog.typing import EventDict, WrappedLogger

DEFAULT_SERVICE_NAME = "{{ cookiecutter.project_slug }}"
# Probes and scrapes would drown the traces that matter.
EXCLUDED_URLS = "/health/live,/metrics"
# The request id our middleware sends back lands on the server span as
# `http.response.header.x_request_id`, so a trace and a log line can be matched.
CAPTURED_RESPONSE_HEADERS = ["X-Request-ID"]

ENDPOINT_VARIABLES = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def exporter_name() -> str:
    """Where spans go: OTEL_TRACES_EXPORTER when set, else OTLP once an endpoint is set."""
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if chosen:
        return "otlp" if chosen == "otlp" else "none"
    return "otlp" if any(os.environ.get(name) for name in ENDPOINT_VARIABLES) else "none"


def create_tracer_provider() -> TracerProvider:
    service_name = os.environ.get("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME)
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    if exporter_name() == "otlp":
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


@cache
def tracer_provider() -> TracerProvider:
    """The process's provider, made on first use and set as OpenTelemetry's global one.

    `trace.get_tracer(__name__)` in your own code reports through it too; the SDK flushes
    it when the process exits.
    """
    provider = create_tracer_provider()
    trace.set_tracer_provider(provider)
    return provider


def setup(app: FastAPI) -> None:
    """Trace the app's requests; `trace_engine` traces the statements of each engine."""
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=tracer_provider(),
        excluded_urls=EXCLUDED_URLS,
        exclude_spans=["receive", "send"],
        http_capture_headers_server_response=CAPTURED_RESPONSE_HEADERS,
    )


def trace_engine(engine: AsyncEngine) -> None:
    # What SQLAlchemyInstrumentor does for one engine, without its process-wide patching.
    connections = metrics.get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    EngineTracer(  # type: ignore[no-untyped-call] # the package ships no annotations
        tracer_provider().get_tracer(__name__), engine.sync_engine, connections
    )


def add_trace_context(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """structlog processor: the current trace and span ids on every log line inside a span."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict
