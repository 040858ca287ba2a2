"""account lifecycle: verified addresses, single-use account tokens, TOTP and recovery codes

Revision ID: 5d2f8c1e7a46
Revises: 9b4d7e2f6a13
Create Date: 2026-12-03 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "5d2f8c1e7a46"
down_revision: str | None = "9b4d7e2f6a13"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# MySQL keeps microseconds only in DATETIME(6).
UTC_DATETIME = sa.DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql")
# As user_account.email: compared byte for byte on MySQL too.
EMAIL_MAX_LENGTH = 320
EMAIL = sa.String(length=EMAIL_MAX_LENGTH).with_variant(
    mysql.VARCHAR(EMAIL_MAX_LENGTH, collation="utf8mb4_bin"), "mysql", "mariadb"
)


def _user_foreign_key(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"],
        ["user_account.id"],
        name=op.f(f"fk_{table}_user_id_user_account"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    # Existing accounts start unverified: read the changelog before requiring verification.
    op.add_column("user_account", sa.Column("email_verified_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "account_token",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("email", EMAIL, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        _user_foreign_key("account_token"),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_account_token")),
    )
    op.create_index(op.f("ix_account_token_user_id"), "account_token", ["user_id"], unique=False)
    op.create_table(
        "mfa_totp",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("encrypted_secret", sa.String(length=255), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("confirmed_at", UTC_DATETIME, nullable=True),
        sa.Column("last_used_step", sa.Integer(), nullable=True),
        _user_foreign_key("mfa_totp"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mfa_totp")),
    )
    op.create_table(
        "mfa_recovery_code",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("used_at", UTC_DATETIME, nullable=True),
        _user_foreign_key("mfa_recovery_code"),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_mfa_recovery_code")),
    )
    op.create_index(
        op.f("ix_mfa_recovery_code_user_id"), "mfa_recovery_code", ["user_id"], unique=False
    )


def downgrade() -> None:
    # Indexes go with their tables (MySQL refuses to drop one a foreign key needs on its own).
    op.drop_table("mfa_recovery_code")
    op.drop_table("mfa_totp")
    op.drop_table("account_token")
    # A batch rebuilds the table where ALTER TABLE cannot drop a column (older SQLite).
    with op.batch_alter_table("user_account") as batch:
        batch.drop_column("email_verified_at")
