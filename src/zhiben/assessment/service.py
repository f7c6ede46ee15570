"""Assessment use cases: assess a division (its KPIs and its direct children's, scored and ranked) and trace a
KPI of a division to the records behind it. Reads only: nothing changes, so nothing is audited.

Who may: regulators whose jurisdiction covers the division, and administrators (403 for other roles, 404 for a
division outside the regulator's jurisdiction, as for any object out of scope).

Definitions (major hazards only where hazards are counted; "now" is the time of the computation):
- clearance_rate, overdue_major: the registry as it is now, exactly as hazard.clearance computes them
  (the registry keeps hazards' current state, not their state at a past period's end);
- closed_on_time_rate: major hazards closed in the period, the share closed at or before their deadline;
- listed_handled_rate: major hazards under listed supervision at some time in the period, the share closed by
  its end;
- red_orange_coverage: enterprises whose current risk level is red or orange, the share with an inspection
  done (finished) in the period;
- alarm_ack_on_time_rate / alarm_response_min: alarms annunciated in the period, the share acknowledged within
  the alarm's own allowed response time / the mean minutes from annunciation to acknowledgement;
- accidents / deaths (and both by Decree 493 grade): accidents that occurred in the period, their counted deaths;
- tipoff_response_h: tip-offs received in the period, the mean hours to the start of verification.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from zhiben.assessment import repository
from zhiben.assessment.domain import (
    KPIS,
    Assessment,
    Counts,
    Period,
    Record,
    Row,
    Scheme,
    TraceRecord,
    assess,
    child_for,
    kpi_of,
    packaged_scheme,
    ranked_rows,
    roll_up,
)
from zhiben.auth.domain import Principal, Role, division_prefix
from zhiben.db.uow import session_clock
from zhiben.division import service as divisions
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard.clearance import Clearance, clearance

NATION = "全国"
CLEARANCE_KPIS = ("clearance_rate", "overdue_major")


@dataclass(frozen=True)
class Area:
    code: str  # six digits ('' for the nation)
    name: str
    prefix: str
    children: Mapping[str, str]  # code → name, the direct children as the division table has them


def area_in_reach(session: Session, actor: Principal, division_code: str) -> Area:
    """The division, if the actor may assess it: a regulator over it, or an administrator."""
    if actor.role not in (Role.regulator, Role.admin):
        raise PermissionDeniedError(action="assessment.read")
    try:
        prefix = division_prefix(division_code)
    except ValueError:
        raise InvalidInputError("division", "not_a_division", "a 6-digit GB/T 2260 code") from None
    if not actor.has_jurisdiction_over(division_code):
        raise NotFoundError(kind="division", key=division_code)
    code = prefix.ljust(6, "0") if prefix else ""
    name = divisions.get_division(session, code).name if prefix else NATION
    kids = {d.code: d.name for d in divisions.children(session, code)}
    return Area(code, name, prefix, kids)


def _clearance_counts(result: Clearance) -> dict[str, Counts]:
    closed = result.closed_on_time + result.closed_late
    return {
        "clearance_rate": Counts(n=closed + result.open_major, numerator=closed),
        "overdue_major": Counts(n=result.overdue_major),
    }


def assess_division(
    session: Session, actor: Principal, division_code: str, period: Period, scheme: Scheme | None = None
) -> Assessment:
    """The division's KPIs and its direct children's, scored by the scheme and ranked."""
    area = area_in_reach(session, actor, division_code)
    scheme = scheme or packaged_scheme()
    now = session_clock(session).now()
    low, high = period.bounds
    totals: dict[str, Counts] = {}
    per_child: dict[str, dict[str, Counts]] = {code: {} for code in area.children}
    snapshot = clearance(session, actor, area.code, now)
    totals.update(_clearance_counts(snapshot))
    for part in snapshot.children:
        if part.division_code in per_child:
            per_child[part.division_code].update(_clearance_counts(part))
    grades_total: dict[str, tuple[int, int]] = {}
    grades_child: dict[str, dict[str, tuple[int, int]]] = {code: {} for code in area.children}
    for kpi in KPIS:
        if kpi.code in CLEARANCE_KPIS:
            continue
        m = repository.measure(session, actor, kpi.code, area.prefix, low, high)
        total, by_child = roll_up(repository.counts_by_county(session, m), area.prefix, area.children)
        totals[kpi.code] = total
        for code, counts in by_child.items():
            per_child[code][kpi.code] = counts
        if kpi.code == "accidents":
            for county, grades in repository.accidents_by_grade(session, m).items():
                child = child_for(county, area.prefix, area.children)
                for grade, pair in grades.items():
                    _add(grades_total, grade, pair)
                    if child is not None:
                        _add(grades_child[child], grade, pair)
    firms: dict[str, int] = {}
    for county, n in repository.enterprises_by_county(session, actor, area.prefix).items():
        child = child_for(county, area.prefix, area.children)
        firms[child or ""] = firms.get(child or "", 0) + n
    row = assess(area.code, area.name, totals, scheme, grades_total, sum(firms.values()))
    children = [
        assess(code, name, per_child[code], scheme, grades_child[code], firms.get(code, 0))
        for code, name in area.children.items()
    ]
    return Assessment(row, ranked_rows(children), period, now, scheme)


def _add(into: dict[str, tuple[int, int]], grade: str, pair: tuple[int, int]) -> None:
    n, deaths = into.get(grade, (0, 0))
    into[grade] = (n + pair[0], deaths + pair[1])


def trace_kpi(
    session: Session,
    actor: Principal,
    division_code: str,
    kpi: str,
    period: Period,
    limit: int | None = None,
) -> list[TraceRecord]:
    """The records behind one KPI of one division (the assessed division or any other in reach): their
    count, numerator and values give the KPI's number again."""
    kpi_of(kpi)
    area = area_in_reach(session, actor, division_code)
    low, high = period.bounds
    m = repository.measure(session, actor, kpi, area.prefix, low, high)
    records = repository.trace(session, m, limit)
    if m.record == Record.enterprise:
        covering = repository.inspections_of(session, actor, [r.id for r in records], low, high)
        records = [replace(r, related=tuple(covering.get(r.id, ()))) for r in records]
    return records


def traces_of(
    session: Session, actor: Principal, assessment: Assessment, limit: int | None = None
) -> dict[str, list[TraceRecord]]:
    """Every KPI's records for the assessed division (for the report's sheets)."""
    code = assessment.division.code or "000000"
    return {k.code: trace_kpi(session, actor, code, k.code, assessment.period, limit) for k in KPIS}


def child_of_record(record: TraceRecord, assessment: Assessment) -> str:
    """The child division a traced record counts for ('' when it lies under none)."""
    prefix = division_prefix(assessment.division.code)
    return child_for(record.county_code, prefix, [c.code for c in assessment.children]) or ""


def rows_of(assessment: Assessment) -> Sequence[Row]:
    return [assessment.division, *assessment.children]


def generated_at(session: Session) -> datetime:
    return session_clock(session).now()
