"""Refresh-token records in Redis, shared by every instance of the service.

Keys, under the `auth:rt` prefix:
- `token:<fingerprint>`: a hash of user, family and state ("live" or "spent"), expiring
  with the token;
- `revoked:<family>`: present once the family is revoked, for as long as its tokens live;
- `user:<user>`: a sorted set of the user's families, scored by their last expiry, so a
  password change can revoke them all.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from redis.asyncio import Redis

from {{ cookiecutter.package_name }}.auth.store import Outcome, Redemption
from {{ cookiecutter.package_name }}.core.db import utcnow

PREFIX = "auth:rt"
# Atomic, so of two concurrent refreshes with one token only one is accepted.
# KEYS: token, revoked-family marker prefix. Returns {outcome, user, family}.
REDEEM_SCRIPT = """
local token = redis.call('HMGET', KEYS[1], 'state', 'user', 'family')
if not token[1] then return {'unknown'} end
if token[1] == 'live' and redis.call('EXISTS', KEYS[2] .. token[3]) == 0 then
  redis.call('HSET', KEYS[1], 'state', 'spent')
  return {'accepted', token[2], token[3]}
end
return {'reused', token[2], token[3]}
"""


class RedisRefreshTokenStore:
    def __init__(self, redis: Redis, *, ttl_seconds: int) -> None:
        self._redis = redis
        # The longest a token lives: revocation markers must outlive the tokens they cover.
        self._ttl_seconds = ttl_seconds
        self._redeem = redis.register_script(REDEEM_SCRIPT)

    async def add(
        self, fingerprint: str, *, user_id: uuid.UUID, family_id: uuid.UUID, expires_at: datetime
    ) -> None:
        token_key = f"{PREFIX}:token:{fingerprint}"
        user_key = f"{PREFIX}:user:{user_id}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                token_key, mapping={"state": "live", "user": str(user_id), "family": str(family_id)}
            )
            pipe.expireat(token_key, expires_at)
            pipe.zadd(user_key, {str(family_id): expires_at.timestamp()})
            pipe.expireat(user_key, expires_at, gt=True)
            pipe.expireat(user_key, expires_at, nx=True)
            await pipe.execute()

    async def redeem(self, fingerprint: str) -> Redemption:
        keys = [f"{PREFIX}:token:{fingerprint}", f"{PREFIX}:revoked:"]
        outcome, *ids = await self._redeem(keys=keys)
        if outcome == b"unknown":
            return Redemption(Outcome.UNKNOWN)
        user_id, family_id = (uuid.UUID(value.decode()) for value in ids)
        return Redemption(Outcome(outcome.decode()), user_id, family_id)

    async def revoke_family(self, family_id: uuid.UUID) -> None:
        await self._redis.set(f"{PREFIX}:revoked:{family_id}", 1, ex=self._ttl_seconds)

    async def revoke_user(self, user_id: uuid.UUID) -> None:
        families = cast(
            "list[bytes]",
            await self._redis.zrangebyscore(
                f"{PREFIX}:user:{user_id}", utcnow().timestamp(), "+inf"
            ),
        )
        async with self._redis.pipeline(transaction=False) as pipe:
            for family in families:
                pipe.set(f"{PREFIX}:revoked:{family.decode()}", 1, ex=self._ttl_seconds)
            await pipe.execute()

    async def purge(self, *, before: datetime) -> int:
        """Drop expired families from the per-user indexes; Redis expires the rest itself."""
        purged = 0
        async for user_key in self._redis.scan_iter(match=f"{PREFIX}:user:*", count=500):
            purged += await self._redis.zremrangebyscore(user_key, "-inf", before.timestamp())
        return purged
