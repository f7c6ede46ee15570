"""The sensor registry: measuring points of an enterprise, their limits (from the tables, with the
sensor's own settings over them) and the rationalisation of each alarm condition (ISA-18.2)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.errors import DuplicateError, InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.monitoring import domain, limits
from zhiben.monitoring.alarm_states import Priority
from zhiben.monitoring.models import Sensor

KINDS = (
    "methane",
    "co",
    "o2",
    "temperature",
    "pressure",
    "liquid_level",
    "combustible_gas",
    "toxic_gas",
    "flow",
    "wind_speed",
    "fan_running",
    "power_on",
)
# zhiben's default rationalisation, per alarm condition, until a sensor's own record says otherwise:
# the priority and the time an operator has to respond (ISA-18.2 asks each alarm to have one).
DEFAULT_RATIONALE: dict[str, dict[str, Any]] = {
    "power_off": {"priority": "emergency", "response_s": 300, "action": "断电撤人，查明原因"},
    "alarm:hihi": {"priority": "high", "response_s": 600, "action": "立即处置"},
    "alarm:lolo": {"priority": "high", "response_s": 600, "action": "立即处置"},
    "alarm:level2": {"priority": "high", "response_s": 600, "action": "启动联锁/应急处置"},
    "alarm:hi": {"priority": "medium", "response_s": 1800, "action": "查明原因"},
    "alarm:lo": {"priority": "medium", "response_s": 1800, "action": "查明原因"},
    "alarm:level1": {"priority": "medium", "response_s": 1800, "action": "查明原因"},
    "rate": {"priority": "medium", "response_s": 1800, "action": "查明突变原因"},
    "offline": {"priority": "low", "response_s": 3600, "action": "检查传感器与传输"},
    "stuck": {"priority": "low", "response_s": 3600, "action": "检查传感器是否失效"},
    "out_of_range": {"priority": "low", "response_s": 3600, "action": "检查传感器与量程"},
    "calibration_due": {"priority": "low", "response_s": 86400, "action": "安排标校"},
}
EDITORS = {Role.enterprise, Role.regulator, Role.admin}


@dataclass(frozen=True)
class SensorDraft:
    code: str
    kind: str
    unit: str = ""
    location_code: str = ""
    name: str = ""
    facility_id: int | None = None
    range_min: float | None = None
    range_max: float | None = None
    sampling_period_s: float | None = None
    offline_periods: int = 3
    stuck_window_s: float | None = None
    stuck_tolerance: float = 0.0
    rate_per_s: float | None = None
    calibration_due_at: datetime | None = None
    oel_ppm: float | None = None
    settings: Mapping[str, float] = field(default_factory=dict)  # limits.OVERRIDE_COLUMNS
    rationale: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def limit_json(limit: domain.Limit) -> dict[str, Any]:
    out = asdict(limit)
    out["condition"], out["direction"] = limit.condition.value, int(limit.direction)
    return out


def limit_of(data: Mapping[str, Any]) -> domain.Limit:
    return domain.Limit(
        condition=domain.Condition(data["condition"]),
        level=data.get("level"),
        direction=domain.Direction(int(data["direction"])),
        on_at=float(data["on_at"]),
        off_at=float(data["off_at"]),
        is_strict=bool(data.get("is_strict", False)),
        on_delay_s=float(data.get("on_delay_s", 0.0)),
        off_delay_s=float(data.get("off_delay_s", 0.0)),
        source=str(data.get("source", "")),
    )


def engine_sensor(row: Sensor) -> domain.Sensor:
    """The engine's view of a stored sensor (its id as text is the engine's sensor id)."""
    return domain.Sensor(
        sensor_id=str(row.id),
        kind=row.kind,
        unit=row.unit,
        limits=tuple(limit_of(item) for item in row.limits),
        range_min=row.range_min,
        range_max=row.range_max,
        sampling_period_s=row.sampling_period_s,
        offline_periods=row.offline_periods,
        stuck_window_s=row.stuck_window_s,
        stuck_tolerance=row.stuck_tolerance,
        rate_per_s=row.rate_per_s,
        calibration_due_at=row.calibration_due_at,
        location_code=row.location_code,
    )


class HasRationale(Protocol):
    @property
    def rationale(self) -> dict[str, Any]: ...


def rationale_for(row: HasRationale, condition: str) -> tuple[Priority, int]:
    record = row.rationale.get(condition) or DEFAULT_RATIONALE.get(condition) or DEFAULT_RATIONALE["offline"]
    return Priority(record["priority"]), int(record["response_s"])


def _check(draft: SensorDraft) -> tuple[domain.Limit, ...]:
    problems: list[tuple[str, str, str]] = []
    if not draft.code.strip() or len(draft.code) > 64:
        problems.append(("code", "required", "a point code of 1 to 64 characters"))
    if draft.kind not in KINDS:
        problems.append(("kind", "unknown", f"kind is one of: {', '.join(KINDS)}"))
    for name in ("range_min", "range_max", "sampling_period_s", "stuck_window_s", "rate_per_s", "oel_ppm"):
        value = getattr(draft, name)
        if value is not None and not math.isfinite(value):
            problems.append((name, "number", f"{name} is a finite number"))
    for condition, record in draft.rationale.items():
        if record.get("priority") not in set(Priority):
            problems.append((f"rationale.{condition}.priority", "unknown", "emergency, high, medium or low"))
        if not isinstance(record.get("response_s"), int) or record["response_s"] <= 0:
            problems.append((f"rationale.{condition}.response_s", "number", "a positive number of seconds"))
    unknown = set(draft.settings) - set(limits.OVERRIDE_COLUMNS)
    if unknown:
        problems.append(("settings", "unknown", f"unknown settings {sorted(unknown)}"))
    if problems:
        raise InvalidInputError.of(problems)
    try:
        table = limits.limits_for(draft.kind, draft.location_code, draft.unit, oel_ppm=draft.oel_ppm)
        chosen = limits.with_overrides(table, draft.settings)
        domain.Sensor(
            sensor_id=draft.code,
            limits=chosen,
            range_min=draft.range_min,
            range_max=draft.range_max,
            sampling_period_s=draft.sampling_period_s,
            offline_periods=draft.offline_periods,
            stuck_window_s=draft.stuck_window_s,
            stuck_tolerance=draft.stuck_tolerance,
            rate_per_s=draft.rate_per_s,
            calibration_due_at=draft.calibration_due_at,
        )
    except ValueError as exc:  # LimitLookupError included
        raise InvalidInputError("limits", "invalid", str(exc)) from exc
    return chosen


def register_sensor(session: Session, actor: Principal, enterprise_id: int, draft: SensorDraft) -> Sensor:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    if actor.role not in EDITORS:
        raise PermissionDeniedError(action="sensor.register")
    chosen = _check(draft)
    exists = session.scalar(
        select(Sensor.id).where(Sensor.enterprise_id == enterprise.id, Sensor.code == draft.code.strip())
    )
    if exists is not None:
        raise DuplicateError(kind="sensor", key=draft.code)
    now = session_clock(session).now()
    sensor = Sensor(
        enterprise_id=enterprise.id,
        county_code=enterprise.county_code,
        city_code=enterprise.city_code,
        province_code=enterprise.province_code,
        sector=enterprise.sector,
        facility_id=draft.facility_id,
        code=draft.code.strip(),
        name=draft.name.strip(),
        kind=draft.kind,
        unit=draft.unit,
        location_code=draft.location_code,
        range_min=draft.range_min,
        range_max=draft.range_max,
        sampling_period_s=draft.sampling_period_s,
        offline_periods=draft.offline_periods,
        stuck_window_s=draft.stuck_window_s,
        stuck_tolerance=draft.stuck_tolerance,
        rate_per_s=draft.rate_per_s,
        calibration_due_at=draft.calibration_due_at,
        limits=[limit_json(lim) for lim in chosen],
        rationale={k: dict(v) for k, v in draft.rationale.items()},
        in_service=True,
        created_at=now,
        updated_at=now,
    )
    session.add(sensor)
    session.flush()
    audit.record(
        session, actor.audit_name, "sensor.register", "sensor", str(sensor.id), after=snapshot(sensor)
    )
    return sensor


def snapshot(sensor: Sensor) -> dict[str, Any]:
    return {
        "enterprise_id": sensor.enterprise_id,
        "code": sensor.code,
        "kind": sensor.kind,
        "unit": sensor.unit,
        "location_code": sensor.location_code,
        "limits": sensor.limits,
        "in_service": sensor.in_service,
    }


def get_sensor(session: Session, actor: Principal, sensor_id: int) -> Sensor:
    sensor = session.get(Sensor, sensor_id)
    if sensor is None:
        raise NotFoundError(kind="sensor", key=sensor_id)
    enterprises.get_enterprise(session, actor, sensor.enterprise_id)  # scope: 404 outside it
    return sensor


def sensors_of(session: Session, actor: Principal, enterprise_id: int) -> list[Sensor]:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    return list(
        session.scalars(select(Sensor).where(Sensor.enterprise_id == enterprise.id).order_by(Sensor.code))
    )
