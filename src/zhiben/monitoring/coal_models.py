"""What coal-mine upload files (CDDY / CDSS / YCBJ, see `coalfiles.py`) leave behind besides sensors and
readings: which mine codes are an enterprise's, each point's last definition, and the mine system's own
abnormal/alarm records (YCBJ) kept as evidence.

- `coal_mine_codes`: a 12-digit 煤矿编码 belongs to exactly one enterprise (unique), so a file is
  accepted for an enterprise only when the mine code in its name and header is bound to it.
- `coal_points`: the CDDY definition behind each sensor, with its data time (数据时间): CDDY is a
  full snapshot, and an older file must never overwrite a newer definition.
- `coal_abnormal_records`: one row per (enterprise, point, type, start). The mine re-sends a record
  with its end time once the abnormality is over; the row is updated, never duplicated. These are not
  zhiben alarms: zhiben's engine raises its own from the CDSS readings.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class CoalMineCode(Base):
    __tablename__ = "coal_mine_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))  # the enterprise's, for scoping
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    mine_code: Mapped[str] = mapped_column(String(24), unique=True)  # 煤矿编码
    mine_name: Mapped[str] = mapped_column(String(200), default="")
    bound_at: Mapped[datetime] = mapped_column(UtcDateTime)
    bound_by: Mapped[str] = mapped_column(String(120))


class CoalPoint(Base):
    __tablename__ = "coal_points"
    __table_args__ = (UniqueConstraint("enterprise_id", "point_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"), unique=True)
    point_code: Mapped[str] = mapped_column(String(64))  # 测点编码 = the sensor's code
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)  # the CDDY fields, as text
    defined_at: Mapped[datetime] = mapped_column(UtcDateTime)  # the CDDY record's 数据时间
    file_name: Mapped[str] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CoalAbnormalRecord(Base):
    __tablename__ = "coal_abnormal_records"
    __table_args__ = (
        # the key the mine re-sends a record under (named: the generated name is too long for PostgreSQL)
        UniqueConstraint(
            "enterprise_id", "point_code", "abnormal_type", "started_at", name="uq_coal_abnormal_records_key"
        ),
        Index("ix_coal_abnormal_records_county_started", "county_code", "started_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    sensor_id: Mapped[int | None] = mapped_column(ForeignKey("sensors.id"), index=True)  # when defined
    point_code: Mapped[str] = mapped_column(String(64))
    abnormal_type: Mapped[str] = mapped_column(String(8))  # 异常类型 code, e.g. 001
    abnormal_type_name: Mapped[str] = mapped_column(String(60))  # e.g. 超限报警
    type_name: Mapped[str] = mapped_column(String(60), default="")  # 传感器类型名称 as written
    location: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(16), default="")
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # None while it lasts
    max_value: Mapped[float | None] = mapped_column(Float)
    max_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    min_value: Mapped[float | None] = mapped_column(Float)
    min_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    avg_value: Mapped[float | None] = mapped_column(Float)
    cause: Mapped[str] = mapped_column(String(500), default="")  # 异常原因, entered by mine staff
    measures: Mapped[str] = mapped_column(String(500), default="")  # 处理措施
    entered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # 录入时间
    entered_by: Mapped[str] = mapped_column(String(60), default="")  # 录入人
    data_at: Mapped[datetime] = mapped_column(UtcDateTime)  # 数据时间 of the latest copy kept
    file_name: Mapped[str] = mapped_column(String(300))  # the file the latest copy came from
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
