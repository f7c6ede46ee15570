"""officer profiles: certificate, qualified sectors, home location and weekly cap of enforcement officers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 22:31:05.115613
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "officer_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("certificate_no", sa.String(length=40), nullable=False),
        sa.Column("certificate_valid_until", sa.Date(), nullable=False),
        sa.Column("sectors", sa.JSON(), nullable=False),
        sa.Column("home_longitude", sa.Float(), nullable=True),
        sa.Column("home_latitude", sa.Float(), nullable=True),
        sa.Column("cap_per_week", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_officer_profiles_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_officer_profiles")),
    )


def downgrade() -> None:
    op.drop_table("officer_profiles")
