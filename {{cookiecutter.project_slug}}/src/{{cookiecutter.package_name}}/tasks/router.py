"""Routes: start a job on demand and read its outcome (admins only)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import structlog
from fastapi import APIRouter, FastAPI, Path, status
from pydantic import BaseModel
from taskiq.exceptions import TaskiqError
from taskiq.kicker import AsyncKicker

from {{ cookiecutter.package_name }}.auth.dependencies import require_role
from {{ cookiecutter.package_name }}.core.dependencies import BrokerDep, RedisDep, SettingsDep
from {{ cookiecutter.package_name }}.core.errors import NotFoundError, unavailable_handler
from {{ cookiecutter.package_name }}.tasks.jobs import PURGE_REFRESH_TOKENS
from {{ cookiecutter.package_name }}.users.models import Role

logger = structlog.get_logger(__name__)

router = APIRouter(prefix="/admin/jobs", tags=["jobs"], dependencies=[require_role(Role.ADMIN)])
# Job ids are known for as long as their results are kept, under the project's Redis prefix.
JOB_KEY_PREFIX = "{{ cookiecutter.package_name }}:jobs-enqueued:"
JobId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


def setup(app: FastAPI) -> None:
    """A broker or result-backend failure on the job routes (`router`) becomes a 503."""
    # taskiq wraps the broker's and result backend's failures in its own errors.
    app.add_exception_handler(TaskiqError, unavailable_handler("The job queue"))


class JobRead(BaseModel):
    id: str
    status: Literal["queued", "succeeded", "failed"]
    result: Any = None
    error: str | None = None


@router.post(
    "/purge-refresh-tokens", status_code=status.HTTP_202_ACCEPTED, name="purge_refresh_tokens"
)
async def purge_refresh_tokens(
    broker: BrokerDep, redis: RedisDep, settings: SettingsDep
) -> JobRead:
    """Delete expired refresh-token records now, in a worker; poll the job for the count."""
    kicker: AsyncKicker[[], int] = AsyncKicker(PURGE_REFRESH_TOKENS, broker, labels={})
    task = await kicker.kiq()
    await redis.set(JOB_KEY_PREFIX + task.task_id, 1, ex=settings.jobs.result_ttl_seconds)
    return JobRead(id=task.task_id, status="queued")


@router.get("/{job_id}", name="read_job")
async def read_job(job_id: JobId, broker: BrokerDep, redis: RedisDep) -> JobRead:
    """A job's status, and its result once a worker has run it."""
    if not await redis.exists(JOB_KEY_PREFIX + job_id):
        raise NotFoundError
    backend = broker.result_backend
    if not await backend.is_result_ready(job_id):
        return JobRead(id=job_id, status="queued")
    try:
        outcome = await backend.get_result(job_id)
    except ValueError:
        # Not a result this service wrote (the JSON or its shape is wrong): never trusted.
        logger.warning("job_result_unreadable", job_id=job_id)
        return JobRead(id=job_id, status="failed", error="UnreadableResult")
    if outcome.is_err:
        # The error's type only: its message may hold data the caller must not see.
        return JobRead(id=job_id, status="failed", error=type(outcome.error).__name__)
    return JobRead(id=job_id, status="succeeded", result=outcome.return_value)
