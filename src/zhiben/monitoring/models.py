"""What monitoring stores: sensors and their limits, readings, the engine's state per sensor, alarms
(ISA-18.2 records) with their log, and messages that could not be ingested.

Readings are stored in blocks, one per sensor and batch (readings.py), once per (sensor, timestamp). An alarm row
is one record of one alarm point (sensor, condition): `open_key` holds the point's key while the record
is open and NULL once it closes; its unique index is the rule "exactly one open alarm per point" that
concurrent workers cannot break.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class Sensor(Base):
    __tablename__ = "sensors"
    __table_args__ = (UniqueConstraint("enterprise_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))  # the enterprise's, for scoping
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    code: Mapped[str] = mapped_column(String(64))  # the point code the gateway sends
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(16), default="")
    location_code: Mapped[str] = mapped_column(String(16), default="")
    range_min: Mapped[float | None] = mapped_column(Float)
    range_max: Mapped[float | None] = mapped_column(Float)
    sampling_period_s: Mapped[float | None] = mapped_column(Float)
    offline_periods: Mapped[int] = mapped_column(Integer, default=3)
    stuck_window_s: Mapped[float | None] = mapped_column(Float)
    stuck_tolerance: Mapped[float] = mapped_column(Float, default=0.0)
    rate_per_s: Mapped[float | None] = mapped_column(Float)
    calibration_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    limits: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # domain.Limit fields, with their source
    rationale: Mapped[dict[str, Any]] = mapped_column(JSON)  # per alarm condition: cause, consequence, ...
    in_service: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class SensorState(Base):
    """The engine's memory of one sensor (domain.SensorState.as_dict), and its latest reading."""

    __tablename__ = "sensor_states"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    last_ts: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_value: Mapped[float | None] = mapped_column(Float)
    readings: Mapped[int] = mapped_column(Integer, default=0)  # readings stored for this sensor
    late: Mapped[int] = mapped_column(Integer, default=0)  # stored, but too late to evaluate
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReadingBlock(Base):
    """One sensor's readings from one ingested batch: times (int64 epoch ms) and values (float64) as
    little-endian arrays. See readings.py for why blocks."""

    __tablename__ = "reading_blocks"
    __table_args__ = (Index("ix_reading_blocks_sensor_first", "sensor_id", "first_ms"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"))
    first_ms: Mapped[int] = mapped_column(BigInteger)
    last_ms: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    ts_ms: Mapped[bytes] = mapped_column(LargeBinary)
    values: Mapped[bytes] = mapped_column(LargeBinary)


class LateReading(Base):
    """A reading that arrived after a later one of its sensor had been evaluated: stored, not evaluated."""

    __tablename__ = "late_readings"

    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"), primary_key=True)
    ts_ms: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class Alarm(Base):
    """One record of one alarm point (alarm_states.AlarmStatus, column for column)."""

    __tablename__ = "alarms"
    __table_args__ = (
        Index("ix_alarms_enterprise_open", "enterprise_id", "closed_at"),
        Index("ix_alarms_county_open", "county_code", "closed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sensor_id: Mapped[int] = mapped_column(ForeignKey("sensors.id"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    condition: Mapped[str] = mapped_column(String(40))  # alarm:hihi, power_off, offline, ...
    open_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    priority: Mapped[str] = mapped_column(String(12))
    response_s: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    is_process_active: Mapped[bool] = mapped_column(Boolean)
    process_changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(32))
    annunciated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    annunciations: Mapped[int] = mapped_column(Integer, default=0)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    suppression: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    assignee: Mapped[str | None] = mapped_column(String(120))
    assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_value: Mapped[float | None] = mapped_column(Float)  # the reading that opened it
    peak_value: Mapped[float | None] = mapped_column(Float)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class AlarmLogEntry(Base):
    """Every event an alarm record went through: process changes and operator actions with who and when."""

    __tablename__ = "alarm_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alarm_id: Mapped[int] = mapped_column(ForeignKey("alarms.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    state_after: Mapped[str] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)


class DeadLetter(Base):
    """A message, or part of one, that could not be ingested, kept with the reason."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    channel: Mapped[str] = mapped_column(String(16))  # mqtt | http | file
    origin: Mapped[str] = mapped_column(String(300))  # topic, endpoint or file name
    reason: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)  # the message as received, cut at 64 KiB
