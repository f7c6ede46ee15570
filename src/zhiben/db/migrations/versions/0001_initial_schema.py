"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 18:59:34.722270
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_entries",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False, nullable=False
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=80), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_entries")),
    )
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_entries_object_id"), ["object_id"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_table(
        "division_datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("data_as_of", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=400), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_division_datasets")),
    )
    op.create_table(
        "divisions",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_divisions")),
    )
    with op.batch_alter_table("divisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_divisions_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_divisions_parent_code"), ["parent_code"], unique=False)

    op.create_table(
        "hazard_counters",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "year", name=op.f("pk_hazard_counters")),
    )
    op.create_table(
        "enterprises",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("gbt4754_code", sa.String(length=8), nullable=True),
        sa.Column("headcount", sa.Integer(), nullable=True),
        sa.Column("main_responsible_person", sa.String(length=60), nullable=False),
        sa.Column("safety_manager", sa.String(length=60), nullable=False),
        sa.Column("licences", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["county_code"], ["divisions.code"], name=op.f("fk_enterprises_county_code_divisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprises_uscc")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index("ix_enterprises_city_code", ["city_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprises_county_code"), ["county_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_enterprises_name"), ["name"], unique=False)
        batch_op.create_index("ix_enterprises_province_sector", ["province_code", "sector"], unique=False)

    op.create_table(
        "hazards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("city_code", sa.String(length=4), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("sector", sa.String(length=48), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("found_by", sa.String(length=120), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=True),
        sa.Column("citation", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("original_deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("is_overdue", sa.Boolean(), nullable=False),
        sa.Column("overdue_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_to", sa.String(length=6), nullable=True),
        sa.Column("listed_level", sa.String(length=16), nullable=True),
        sa.Column("listing_division", sa.String(length=6), nullable=True),
        sa.Column("determined_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rectified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_hazards_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazards")),
        sa.UniqueConstraint("number", name=op.f("uq_hazards_number")),
    )
    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.create_index("ix_hazards_city_state", ["city_code", "level", "state"], unique=False)
        batch_op.create_index("ix_hazards_county_state", ["county_code", "level", "state"], unique=False)
        batch_op.create_index("ix_hazards_deadline_open", ["is_open", "deadline_at"], unique=False)
        batch_op.create_index("ix_hazards_enterprise", ["enterprise_id"], unique=False)
        batch_op.create_index("ix_hazards_province_state", ["province_code", "level", "state"], unique=False)

    op.create_table(
        "service_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_org", sa.String(length=120), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_service_contracts_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_contracts")),
        sa.UniqueConstraint(
            "provider_org",
            "enterprise_id",
            "valid_from",
            name=op.f("uq_service_contracts_provider_org_enterprise_id_valid_from"),
        ),
    )
    with op.batch_alter_table("service_contracts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_contracts_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_service_contracts_provider_org"), ["provider_org"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("division_code", sa.String(length=6), nullable=False),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("provider_org", sa.String(length=120), nullable=True),
        sa.Column("sectors", sa.String(length=400), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_users_enterprise_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "hazard_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=120), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_hazard_evidence_hazard_id_hazards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_evidence")),
    )
    with op.batch_alter_table("hazard_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_evidence_hazard_id"), ["hazard_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_hazard_evidence_sha256"), ["sha256"], unique=False)

    op.create_table(
        "hazard_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=120), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("new_deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_hazard_extensions_hazard_id_hazards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_extensions")),
    )
    with op.batch_alter_table("hazard_extensions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_extensions_hazard_id"), ["hazard_id"], unique=False)

    op.create_table(
        "hazard_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("responsible_person", sa.String(length=60), nullable=False),
        sa.Column("measures", sa.Text(), nullable=False),
        sa.Column("funds_yuan", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contingency", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_hazard_plans_hazard_id_hazards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_plans")),
    )
    with op.batch_alter_table("hazard_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_plans_hazard_id"), ["hazard_id"], unique=False)

    op.create_table(
        "hazard_supervisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hazard_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("authority_division", sa.String(length=6), nullable=False),
        sa.Column("listed_by", sa.String(length=120), nullable=False),
        sa.Column("listed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("document_number", sa.String(length=80), nullable=False),
        sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["hazard_id"], ["hazards.id"], name=op.f("fk_hazard_supervisions_hazard_id_hazards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hazard_supervisions")),
    )
    with op.batch_alter_table("hazard_supervisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hazard_supervisions_hazard_id"), ["hazard_id"], unique=False)
    # The audit chain's head row: every append updates it first, which serialises appenders.
    head = sa.table(
        "audit_head",
        sa.column("id", sa.Integer),
        sa.column("seq", sa.BigInteger),
        sa.column("hash", sa.String),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade() -> None:

    with op.batch_alter_table("hazard_supervisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazard_supervisions_hazard_id"))

    op.drop_table("hazard_supervisions")
    with op.batch_alter_table("hazard_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazard_plans_hazard_id"))

    op.drop_table("hazard_plans")
    with op.batch_alter_table("hazard_extensions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazard_extensions_hazard_id"))

    op.drop_table("hazard_extensions")
    with op.batch_alter_table("hazard_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hazard_evidence_sha256"))
        batch_op.drop_index(batch_op.f("ix_hazard_evidence_hazard_id"))

    op.drop_table("hazard_evidence")
    op.drop_table("users")
    with op.batch_alter_table("service_contracts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_contracts_provider_org"))
        batch_op.drop_index(batch_op.f("ix_service_contracts_enterprise_id"))

    op.drop_table("service_contracts")
    with op.batch_alter_table("hazards", schema=None) as batch_op:
        batch_op.drop_index("ix_hazards_province_state")
        batch_op.drop_index("ix_hazards_enterprise")
        batch_op.drop_index("ix_hazards_deadline_open")
        batch_op.drop_index("ix_hazards_county_state")
        batch_op.drop_index("ix_hazards_city_state")

    op.drop_table("hazards")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index("ix_enterprises_province_sector")
        batch_op.drop_index(batch_op.f("ix_enterprises_name"))
        batch_op.drop_index(batch_op.f("ix_enterprises_county_code"))
        batch_op.drop_index("ix_enterprises_city_code")

    op.drop_table("enterprises")
    op.drop_table("hazard_counters")
    with op.batch_alter_table("divisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_divisions_parent_code"))
        batch_op.drop_index(batch_op.f("ix_divisions_name"))

    op.drop_table("divisions")
    op.drop_table("division_datasets")
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_entries_object_id"))

    op.drop_table("audit_entries")
