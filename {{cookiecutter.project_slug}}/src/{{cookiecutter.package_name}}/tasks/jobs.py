"""The jobs themselves: plain async functions over the same services as the API."""

from __future__ import annotations

import structlog
from taskiq import TaskiqDepends, TaskiqState

from {{ cookiecutter.package_name }}.auth.dependencies import refresh_token_store
from {{ cookiecutter.package_name }}.core.db import utcnow

logger = structlog.get_logger(__name__)


async def purge_refresh_tokens(state: TaskiqState = TaskiqDepends()) -> int:  # noqa: B008
    """Delete the records of refresh tokens that have expired; return how many."""
    async with state.sessionmaker.begin() as session:
        store = refresh_token_store(state.settings, session, state.redis)
        purged = await store.purge(before=utcnow())
    logger.info("refresh_tokens_purged", count=purged)
    return purged
