"""Rate limiting through the async API of `limits`; routes use it through `rate_limit()`."""

from __future__ import annotations

import hashlib
import ipaddress
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar, cast

import structlog
from fastapi import Request
from limits import parse_many
from limits.aio.storage import MemoryStorage
from limits.aio.storage import Storage as AsyncStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.errors import StorageError
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from {{ cookiecutter.package_name }}.core.config import Settings
from {{ cookiecutter.package_name }}.core.errors import RateLimitedError, ServiceUnavailableError

logger = structlog.get_logger(__name__)
FORWARDED_HEADERS = frozenset({b"forwarded", b"x-forwarded-for", b"x-forwarded-proto"})
# Parsed once per notation, not on every request.
_parse = lru_cache(maxsize=64)(parse_many)
_T = TypeVar("_T")
# An address that signed in to an account is trusted past its ceiling for this long.
KNOWN_ADDRESS_SECONDS = 30 * 24 * 3600
# After a storage failure, password checks count in process this long before retrying it.
STORAGE_RETRY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class _Counters:
    storage: AsyncStorage
    strategy: SlidingWindowCounterRateLimiter


def _counters(storage: AsyncStorage) -> _Counters:
    # Two counters per key and O(1) per hit, unlike a moving window's log of every hit.
    return _Counters(storage, SlidingWindowCounterRateLimiter(storage))


class RateLimiter:
    """Counts hits per (limit name, key) in `storage`, which the composition root chooses.

    Password checks never go unlimited: while the storage fails they are counted in this
    process instead, whatever `on_storage_error` says.
    """

    def __init__(self, settings: Settings, storage: AsyncStorage) -> None:
        self._shared = _counters(storage)
        self._local = _counters(MemoryStorage())
        self._retry_shared_at = 0.0
        self._settings = settings.rate_limit
        self.enabled = settings.rate_limit.enabled

    async def hit(self, name: str, *keys: str) -> None:
        """Count one hit on the limit named `name`; raise RateLimitedError when over it."""
        if not self.enabled:
            return
        try:
            await self._hit(self._shared, name, *keys)
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

    async def hit_password_check(self, *, account: str, address: str) -> None:
        """Count one password check, before it is made; raise RateLimitedError past a limit.

        Per address (`login`), per account and address (`account`), and per account for
        addresses that have not signed in to it before (`account_ceiling`).
        """
        if not self.enabled:
            return
        known = _known_key(account, address)
        await self._guarded(lambda counters: self._hit(counters, "login", address))
        await self._guarded(lambda counters: self._hit(counters, "account", account, address))
        if not await self._guarded(lambda counters: counters.storage.get(known)):
            await self._guarded(lambda counters: self._hit(counters, "account_ceiling", account))

    async def remember_sign_in(self, *, account: str, address: str) -> None:
        """Trust `address` past the account's ceiling: its owner signs in from there."""
        if self.enabled:
            known = _known_key(account, address)
            await self._guarded(
                lambda counters: counters.storage.incr(known, KNOWN_ADDRESS_SECONDS)
            )

    async def reset(self) -> None:
        await self._shared.storage.reset()
        await self._local.storage.reset()

    async def _hit(self, counters: _Counters, name: str, *keys: str) -> None:
        for item in _parse(getattr(self._settings, name)):
            if not await counters.strategy.hit(item, name, *keys):
                stats = await counters.strategy.get_window_stats(item, name, *keys)
                raise RateLimitedError(max(1, math.ceil(stats.reset_time - time.time())))

    async def _guarded(self, use: Callable[[_Counters], Awaitable[_T]]) -> _T:
        """`use` the shared counters, or this process's while the storage fails."""
        if time.monotonic() >= self._retry_shared_at:
            try:
                return await use(self._shared)
            except StorageError as error:
                self._retry_shared_at = time.monotonic() + STORAGE_RETRY_SECONDS
                logger.error(
                    "rate_limit_storage_failed",
                    error=type(error.storage_error).__name__,
                    action="counted_in_process",
                )
        return await use(self._local)


def _known_key(account: str, address: str) -> str:
    # Hashed: the pair outlives the counters by weeks and needs no readable email or address.
    digest = hashlib.sha256(f"{account}\0{address}".encode()).hexdigest()
    return f"known_sign_in/{digest}"


def client_address(request: Request) -> str:
    """The key of the client's address: one per IPv4 address, one per IPv6 /64 network."""
    # The peer, or what a trusted proxy says it saw (ForwardedHeadersMiddleware).
    host = request.client.host if request.client else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        # One host usually owns a whole /64: counting per /128 would give it 2**64 buckets.
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class ForwardedHeadersMiddleware:
    """Believe X-Forwarded-For/-Proto from the trusted proxies alone (APP__TRUSTED_PROXIES)."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        trusted = [str(network) for network in settings.app.trusted_proxies]
        self.app: ASGIApp = (
            cast("ASGIApp", ProxyHeadersMiddleware(cast("Any", app), trusted_hosts=trusted))
            if trusted
            else app
        )
        # In production, forwarded headers with no proxy trusted mean a misconfiguration.
        self.warn_untrusted = settings.is_production and not trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.warn_untrusted
            and scope["type"] == "http"
            and any(name in FORWARDED_HEADERS for name, _ in scope["headers"])
        ):
            self.warn_untrusted = False
            logger.warning(
                "forwarded_headers_ignored",
                detail="a request carried X-Forwarded-* headers but no proxy is trusted; "
                "behind a reverse proxy, set APP__TRUSTED_PROXIES to its address",
            )
        await self.app(scope, receive, send)
