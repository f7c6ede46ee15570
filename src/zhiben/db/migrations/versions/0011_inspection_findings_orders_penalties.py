"""inspections: findings, on-site measures, rectification orders, re-inspections, penalties, emphasis
questions and document numbers

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 22:32:15.223185
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "emphasis_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("programme", sa.String(length=64), nullable=False),
        sa.Column("question", sa.String(length=500), nullable=False),
        sa.Column("answer", sa.String(length=1000), nullable=True),
        sa.Column("answered_by", sa.String(length=120), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_emphasis_questions_inspection_id_inspections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emphasis_questions")),
    )
    with op.batch_alter_table("emphasis_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_emphasis_questions_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "enforcement_document_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("planning_division", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_enforcement_document_numbers_inspection_id_inspections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enforcement_document_numbers")),
        sa.UniqueConstraint("kind", "object_id", name="uq_enforcement_document_numbers_object"),
        sa.UniqueConstraint(
            "planning_division", "kind", "year", "sequence", name="uq_enforcement_document_numbers_sequence"
        ),
    )
    with op.batch_alter_table("enforcement_document_numbers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enforcement_document_numbers_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "inspection_findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("is_major", sa.Boolean(), nullable=False),
        sa.Column("pack", sa.String(length=64), nullable=True),
        sa.Column("pack_version", sa.String(length=32), nullable=True),
        sa.Column("clause", sa.String(length=32), nullable=True),
        sa.Column("citation", sa.String(length=300), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_inspection_findings_hazard_id_hazards")
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_inspection_findings_inspection_id_inspections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_findings")),
    )
    with op.batch_alter_table("inspection_findings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inspection_findings_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "on_site_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"], name=op.f("fk_on_site_measures_inspection_id_inspections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_site_measures")),
    )
    with op.batch_alter_table("on_site_measures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_on_site_measures_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "penalties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("provision_id", sa.String(length=40), nullable=False),
        sa.Column("article", sa.Integer(), nullable=False),
        sa.Column("amount_yuan", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("party", sa.String(length=24), nullable=False),
        sa.Column("person_name", sa.String(length=60), nullable=False),
        sa.Column("person_position", sa.String(length=60), nullable=False),
        sa.Column("facts", sa.String(length=2000), nullable=False),
        sa.Column("violated", sa.String(length=300), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"], name=op.f("fk_penalties_inspection_id_inspections")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_penalties")),
    )
    with op.batch_alter_table("penalties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_penalties_inspection_id"), ["inspection_id"], unique=False)

    op.create_table(
        "rectification_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("legal_basis", sa.String(length=300), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["inspection_id"],
            ["inspections.id"],
            name=op.f("fk_rectification_orders_inspection_id_inspections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rectification_orders")),
    )
    with op.batch_alter_table("rectification_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rectification_orders_inspection_id"), ["inspection_id"], unique=False
        )

    op.create_table(
        "reinspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=False),
        sa.Column("scheduled_on", sa.Date(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.Column("number", sa.String(length=64), nullable=True),
        sa.Column("recorded_by", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"], name=op.f("fk_reinspections_inspection_id_inspections")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["rectification_orders.id"],
            name=op.f("fk_reinspections_order_id_rectification_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reinspections")),
        sa.UniqueConstraint("order_id", name=op.f("uq_reinspections_order_id")),
    )
    with op.batch_alter_table("reinspections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reinspections_inspection_id"), ["inspection_id"], unique=False)
        batch_op.create_index("ix_reinspections_open", ["done_at", "scheduled_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reinspections", schema=None) as batch_op:
        batch_op.drop_index("ix_reinspections_open")
        batch_op.drop_index(batch_op.f("ix_reinspections_inspection_id"))

    op.drop_table("reinspections")
    with op.batch_alter_table("rectification_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rectification_orders_inspection_id"))

    op.drop_table("rectification_orders")
    with op.batch_alter_table("penalties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_penalties_inspection_id"))

    op.drop_table("penalties")
    with op.batch_alter_table("on_site_measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_on_site_measures_inspection_id"))

    op.drop_table("on_site_measures")
    with op.batch_alter_table("inspection_findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_findings_inspection_id"))

    op.drop_table("inspection_findings")
    with op.batch_alter_table("enforcement_document_numbers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enforcement_document_numbers_inspection_id"))

    op.drop_table("enforcement_document_numbers")
    with op.batch_alter_table("emphasis_questions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emphasis_questions_inspection_id"))

    op.drop_table("emphasis_questions")
