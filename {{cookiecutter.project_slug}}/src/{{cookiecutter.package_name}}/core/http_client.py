"""Calls to other services: one connection pool, bounded time, retries, a breaker per upstream.

`Resources.http_client` is the process's one client; routes ask for `HttpClientDep`. A call
never outlives `HTTP_CLIENT__BUDGET_SECONDS`, and each network step waits at most
`HTTP_CLIENT__TIMEOUT_SECONDS`. Idempotent methods are retried on what a retry can cure
(transport errors, 502, 503, 504), with exponential backoff and full jitter; POST and PATCH
are sent once. After `HTTP_CLIENT__BREAKER_FAILURES` consecutive failures an upstream's
breaker opens: calls to it fail at once until, `HTTP_CLIENT__BREAKER_RESET_SECONDS` later,
one trial call decides whether it closes again. Callers see a failed upstream as
UpstreamUnavailableError, a 503 problem; the upstream's own answers, 4xx and 5xx included,
come back as responses.
"""

from __future__ import annotations

import asyncio
import enum
import math
import time
from collections.abc import Callable, Mapping

import httpx
import structlog
{%- if cookiecutter.use_opentelemetry == "yes" %}
from opentelemetry.propagate import inject
{%- endif %}
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    retry_if_result,
    stop_after_attempt,
    wait_random_exponential,
)

from {{ cookiecutter.package_name }}.core.config import HttpClientSettings
from {{ cookiecutter.package_name }}.core.errors import ServiceUnavailableError
from {{ cookiecutter.package_name }}.core.logging import REQUEST_ID_HEADER, current_request_id
from {{ cookiecutter.package_name }}.core.metrics import HttpMetrics

IDEMPOTENT_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "PUT", "TRACE"})
RETRYABLE_STATUSES = frozenset({502, 503, 504})
RETRY_ATTEMPTS = 3
RETRY_INITIAL_WAIT_SECONDS = 0.1
RETRY_MAX_WAIT_SECONDS = 2.0
MAX_CONNECTIONS = 100
MAX_KEEPALIVE_CONNECTIONS = 20

logger = structlog.get_logger(__name__)


class UpstreamUnavailableError(ServiceUnavailableError):
    code = "upstream_unavailable"
    title = "Upstream unavailable"


class BreakerState(enum.IntEnum):
    """A breaker's state; the value is what the `http_client_circuit_state` gauge shows."""

    CLOSED = 0
    HALF_OPEN = 1
    OPEN = 2


class CircuitBreaker:
    """Opens after `threshold` consecutive failures; `reset_seconds` later, one trial may pass.

    A trial that succeeds closes it; one that fails opens it for another `reset_seconds`.
    """

    def __init__(
        self,
        *,
        threshold: int,
        reset_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = BreakerState.CLOSED
        self._threshold = threshold
        self._reset_seconds = reset_seconds
        self._clock = clock
        self._failures = 0
        self._opened_at = 0.0
        self._trial_running = False

    def allow(self) -> bool:
        """Whether a call may go out now (in half-open state, the one trial call)."""
        if self.state is BreakerState.OPEN:
            if self.seconds_until_trial() > 0:
                return False
            self.state = BreakerState.HALF_OPEN
        if self.state is BreakerState.HALF_OPEN:
            if self._trial_running:
                return False
            self._trial_running = True
        return True

    def seconds_until_trial(self) -> float:
        return max(0.0, self._opened_at + self._reset_seconds - self._clock())

    def succeeded(self) -> None:
        self.state = BreakerState.CLOSED
        self._failures = 0
        self._trial_running = False

    def failed(self) -> None:
        self._trial_running = False
        self._failures += 1
        if self.state is BreakerState.HALF_OPEN or self._failures >= self._threshold:
            self.state = BreakerState.OPEN
            self._opened_at = self._clock()

    def abandoned(self) -> None:
        """A call ended without a verdict on the upstream (cancelled): free the trial slot."""
        self._trial_running = False


class HttpClient:
    """The process's client for other services (built once, in `core.resources`)."""

    def __init__(
        self,
        settings: HttpClientSettings,
        metrics: HttpMetrics,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._settings = settings
        self._metrics = metrics
        self._breakers: dict[str, CircuitBreaker] = {}
        self._client = httpx.AsyncClient(
            timeout=settings.timeout_seconds,
            limits=httpx.Limits(
                max_connections=MAX_CONNECTIONS,
                max_keepalive_connections=MAX_KEEPALIVE_CONNECTIONS,
            ),
            follow_redirects=False,
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def breaker(self, url: str) -> CircuitBreaker:
        """The breaker of `url`'s upstream (its host and port)."""
        upstream = _upstream(httpx.URL(url))
        breaker = self._breakers.get(upstream)
        if breaker is None:
            breaker = CircuitBreaker(
                threshold=self._settings.breaker_failures,
                reset_seconds=self._settings.breaker_reset_seconds,
            )
            self._breakers[upstream] = breaker
        return breaker

    async def get(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        return await self.request("GET", url, headers=headers, params=params)

    async def post(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        json: object = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        return await self.request("POST", url, headers=headers, json=json, content=content)

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        json: object = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        """Send one request, retried if its method is idempotent.

        Raise UpstreamUnavailableError when the upstream cannot be reached in time or its
        breaker is open.
        """
        method = method.upper()
        target = httpx.URL(url)
        if not target.is_absolute_url:
            msg = f"the HTTP client needs an absolute URL, not {url!r}"
            raise ValueError(msg)
        upstream = _upstream(target)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(RETRY_ATTEMPTS if method in IDEMPOTENT_METHODS else 1),
            wait=wait_random_exponential(
                multiplier=RETRY_INITIAL_WAIT_SECONDS, max=RETRY_MAX_WAIT_SECONDS
            ),
            retry=retry_if_exception_type(httpx.TransportError) | retry_if_result(_retryable),
            retry_error_callback=_last_outcome,
            before_sleep=_log_retry,
        )
        outgoing = self._client.build_request(
            method, target, headers=_propagated(headers), params=params, json=json, content=content
        )
        try:
            async with asyncio.timeout(self._settings.budget_seconds):
                response: httpx.Response = await retrying(self._attempt, outgoing, upstream)
        except (httpx.TransportError, TimeoutError) as error:
            detail = f"{upstream} did not answer in time."
            raise UpstreamUnavailableError(detail) from error
        return response

    async def _attempt(self, request: httpx.Request, upstream: str) -> httpx.Response:
        method = request.method
        breaker = self.breaker(str(request.url))
        allowed = breaker.allow()
        self._metrics.circuit_changed(upstream, breaker.state)
        if not allowed:
            self._metrics.upstream_called(upstream, method, "circuit_open", 0.0)
            wait = math.ceil(breaker.seconds_until_trial()) or 1
            raise UpstreamUnavailableError(
                f"{upstream} keeps failing; calls to it resume in {wait} s.",
                headers={"Retry-After": str(wait)},
            )
        started = time.perf_counter()
        try:
            response = await self._client.send(request)
        except httpx.TransportError as error:
            outcome = "timeout" if isinstance(error, httpx.TimeoutException) else "error"
            self._failed(breaker, upstream)
            self._metrics.upstream_called(upstream, method, outcome, time.perf_counter() - started)
            raise
        except BaseException:
            breaker.abandoned()
            raise
        self._metrics.upstream_called(
            upstream, method, f"{response.status_code // 100}xx", time.perf_counter() - started
        )
        if response.is_server_error:
            self._failed(breaker, upstream)
        else:
            breaker.succeeded()
            self._metrics.circuit_changed(upstream, breaker.state)
        return response

    def _failed(self, breaker: CircuitBreaker, upstream: str) -> None:
        was_open = breaker.state is BreakerState.OPEN
        breaker.failed()
        if breaker.state is BreakerState.OPEN and not was_open:
            logger.warning(
                "upstream circuit opened",
                upstream=upstream,
                retry_in_seconds=self._settings.breaker_reset_seconds,
            )
        self._metrics.circuit_changed(upstream, breaker.state)


def _upstream(url: httpx.URL) -> str:
    return f"{url.host}:{url.port}" if url.port else url.host


def _propagated(headers: Mapping[str, str] | None) -> httpx.Headers:
    """The caller's headers, plus the request id (and trace context) of the current request."""
    sent = httpx.Headers(headers)
    request_id = current_request_id()
    if request_id is not None and REQUEST_ID_HEADER not in sent:
        sent[REQUEST_ID_HEADER] = request_id
{%- if cookiecutter.use_opentelemetry == "yes" %}
    inject(sent)  # W3C traceparent (and tracestate) of the current span, if any
{%- endif %}
    return sent


def _retryable(response: httpx.Response) -> bool:
    return response.status_code in RETRYABLE_STATUSES


def _last_outcome(state: RetryCallState) -> httpx.Response:
    """Out of attempts: the last response as it came, or the last error raised."""
    assert state.outcome is not None  # noqa: S101 - tenacity calls this after an attempt
    response: httpx.Response = state.outcome.result()
    return response


def _log_retry(state: RetryCallState) -> None:
    assert state.outcome is not None  # noqa: S101 - tenacity calls this after an attempt
    request: httpx.Request = state.args[0]
    error = state.outcome.exception()
    logger.info(
        "upstream call retried",
        method=request.method,
        url=str(request.url.copy_with(query=None)),
        attempt=state.attempt_number,
        failure=type(error).__name__ if error else state.outcome.result().status_code,
    )
