"""coal-mine upload files: mine codes bound to enterprises, CDDY point definitions, YCBJ abnormal records

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 21:31:24.912520
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coal_mine_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("mine_code", sa.String(length=24), nullable=False),
        sa.Column("mine_name", sa.String(length=200), nullable=False),
        sa.Column("bound_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("bound_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_coal_mine_codes_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coal_mine_codes")),
        sa.UniqueConstraint("mine_code", name=op.f("uq_coal_mine_codes_mine_code")),
    )
    with op.batch_alter_table("coal_mine_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coal_mine_codes_enterprise_id"), ["enterprise_id"], unique=False)

    op.create_table(
        "coal_abnormal_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=True),
        sa.Column("point_code", sa.String(length=64), nullable=False),
        sa.Column("abnormal_type", sa.String(length=8), nullable=False),
        sa.Column("abnormal_type_name", sa.String(length=60), nullable=False),
        sa.Column("type_name", sa.String(length=60), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("max_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("min_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("avg_value", sa.Float(), nullable=True),
        sa.Column("cause", sa.String(length=500), nullable=False),
        sa.Column("measures", sa.String(length=500), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("entered_by", sa.String(length=60), nullable=False),
        sa.Column("data_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_coal_abnormal_records_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_coal_abnormal_records_sensor_id_sensors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coal_abnormal_records")),
        sa.UniqueConstraint(
            "enterprise_id",
            "point_code",
            "abnormal_type",
            "started_at",
            name="uq_coal_abnormal_records_key",
        ),
    )
    with op.batch_alter_table("coal_abnormal_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_coal_abnormal_records_county_started", ["county_code", "started_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_coal_abnormal_records_sensor_id"), ["sensor_id"], unique=False)

    op.create_table(
        "coal_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("point_code", sa.String(length=64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("defined_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_coal_points_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(["sensor_id"], ["sensors.id"], name=op.f("fk_coal_points_sensor_id_sensors")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coal_points")),
        sa.UniqueConstraint(
            "enterprise_id", "point_code", name=op.f("uq_coal_points_enterprise_id_point_code")
        ),
        sa.UniqueConstraint("sensor_id", name=op.f("uq_coal_points_sensor_id")),
    )


def downgrade() -> None:
    op.drop_table("coal_points")
    with op.batch_alter_table("coal_abnormal_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coal_abnormal_records_sensor_id"))
        batch_op.drop_index("ix_coal_abnormal_records_county_started")

    op.drop_table("coal_abnormal_records")
    with op.batch_alter_table("coal_mine_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coal_mine_codes_enterprise_id"))

    op.drop_table("coal_mine_codes")
