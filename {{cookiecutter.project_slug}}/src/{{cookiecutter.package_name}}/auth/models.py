"""Refresh tokens the server has issued, by fingerprint."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.db import Base, TimestampMixin, UTCDateTime


class RefreshToken(TimestampMixin, Base):
    __tablename__ = "auth_refresh_token"

    # SHA-256 of the token's `jti`; the token itself is never stored.
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    # Every token rotated from one login shares the family of that login.
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
