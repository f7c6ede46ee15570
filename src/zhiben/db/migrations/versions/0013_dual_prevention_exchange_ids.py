"""dual prevention: exchange ids (dp_exchange_ids) and risk units' object codes (hazardCode)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 00:00:07.528072
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dp_exchange_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=36), nullable=False),
        sa.Column("local_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_dp_exchange_ids_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dp_exchange_ids")),
        sa.UniqueConstraint(
            "enterprise_id",
            "entity",
            "external_id",
            name=op.f("uq_dp_exchange_ids_enterprise_id_entity_external_id"),
        ),
        sa.UniqueConstraint("entity", "local_id", name=op.f("uq_dp_exchange_ids_entity_local_id")),
    )
    with op.batch_alter_table("dp_exchange_ids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dp_exchange_ids_enterprise_id"), ["enterprise_id"], unique=False)

    with op.batch_alter_table("risk_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("object_code", sa.String(length=36), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("risk_units", schema=None) as batch_op:
        batch_op.drop_column("object_code")
    with op.batch_alter_table("dp_exchange_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dp_exchange_ids_enterprise_id"))
    op.drop_table("dp_exchange_ids")
