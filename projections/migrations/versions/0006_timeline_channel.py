"""The lifecycle timeline keeps each entry's envelope channel.

Views mark history entered through the migration path (channel "migration") and show the
declared and the recorded time where they differ. The column is nullable (an actor with its own
key names no channel); the timeline projection's version moves with it, so its rows are rebuilt
from the log with the channel filled in.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("rm_timeline", sa.Column("channel", sa.String(10), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
