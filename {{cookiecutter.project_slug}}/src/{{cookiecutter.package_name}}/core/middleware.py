"""Pure-ASGI middleware: request id, access log, metrics, security headers, last-resort 500."""

from __future__ import annotations

import logging
import re
import secrets
import time

import structlog
from starlette.datastructures import MutableHeaders
from starlette.routing import NoMatchFound
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from {{ cookiecutter.package_name }}.core.deprecation import SCOPE_KEY as DEPRECATION_KEY
from {{ cookiecutter.package_name }}.core.errors import internal_error_response, problem_response
from {{ cookiecutter.package_name }}.core.logging import REQUEST_ID_HEADER, REQUEST_ID_KEY
from {{ cookiecutter.package_name }}.core.resources import resources_of

# An incoming id is echoed only when it is short and harmless in logs and headers.
VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # API answers carry personal data and tokens: no cache may keep them.
    "Cache-Control": "no-store",
}
HSTS_HEADER = ("Strict-Transport-Security", "max-age=63072000; includeSubDomains")

logger = structlog.get_logger(__name__)


class RequestContextMiddleware:
    """Gives every request an id (on each log line and in the response) and one access line.

    It also records the request's metrics, sets the security headers, and turns any
    unhandled exception into a logged, generic 500 problem response.
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts
        # Bound once: an unbound structlog logger rebuilds itself on every call.
        self.access_log: structlog.typing.FilteringBoundLogger = structlog.get_logger(
            __name__
        ).bind()
        self.route_templates: dict[int, str] = {}
        self.endpoint_templates: dict[object, str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        request_id = _incoming_request_id(scope) or secrets.token_hex(16)
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(**{REQUEST_ID_KEY: request_id})
        started_at = time.perf_counter()
        status_code = 500
        response_started = False
        metrics = resources_of(scope["app"]).metrics
        metrics.request_started(scope["method"])

        async def send_with_headers(message: Message) -> None:
            nonlocal status_code, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status_code = message["status"]
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = request_id
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if self.hsts and scope["scheme"] == "https":
                    headers.setdefault(*HSTS_HEADER)
                deprecation = scope.get(DEPRECATION_KEY)
                if deprecation is not None:
                    headers.update(deprecation.headers)
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            logger.exception("unhandled_error")
            if response_started:
                raise  # too late for a clean answer; the server closes the connection
            await internal_error_response()(scope, receive, send_with_headers)
        finally:
            duration = time.perf_counter() - started_at
            route_path = self._route_template(scope)
            deprecated = DEPRECATION_KEY in scope or getattr(
                scope.get("route"), "deprecated", False
            )
            # Every request makes this call: skip building the line when INFO is off.
            if self.access_log.is_enabled_for(logging.INFO):
                # user_id joins the line through the context when the request was authenticated.
                self.access_log.info(
                    "request",
                    method=scope["method"],
                    path=route_path or scope["path"],
                    status=status_code,
                    duration_ms=round(duration * 1000, 2),
                    **({"deprecated": True} if deprecated else {}),
                )
            metrics.request_finished(scope["method"], route_path, status_code, duration)
            if deprecated:
                metrics.deprecated_request_answered(scope["method"], route_path)
            structlog.contextvars.clear_contextvars()

    def _route_template(self, scope: Scope) -> str | None:
        """The matched route's full path template, e.g. /api/v1/items/{item_id}."""
        route = scope.get("route")
        if route is None:
            # FastAPI marks only its own routes; plain Starlette ones (/docs, /openapi.json,
            # /redoc) leave their endpoint, which the app's route list maps to a path.
            return self._plain_route_template(scope)
        if id(route) in self.route_templates:
            return self.route_templates[id(route)]
        # A route inside an included router knows only its own part of the path
        # (/{item_id}); the app rebuilds the whole of it from the route's name.
        app, path_params = scope["app"], scope.get("path_params", {})
        try:
            if app.url_path_for(route.name, **path_params) != scope["path"]:
                return str(route.path)  # not this route's own name, or an odd spelling
            placeholders = {name: "{" + name + "}" for name in path_params}
            template = str(app.url_path_for(route.name, **placeholders))
        except (NoMatchFound, AssertionError, ValueError):
            template = str(route.path)
        self.route_templates[id(route)] = template
        return template

    def _plain_route_template(self, scope: Scope) -> str | None:
        endpoint = scope.get("endpoint")
        if endpoint is None:
            return None
        if endpoint not in self.endpoint_templates:
            paths = (
                str(route.path)
                for route in scope["app"].routes
                if getattr(route, "endpoint", None) is endpoint
            )
            self.endpoint_templates[endpoint] = next(paths, None)
        return self.endpoint_templates[endpoint]


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            return candidate if VALID_REQUEST_ID.match(candidate) else None
    return None


class BodySizeLimitMiddleware:
    """Answers 413 for request bodies over `max_bytes`, before any of it is parsed.

    A declared Content-Length is checked up front; a streamed body is counted as it arrives.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(scope, receive, send)
            return

        received = 0
        too_large = False
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    too_large = True
                    # Stop the app reading: it sees a disconnect, whatever it does next.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if too_large:
                return  # the 413 below replaces whatever the app answers
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not response_started:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            413,
            code="request_too_large",
            detail=f"The request body is larger than {self.max_bytes} bytes.",
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
