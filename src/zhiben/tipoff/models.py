from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class Tipoff(Base):
    """A tip-off (举报) about a county: an enterprise (by code or name) or a place. Nothing here names the
    reporter; the receipt code is kept only as its hash."""

    __tablename__ = "tipoffs"
    __table_args__ = (
        Index("ix_tipoffs_division_state", "province_code", "city_code", "county_code", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    receipt_hash: Mapped[str] = mapped_column(String(64), unique=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("divisions.code"))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(16))  # web (public form) | hotline | letter | visit
    enterprise_uscc: Mapped[str] = mapped_column(String(18), default="")
    enterprise_name: Mapped[str] = mapped_column(String(200), default="")
    place: Mapped[str] = mapped_column(String(300), default="")
    content: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    state: Mapped[str] = mapped_column(String(20))
    handled_by: Mapped[str | None] = mapped_column(String(120))
    verification_started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    concluded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finding: Mapped[str] = mapped_column(Text, default="")  # internal: what the verification found
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))  # set on substantiation
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"))
    public_outcome: Mapped[str] = mapped_column(Text, default="")  # what the receipt code shows
    feedback_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fine_yuan: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    reward_yuan: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    reward_decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reward_paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    rules_version: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class TipoffReporter(Base):
    """Who made a tip-off, when they chose to say. Its own table, with the division copied, so that only the
    handling regulator's query can reach it (tipoff.repository.reporter_scope)."""

    __tablename__ = "tipoff_reporters"
    __table_args__ = (Index("ix_tipoff_reporters_division", "province_code", "city_code", "county_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tipoff_id: Mapped[int] = mapped_column(ForeignKey("tipoffs.id"), unique=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    name: Mapped[str] = mapped_column(String(60), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")  # phone, e-mail or address
