"""The quarantine: stored events whose instants no read model can represent, listed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_quarantine",
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(60), nullable=False),
        sa.Column("type", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_aside_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name="pk_rm_quarantine"),
    )


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
