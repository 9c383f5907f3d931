"""The enterprise directory keeps the notification id of each registration.

`anjian enterprises` lists enterprises in the order the log recorded their registrations;
neither registered_at (the actor's clock) nor last_notification_id (moved by every later
event) gives that order. Read models are derived data: the table is recreated empty and the
directory starts again from the beginning of the log (SQLite cannot add a NOT NULL column
without a default to a table, so it is not altered in place).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM rm_tracking WHERE name = 'enterprises'")
    op.drop_index("ix_rm_enterprises_region", table_name="rm_enterprises")
    op.drop_table("rm_enterprises")
    op.create_table(
        "rm_enterprises",
        sa.Column("subject", sa.String(36), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("industry", sa.String(40), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("standardisation", sa.String(10), nullable=False),
        sa.Column("employees", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("registered_at", sa.DateTime(), nullable=False),
        sa.Column("registered_notification_id", sa.BigInteger(), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_rm_enterprises"),
        sa.UniqueConstraint("uscc", name="uq_rm_enterprises_uscc"),
    )
    op.create_index("ix_rm_enterprises_region", "rm_enterprises", ["region"])


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
