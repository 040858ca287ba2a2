"""refresh tokens: server-side record for rotation and revocation

Revision ID: 7c9e4b2a1d38
Revises: 0f1d2c3b4a59
Create Date: 2026-11-25 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "7c9e4b2a1d38"
down_revision: str | None = "0f1d2c3b4a59"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MySQL keeps microseconds only in DATETIME(6).
UTC_DATETIME = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")


def upgrade() -> None:
    op.create_table(
        "auth_refresh_token",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("revoked_at", UTC_DATETIME, nullable=True),
        sa.Column("created_at", UTC_DATETIME, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", UTC_DATETIME, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_auth_refresh_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_auth_refresh_token")),
    )
    op.create_index(
        op.f("ix_auth_refresh_token_family_id"), "auth_refresh_token", ["family_id"], unique=False
    )
    op.create_index(
        op.f("ix_auth_refresh_token_user_id"), "auth_refresh_token", ["user_id"], unique=False
    )


def downgrade() -> None:
    # Its indexes go with it (MySQL refuses to drop one a foreign key needs on its own).
    op.drop_table("auth_refresh_token")
