"""Routes: liveness, readiness and metrics, outside /api/v1 and its rate limits."""

from __future__ import annotations

import secrets
from typing import Annotated, Literal

import structlog
from fastapi import APIRouter, Depends, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.core.db import DatabaseUnavailableError, check_database
from {{ cookiecutter.package_name }}.core.dependencies import SettingsDep
from {{ cookiecutter.package_name }}.core.errors import AuthenticationError
from {{ cookiecutter.package_name }}.core.metrics import CONTENT_TYPE
{%- if cookiecutter.use_redis == "yes" %}
from {{ cookiecutter.package_name }}.core.redis_client import redis_answers
{%- endif %}
from {{ cookiecutter.package_name }}.core.resources import ResourcesDep

router = APIRouter(prefix="/health", tags=["health"])
metrics_router = APIRouter(tags=["operations"])
logger = structlog.get_logger(__name__)

READINESS_TIMEOUT_SECONDS = 3.0
Check = Literal["ok", "unavailable"]


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Check
    checks: dict[str, Check]


@router.get("/live", name="liveness")
async def liveness() -> Liveness:
    """The process is up and serving; checks nothing else."""
    return Liveness()


@router.get(
    "/ready",
    name="readiness",
    responses={503: {"model": Readiness, "description": "A dependency is down"}},
)
async def readiness(resources: ResourcesDep, response: Response) -> Readiness:
    """Whether the service can do useful work: every server it depends on answers."""
    checks: dict[str, Check] = {"database": "ok"}
    try:
        await check_database(resources.engine, timeout_seconds=READINESS_TIMEOUT_SECONDS)
    except DatabaseUnavailableError as error:
        logger.warning("readiness_check_failed", check="database", error=str(error))
        checks["database"] = "unavailable"
{%- if cookiecutter.use_redis == "yes" %}
    checks["redis"] = "ok" if await redis_answers(resources.redis) else "unavailable"
{%- endif %}
    ready = all(result == "ok" for result in checks.values())
    if not ready:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="ok" if ready else "unavailable", checks=checks)


bearer = HTTPBearer(auto_error=False)


async def authorize_scrape(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Let the scrape through when no token is configured, or the right one is sent."""
    expected = settings.metrics.bearer_token
    if expected is None:
        return
    given = credentials.credentials if credentials else ""
    if not secrets.compare_digest(given.encode(), expected.get_secret_value().encode()):
        msg = "A valid metrics token is required."
        raise AuthenticationError(msg)


@metrics_router.get(
    "/metrics",
    name="metrics",
    include_in_schema=False,
    dependencies=[Depends(authorize_scrape)],
)
async def metrics(resources: ResourcesDep) -> Response:
    """Prometheus text exposition of the service's metrics."""
    return Response(resources.metrics.render(), media_type=CONTENT_TYPE)
