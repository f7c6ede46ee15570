"""What the risk level (M6) stores: each enterprise's current level with its explanation, and the history
of its level changes. Both carry the enterprise's division and sector (ADR 0001), so scoping and the
roll-up by division read these rows alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class EnterpriseRisk(Base):
    """The enterprise's level as last computed (one row per enterprise)."""

    __tablename__ = "enterprise_risks"
    __table_args__ = (
        # The early-warning list and the roll-up: a division and a colour, worst score first.
        Index("ix_enterprise_risks_province_level", "province_code", "level", "score"),
        Index("ix_enterprise_risks_city_level", "city_code", "level", "score"),
        Index("ix_enterprise_risks_county_level", "county_code", "level", "score"),
    )

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    level: Mapped[str] = mapped_column(String(8))  # red | orange | yellow | blue
    score: Mapped[int] = mapped_column(Integer)  # 100 - points (higher is safer)
    points: Mapped[int] = mapped_column(Integer)
    components: Mapped[dict[str, Any]] = mapped_column(JSON)  # risk_domain.Assessment.as_json()
    scheme_version: Mapped[str] = mapped_column(String(20))
    computed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    level_since: Mapped[datetime] = mapped_column(UtcDateTime)  # when the current level began


class RiskLevelChange(Base):
    """One change of an enterprise's level (the first assessment included, from NULL)."""

    __tablename__ = "risk_level_changes"
    __table_args__ = (Index("ix_risk_level_changes_enterprise_at", "enterprise_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    from_level: Mapped[str | None] = mapped_column(String(8))
    to_level: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    from_score: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    scheme_version: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)  # zh-CN
    reason_en: Mapped[str] = mapped_column(Text)
