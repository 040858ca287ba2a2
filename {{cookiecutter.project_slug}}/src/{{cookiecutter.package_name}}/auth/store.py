"""Server-side record of refresh tokens: rotation, reuse detection and revocation.

`RefreshTokenStore` is the interface the auth service uses; `DatabaseRefreshTokenStore`
keeps the records in the database, in the request's unit of work, where no cache pressure
can evict them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Protocol

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from {{ cookiecutter.package_name }}.auth.models import RefreshToken
from {{ cookiecutter.package_name }}.core.db import utcnow


class Outcome(Enum):
    ACCEPTED = "accepted"  # was live; now spent
    REUSED = "reused"  # was already spent or revoked: someone replays it
    UNKNOWN = "unknown"  # never issued here, or expired and purged


@dataclass(frozen=True, slots=True)
class Redemption:
    outcome: Outcome
    user_id: uuid.UUID | None = None
    family_id: uuid.UUID | None = None


class RefreshTokenStore(Protocol):
    async def add(
        self, fingerprint: str, *, user_id: uuid.UUID, family_id: uuid.UUID, expires_at: datetime
    ) -> None: ...

    async def redeem(self, fingerprint: str) -> Redemption:
        """Spend a live token exactly once; report replays of spent or revoked ones."""
        ...

    async def revoke_family(self, family_id: uuid.UUID) -> None: ...

    async def revoke_user(self, user_id: uuid.UUID) -> None: ...

    async def purge(self, *, before: datetime) -> int:
        """Delete records that expired before `before`; return how many."""
        ...


class DatabaseRefreshTokenStore:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, fingerprint: str, *, user_id: uuid.UUID, family_id: uuid.UUID, expires_at: datetime
    ) -> None:
        self._session.add(
            RefreshToken(
                fingerprint=fingerprint, user_id=user_id, family_id=family_id, expires_at=expires_at
            )
        )
        await self._session.flush()

    async def redeem(self, fingerprint: str) -> Redemption:
        now = utcnow()
        # One conditional UPDATE: of two concurrent refreshes with one token, only one wins.
        spent: CursorResult[tuple[()]] = await self._session.execute(  # type: ignore[assignment] # DML gives a CursorResult
            update(RefreshToken)
            .where(
                RefreshToken.fingerprint == fingerprint,
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        record = (
            await self._session.execute(
                select(RefreshToken.user_id, RefreshToken.family_id, RefreshToken.expires_at).where(
                    RefreshToken.fingerprint == fingerprint
                )
            )
        ).one_or_none()
        if record is None:
            return Redemption(Outcome.UNKNOWN)
        if spent.rowcount == 1:
            return Redemption(Outcome.ACCEPTED, record.user_id, record.family_id)
        if record.expires_at <= now:
            return Redemption(Outcome.UNKNOWN)
        return Redemption(Outcome.REUSED, record.user_id, record.family_id)

    async def revoke_family(self, family_id: uuid.UUID) -> None:
        await self._revoke(RefreshToken.family_id == family_id)

    async def revoke_user(self, user_id: uuid.UUID) -> None:
        await self._revoke(RefreshToken.user_id == user_id)

    async def _revoke(self, condition: object) -> None:
        await self._session.execute(
            update(RefreshToken)
            .where(condition, RefreshToken.revoked_at.is_(None))  # type: ignore[arg-type] # a SQL condition
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def purge(self, *, before: datetime) -> int:
        result: CursorResult[tuple[()]] = await self._session.execute(  # type: ignore[assignment] # DML gives a CursorResult
            # Expired tokens fail their own signature check, so their records are not needed.
            delete(RefreshToken).where(RefreshToken.expires_at < before)
        )
        return result.rowcount
