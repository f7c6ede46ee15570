"""checklists: enterprise facts, clause findings, re-determination runs; facilities (GB 18218)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 21:16:33.653698
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "redeterminations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pack", sa.String(length=48), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("against", sa.String(length=16), nullable=True),
        sa.Column("run_by", sa.String(length=120), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enterprises", sa.Integer(), nullable=False),
        sa.Column("newly_major", sa.Integer(), nullable=False),
        sa.Column("no_longer_major", sa.Integer(), nullable=False),
        sa.Column("still_major", sa.Integer(), nullable=False),
        sa.Column("still_not_major", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redeterminations")),
    )
    op.create_table(
        "enterprise_facts",
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("value_type", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=400), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("answered_by", sa.String(length=120), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_enterprise_facts_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("enterprise_id", "name", name=op.f("pk_enterprise_facts")),
    )
    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("is_major_hazard", sa.Boolean(), nullable=False),
        sa.Column("grade", sa.Integer(), nullable=True),
        sa.Column("s", sa.String(length=40), nullable=False),
        sa.Column("r", sa.String(length=40), nullable=True),
        sa.Column("assessment", sa.JSON(), nullable=False),
        sa.Column("assessed_by", sa.String(length=120), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_facilities_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        sa.UniqueConstraint("enterprise_id", "name", name=op.f("uq_facilities_enterprise_id_name")),
    )
    op.create_table(
        "redetermination_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=16), nullable=False),
        sa.Column("clauses_before", sa.JSON(), nullable=False),
        sa.Column("clauses_after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_redetermination_changes_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["redeterminations.id"],
            name=op.f("fk_redetermination_changes_run_id_redeterminations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redetermination_changes")),
    )
    with op.batch_alter_table("redetermination_changes", schema=None) as batch_op:
        batch_op.create_index("ix_redetermination_changes_run_change", ["run_id", "change"], unique=False)

    op.create_table(
        "clause_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("pack", sa.String(length=48), nullable=False),
        sa.Column("clause", sa.String(length=24), nullable=False),
        sa.Column("version", sa.String(length=16), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("met", sa.Boolean(), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("determined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_clause_findings_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_clause_findings_hazard_id_hazards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clause_findings")),
        sa.UniqueConstraint(
            "enterprise_id", "pack", "clause", name=op.f("uq_clause_findings_enterprise_id_pack_clause")
        ),
    )
    with op.batch_alter_table("clause_findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_clause_findings_hazard_id"), ["hazard_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("clause_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_clause_findings_hazard_id"))

    op.drop_table("clause_findings")
    with op.batch_alter_table("redetermination_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_redetermination_changes_run_change")

    op.drop_table("redetermination_changes")
    op.drop_table("facilities")
    op.drop_table("enterprise_facts")
    op.drop_table("redeterminations")
