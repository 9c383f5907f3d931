"""personal data: the data subjects records hold sealed, and their erasure

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_personal_data",
        sa.Column("ref", sa.String(length=36), nullable=False),
        sa.Column("record", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=True),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sealed_event_id", sa.String(length=60), nullable=False),
        sa.Column("sealed_at", sa.DateTime(), nullable=False),
        sa.Column("erased_at", sa.DateTime(), nullable=True),
        sa.Column("erased_by", sa.String(length=64), nullable=True),
        sa.Column("erasure_event_id", sa.String(length=60), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("ref", name=op.f("pk_rm_personal_data")),
    )
    op.create_index(
        op.f("ix_rm_personal_data_region"), "rm_personal_data", ["region"], unique=False
    )


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
