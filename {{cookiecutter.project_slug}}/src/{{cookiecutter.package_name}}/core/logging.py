"""Structured logging: JSON lines when deployed, readable console locally."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from typing import TextIO

import structlog
from structlog.typing import ExcInfo, Processor

from {{ cookiecutter.package_name }}.core.config import Settings
{%- if cookiecutter.use_sentry == "yes" %}
from {{ cookiecutter.package_name }}.core.sentry import capture_logged_exception
{%- endif %}
{%- if cookiecutter.use_opentelemetry == "yes" %}
from {{ cookiecutter.package_name }}.core.tracing import add_trace_context
{%- endif %}

REQUEST_ID_KEY = "request_id"
# Their debug lines carry SQL parameters or request data: never below INFO.
CHATTY_LOGGERS = ("aiosqlite", "asyncio", "multipart", "python_multipart")
# Bounds what one error writes: a request's stack is deep, and the innermost frames tell.
TRACEBACK_MAX_FRAMES = 40
TRACEBACK_MAX_CHARS = 20_000


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


def configure_logging(settings: Settings) -> None:
    """Route structlog and the standard library (uvicorn, SQLAlchemy) through one renderer."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
{%- if cookiecutter.use_opentelemetry == "yes" %}
    shared.append(add_trace_context)
{%- endif %}
{%- if cookiecutter.use_sentry == "yes" %}
    shared.append(capture_logged_exception)
{%- endif %}
    stream = sys.stdout
    renderer: Processor
    if settings.log_as_json:
        shared.append(structlog.processors.ExceptionRenderer(format_traceback))
        renderer = structlog.processors.JSONRenderer()
    else:
        # Not the default formatter: with rich or better-exceptions installed it shows locals.
        renderer = structlog.dev.ConsoleRenderer(
            colors=wants_colors(stream), exception_formatter=_console_traceback
        )

    structlog.configure(
        processors=[
            # Drop events below the level before any other work is done on them.
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(settings.log.level.upper())
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(max(root.level, logging.INFO))
    # uvicorn's own access log would duplicate ours; its other loggers join the root handler.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers = []
        uvicorn_logger.propagate = name != "uvicorn.access"
