"""Tracking positions, the enterprise directory and the lifecycle timeline.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_tracking",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_rm_tracking"),
    )
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
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name="pk_rm_enterprises"),
        sa.UniqueConstraint("uscc", name="uq_rm_enterprises_uscc"),
    )
    op.create_index("ix_rm_enterprises_region", "rm_enterprises", ["region"])
    op.create_table(
        "rm_timeline",
        sa.Column("notification_id", sa.BigInteger(), autoincrement=False, nullable=False),
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
    )


def downgrade() -> None:
    op.drop_table("rm_timeline_subjects")
    op.drop_index("ix_rm_timeline_uscc_notification_id", table_name="rm_timeline")
    op.drop_table("rm_timeline")
    op.drop_index("ix_rm_enterprises_region", table_name="rm_enterprises")
    op.drop_table("rm_enterprises")
    op.drop_table("rm_tracking")
