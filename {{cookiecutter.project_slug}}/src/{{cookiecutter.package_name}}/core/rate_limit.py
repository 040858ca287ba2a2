"""Rate limiting through the async API of `limits`; routes use it through `rate_limit()`."""

from __future__ import annotations

import math
import time
from functools import lru_cache

import structlog
from fastapi import Request
from limits import parse_many
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import RateLimitedError, ServiceUnavailableError

logger = structlog.get_logger(__name__)
# Parsed once per notation, not on every request.
_parse = lru_cache(maxsize=64)(parse_many)


class RateLimiter:
    """Counts hits per (limit name, key) in `storage`, which the composition root chooses."""

    def __init__(self, settings: Settings, storage: AsyncStorage) -> None:
        self._storage = storage
        # Two counters per key and O(1) per hit, unlike a moving window's log of every hit.
        self._strategy = SlidingWindowCounterRateLimiter(self._storage)
        self._settings = settings.rate_limit
        self.enabled = settings.rate_limit.enabled

    async def hit(self, name: str, *keys: str) -> None:
        """Count one hit on the limit named `name`; raise RateLimitedError when over it."""
        if not self.enabled:
            return
        try:
            for item in _parse(getattr(self._settings, name)):
                if not await self._strategy.hit(item, name, *keys):
                    stats = await self._strategy.get_window_stats(item, name, *keys)
                    raise RateLimitedError(max(1, math.ceil(stats.reset_time - time.time())))
        except StorageError as error:
            fail_open = self._settings.on_storage_error == "allow"
            logger.error(
                "rate_limit_storage_failed",
                error=type(error.storage_error).__name__,
                action="allowed" if fail_open else "denied",
            )
            if not fail_open:
                msg = "Rate limiting is unavailable; retry later."
                raise ServiceUnavailableError(msg) from None

    async def reset(self) -> None:
        await self._storage.reset()


def client_address(request: Request) -> str:
    # Behind a proxy, run uvicorn with --forwarded-allow-ips so this is the real client.
    return request.client.host if request.client else "unknown"
