"""A user's TOTP authenticator and recovery codes."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.db import Base, UTCDateTime


class TotpAuthenticator(Base):
    __tablename__ = "mfa_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    # The shared secret, encrypted with a key derived from AUTH__SECRET_KEY (Fernet).
    encrypted_secret: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Unset while pending: login asks for a code only once a first code confirmed it.
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time step of the last code accepted: that code and older ones are refused.
    last_used_step: Mapped[int | None]


class RecoveryCode(Base):
    __tablename__ = "mfa_recovery_code"

    # SHA-256 of the code: 80 random bits need no salt or slow hash.
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
