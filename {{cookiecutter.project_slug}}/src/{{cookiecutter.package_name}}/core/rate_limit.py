"""Rate limiting through the async API of `limits`, exposed as route dependencies."""

from __future__ import annotations

import math
import time
from functools import lru_cache
from typing import Annotated

import structlog
from fastapi import Depends, Request, params
from limits import parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

from {{ cookiecutter.package_name }}.core.config import RateLimitSettings, Settings
from {{ cookiecutter.package_name }}.core.errors import RateLimitedError, ServiceUnavailableError

logger = structlog.get_logger(__name__)
# Parsed once per notation, not on every request.
_parse = lru_cache(maxsize=64)(parse_many)


class RateLimiter:
    """Counts hits per (limit name, key).

    The counters live in RATE_LIMIT__STORAGE_URI when it is set, else in `default_storage`
    (the service's Redis, when it has one), else in process memory.
    """

    def __init__(self, settings: Settings, default_storage: AsyncStorage | None = None) -> None:
        uri = settings.rate_limit.storage_uri
        self._storage: AsyncStorage
        if uri:
            self._storage = _storage_from_uri(uri)
        else:
            self._storage = default_storage or MemoryStorage(wrap_exceptions=True)
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


def _storage_from_uri(uri: str) -> AsyncStorage:
    storage = storage_from_string(
        uri if uri.startswith("async+") else f"async+{uri}", wrap_exceptions=True
    )
    if not isinstance(storage, AsyncStorage):
        msg = f"no async rate-limit storage for {uri!r}"
        raise TypeError(msg)
    return storage


async def get_rate_limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.rate_limiter
    return limiter


RateLimiterDep = Annotated[RateLimiter, Depends(get_rate_limiter)]


def client_address(request: Request) -> str:
    # Behind a proxy, run uvicorn with --forwarded-allow-ips so this is the real client.
    return request.client.host if request.client else "unknown"


def rate_limit(name: str) -> params.Depends:
    """A route dependency enforcing `settings.rate_limit.<name>` per client address."""
    if name not in RateLimitSettings.model_fields:
        msg = f"no rate limit named {name!r} in RateLimitSettings"
        raise ValueError(msg)

    async def enforce(request: Request, limiter: RateLimiterDep) -> None:
        await limiter.hit(name, client_address(request))

    return params.Depends(enforce)
