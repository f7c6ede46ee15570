"""enterprise risk levels (M6): the current level of each enterprise and the history of its changes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 21:34:51.302052
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
        "enterprise_risks",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("scheme_version", sa.String(length=20), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level_since", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_enterprise_risks_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_enterprise_risks")),
    )
    with op.batch_alter_table("enterprise_risks", schema=None) as batch_op:
        batch_op.create_index("ix_enterprise_risks_city_level", ["city_code", "level", "score"], unique=False)
        batch_op.create_index(
            "ix_enterprise_risks_county_level", ["county_code", "level", "score"], unique=False
        )
        batch_op.create_index(
            "ix_enterprise_risks_province_level", ["province_code", "level", "score"], unique=False
        )

    op.create_table(
        "risk_level_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("from_level", sa.String(length=8), nullable=True),
        sa.Column("to_level", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_score", sa.Integer(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("scheme_version", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reason_en", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_risk_level_changes_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_level_changes")),
    )
    with op.batch_alter_table("risk_level_changes", schema=None) as batch_op:
        batch_op.create_index("ix_risk_level_changes_enterprise_at", ["enterprise_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("risk_level_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_risk_level_changes_enterprise_at")

    op.drop_table("risk_level_changes")
    with op.batch_alter_table("enterprise_risks", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprise_risks_province_level")
        batch_op.drop_index("ix_enterprise_risks_county_level")
        batch_op.drop_index("ix_enterprise_risks_city_level")

    op.drop_table("enterprise_risks")
