"""One error shape everywhere: RFC 9457 problem details."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus
from typing import Any

import sqlalchemy.exc
import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from {{ cookiecutter.package_name }}.core.logging import current_request_id

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = structlog.get_logger(__name__)


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """The body of every error response."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str
    request_id: str | None = None
    errors: list[FieldError] | None = None


class AppError(Exception):
    """Base of every error the API reports on purpose."""

    status_code: int = 400
    code: str = "bad_request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = dict(headers or {})
        self.errors = errors


class NotFoundError(AppError):
    status_code = 404
    code = "not_found"
    title = "Not found"


class ConflictError(AppError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class PermissionDeniedError(AppError):
    status_code = 403
    code = "permission_denied"
    title = "Permission denied"


class AuthenticationError(AppError):
    status_code = 401
    code = "not_authenticated"
    title = "Not authenticated"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class RateLimitedError(AppError):
    status_code = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            f"Rate limit exceeded; retry in {retry_after_seconds} s.",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class ServiceUnavailableError(AppError):
    status_code = 503
    code = "service_unavailable"
    title = "Service unavailable"


def problem_response(
    status: int,
    *,
    code: str,
    title: str | None = None,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    problem = Problem(
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        code=code,
        request_id=current_request_id(),
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        headers=dict(headers or {}),
        media_type=PROBLEM_MEDIA_TYPE,
    )


async def _handle_app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)  # noqa: S101 - registered for AppError only
    logger.info("request_failed", code=exc.code, status=exc.status_code)
    return problem_response(
        exc.status_code,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
    )


async def _handle_http_exception(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    status = HTTPStatus(exc.status_code)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != status.phrase else None
    return problem_response(
        exc.status_code,
        code=status.name.lower(),
        detail=detail,
        headers=exc.headers,
    )


async def _handle_validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)  # noqa: S101 - registered for it only
    errors = [_field_error(error) for error in exc.errors()]
    return problem_response(
        422,
        code="validation_error",
        title="Validation failed",
        detail="The request is invalid; see errors.",
        errors=errors,
    )


def _field_error(error: Mapping[str, Any]) -> FieldError:
    # The offending input is left out on purpose: it may be a password.
    return FieldError(loc=list(error["loc"]), msg=str(error["msg"]), type=str(error["type"]))


# Raised when the database cannot be reached or a pooled connection cannot be had in time.
DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    ConnectionError,
    TimeoutError,
)
UNAVAILABLE_RETRY_AFTER_SECONDS = 5


# SQLSTATE class 22 is "data exception"; asyncpg's errors reach SQLAlchemy untyped but carry it.
DATA_EXCEPTION_SQLSTATE_CLASS = "22"


def is_data_error(error: sqlalchemy.exc.DBAPIError) -> bool:
    """Whether the database refused a value it cannot store or compute with."""
    if isinstance(error, sqlalchemy.exc.DataError):
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    return isinstance(sqlstate, str) and sqlstate.startswith(DATA_EXCEPTION_SQLSTATE_CLASS)


async def _handle_database_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, sqlalchemy.exc.DBAPIError)  # noqa: S101 - registered for it only
    if not is_data_error(exc):
        raise exc  # a bug, not bad input: the last-resort 500 logs it
    # Validation should have caught the value: log the driver's error name, never its
    # message, which quotes the value and the statement.
    logger.warning("database_refused_data", error=type(exc.orig).__name__)
    return problem_response(
        422,
        code="invalid_data",
        title="Invalid data",
        detail="The database cannot store a value of this request.",
    )


def unavailable_handler(
    service: str,
) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """An exception handler answering 503 for a backing service that is down."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        logger.error("dependency_unavailable", service=service.lower(), error=type(exc).__name__)
        return problem_response(
            503,
            code="service_unavailable",
            detail=f"{service} is unavailable; retry later.",
            headers={"Retry-After": str(UNAVAILABLE_RETRY_AFTER_SECONDS)},
        )

    return handle


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _handle_app_error)
    app.add_exception_handler(HTTPException, _handle_http_exception)
    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(sqlalchemy.exc.DBAPIError, _handle_database_error)
    for error in DATABASE_UNAVAILABLE_ERRORS:
        app.add_exception_handler(error, unavailable_handler("The database"))


def internal_error_response() -> JSONResponse:
    return problem_response(
        500, code="internal_error", detail="An unexpected error occurred; it has been logged."
    )


def install_problem_openapi(app: FastAPI) -> None:
    """Document the problem body, as `application/problem+json`, on every error response."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
            )
            _document_problems(schema)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign] # FastAPI's documented way


def _document_problems(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    problem_schema = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(problem_schema.pop("$defs", {}))
    components["Problem"] = problem_schema
    # FastAPI's own 422 body is replaced by ours everywhere.
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    content = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"] = {"description": "Validation failed", "content": content}
            responses.setdefault("4XX", {"description": "Client error", "content": content})
            responses.setdefault("5XX", {"description": "Server error", "content": content})
