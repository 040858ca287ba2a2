"""Structured logging: JSON lines when deployed, readable console locally."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from datetime import UTC, datetime
from typing import TextIO

import orjson
import structlog
from structlog.typing import EventDict, ExcInfo, Processor, WrappedLogger

from {{ cookiecutter.package_name }}.core.config import Settings
{%- if cookiecutter.use_sentry == "yes" %}
from {{ cookiecutter.package_name }}.core.sentry import capture_logged_exception, record_breadcrumb
{%- endif %}
{%- if cookiecutter.use_opentelemetry == "yes" %}
from {{ cookiecutter.package_name }}.core.tracing import add_trace_context
{%- endif %}

REQUEST_ID_KEY = "request_id"
# Read from requests, sent back on responses and passed on in calls to other services.
REQUEST_ID_HEADER = "X-Request-ID"
# Their debug lines carry SQL parameters or request data: never below INFO.
CHATTY_LOGGERS = ("aiosqlite", "asyncio", "multipart", "python_multipart")
# Bounds what one error writes: a request's stack is deep, and the innermost frames tell.
TRACEBACK_MAX_FRAMES = 40
TRACEBACK_MAX_CHARS = 20_000
# Timestamps end in Z, as structlog's ISO stamper writes them; keys need not be strings.
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


class NamedWriter(structlog.WriteLogger):
    """structlog's line writer, named after the module that logs (the `logger` field)."""

    def __init__(self, stream: TextIO, name: str) -> None:
        super().__init__(stream)
        self.name = name


def current_request_id() -> str | None:
    """The id of the request being handled, if any."""
    value = structlog.contextvars.get_contextvars().get(REQUEST_ID_KEY)
    return value if isinstance(value, str) else None


def format_traceback(exc_info: ExcInfo) -> str:
    """The traceback as text: never the frames' locals (they hold passwords), bounded in size."""
    text = "".join(traceback.format_exception(*exc_info, limit=-TRACEBACK_MAX_FRAMES))
    if len(text) > TRACEBACK_MAX_CHARS:
        text = "[traceback truncated]\n" + text[-TRACEBACK_MAX_CHARS:]
    return text.rstrip("\n")


def wants_colors(stream: TextIO) -> bool:
    """Colours for a terminal only, never in a file or pipe; NO_COLOR and FORCE_COLOR decide first.

    See https://no-color.org and https://force-color.org.
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def _console_traceback(sio: TextIO, exc_info: ExcInfo) -> None:
    sio.write("\n" + format_traceback(exc_info))


def _add_utc_timestamp(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    # A datetime, left to orjson: it writes ISO 8601 several times faster than isoformat().
    event_dict["timestamp"] = datetime.now(UTC)
    return event_dict


def _dumps(event_dict: EventDict, **_: object) -> str:
    try:
        return orjson.dumps(event_dict, default=repr, option=JSON_OPTIONS).decode()
    except orjson.JSONEncodeError:  # an integer beyond 64 bits, say: slower, but not lost
        return json.dumps(event_dict, default=str)


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library (uvicorn, SQLAlchemy) through one renderer.

    structlog's own lines skip the standard library's records and handler: on the hot path
    (an access line per request) they cost several times the rendering itself.
    """
    stream = sys.stdout
    root = logging.getLogger()
    root.setLevel(settings.log.level.upper())  # an unknown level name fails here, clearly
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.stdlib.add_logger_name,
    ]
{%- if cookiecutter.use_opentelemetry == "yes" %}
    shared.append(add_trace_context)
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
    shared += [record_breadcrumb, capture_logged_exception]
{%- endif %}
    renderer: Processor
    if settings.log_as_json:
        shared += [_add_utc_timestamp, structlog.processors.ExceptionRenderer(format_traceback)]
        renderer = structlog.processors.JSONRenderer(serializer=_dumps)
    else:
        shared.append(structlog.processors.TimeStamper(fmt="iso", utc=True))
        # Not the default formatter: with rich or better-exceptions installed it shows locals.
        renderer = structlog.dev.ConsoleRenderer(
            colors=wants_colors(stream), exception_formatter=_console_traceback
        )

    def named_writer(name: str = "root", *_: object) -> NamedWriter:
        return NamedWriter(stream, name)

    structlog.configure(
        processors=[*shared, renderer],
        # Events below the level are dropped before any processor runs.
        wrapper_class=structlog.make_filtering_bound_logger(root.level),
        logger_factory=named_writer,
        # Not cached: tests configure one app after another. The access line, the one hot
        # call, binds its logger once instead (see RequestContextMiddleware).
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root.handlers = [handler]
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))
    # uvicorn's own access log would duplicate ours; its other loggers join the root handler.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = name != "uvicorn.access"
