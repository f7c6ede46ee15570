"""dual prevention: risk units, risk events, control measures and check records

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 23:01:09.087632
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("department", sa.String(length=100), nullable=False),
        sa.Column("responsible_person", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_risk_units_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_units")),
    )
    with op.batch_alter_table("risk_units", schema=None) as batch_op:
        batch_op.create_index(
            "ix_risk_units_division", ["province_code", "city_code", "county_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_risk_units_enterprise_id"), ["enterprise_id"], unique=False)

    op.create_table(
        "risk_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("consequence", sa.String(length=500), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("inherent_level", sa.String(length=10), nullable=False),
        sa.Column("residual_level", sa.String(length=10), nullable=True),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assessed_by", sa.String(length=120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_risk_events_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["risk_units.id"], name=op.f("fk_risk_events_unit_id_risk_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_events")),
    )
    with op.batch_alter_table("risk_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_events_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_risk_events_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "control_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=False),
        sa.Column("hierarchy", sa.String(length=16), nullable=False),
        sa.Column("cycle", sa.String(length=12), nullable=False),
        sa.Column("responsibility", sa.String(length=20), nullable=False),
        sa.Column("assignee", sa.String(length=60), nullable=False),
        sa.Column("is_in_force", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_control_measures_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["risk_events.id"], name=op.f("fk_control_measures_event_id_risk_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_control_measures")),
    )
    with op.batch_alter_table("control_measures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_control_measures_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_control_measures_event_id"), ["event_id"], unique=False)

    op.create_table(
        "check_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("window_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_by", sa.String(length=120), nullable=False),
        sa.Column("result", sa.String(length=8), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_check_records_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_check_records_hazard_id_hazards")
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["control_measures.id"], name=op.f("fk_check_records_measure_id_control_measures")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_records")),
    )
    with op.batch_alter_table("check_records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_records_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(
            "ix_check_records_measure_window", ["measure_id", "window_start_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("check_records", schema=None) as batch_op:
        batch_op.drop_index("ix_check_records_measure_window")
        batch_op.drop_index(batch_op.f("ix_check_records_enterprise_id"))
    op.drop_table("check_records")
    with op.batch_alter_table("control_measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_control_measures_event_id"))
        batch_op.drop_index(batch_op.f("ix_control_measures_enterprise_id"))
    op.drop_table("control_measures")
    with op.batch_alter_table("risk_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_events_unit_id"))
        batch_op.drop_index(batch_op.f("ix_risk_events_enterprise_id"))
    op.drop_table("risk_events")
    with op.batch_alter_table("risk_units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_units_enterprise_id"))
        batch_op.drop_index("ix_risk_units_division")
    op.drop_table("risk_units")
