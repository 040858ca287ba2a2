"""exact email comparison: a binary collation for user_account.email on MySQL and MariaDB

Their default collations ignore accents and trailing spaces, so distinct addresses
collided. Other databases already compare exactly: nothing to do there.

Revision ID: 3e8a5f1c9b27
Revises: 7c9e4b2a1d38
Create Date: 2026-12-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "3e8a5f1c9b27"
down_revision: str | None = "7c9e4b2a1d38"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EMAIL_MAX_LENGTH = 320


def _alter_email_on_mysql(new_type: sa.types.TypeEngine[str]) -> None:
    if op.get_context().dialect.name != "mysql":
        return
    op.alter_column(
        "user_account",
        "email",
        type_=new_type,
        existing_type=sa.String(length=EMAIL_MAX_LENGTH),
        existing_nullable=False,
    )


def upgrade() -> None:
    _alter_email_on_mysql(mysql.VARCHAR(EMAIL_MAX_LENGTH, collation="utf8mb4_bin"))


def downgrade() -> None:
    _alter_email_on_mysql(sa.String(length=EMAIL_MAX_LENGTH))
