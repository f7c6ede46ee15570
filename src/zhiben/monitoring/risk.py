"""Enterprise risk level use cases (M6): recompute levels in batches, read one enterprise's level with its
explanation and history, roll the levels up by division, and list the early warnings.

`recompute_risk` is the scheduler's job: it reads the inputs of a batch of enterprises in a few queries
(no scope: the job sees every enterprise, as `hazard.service.mark_overdue` does), stores each level, and
records a change row and an audit entry only when an enterprise's level changes. A job walks all
enterprises in committed batches, for example:

    after = 0
    while True:
        with UnitOfWork(factory, clock) as uow:
            ids = next_enterprise_ids(uow.session, after, 500)
            recompute_risk(uow.session, SCHEDULER, ids)
        if len(ids) < 500:
            break
        after = ids[-1]

Reads (`enterprise_risk`, `risk_summary`, `early_warnings`) apply the caller's scope in SQL.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role, division_prefix
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.db.uow import session_clock
from zhiben.division import service as divisions
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.models import Enterprise, Facility
from zhiben.errors import PermissionDeniedError
from zhiben.hazard.domain import HazardLevel
from zhiben.hazard.models import Hazard
from zhiben.kit.clock import as_utc
from zhiben.kit.pagination import Page, PageRequest
from zhiben.monitoring.models import Alarm, Sensor, SensorState
from zhiben.monitoring.risk_domain import (
    Assessment,
    HazardCounts,
    RiskInputs,
    RiskLevel,
    RiskScheme,
    SensorHealth,
    assess,
    change_reason,
    scheme_from_mapping,
)
from zhiben.monitoring.risk_models import EnterpriseRisk, RiskLevelChange

CHUNK = 1000
HEALTH_CONDITIONS = ("offline", "stuck", "out_of_range", "calibration_due")
NOT_COUNTED_STATES = ("suppressed_by_design", "out_of_service")  # alarms that do not count as active
HISTORY_LIMIT = 200

RISK_COLUMNS = ScopedColumns(
    enterprise_id=EnterpriseRisk.enterprise_id,
    province_code=EnterpriseRisk.province_code,
    city_code=EnterpriseRisk.city_code,
    county_code=EnterpriseRisk.county_code,
    sector=EnterpriseRisk.sector,
)
ENTERPRISE_COLUMNS = ScopedColumns(
    enterprise_id=Enterprise.id,
    province_code=Enterprise.province_code,
    city_code=Enterprise.city_code,
    county_code=Enterprise.county_code,
    sector=Enterprise.sector,
)


@lru_cache
def packaged_scheme() -> RiskScheme:
    """The scheme shipped with this release (data/risk_scheme.yaml), read once per process."""
    text = resources.files("zhiben.monitoring").joinpath("data/risk_scheme.yaml").read_text("utf-8")
    return scheme_from_mapping(yaml.safe_load(text))


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


# ---------------------------------------------------------------- inputs (batched, unscoped: the job's)


@dataclass
class _Health:
    total: int = 0
    unhealthy: int = 0
    causes: Counter[str] = field(default_factory=Counter)


def _sensor_health(session: Session, ids: list[int], now: datetime) -> dict[int, SensorHealth]:
    """Per enterprise: in-service sensors and the unhealthy ones, each counted once. Offline is judged
    here too (no reading for offline_periods x sampling_period as of `now`): the engine raises offline only
    when data arrives or a batch runs, and a site whose gateway died sends neither."""
    flagged: dict[int, set[str]] = {}
    query = select(Alarm.sensor_id, Alarm.condition).where(
        Alarm.enterprise_id.in_(ids),
        Alarm.open_key.is_not(None),
        Alarm.is_process_active.is_(True),
        Alarm.condition.in_(("offline", "stuck", "out_of_range")),
    )
    for sensor_id, condition in session.execute(query):
        flagged.setdefault(sensor_id, set()).add(condition)
    rows = session.execute(
        select(
            Sensor.id,
            Sensor.enterprise_id,
            Sensor.sampling_period_s,
            Sensor.offline_periods,
            Sensor.created_at,
            SensorState.last_ts,
        )
        .outerjoin(SensorState, SensorState.sensor_id == Sensor.id)
        .where(Sensor.enterprise_id.in_(ids), Sensor.in_service.is_(True))
    )
    found: dict[int, _Health] = {}
    for sensor_id, enterprise_id, period_s, periods, created_at, last_ts in rows:
        health = found.setdefault(enterprise_id, _Health())
        health.total += 1
        causes = set(flagged.get(sensor_id, ()))
        window = timedelta(seconds=period_s * periods) if period_s else None
        if last_ts is None:
            if window is None or now - as_utc(created_at) > window:
                causes.add("never_reported")
        elif window is not None and now - as_utc(last_ts) > window:
            causes.add("offline")
        if causes:
            health.unhealthy += 1
            health.causes.update(causes)
    return {
        eid: SensorHealth(
            total=h.total,
            unhealthy=h.unhealthy,
            offline=h.causes["offline"],
            stuck=h.causes["stuck"],
            out_of_range=h.causes["out_of_range"],
            never_reported=h.causes["never_reported"],
        )
        for eid, h in found.items()
    }


def _active_alarms(session: Session, ids: list[int]) -> dict[int, Counter[str]]:
    query = (
        select(Alarm.enterprise_id, Alarm.priority, func.count())
        .where(
            Alarm.enterprise_id.in_(ids),
            Alarm.open_key.is_not(None),
            Alarm.is_process_active.is_(True),
            Alarm.condition.not_in(HEALTH_CONDITIONS),
            Alarm.state.not_in(NOT_COUNTED_STATES),
        )
        .group_by(Alarm.enterprise_id, Alarm.priority)
    )
    found: dict[int, Counter[str]] = {}
    for enterprise_id, priority, count in session.execute(query):
        found.setdefault(enterprise_id, Counter())[priority] += count
    return found


def _hazards(session: Session, ids: list[int]) -> dict[int, HazardCounts]:
    query = (
        select(Hazard.enterprise_id, Hazard.level, Hazard.is_overdue, func.count())
        .where(Hazard.enterprise_id.in_(ids), Hazard.is_open.is_(True))
        .group_by(Hazard.enterprise_id, Hazard.level, Hazard.is_overdue)
    )
    counts: dict[int, Counter[str]] = {}
    for enterprise_id, level, is_overdue, count in session.execute(query):
        kind = "major" if level == HazardLevel.major.value else "general"  # undetermined counts as general
        tally = counts.setdefault(enterprise_id, Counter())
        tally[f"{kind}_open"] += count
        if is_overdue:
            tally[f"{kind}_overdue"] += count
    return {eid: HazardCounts(**dict(tally)) for eid, tally in counts.items()}


def _grades(session: Session, ids: list[int]) -> dict[int, int]:
    query = (
        select(Facility.enterprise_id, func.min(Facility.grade))
        .where(
            Facility.enterprise_id.in_(ids), Facility.is_major_hazard.is_(True), Facility.grade.is_not(None)
        )
        .group_by(Facility.enterprise_id)
    )
    return {eid: int(grade) for eid, grade in session.execute(query) if grade is not None}


def gather_inputs(
    session: Session, enterprise_rows: Sequence[Enterprise], now: datetime
) -> dict[int, RiskInputs]:
    """The inputs of each enterprise, a few queries per 1,000 enterprises. No scope: callers check it."""
    out: dict[int, RiskInputs] = {}
    for ids in _chunks([e.id for e in enterprise_rows]):
        health, alarms = _sensor_health(session, ids, now), _active_alarms(session, ids)
        hazards, grades = _hazards(session, ids), _grades(session, ids)
        for enterprise_id in ids:
            out[enterprise_id] = RiskInputs(
                sector="",
                major_hazard_grade=grades.get(enterprise_id),
                active_alarms=dict(alarms.get(enterprise_id, {})),
                sensors=health.get(enterprise_id, SensorHealth()),
                hazards=hazards.get(enterprise_id, HazardCounts()),
            )
    for enterprise in enterprise_rows:
        base = out[enterprise.id]
        out[enterprise.id] = RiskInputs(
            enterprise.sector,
            enterprise.headcount,
            base.major_hazard_grade,
            base.active_alarms,
            base.sensors,
            base.hazards,
        )
    return out


# ---------------------------------------------------------------- recompute (the scheduler's job)


@dataclass
class RecomputeReport:
    assessed: int = 0
    changed: list[int] = field(default_factory=list)  # enterprise ids whose level changed (first ones too)


def next_enterprise_ids(session: Session, after_id: int, limit: int) -> list[int]:
    """The next `limit` enterprise ids above `after_id`: the job's keyset pagination. Unscoped."""
    query = select(Enterprise.id).where(Enterprise.id > after_id).order_by(Enterprise.id).limit(limit)
    return list(session.scalars(query))


def _level_json(row: EnterpriseRisk | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"level": row.level, "score": row.score, "scheme_version": row.scheme_version}


def recompute_risk(
    session: Session,
    actor: Principal,
    enterprise_ids: Iterable[int],
    scheme: RiskScheme | None = None,
) -> RecomputeReport:
    """Compute and store the level of these enterprises (unknown ids are skipped). A change row and an
    audit entry are written only when an enterprise's level differs from its stored one."""
    if actor.role != Role.admin:
        raise PermissionDeniedError(action="risk.recompute")
    scheme = scheme or packaged_scheme()
    now = session_clock(session).now()
    report = RecomputeReport()
    for ids in _chunks(sorted(set(enterprise_ids))):
        rows = list(session.scalars(select(Enterprise).where(Enterprise.id.in_(ids)).order_by(Enterprise.id)))
        inputs = gather_inputs(session, rows, now)
        stored = {
            r.enterprise_id: r
            for r in session.scalars(select(EnterpriseRisk).where(EnterpriseRisk.enterprise_id.in_(ids)))
        }
        changes: list[audit.Change] = []
        for enterprise in rows:
            assessment = assess(inputs[enterprise.id], scheme)
            row = stored.get(enterprise.id)
            is_change = row is None or row.level != assessment.level.value
            before = _level_json(row)
            if is_change:
                _record_change(session, enterprise, row, assessment, now)
            row = _store(session, enterprise, row, assessment, now)
            if is_change:
                report.changed.append(enterprise.id)
                changes.append((str(enterprise.id), before, _level_json(row)))
            report.assessed += 1
        session.flush()
        audit.record_many(session, actor.audit_name, "risk.level_change", "enterprise", changes)
    return report


def _record_change(
    session: Session, enterprise: Enterprise, row: EnterpriseRisk | None, new: Assessment, now: datetime
) -> None:
    old_components = row.components.get("components", []) if row is not None else []
    reason, reason_en = change_reason(
        row.level if row else None,
        row.score if row else None,
        old_components,
        row.scheme_version if row else None,
        new,
    )
    session.add(
        RiskLevelChange(
            enterprise_id=enterprise.id,
            county_code=enterprise.county_code,
            city_code=enterprise.city_code,
            province_code=enterprise.province_code,
            sector=enterprise.sector,
            from_level=row.level if row else None,
            to_level=new.level.value,
            at=now,
            from_score=row.score if row else None,
            score=new.score,
            scheme_version=new.scheme_version,
            reason=reason,
            reason_en=reason_en,
        )
    )


def _store(
    session: Session, enterprise: Enterprise, row: EnterpriseRisk | None, new: Assessment, now: datetime
) -> EnterpriseRisk:
    if row is None:
        row = EnterpriseRisk(enterprise_id=enterprise.id, level_since=now)
        session.add(row)
    elif row.level != new.level.value:
        row.level_since = now
    row.county_code, row.city_code = enterprise.county_code, enterprise.city_code
    row.province_code, row.sector = enterprise.province_code, enterprise.sector
    row.level, row.score, row.points = new.level.value, new.score, new.points
    row.components = new.as_json()
    row.scheme_version, row.computed_at = new.scheme_version, now
    return row


# ---------------------------------------------------------------- reads (scoped)


@dataclass(frozen=True)
class RiskView:
    enterprise: Enterprise
    assessment: dict[str, Any]  # Assessment.as_json(): stored, or computed now when none is stored
    is_stored: bool
    computed_at: datetime
    level_since: datetime | None
    history: list[RiskLevelChange]


def assess_now(session: Session, actor: Principal, enterprise_id: int) -> Assessment:
    """The level as the inputs stand now, not stored (scope: 404 outside it)."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    now = session_clock(session).now()
    return assess(gather_inputs(session, [enterprise], now)[enterprise.id], packaged_scheme())


def enterprise_risk(session: Session, actor: Principal, enterprise_id: int) -> RiskView:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    row = session.get(EnterpriseRisk, enterprise.id)
    history = list(
        session.scalars(
            select(RiskLevelChange)
            .where(RiskLevelChange.enterprise_id == enterprise.id)
            .order_by(RiskLevelChange.at.desc(), RiskLevelChange.id.desc())
            .limit(HISTORY_LIMIT)
        )
    )
    if row is not None:
        return RiskView(enterprise, row.components, True, row.computed_at, row.level_since, history)
    fresh = assess_now(session, actor, enterprise.id)
    return RiskView(enterprise, fresh.as_json(), False, session_clock(session).now(), None, history)


@dataclass(frozen=True)
class SummaryRow:
    division_code: str  # 6 digits
    name: str
    counts: dict[str, int]  # red, orange, yellow, blue, unassessed

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class RiskSummary:
    division_code: str
    rows: list[SummaryRow]
    totals: dict[str, int]


COUNT_KEYS = (*(level.value for level in RiskLevel), "unassessed")


def _child_column(prefix: str) -> InstrumentedAttribute[str]:
    if prefix == "":
        return Enterprise.province_code
    if len(prefix) == 2:
        return Enterprise.city_code
    return Enterprise.county_code


def risk_summary(session: Session, actor: Principal, division: str = "") -> RiskSummary:
    """Counts by colour for each division one level below `division` ('' : the provinces), within the
    caller's scope. Enterprises not assessed yet are counted as `unassessed`, not left out."""
    prefix = division_prefix(division)
    child = _child_column(prefix)
    query = (
        select(child, EnterpriseRisk.level, func.count())
        .select_from(Enterprise)
        .outerjoin(EnterpriseRisk, EnterpriseRisk.enterprise_id == Enterprise.id)
        .where(scope_condition(actor, ENTERPRISE_COLUMNS), division_condition(prefix, ENTERPRISE_COLUMNS))
        .group_by(child, EnterpriseRisk.level)
    )
    counts: dict[str, dict[str, int]] = {}
    for code, level, count in session.execute(query):
        row = counts.setdefault(code, dict.fromkeys(COUNT_KEYS, 0))
        row[level or "unassessed"] += count
    parent = prefix.ljust(6, "0") if prefix else ""
    names = {d.code: d.name for d in divisions.children(session, parent)} if len(prefix) < 6 else {}
    if len(prefix) == 6:
        names = {d.code: d.name for d in divisions.ancestors(session, prefix)}
    rows = [
        SummaryRow(code.ljust(6, "0"), names.get(code.ljust(6, "0"), ""), counts[code])
        for code in sorted(counts)
    ]
    totals = {key: sum(r.counts[key] for r in rows) for key in COUNT_KEYS}
    return RiskSummary(parent, rows, totals)


LEVEL_ORDER = case({lv.value: -lv.rank for lv in RiskLevel}, value=EnterpriseRisk.level, else_=0)
"""Worst level first: a floor can make a higher score red, so the score alone does not order levels."""


@dataclass(frozen=True)
class WarningFilter:
    level: RiskLevel | None = None
    division: str = ""
    sector: str | None = None


def early_warnings(
    session: Session, actor: Principal, flt: WarningFilter, request: PageRequest
) -> Page[tuple[EnterpriseRisk, str]]:
    """Assessed enterprises in scope, worst first (level, then score), with their names: the early warnings."""
    conditions: list[ColumnElement[bool]] = [scope_condition(actor, RISK_COLUMNS)]
    if flt.level is not None:
        conditions.append(EnterpriseRisk.level == flt.level.value)
    if flt.division:
        conditions.append(division_condition(division_prefix(flt.division), RISK_COLUMNS))
    if flt.sector:
        conditions.append(EnterpriseRisk.sector == flt.sector)
    total = session.scalar(select(func.count()).select_from(EnterpriseRisk).where(*conditions)) or 0
    query = (
        select(EnterpriseRisk, Enterprise.name)
        .join(Enterprise, Enterprise.id == EnterpriseRisk.enterprise_id)
        .where(*conditions)
        .order_by(LEVEL_ORDER, EnterpriseRisk.score, EnterpriseRisk.enterprise_id)
        .offset(request.offset)
        .limit(request.size)
    )
    items = [(row, name) for row, name in session.execute(query)]
    return Page(items, total, request.page, request.size)


def enterprises_with_levels(
    session: Session,
    actor: Principal,
    flt: enterprises.EnterpriseFilter,
    level: RiskLevel | None,
    request: PageRequest,
) -> Page[tuple[Enterprise, str | None]]:
    """Enterprises in scope with their stored risk colour (None: not assessed), optionally of one colour."""
    query = (
        enterprises.scoped_query(actor, flt)
        .outerjoin(EnterpriseRisk, EnterpriseRisk.enterprise_id == Enterprise.id)
        .add_columns(EnterpriseRisk.level)
    )
    if level is not None:
        query = query.where(EnterpriseRisk.level == level.value)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = session.execute(query.order_by(Enterprise.id).offset(request.offset).limit(request.size)).all()
    return Page([(row[0], row[1]) for row in rows], total, request.page, request.size)
