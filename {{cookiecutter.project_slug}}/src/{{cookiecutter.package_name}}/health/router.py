"""Routes: liveness and readiness."""

from __future__ import annotations

import asyncio
from typing import Literal

import structlog
from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine
{%- if cookiecutter.use_redis == "yes" %}

from {{ cookiecutter.package_name }}.core.redis_client import redis_answers
{%- endif %}

router = APIRouter(prefix="/health", tags=["health"])
logger = structlog.get_logger(__name__)

READINESS_TIMEOUT_SECONDS = 3.0


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok", "unavailable"]
    checks: dict[str, Literal["ok", "unavailable"]]


@router.get("/live", name="liveness")
async def liveness() -> Liveness:
    """The process is up and serving; checks nothing else."""
    return Liveness()


@router.get(
    "/ready",
    name="readiness",
    responses={503: {"model": Readiness, "description": "A dependency is down"}},
)
async def readiness(request: Request, response: Response) -> Readiness:
    """Whether the service can do useful work: every server it depends on answers."""
    checks = {"database": await _check_database(request.app.state.engine)}
{%- if cookiecutter.use_redis == "yes" %}
    checks["redis"] = "ok" if await redis_answers(request.app.state.redis) else "unavailable"
{%- endif %}
    ready = all(result == "ok" for result in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="ok" if ready else "unavailable", checks=checks)


async def _check_database(engine: AsyncEngine) -> Literal["ok", "unavailable"]:
    try:
        async with asyncio.timeout(READINESS_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        logger.warning("readiness_check_failed", check="database", error=type(error).__name__)
        return "unavailable"
    return "ok"
