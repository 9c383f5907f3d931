"""risk warnings (风险预警), the four-colour risk map, and the causes a timeline entry cites

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rm_timeline") as t:
        t.add_column(sa.Column("cites", sa.String(length=4000), nullable=True))
    op.create_table(
        "rm_warnings",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("rulebook_version", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=True),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("addressee", sa.String(length=6), nullable=True),
        sa.Column("triggers", sa.String(length=4000), nullable=False),
        sa.Column("message", sa.String(length=1000), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledge_by", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("acknowledged_late", sa.Boolean(), nullable=False),
        sa.Column("escalations", sa.Integer(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.Column("event_id", sa.String(length=60), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_warnings")),
    )
    op.create_index(op.f("ix_rm_warnings_enterprise"), "rm_warnings", ["enterprise"])
    op.create_index(op.f("ix_rm_warnings_region"), "rm_warnings", ["region"])
    op.create_table(
        "rm_risk_map",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("colour", sa.String(length=10), nullable=False),
        sa.Column("formula", sa.String(length=20), nullable=False),
        sa.Column("facts", sa.String(length=20000), nullable=False),
        sa.Column("explain", sa.String(length=4000), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_rm_risk_map")),
    )
    op.create_index(op.f("ix_rm_risk_map_region"), "rm_risk_map", ["region"])
    op.create_table(
        "rm_risk_map_subjects",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_risk_map_subjects")),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
