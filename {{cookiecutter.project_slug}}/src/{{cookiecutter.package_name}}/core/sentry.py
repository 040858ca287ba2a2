"""Error tracking with Sentry: unhandled errors become events, without personal data."""

from __future__ import annotations

import logging
import sys

import sentry_sdk
from sentry_sdk.integrations.fastapi import FastApiIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.starlette import StarletteIntegration
{%- if cookiecutter.graphql == "yes" %}
from sentry_sdk.integrations.strawberry import StrawberryIntegration
{%- endif %}
from structlog.typing import EventDict, WrappedLogger

from {{ cookiecutter.package_name }}.core.config import Settings

SERVER_ERRORS = set(range(500, 600))
ERROR_METHODS = frozenset({"error", "exception", "critical", "fatal"})
# Fields a breadcrumb has slots of its own for, or that an event carries already.
NOT_BREADCRUMB_DATA = frozenset({"event", "level", "logger", "timestamp", "exc_info"})


def setup(settings: Settings) -> None:
    """Start the SDK when a DSN is configured; without one nothing is sent anywhere."""
    dsn = settings.sentry.dsn.get_secret_value() if settings.sentry.dsn else ""
    if not dsn:
        return
    sentry_sdk.init(
        dsn=dsn,
        environment=settings.app.environment.value,
        traces_sample_rate=settings.sentry.traces_sample_rate,
        # The SDK's default sends no IP address, user details or credentials (send_default_pii
        # stays unset); on top of that: no request bodies and no frame locals, which hold
        # passwords and tokens.
        max_request_body_size="never",
        include_local_variables=False,
        integrations=[
            StarletteIntegration(failed_request_status_codes=SERVER_ERRORS),
            FastApiIntegration(failed_request_status_codes=SERVER_ERRORS),
            # The standard library's log lines become breadcrumbs (structlog's own become
            # theirs in `record_breadcrumb`); events come from `capture_logged_exception`.
            LoggingIntegration(level=logging.INFO, event_level=None),
        ],
{%- if cookiecutter.graphql == "yes" %}
        # It would attach GraphQL documents to events; a failed resolver is logged with its
        # traceback, which `capture_logged_exception` reports like any other error.
        disabled_integrations=[StrawberryIntegration()],
{%- endif %}
    )


def capture_logged_exception(
    _logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """structlog processor: send each error logged with a traceback to Sentry, once."""
    exc_info = event_dict.get("exc_info")
    if exc_info and method_name in ERROR_METHODS:
        error = sys.exc_info() if exc_info is True else exc_info
        sentry_sdk.capture_exception(error)
    return event_dict


def record_breadcrumb(_logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: each structlog line becomes a breadcrumb of the events that follow.

    The standard library's records (which carry `_record`) get theirs from the SDK.
    """
    if "_record" not in event_dict:
        sentry_sdk.add_breadcrumb(
            category=event_dict.get("logger"),
            message=str(event_dict.get("event")),
            level=event_dict.get("level", method_name),
            data={k: v for k, v in event_dict.items() if k not in NOT_BREADCRUMB_DATA},
        )
    return event_dict
