"""What dual prevention (双重预防机制) stores: the risk register (risk units, risk events, control measures)
and the check records made against the recurring check tasks. Tasks themselves are not stored: they are
generated from the measures for any day (tasks.py). Every table carries the enterprise's scope columns,
copied when the row is created (ADR 0001)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class RiskUnit(Base):
    """风险分析单元: a device, facility, area or job of an enterprise, with who answers for it."""

    __tablename__ = "risk_units"
    __table_args__ = (Index("ix_risk_units_division", "province_code", "city_code", "county_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))  # device | facility | area | job
    department: Mapped[str] = mapped_column(String(100))  # 责任部门
    responsible_person: Mapped[str] = mapped_column(String(60))  # 责任人
    # 风险分析对象编码: the object's hazard-source code in the 危化品登记 system (exchange `hazardCode`)
    object_code: Mapped[str] = mapped_column(String(36), default="", server_default="")
    # 需重新评估: set by the re-assessment job when a hazard found by a check of the unit's measures was closed
    # after its event's last assessment; cleared when those events are assessed again
    reassessment_due_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reassessment_reason: Mapped[str] = mapped_column(String(300), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RiskEvent(Base):
    """风险事件: what can go wrong in a unit, assessed by LEC or the matrix (assessment.py)."""

    __tablename__ = "risk_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("risk_units.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    description: Mapped[str] = mapped_column(String(1000))
    consequence: Mapped[str] = mapped_column(String(500))
    method: Mapped[str] = mapped_column(String(8))  # lec | matrix
    factors: Mapped[dict[str, Any]] = mapped_column(JSON)  # as assessed, numbers as text, with D or R
    inherent_level: Mapped[str] = mapped_column(String(10))  # major | high | moderate | low
    residual_level: Mapped[str | None] = mapped_column(String(10))  # None until re-assessed after controls
    assessed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    assessed_by: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class ControlMeasure(Base):
    """风险管控措施: one measure of an event, by the hierarchy of controls, checked every `cycle` at a 包保 level."""

    __tablename__ = "control_measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("risk_events.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    description: Mapped[str] = mapped_column(String(1000))
    hierarchy: Mapped[str] = mapped_column(String(16))  # controls.ControlLevel
    cycle: Mapped[str] = mapped_column(String(12))  # tasks.Cycle
    responsibility: Mapped[str] = mapped_column(String(20))  # tasks.Responsibility
    assignee: Mapped[str] = mapped_column(String(60), default="")  # the person who checks it, if named
    is_in_force: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CheckRecord(Base):
    """隐患排查记录: a check of a measure inside one task window; an abnormal one raised `hazard_id`."""

    __tablename__ = "check_records"
    __table_args__ = (Index("ix_check_records_measure_window", "measure_id", "window_start_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("control_measures.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    window_start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    checked_by: Mapped[str] = mapped_column(String(120))
    result: Mapped[str] = mapped_column(String(8))  # normal | abnormal
    note: Mapped[str] = mapped_column(String(1000), default="")
    place: Mapped[str] = mapped_column(String(200), default="")
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # SHA-256 of blobs in the BlobStore
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ExchangeId(Base):
    """An id a record carries in the national exchange (数据交换), kept so that a record imported from a
    file is exported again under its own id, and a file imported twice is recognised. Entity
    `enterprise` holds the enterprise's 9-digit 危化品登记 code (`companyCode`) as its external id."""

    __tablename__ = "dp_exchange_ids"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "entity", "external_id"),
        UniqueConstraint("entity", "local_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(16))  # exchange.Entity.key, or `enterprise`
    external_id: Mapped[str] = mapped_column(String(36))
    local_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
