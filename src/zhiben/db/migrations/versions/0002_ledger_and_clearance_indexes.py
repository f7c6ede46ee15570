"""ledger and clearance indexes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 19:32:52.383998
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazards_city_state"))
        batch_op.create_index("ix_hazards_city_state", ["city_code", "state", "reported_at"], unique=False)
        batch_op.drop_index(batch_op.f("ix_hazards_county_state"))
        batch_op.create_index(
            "ix_hazards_county_state", ["county_code", "state", "reported_at"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_hazards_province_state"))
        batch_op.create_index(
            "ix_hazards_province_state", ["province_code", "state", "reported_at"], unique=False
        )
        batch_op.create_index(
            "ix_hazards_clearance",
            [
                "province_code",
                "city_code",
                "county_code",
                "is_open",
                "is_overdue",
                "state",
                "closed_at",
                "deadline_at",
                "listed_level",
                "reported_at",
                "sector",
            ],
            unique=False,
            postgresql_where=sa.text("level = 'major'"),
            sqlite_where=sa.text("level = 'major'"),
        )
        batch_op.create_index(
            "ix_hazards_open",
            ["province_code", "reported_at"],
            unique=False,
            postgresql_where=sa.text("is_open"),
            sqlite_where=sa.text("is_open"),
        )
        batch_op.create_index(
            "ix_hazards_overdue",
            ["province_code", "reported_at"],
            unique=False,
            postgresql_where=sa.text("is_overdue"),
            sqlite_where=sa.text("is_overdue"),
        )


def downgrade() -> None:

    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_hazards_overdue", postgresql_where=sa.text("is_overdue"), sqlite_where=sa.text("is_overdue")
        )
        batch_op.drop_index(
            "ix_hazards_open", postgresql_where=sa.text("is_open"), sqlite_where=sa.text("is_open")
        )
        batch_op.drop_index(
            "ix_hazards_clearance",
            postgresql_where=sa.text("level = 'major'"),
            sqlite_where=sa.text("level = 'major'"),
        )
        batch_op.drop_index("ix_hazards_province_state")
        batch_op.create_index(
            batch_op.f("ix_hazards_province_state"), ["province_code", "level", "state"], unique=False
        )
        batch_op.drop_index("ix_hazards_county_state")
        batch_op.create_index(
            batch_op.f("ix_hazards_county_state"), ["county_code", "level", "state"], unique=False
        )
        batch_op.drop_index("ix_hazards_city_state")
        batch_op.create_index(
            batch_op.f("ix_hazards_city_state"), ["city_code", "level", "state"], unique=False
        )
