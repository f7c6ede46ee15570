"""hazard reopened_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:39:38.163477
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.drop_column("reopened_at")
