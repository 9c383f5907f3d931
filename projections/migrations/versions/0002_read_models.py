"""hazards, penalties, licences, alarms, accidents, inspections, risk points, credit

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rm_accidents",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("happened_at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("deaths", sa.Integer(), nullable=False),
        sa.Column("serious_injuries", sa.Integer(), nullable=False),
        sa.Column("direct_loss", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("liability", sa.Boolean(), nullable=True),
        sa.Column("concealment", sa.String(length=20), nullable=True),
        sa.Column("reported_late", sa.Boolean(), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_accidents")),
    )
    with op.batch_alter_table("rm_accidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rm_accidents_enterprise"), ["enterprise"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rm_accidents_region"), ["region"], unique=False)

    op.create_table(
        "rm_alarms",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("device", sa.String(length=36), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("raised_at", sa.DateTime(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_alarms")),
    )
    with op.batch_alter_table("rm_alarms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_alarms_enterprise"), ["enterprise"], unique=False)
        batch_op.create_index(batch_op.f("ix_rm_alarms_region"), ["region"], unique=False)

    op.create_table(
        "rm_credit",
        sa.Column("rulebook", sa.String(length=20), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("grade", sa.String(length=2), nullable=False),
        sa.Column("candidate", sa.Boolean(), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("rulebook", "uscc", name=op.f("pk_rm_credit")),
    )
    with op.batch_alter_table("rm_credit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_credit_region"), ["region"], unique=False)

    op.create_table(
        "rm_credit_moves",
        sa.Column("rulebook", sa.String(length=20), nullable=False),
        sa.Column("notification_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("ordinal", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("cause", sa.String(length=10), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("rules", sa.String(length=200), nullable=False),
        sa.Column("score_before", sa.Float(), nullable=True),
        sa.Column("score_after", sa.Float(), nullable=False),
        sa.Column("grade_before", sa.String(length=2), nullable=True),
        sa.Column("grade_after", sa.String(length=2), nullable=False),
        sa.Column("candidate_after", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint(
            "rulebook", "notification_id", "ordinal", name=op.f("pk_rm_credit_moves")
        ),
    )
    with op.batch_alter_table("rm_credit_moves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_credit_moves_uscc"), ["uscc"], unique=False)

    op.create_table(
        "rm_credit_subjects",
        sa.Column("rulebook", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.PrimaryKeyConstraint("rulebook", "subject", name=op.f("pk_rm_credit_subjects")),
    )
    op.create_table(
        "rm_hazards",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=False),
        sa.Column("criterion_ref", sa.String(length=100), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("stop_production", sa.Boolean(), nullable=False),
        sa.Column("listed", sa.Boolean(), nullable=False),
        sa.Column("supervised", sa.Boolean(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("rejections", sa.Integer(), nullable=False),
        sa.Column("reopenings", sa.Integer(), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_hazards")),
    )
    with op.batch_alter_table("rm_hazards", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_hazards_enterprise"), ["enterprise"], unique=False)
        batch_op.create_index(batch_op.f("ix_rm_hazards_region"), ["region"], unique=False)

    op.create_table(
        "rm_inspections",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("hazard_findings", sa.Integer(), nullable=False),
        sa.Column("measures", sa.Integer(), nullable=False),
        sa.Column("stop_ordered", sa.Boolean(), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_inspections")),
    )
    with op.batch_alter_table("rm_inspections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rm_inspections_enterprise"), ["enterprise"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rm_inspections_region"), ["region"], unique=False)

    op.create_table(
        "rm_licences",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("review_due", sa.Date(), nullable=True),
        sa.Column("renewal_pending", sa.Boolean(), nullable=False),
        sa.Column("failed_reviews", sa.Integer(), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_licences")),
    )
    with op.batch_alter_table("rm_licences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_licences_enterprise"), ["enterprise"], unique=False)
        batch_op.create_index(batch_op.f("ix_rm_licences_expires_on"), ["expires_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_rm_licences_region"), ["region"], unique=False)

    op.create_table(
        "rm_penalties",
        sa.Column("subject", sa.String(length=36), nullable=False),
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("case_no", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("filed_at", sa.DateTime(), nullable=False),
        sa.Column("decision_due", sa.Date(), nullable=False),
        sa.Column("harm", sa.Boolean(), nullable=False),
        sa.Column("hazard", sa.String(length=36), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=True),
        sa.Column("types", sa.String(length=200), nullable=False),
        sa.Column("fine_yuan", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("served_at", sa.DateTime(), nullable=True),
        sa.Column("paid_fen", sa.BigInteger(), nullable=False),
        sa.Column("executed", sa.String(length=200), nullable=False),
        sa.Column("settled", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("clock", sa.String(length=12), nullable=True),
        sa.Column("clock_due", sa.Date(), nullable=True),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("subject", name=op.f("pk_rm_penalties")),
    )
    with op.batch_alter_table("rm_penalties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_penalties_clock_due"), ["clock_due"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_rm_penalties_enterprise"), ["enterprise"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rm_penalties_region"), ["region"], unique=False)

    op.create_table(
        "rm_risk_points",
        sa.Column("enterprise", sa.String(length=18), nullable=False),
        sa.Column("point", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("five_highs", sa.String(length=100), nullable=False),
        sa.Column("colour", sa.String(length=10), nullable=False),
        sa.Column("last_notification_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("enterprise", "point", name=op.f("pk_rm_risk_points")),
    )
    with op.batch_alter_table("rm_risk_points", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rm_risk_points_region"), ["region"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rm_risk_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_risk_points_region"))

    op.drop_table("rm_risk_points")
    with op.batch_alter_table("rm_penalties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_penalties_region"))
        batch_op.drop_index(batch_op.f("ix_rm_penalties_enterprise"))
        batch_op.drop_index(batch_op.f("ix_rm_penalties_clock_due"))

    op.drop_table("rm_penalties")
    with op.batch_alter_table("rm_licences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_licences_region"))
        batch_op.drop_index(batch_op.f("ix_rm_licences_expires_on"))
        batch_op.drop_index(batch_op.f("ix_rm_licences_enterprise"))

    op.drop_table("rm_licences")
    with op.batch_alter_table("rm_inspections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_inspections_region"))
        batch_op.drop_index(batch_op.f("ix_rm_inspections_enterprise"))

    op.drop_table("rm_inspections")
    with op.batch_alter_table("rm_hazards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_hazards_region"))
        batch_op.drop_index(batch_op.f("ix_rm_hazards_enterprise"))

    op.drop_table("rm_hazards")
    op.drop_table("rm_credit_subjects")
    with op.batch_alter_table("rm_credit_moves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_credit_moves_uscc"))

    op.drop_table("rm_credit_moves")
    with op.batch_alter_table("rm_credit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_credit_region"))

    op.drop_table("rm_credit")
    with op.batch_alter_table("rm_alarms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_alarms_region"))
        batch_op.drop_index(batch_op.f("ix_rm_alarms_enterprise"))

    op.drop_table("rm_alarms")
    with op.batch_alter_table("rm_accidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rm_accidents_region"))
        batch_op.drop_index(batch_op.f("ix_rm_accidents_enterprise"))

    op.drop_table("rm_accidents")
