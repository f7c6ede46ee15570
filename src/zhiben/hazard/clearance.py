"""Dynamic clearance (动态清零) metrics, computed in SQL, for a division and its children.

Definitions (major hazards only, within the caller's scope):
- open: determined major hazards not yet closed or rejected;
- overdue: open and past the rectification deadline (flagged by the overdue job);
- closed on time / late: closed, with the close-out at or before / after the deadline then in force;
- rectification rate: closed ÷ (closed + open), i.e. of all major hazards not rejected;
- median age: days from report to now over the open ones;
- listed: open hazards under listed supervision, by the listing level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import division_condition
from zhiben.division.models import Division
from zhiben.hazard.domain import HazardLevel, HazardState
from zhiben.hazard.models import Hazard
from zhiben.hazard.repository import COLUMNS, scoped
from zhiben.kit.clock import as_utc


@dataclass
class Clearance:
    division_code: str
    division_name: str
    open_major: int = 0
    overdue_major: int = 0
    closed_on_time: int = 0
    closed_late: int = 0
    rectification_rate: float | None = None
    median_age_days: float | None = None
    listed: dict[str, int] = field(default_factory=dict)
    children: list[Clearance] = field(default_factory=list)


def _counts(major: ColumnElement[bool]) -> list[ColumnElement[int]]:
    is_closed = Hazard.state == HazardState.closed.value
    on_time = and_(is_closed, Hazard.closed_at <= Hazard.deadline_at)
    late = and_(is_closed, Hazard.closed_at > Hazard.deadline_at)
    return [
        func.count(case((and_(major, Hazard.is_open.is_(True)), 1))),
        func.count(case((and_(major, Hazard.is_overdue.is_(True)), 1))),
        func.count(case((and_(major, on_time), 1))),
        func.count(case((and_(major, late), 1))),
        func.count(case((and_(major, is_closed), 1))),
    ]


def _fill(row: Clearance, values: tuple[int, ...]) -> None:
    row.open_major, row.overdue_major, row.closed_on_time, row.closed_late, closed = values
    denominator = closed + row.open_major
    row.rectification_rate = round(closed / denominator, 4) if denominator else None


def _median_age_days(
    session: Session, where: list[ColumnElement[bool]], open_count: int, now: datetime
) -> float | None:
    if open_count == 0:
        return None
    query = select(Hazard.reported_at).where(*where).order_by(Hazard.reported_at)
    middle = session.scalars(query.offset((open_count - 1) // 2).limit(2 - open_count % 2)).all()
    ages = [(now - as_utc(t)).total_seconds() / 86400 for t in middle]
    return round(sum(ages) / len(ages), 1)


def clearance(
    session: Session, actor: Principal, division_code: str, now: datetime, sector: str | None = None
) -> Clearance:
    prefix = division_prefix(division_code)
    base: list[ColumnElement[bool]] = [scoped(actor), division_condition(prefix, COLUMNS)]
    if sector:
        base.append(Hazard.sector == sector)
    major = Hazard.level == HazardLevel.major.value
    names = _names(session, prefix)
    result = Clearance(prefix.ljust(6, "0") if prefix else "", names.get(prefix, "全国"))
    _fill(result, tuple(session.execute(select(*_counts(major)).where(*base)).one()))
    open_major = [*base, major, Hazard.is_open.is_(True)]
    result.median_age_days = _median_age_days(session, open_major, result.open_major, now)
    listed = session.execute(
        select(Hazard.listed_level, func.count())
        .where(*open_major, Hazard.listed_level.is_not(None))
        .group_by(Hazard.listed_level)
    ).all()
    result.listed = {str(level): int(n) for level, n in listed}
    if len(prefix) < 6:
        child_column = {0: Hazard.province_code, 2: Hazard.city_code, 4: Hazard.county_code}[len(prefix)]
        rows = session.execute(
            select(child_column, *_counts(major)).where(*base).group_by(child_column).order_by(child_column)
        ).all()
        for code, *values in rows:
            child = Clearance(str(code).ljust(6, "0"), names.get(str(code), str(code)))
            _fill(child, tuple(values))
            result.children.append(child)
    return result


def _names(session: Session, prefix: str) -> dict[str, str]:
    """Division names keyed by scope prefix, for the division and its direct children."""
    rows = session.execute(select(Division.code, Division.name).where(Division.code.startswith(prefix))).all()
    return {division_prefix(code): name for code, name in rows}
