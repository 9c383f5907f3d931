"""emergency command: incidents, their log, rescue teams

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_incidents",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("jurisdiction", sa.String(length=6), nullable=False),
        sa.Column("level", sa.String(length=3), nullable=False),
        sa.Column("trigger", sa.String(length=10), nullable=False),
        sa.Column("cause", sa.String(length=60), nullable=True),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("accident", sa.String(length=36), nullable=True),
        sa.Column("warning", sa.String(length=36), nullable=True),
        sa.Column("grade", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("closing_summary", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("location_source", sa.String(length=20), nullable=True),
        sa.Column("suggested", sa.Text(), nullable=False),
        sa.Column("tasks", sa.Text(), nullable=False),
        sa.Column("deaths", sa.Integer(), nullable=True),
        sa.Column("injured", sa.Integer(), nullable=True),
        sa.Column("missing", sa.Integer(), nullable=True),
        sa.Column("trapped", sa.Integer(), nullable=True),
        sa.Column("open_event_id", sa.String(length=60), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_incidents")),
    )
    op.create_index(op.f("ix_rm_incidents_enterprise"), "rm_incidents", ["enterprise"])
    op.create_index(op.f("ix_rm_incidents_region"), "rm_incidents", ["region"])
    op.create_table(
        "rm_incident_log",
        sa.Column("notification_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("incident", sa.String(length=36), nullable=False),
        sa.Column("event_id", sa.String(length=60), nullable=False),
        sa.Column("type", sa.String(length=60), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("notification_id", name=op.f("pk_rm_incident_log")),
    )
    op.create_index(op.f("ix_rm_incident_log_incident"), "rm_incident_log", ["incident"])
    op.create_table(
        "rm_teams",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("capabilities", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("incident", sa.String(length=36), nullable=True),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_teams")),
        sa.UniqueConstraint("code", name=op.f("uq_rm_teams_code")),
    )
    op.create_index(op.f("ix_rm_teams_region"), "rm_teams", ["region"])
    op.create_index(op.f("ix_rm_teams_incident"), "rm_teams", ["incident"])


def downgrade() -> None:
    raise NotImplementedError("read models are rebuilt from the log, not migrated down")
