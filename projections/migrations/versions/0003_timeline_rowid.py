"""SQLite storage: the timeline keyed by the rowid itself, subject maps without rowid.

BIGINT PRIMARY KEY is not SQLite's rowid alias, so rm_timeline carried a second index over
notification_id; the subject maps were a rowid table plus an index on the subject. Read models
are derived data: the tables are recreated empty and the timeline and credit projections
(whose subject map this is) start again from the beginning of the log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM rm_tracking WHERE name = 'timeline' OR name LIKE 'credit-%'")
    op.execute("DELETE FROM rm_credit_moves")
    op.execute("DELETE FROM rm_credit")
    op.drop_index("ix_rm_timeline_uscc_notification_id", table_name="rm_timeline")
    op.drop_table("rm_timeline")
    op.drop_table("rm_timeline_subjects")
    op.drop_table("rm_credit_subjects")
    op.create_table(
        "rm_timeline",
        sa.Column(
            "notification_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.Column("region", sa.String(6), nullable=False),
        sa.Column("stage", sa.String(4), nullable=False),
        sa.Column("type", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name="pk_rm_timeline"),
    )
    op.create_index(
        "ix_rm_timeline_uscc_notification_id", "rm_timeline", ["uscc", "notification_id"]
    )
    op.create_table(
        "rm_timeline_subjects",
        sa.Column("subject", sa.String(36), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_rm_timeline_subjects"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "rm_credit_subjects",
        sa.Column("rulebook", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(36), nullable=False),
        sa.Column("uscc", sa.String(18), nullable=False),
        sa.PrimaryKeyConstraint("rulebook", "subject", name="pk_rm_credit_subjects"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
