"""Pure-ASGI middleware: request id, access log, security headers, last-resort 500."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.errors import internal_error_response
from {{ cookiecutter.package_name }}.core.logging import REQUEST_ID_KEY

REQUEST_ID_HEADER = "X-Request-ID"
# An incoming id is echoed only when it is short and harmless in logs and headers.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}

logger = structlog.get_logger(__name__)


class RequestContextMiddleware:
    """Gives every request an id (on each log line and in the response) and one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**{REQUEST_ID_KEY: request_id})
        started_at = time.perf_counter()
        status_code = 500
        response_started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            logger.exception("unhandled_error")
            if response_started:
                raise  # too late for a clean answer; the server closes the connection
            await internal_error_response()(scope, receive, send_with_headers)
        finally:
            route = scope.get("route")
            logger.info(
                "request",
                method=scope["method"],
                path=getattr(route, "path", scope["path"]),
                status=status_code,
                duration_ms=round((time.perf_counter() - started_at) * 1000, 2),
            )
            structlog.contextvars.clear_contextvars()


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if VALID_REQUEST_ID.match(candidate) else None
    return None
