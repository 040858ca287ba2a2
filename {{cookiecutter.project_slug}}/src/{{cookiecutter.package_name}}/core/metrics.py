"""Prometheus metrics: requests by route template and status, in-flight requests, the DB pool."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

# Label values come from this fixed set, so clients cannot grow the number of series.
KNOWN_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"})
UNMATCHED_ROUTE = "unmatched"
CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _method_label(method: str) -> str:
    return method if method in KNOWN_METHODS else "other"


class HttpMetrics:
    """The app's metrics, in a registry of its own (so tests can build many apps)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.registry = CollectorRegistry()
        labels = ("method", "route", "status")
        self.requests = Counter(
            "http_requests", "HTTP requests answered.", labels, registry=self.registry
        )
        self.duration = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_progress = Gauge(
            "http_requests_in_progress",
            "HTTP requests being answered.",
            ("method",),
            registry=self.registry,
        )
        self.deprecated_requests = Counter(
            "http_deprecated_requests",
            "Requests to deprecated routes: who still calls what is going away.",
            ("method", "route"),
            registry=self.registry,
        )
        # `upstream` is host:port of the services this one calls, a set the code fixes.
        self.upstream_requests = Counter(
            "http_client_requests",
            "Calls to other services, by upstream, method and outcome (2xx..5xx, timeout, "
            "error, circuit_open).",
            ("upstream", "method", "outcome"),
            registry=self.registry,
        )
        self.upstream_duration = Histogram(
            "http_client_request_duration_seconds",
            "Time for one call to another service to answer or fail.",
            ("upstream",),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.upstream_circuit = Gauge(
            "http_client_circuit_state",
            "Each upstream's circuit breaker: 0 closed, 1 half-open, 2 open.",
            ("upstream",),
            registry=self.registry,
        )
{%- if cookiecutter.graphql == "yes" %}
        self.graphql_fields = Counter(
            "graphql_fields",
            "GraphQL root fields answered, by `type.field` and outcome (ok or error).",
            ("operation", "outcome"),
            registry=self.registry,
        )
{%- endif %}
        self.registry.register(DatabasePoolCollector(engine))
        # Each series' handle, kept: looking one up by its labels costs more than updating it.
        self._in_progress: dict[str, Gauge] = {}
        self._answered: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def request_started(self, method: str) -> None:
        self._in_progress_of(_method_label(method)).inc()

    def request_finished(
        self, method: str, route: str | None, status: int, duration_seconds: float
    ) -> None:
        method = _method_label(method)
        self._in_progress_of(method).dec()
        key = (method, route or UNMATCHED_ROUTE, status)
        series = self._answered.get(key)
        if series is None:
            labels = (method, key[1], str(status))
            series = self._answered[key] = (
                self.requests.labels(*labels),
                self.duration.labels(*labels),
            )
        requests, duration = series
        requests.inc()
        duration.observe(duration_seconds)

    def deprecated_request_answered(self, method: str, route: str | None) -> None:
        self.deprecated_requests.labels(_method_label(method), route or UNMATCHED_ROUTE).inc()

{%- if cookiecutter.graphql == "yes" %}

    def graphql_field_answered(self, operation: str, outcome: str) -> None:
        self.graphql_fields.labels(operation, outcome).inc()
{%- endif %}

    def upstream_called(
        self, upstream: str, method: str, outcome: str, duration_seconds: float
    ) -> None:
        self.upstream_requests.labels(upstream, _method_label(method), outcome).inc()
        if outcome != "circuit_open":
            self.upstream_duration.labels(upstream).observe(duration_seconds)

    def circuit_changed(self, upstream: str, state: int) -> None:
        self.upstream_circuit.labels(upstream).set(state)

    def _in_progress_of(self, method: str) -> Gauge:
        gauge = self._in_progress.get(method)
        if gauge is None:
            gauge = self._in_progress[method] = self.in_progress.labels(method)
        return gauge

    def render(self) -> bytes:
        return generate_latest(self.registry)


class DatabasePoolCollector(Collector):
    """Connection pool gauges, read at scrape time."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        # Read on every scrape: dispose() replaces the pool.
        pool = self.engine.sync_engine.pool
        if not isinstance(pool, QueuePool):
            return  # a static pool (in-memory SQLite) has nothing to report
        gauges = {
            "db_pool_size": ("Connections the pool keeps.", pool.size()),
            "db_pool_checked_out": ("Connections in use.", pool.checkedout()),
            "db_pool_checked_in": ("Idle connections in the pool.", pool.checkedin()),
            "db_pool_overflow": ("Connections open beyond the pool size.", max(pool.overflow(), 0)),
        }
        for name, (documentation, value) in gauges.items():
            yield GaugeMetricFamily(name, documentation, value=value)
