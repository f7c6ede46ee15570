"""dual prevention: risk units flagged for re-assessment after a hazard of theirs is closed

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 00:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("risk_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reassessment_due_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("reassessment_reason", sa.String(length=300), server_default="", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("risk_units", schema=None) as batch_op:
        batch_op.drop_column("reassessment_reason")
        batch_op.drop_column("reassessment_due_since")
