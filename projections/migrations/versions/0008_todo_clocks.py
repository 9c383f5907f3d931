"""What the to-do lists and the exports need beyond the counts: a hazard's description, order
number and re-check due date; a penalty's decision number and deciding officer; an accident's
investigation due date (with its extension).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rm_hazards") as t:
        t.add_column(sa.Column("description", sa.Text(), nullable=True))
        t.add_column(sa.Column("document_no", sa.String(100), nullable=True))
        t.add_column(sa.Column("recheck_due", sa.Date(), nullable=True))
    with op.batch_alter_table("rm_penalties") as t:
        t.add_column(sa.Column("decision_no", sa.String(100), nullable=True))
        t.add_column(sa.Column("decided_by", sa.String(100), nullable=True))
    with op.batch_alter_table("rm_accidents") as t:
        t.add_column(sa.Column("investigation_due", sa.Date(), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
