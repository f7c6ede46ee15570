"""The assessment's queries: one `Measure` per KPI says which records count, which of them are in a rate's
numerator and what value each carries; the same Measure gives the SQL aggregate grouped by county (the
KPI's number) and the list of records behind it (its trace), so the two cannot drift apart.

Every Measure is scoped in SQL: `scope_condition(principal, COLUMNS)` on enterprise-bound tables (hazards,
enterprise risk levels, alarms, accidents) and the tip-off rule (regulators of the division, administrators)
on tip-offs, plus the assessed division.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from zhiben.accident.models import Accident
from zhiben.assessment.domain import Counts, Record, TraceRecord
from zhiben.auth.domain import Principal, Role
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.enforcement.models import Inspection
from zhiben.enterprise.models import Enterprise
from zhiben.hazard.domain import HazardLevel, HazardState
from zhiben.hazard.models import Hazard, Supervision
from zhiben.monitoring.models import Alarm
from zhiben.monitoring.risk_models import EnterpriseRisk
from zhiben.tipoff.models import Tipoff


def _columns(model: Any) -> ScopedColumns:
    return ScopedColumns(
        enterprise_id=model.enterprise_id,
        province_code=model.province_code,
        city_code=model.city_code,
        county_code=model.county_code,
        sector=model.sector,
    )


HAZARDS = _columns(Hazard)
ENTERPRISES = ScopedColumns(
    Enterprise.id, Enterprise.province_code, Enterprise.city_code, Enterprise.county_code, Enterprise.sector
)
RISKS = _columns(EnterpriseRisk)
ALARMS = _columns(Alarm)
ACCIDENTS = _columns(Accident)

RED_ORANGE = ("red", "orange")  # monitoring.risk_domain.RiskLevel: 重大 and 较大 risk
INSPECTION_DONE = "done"


@dataclass(frozen=True)
class Measure:
    record: Record
    id: Any  # a column or expression
    label: Any
    county: InstrumentedAttribute[str]
    where: Sequence[ColumnElement[bool]]
    numerator: ColumnElement[bool] | None = None
    value: Any = None


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    """`later - earlier` in seconds, in SQL: PostgreSQL's epoch of an interval, SQLite's Julian days."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _tipoff_in(prefix: str) -> ColumnElement[bool]:
    """Tip-offs in the division (they carry the division columns, but no sector: not a ScopedColumns table)."""
    if prefix == "":
        return true()
    conditions = [Tipoff.province_code == prefix[:2]]
    if len(prefix) >= 4:
        conditions.append(Tipoff.city_code == prefix[:4])
    if len(prefix) == 6:
        conditions.append(Tipoff.county_code == prefix)
    return and_(*conditions)


def _tipoff_scope(principal: Principal, prefix: str) -> ColumnElement[bool]:
    """Tip-offs are the handling regulators' and administrators' (as tipoff.repository.tipoff_scope)."""
    if principal.role == Role.admin:
        return _tipoff_in(prefix)
    if principal.role == Role.regulator:
        return and_(_tipoff_in(principal.prefix), _tipoff_in(prefix))
    return false()


def measure(
    session: Session,
    principal: Principal,
    kpi: str,
    prefix: str,
    low: datetime,
    high: datetime,
) -> Measure:
    """The records behind the KPI for the division `prefix` in the period [low, high), within the scope."""
    major = Hazard.level == HazardLevel.major.value
    closed = Hazard.state == HazardState.closed.value
    hazard_where = [scope_condition(principal, HAZARDS), division_condition(prefix, HAZARDS), major]

    def hazard(where: list[ColumnElement[bool]], numerator: ColumnElement[bool] | None = None) -> Measure:
        return Measure(
            Record.hazard, Hazard.id, Hazard.number, Hazard.county_code, hazard_where + where, numerator
        )

    match kpi:
        case "clearance_rate":  # as hazard.clearance: closed ÷ (closed + open) major hazards, now
            return hazard([or_(Hazard.is_open.is_(True), closed)], closed)
        case "overdue_major":  # as hazard.clearance: flagged overdue by the overdue job, now
            return hazard([Hazard.is_overdue.is_(True)])
        case "closed_on_time_rate":
            return hazard(
                [closed, Hazard.closed_at >= low, Hazard.closed_at < high],
                Hazard.closed_at <= Hazard.deadline_at,
            )
        case "listed_handled_rate":
            listed = exists().where(
                Supervision.hazard_id == Hazard.id,
                Supervision.listed_at < high,
                or_(Supervision.lifted_at.is_(None), Supervision.lifted_at >= low),
            )
            return hazard([listed], and_(closed, Hazard.closed_at < high))
        case "red_orange_coverage":
            inspected = exists().where(
                Inspection.enterprise_id == EnterpriseRisk.enterprise_id,
                Inspection.state == INSPECTION_DONE,
                Inspection.finished_at >= low,
                Inspection.finished_at < high,
            )
            name = (
                select(Enterprise.name).where(Enterprise.id == EnterpriseRisk.enterprise_id).scalar_subquery()
            )
            where = [
                scope_condition(principal, RISKS),
                division_condition(prefix, RISKS),
                EnterpriseRisk.level.in_(RED_ORANGE),
            ]
            return Measure(
                Record.enterprise,
                EnterpriseRisk.enterprise_id,
                name,
                EnterpriseRisk.county_code,
                where,
                inspected,
            )
        case "alarm_ack_on_time_rate" | "alarm_response_min":
            where = [scope_condition(principal, ALARMS), division_condition(prefix, ALARMS)]
            where += [Alarm.annunciated_at >= low, Alarm.annunciated_at < high]
            acked = and_(Alarm.acknowledged_at.is_not(None), Alarm.acknowledged_at >= Alarm.annunciated_at)
            seconds = _seconds(session, Alarm.acknowledged_at, Alarm.annunciated_at)
            if kpi == "alarm_response_min":
                return Measure(
                    Record.alarm,
                    Alarm.id,
                    Alarm.condition,
                    Alarm.county_code,
                    where,
                    value=case((acked, seconds / 60.0)),
                )
            return Measure(
                Record.alarm,
                Alarm.id,
                Alarm.condition,
                Alarm.county_code,
                where,
                and_(acked, seconds <= Alarm.response_s),
            )
        case "accidents" | "deaths":
            where = [scope_condition(principal, ACCIDENTS), division_condition(prefix, ACCIDENTS)]
            where += [Accident.occurred_at >= low, Accident.occurred_at < high]
            value = Accident.deaths if kpi == "deaths" else None
            return Measure(
                Record.accident, Accident.id, Accident.title, Accident.county_code, where, value=value
            )
        case "tipoff_response_h":
            where = [_tipoff_scope(principal, prefix), Tipoff.received_at >= low, Tipoff.received_at < high]
            started = Tipoff.verification_started_at.is_not(None)
            hours = _seconds(session, Tipoff.verification_started_at, Tipoff.received_at) / 3600.0
            label = func.coalesce(func.nullif(Tipoff.enterprise_name, ""), Tipoff.place)
            return Measure(
                Record.tipoff, Tipoff.id, label, Tipoff.county_code, where, value=case((started, hours))
            )
    raise ValueError(kpi)  # kpi codes are checked by domain.kpi_of before


def counts_by_county(session: Session, m: Measure) -> dict[str, Counts]:
    """The measure's aggregate per county: one grouped query, nothing per record in Python."""
    numerator = func.count(case((m.numerator, 1))) if m.numerator is not None else literal(0)
    total = func.sum(m.value) if m.value is not None else literal(0)
    valued = func.count(m.value) if m.value is not None else literal(0)
    query = select(m.county, func.count(), numerator, total, valued).where(*m.where).group_by(m.county)
    return {
        str(county): Counts(int(n), int(num), float(t or 0), int(v))
        for county, n, num, t, v in session.execute(query)
    }


def trace(session: Session, m: Measure, limit: int | None = None) -> list[TraceRecord]:
    """The records behind the measure, by id."""
    flag = case((m.numerator, 1), else_=0) if m.numerator is not None else literal(0)
    value = m.value if m.value is not None else literal(None)
    query = select(m.id, m.label, m.county, flag, value).where(*m.where).order_by(m.id)
    if limit is not None:
        query = query.limit(limit)
    return [
        TraceRecord(
            m.record, int(i), str(label or i), str(county), bool(num), None if v is None else float(v)
        )
        for i, label, county, num, v in session.execute(query)
    ]


def inspections_of(
    session: Session, principal: Principal, enterprise_ids: Sequence[int], low: datetime, high: datetime
) -> dict[int, list[int]]:
    """The done inspections of the period per enterprise (the ids that make an enterprise covered)."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(enterprise_ids), 1000):
        chunk = list(enterprise_ids[start : start + 1000])
        query = (
            select(Inspection.enterprise_id, Inspection.id)
            .where(
                scope_condition(principal, _columns(Inspection)),
                Inspection.enterprise_id.in_(chunk),
                Inspection.state == INSPECTION_DONE,
                Inspection.finished_at >= low,
                Inspection.finished_at < high,
            )
            .order_by(Inspection.id)
        )
        for enterprise_id, inspection_id in session.execute(query):
            found.setdefault(int(enterprise_id), []).append(int(inspection_id))
    return found


def enterprises_by_county(session: Session, principal: Principal, prefix: str) -> dict[str, int]:
    """Registered enterprises per county, in scope: the basis without which a division is not scored."""
    query = (
        select(Enterprise.county_code, func.count())
        .where(scope_condition(principal, ENTERPRISES), division_condition(prefix, ENTERPRISES))
        .group_by(Enterprise.county_code)
    )
    return {str(county): int(n) for county, n in session.execute(query)}


def accidents_by_grade(session: Session, m: Measure) -> dict[str, dict[str, tuple[int, int]]]:
    """county → grade → (accidents, deaths), over the accidents measure's records."""
    query = (
        select(
            Accident.county_code, Accident.grade, func.count(), func.coalesce(func.sum(Accident.deaths), 0)
        )
        .where(*m.where)
        .group_by(Accident.county_code, Accident.grade)
    )
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for county, grade, n, deaths in session.execute(query):
        out.setdefault(str(county), {})[str(grade)] = (int(n), int(deaths))
    return out
