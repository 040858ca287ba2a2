"""The jobs themselves: plain async functions over the same services as the API."""

from __future__ import annotations

import structlog
from taskiq import AsyncBroker

from {{ cookiecutter.package_name }}.auth.store import DatabaseRefreshTokenStore
from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.db import utcnow
from {{ cookiecutter.package_name }}.core.logging import REQUEST_ID_KEY
from {{ cookiecutter.package_name }}.email.mailer import SEND_EMAIL_JOB
from {{ cookiecutter.package_name }}.email.messages import Email
from {{ cookiecutter.package_name }}.tasks.dependencies import WorkerResourcesDep

# The API enqueues jobs by these names, so it needs no registered task of its own.
PURGE_REFRESH_TOKENS = "purge_refresh_tokens"

logger = structlog.get_logger(__name__)


async def purge_refresh_tokens(resources: WorkerResourcesDep) -> int:
    """Delete the records of refresh tokens that have expired; return how many."""
    async with resources.sessionmaker.begin() as session:
        purged = await DatabaseRefreshTokenStore(session).purge(before=utcnow())
    logger.info("refresh_tokens_purged", count=purged)
    return purged


async def send_email(
    message: dict[str, str], resources: WorkerResourcesDep, request_id: str | None = None
) -> bool:
    """Send a message the API rendered, with the mailer's bounded retries; False if given up."""
    with structlog.contextvars.bound_contextvars(**{REQUEST_ID_KEY: request_id}):
        return await resources.mailer.deliver(Email.from_json(message))


def register_jobs(broker: AsyncBroker, settings: Settings) -> None:
    """Register every job, with its schedule, on the worker's and scheduler's broker."""
    broker.register_task(
        purge_refresh_tokens,
        task_name=PURGE_REFRESH_TOKENS,
        schedule=[{"cron": settings.jobs.purge_refresh_tokens_cron}],
    )
    broker.register_task(send_email, task_name=SEND_EMAIL_JOB)
