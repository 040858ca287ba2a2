"""User ORM model."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, String
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from {{ cookiecutter.package_name }}.core.db import Base, TimestampMixin, UTCDateTime

EMAIL_MAX_LENGTH = 320
FULL_NAME_MAX_LENGTH = 200
# MySQL's and MariaDB's default collations ignore accents and trailing spaces; compare bytes.
EMAIL_TYPE = String(EMAIL_MAX_LENGTH).with_variant(
    mysql.VARCHAR(EMAIL_MAX_LENGTH, collation="utf8mb4_bin"), "mysql", "mariadb"
)


def normalize_email(email: str) -> str:
    """The one form an email is stored, looked up, compared and rate-limited by.

    NFKC (so fullwidth and other compatibility spellings are one address), lower-case,
    surrounding whitespace dropped. Accents stay: `exämple.com` is not `example.com`.
    """
    return unicodedata.normalize("NFKC", email).lower().strip()


class Role(StrEnum):
    """Stored as text without a database constraint, so adding a role needs no migration."""

    USER = "user"
    ADMIN = "admin"


class User(TimestampMixin, Base):
    __tablename__ = "user_account"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    # Stored as `normalize_email` gives it, so the unique index is unique by that form.
    email: Mapped[str] = mapped_column(EMAIL_TYPE, unique=True)
    hashed_password: Mapped[str] = mapped_column(String(255))
    full_name: Mapped[str | None] = mapped_column(String(FULL_NAME_MAX_LENGTH))
    role: Mapped[Role] = mapped_column(
        Enum(
            Role,
            native_enum=False,
            create_constraint=False,
            length=20,
            values_callable=lambda roles: [role.value for role in roles],
        ),
        default=Role.USER,
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    # Tokens issued at or before this time are refused: set when the password changes.
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner followed a verification link sent to `email`; reset by an email change.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None
