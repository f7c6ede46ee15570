"""enforcement plans and inspections

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 22:27:46.357204
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enforcement_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("quota", sa.Integer(), nullable=False),
        sa.Column("officer_count", sa.Integer(), nullable=False),
        sa.Column("is_unannounced", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("inputs_sha256", sa.String(length=64), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("seed_hex", sa.String(length=128), nullable=False),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("drawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_plans")),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("planning_division", sa.String(length=6), nullable=False),
        sa.Column("is_unannounced", sa.Boolean(), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("selection", sa.JSON(), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("advance_notice", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_inspections_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["enforcement_plans.id"], name=op.f("fk_inspections_plan_id_enforcement_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.create_index("ix_inspections_county", ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_inspections_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index("ix_inspections_plan", ["plan_id"], unique=False)

    op.create_table(
        "inspection_officers",
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_officers_inspection_id_inspections"),
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_inspection_officers_user_id_users")),
        sa.PrimaryKeyConstraint("inspection_id", "user_id", name=op.f("pk_inspection_officers")),
    )
    with op.batch_alter_table("inspection_officers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_inspection_officers_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("inspection_officers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_officers_user_id"))

    op.drop_table("inspection_officers")
    with op.batch_alter_table("inspections", schema=None) as batch_op:
        batch_op.drop_index("ix_inspections_plan")
        batch_op.drop_index(batch_op.f("ix_inspections_enterprise_id"))
        batch_op.drop_index("ix_inspections_county")

    op.drop_table("inspections")
    op.drop_table("enforcement_plans")
