"""GraphQL errors with the REST problem codes in `extensions.code`, and never a traceback."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from graphql import GraphQLError
from pydantic import ValidationError
from strawberry.extensions import SchemaExtension

from {{ cookiecutter.package_name }}.core.errors import AppError

# Errors in the document itself: syntax, unknown fields, the depth and size limits.
INVALID_QUERY = "invalid_query"
INTERNAL_ERROR = "internal_error"
logger = structlog.get_logger(__name__)


class ProblemCodes(SchemaExtension):
    """Rewrites each error of a result: the code and message a client may see, nothing else."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [coded(error) for error in result.errors]


def coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    extensions: dict[str, Any]
    if isinstance(original, AppError):
        message = original.detail or original.title
        extensions = {"code": original.code}
        if original.errors:
            extensions["errors"] = [field.model_dump() for field in original.errors]
    elif isinstance(original, ValidationError):
        message = "The input is invalid; see errors."
        # As in REST: where and why, never the offending input (it may be a password).
        extensions = {
            "code": "validation_error",
            "errors": [
                {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
                for e in original.errors()
            ],
        }
    elif original is None:
        message, extensions = error.message, {"code": INVALID_QUERY}
    else:
        logger.error("graphql_unhandled_error", path=error.path, exc_info=original)
        message, extensions = "Internal server error.", {"code": INTERNAL_ERROR}
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


def install_error_shape(app: FastAPI, path: str) -> None:
    """Errors raised before GraphQL runs (rate limits, an unreachable database) at `path`:
    a GraphQL error body with the same status, headers and code, instead of a problem."""
    problem_handler = app.exception_handlers[AppError]

    async def handle(request: Request, exc: Exception) -> Response:
        if request.url.path != path or not isinstance(exc, AppError):
            response = problem_handler(request, exc)
            return await response if inspect.isawaitable(response) else response
        logger.info("request_failed", code=exc.code, status=exc.status_code)
        error = {"message": exc.detail or exc.title, "extensions": {"code": exc.code}}
        return JSONResponse(
            {"data": None, "errors": [error]}, status_code=exc.status_code, headers=exc.headers
        )

    app.exception_handlers[AppError] = handle
