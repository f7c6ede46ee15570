"""One thing, whole chain: assignments of departments to stages, referrals (移送), business types

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-29 00:00:24.950451
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("thing", sa.String(length=48), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("department", sa.String(length=48), nullable=False),
        sa.Column("role", sa.String(length=8), nullable=False),
        sa.Column("basis", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_assignments")),
        sa.UniqueConstraint(
            "division_code",
            "thing",
            "stage",
            "department",
            name=op.f("uq_chain_assignments_division_code_thing_stage_department"),
        ),
    )
    with op.batch_alter_table("chain_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_chain_assignments_cell", ["thing", "stage"], unique=False)

    op.create_table(
        "chain_business_types",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("industry_code", sa.String(length=5), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("neighbour", sa.String(length=64), nullable=False),
        sa.Column("proposed_department", sa.String(length=48), nullable=False),
        sa.Column("reason_zh", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("department", sa.String(length=48), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=120), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_business_types")),
        sa.UniqueConstraint("name", name=op.f("uq_chain_business_types_name")),
    )

    op.create_table(
        "chain_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("hazard_number", sa.String(length=24), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("department", sa.String(length=48), nullable=False),
        sa.Column("thing", sa.String(length=48), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("referred_by", sa.String(length=120), nullable=False),
        sa.Column("referred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledge_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=120), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_late", sa.Boolean(), nullable=False),
        sa.Column("handled_by", sa.String(length=120), nullable=True),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_chain_referrals_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_chain_referrals_hazard_id_hazards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_referrals")),
    )
    with op.batch_alter_table("chain_referrals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chain_referrals_department"), ["department"], unique=False)
        batch_op.create_index(
            "ix_chain_referrals_division",
            ["province_code", "city_code", "county_code", "state"],
            unique=False,
        )
        batch_op.create_index("ix_chain_referrals_due", ["state", "acknowledge_by"], unique=False)
        batch_op.create_index(batch_op.f("ix_chain_referrals_hazard_id"), ["hazard_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chain_referrals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_referrals_hazard_id"))
        batch_op.drop_index("ix_chain_referrals_due")
        batch_op.drop_index("ix_chain_referrals_division")
        batch_op.drop_index(batch_op.f("ix_chain_referrals_department"))

    op.drop_table("chain_referrals")
    op.drop_table("chain_business_types")
    with op.batch_alter_table("chain_assignments", schema=None) as batch_op:
        batch_op.drop_index("ix_chain_assignments_cell")

    op.drop_table("chain_assignments")
