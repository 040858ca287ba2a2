"""Single-use secrets sent to a user: email links and the second step of an MFA login."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.db import Base, UTCDateTime
from {{ cookiecutter.package_name }}.users.models import EMAIL_TYPE


class TokenPurpose(StrEnum):
    """What a token is good for: it is accepted by that one route and nowhere else."""

    VERIFY_EMAIL = "verify_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a password
    CHANGE_EMAIL = "change_email"
    MFA_LOGIN = "mfa_login"


class AccountToken(Base):
    __tablename__ = "account_token"

    # SHA-256 of the token; the token itself is only ever in the email or the response.
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    purpose: Mapped[TokenPurpose] = mapped_column(
        Enum(
            TokenPurpose,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda purposes: [purpose.value for purpose in purposes],
        )
    )
    # The address the token was sent to (for an email change, the new one): a token for an
    # address the account no longer has is refused.
    email: Mapped[str] = mapped_column(EMAIL_TYPE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
