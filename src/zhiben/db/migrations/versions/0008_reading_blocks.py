"""readings stored in blocks per sensor and batch (readings.py), late readings one row each

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 21:54:57.776483
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "late_readings",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("ts_ms", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_late_readings_sensor_id_sensors")
        ),
        sa.PrimaryKeyConstraint("sensor_id", "ts_ms", name=op.f("pk_late_readings")),
    )
    op.create_table(
        "reading_blocks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("first_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_ms", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("ts_ms", sa.LargeBinary(), nullable=False),
        sa.Column("values", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sensor_id"], ["sensors.id"], name=op.f("fk_reading_blocks_sensor_id_sensors")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_blocks")),
    )
    with op.batch_alter_table("reading_blocks", schema=None) as batch_op:
        batch_op.create_index("ix_reading_blocks_sensor_first", ["sensor_id", "first_ms"], unique=False)

    # Readings stored row by row before this revision become late readings (same sensor, time, value).
    if op.get_bind().dialect.name == "postgresql":
        to_ms = "CAST(ROUND(EXTRACT(EPOCH FROM ts) * 1000) AS BIGINT)"
    else:  # SQLite keeps naive UTC text
        to_ms = "CAST(ROUND((julianday(ts) - 2440587.5) * 86400000) AS INTEGER)"
    op.execute(
        f"INSERT INTO late_readings (sensor_id, ts_ms, value) SELECT sensor_id, {to_ms}, value FROM readings"  # noqa: S608 (constant SQL)
    )
    op.drop_table("readings")


def downgrade() -> None:
    """The row table comes back empty: readings in blocks are not converted back."""
    op.create_table(
        "readings",
        sa.Column("sensor_id", sa.Integer(), nullable=False),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["sensor_id"], ["sensors.id"], name=op.f("fk_readings_sensor_id_sensors")),
        sa.PrimaryKeyConstraint("sensor_id", "ts", name=op.f("pk_readings")),
    )
    with op.batch_alter_table("reading_blocks", schema=None) as batch_op:
        batch_op.drop_index("ix_reading_blocks_sensor_first")

    op.drop_table("reading_blocks")
    op.drop_table("late_readings")
