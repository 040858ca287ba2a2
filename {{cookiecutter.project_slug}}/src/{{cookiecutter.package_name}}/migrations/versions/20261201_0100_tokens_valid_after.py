"""tokens valid after: tokens issued before a user's password change are refused

Revision ID: 9b4d7e2f6a13
Revises: 3e8a5f1c9b27
Create Date: 2026-12-01 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "9b4d7e2f6a13"
down_revision: str | None = "3e8a5f1c9b27"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MySQL keeps microseconds only in DATETIME(6).
UTC_DATETIME = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.add_column("user_account", sa.Column("tokens_valid_after", UTC_DATETIME, nullable=True))


def downgrade() -> None:
    # A batch rebuilds the table where ALTER TABLE cannot drop a column (older SQLite).
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("tokens_valid_after")
