"""A read cache behind one small interface; writes invalidate a whole namespace."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

Produce = Callable[[], Awaitable[bytes]]


class Cache(Protocol):
    async def get_or_set(self, namespace: str, key: str, produce: Produce) -> bytes:
        """The cached value of `key`, or what `produce` returns (then cached)."""
        ...

    async def invalidate(self, namespace: str) -> None:
        """Forget every key of `namespace`, for every instance of the service."""
        ...


class NoCache:
    """Caches nothing: without a shared store, a per-process cache would serve stale data."""

    async def get_or_set(self, namespace: str, key: str, produce: Produce) -> bytes:  # noqa: ARG002 - the protocol's
        return await produce()

    async def invalidate(self, namespace: str) -> None:
        pass
