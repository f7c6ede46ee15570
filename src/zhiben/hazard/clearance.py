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
from itertools import pairwise

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, division_prefix
from zhiben.auth.scope import division_condition
from zhiben.division.models import Division
from zhiben.hazard.domain import HazardLevel, HazardState
from zhiben.hazard.models import Hazard
from zhiben.hazard.repository import COLUMNS, scoped
from zhiben.kit.clock import SHANGHAI, as_utc


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


def _counts() -> list[ColumnElement[int]]:
    """Open, overdue, closed on time, closed late, closed; over rows already limited to major hazards."""
    is_closed = Hazard.state == HazardState.closed.value
    return [
        func.count(case((Hazard.is_open.is_(True), 1))),
        func.count(case((Hazard.is_overdue.is_(True), 1))),
        func.count(case((and_(is_closed, Hazard.closed_at <= Hazard.deadline_at), 1))),
        func.count(case((and_(is_closed, Hazard.closed_at > Hazard.deadline_at), 1))),
        func.count(case((is_closed, 1))),
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
    base.append(major)
    divisions = _divisions_under(session, prefix)
    result = Clearance(
        prefix.ljust(6, "0") if prefix else "", divisions[prefix.ljust(6, "0")][0] if prefix else "全国"
    )
    if len(prefix) == 6:
        _fill(result, tuple(session.execute(select(*_counts()).where(*base)).one()))
    else:
        # Children are the next level down as the division table has it: a province's cities, and
        # the counties a province administers directly (Beijing's districts, Hubei's 仙桃市).
        group = Hazard.province_code if prefix == "" else Hazard.county_code
        rows = session.execute(select(group, *_counts()).where(*base).group_by(group)).all()
        sums: dict[str, list[int]] = {}
        for code, *values in rows:
            totals = sums.setdefault(_child_of(str(code).ljust(6, "0"), prefix, divisions), [0] * len(values))
            for i, value in enumerate(values):
                totals[i] += int(value)
        for code in sorted(sums):
            row = Clearance(code, divisions.get(code, (code, ""))[0])
            _fill(row, tuple(sums[code]))
            result.children.append(row)
        _fill(result, tuple(sum(column) for column in zip(*sums.values(), strict=True)) if sums else (0,) * 5)
    open_major = [*base, Hazard.is_open.is_(True)]
    result.median_age_days = _median_age_days(session, open_major, result.open_major, now)
    listed = session.execute(
        select(Hazard.listed_level, func.count())
        .where(*open_major, Hazard.listed_level.is_not(None))
        .group_by(Hazard.listed_level)
    ).all()
    result.listed = {str(level): int(n) for level, n in listed}
    return result


def _child_of(code: str, prefix: str, divisions: dict[str, tuple[str, str]]) -> str:
    """The direct child of the division `prefix` that contains the division `code`."""
    if prefix == "" or len(prefix) == 4:
        return code
    parent = divisions.get(code, ("", code[:4] + "00"))[1]
    return parent if parent[2:] != "0000" and parent in divisions else code


def _divisions_under(session: Session, prefix: str) -> dict[str, tuple[str, str]]:
    """code → (name, parent code) for the division and everything under it (the provinces for the nation)."""
    query = select(Division.code, Division.name, Division.parent_code)
    query = query.where(Division.code.startswith(prefix)) if prefix else query.where(Division.level == 1)
    return {code: (name, parent) for code, name, parent in session.execute(query)}


@dataclass(frozen=True)
class MonthCounts:
    month: str  # YYYY-MM, Beijing time
    reported: int
    closed: int


def _month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants of the last `months` months (this one last), then of next month."""
    local = now.astimezone(SHANGHAI)
    index = local.year * 12 + local.month - 1  # months since year 0
    return [
        datetime(i // 12, i % 12 + 1, 1, tzinfo=SHANGHAI) for i in range(index - months + 1, index + 2)
    ]


def monthly_trend(
    session: Session, actor: Principal, division_code: str, now: datetime, months: int = 12
) -> list[MonthCounts]:
    """Major hazards reported and closed in each of the last `months` calendar months (this one included),
    within the caller's scope and the division: one query, month bounds in Beijing time."""
    starts = _month_starts(now, months)
    where = [scoped(actor), division_condition(division_prefix(division_code), COLUMNS)]
    where.append(Hazard.level == HazardLevel.major.value)
    columns: list[ColumnElement[int]] = []
    for low, high in pairwise(starts):
        columns.append(func.count(case((and_(Hazard.reported_at >= low, Hazard.reported_at < high), 1))))
        closed = and_(Hazard.state == HazardState.closed.value, Hazard.closed_at >= low, Hazard.closed_at < high)
        columns.append(func.count(case((closed, 1))))
    values = session.execute(select(*columns).where(*where, Hazard.reported_at < starts[-1])).one()
    return [
        MonthCounts(f"{low.year:04d}-{low.month:02d}", int(values[2 * i]), int(values[2 * i + 1]))
        for i, low in enumerate(starts[:-1])
    ]
