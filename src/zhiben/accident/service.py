"""Accident use cases: record, update casualties (re-grading within the window), report up the chain,
link the hazards open when it happened. Each checks scope and role, audits and flushes; never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhiben.accident import repository
from zhiben.accident.domain import (
    AccidentKind,
    Figures,
    HazardAtTime,
    OpenHazards,
    ReportingRules,
    ReportingStep,
    check_figures,
    check_times,
    decree_493_rules,
    hazards_open_at,
    next_upward_step,
    regrade,
    reporting_steps,
    window_closes_at,
)
from zhiben.accident.models import Accident, AccidentHazardLink, CasualtyUpdate, UpwardReport
from zhiben.audit import service as audit
from zhiben.auth.domain import Level, Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.models import Enterprise
from zhiben.errors import (
    ConflictError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, HazardState, Source
from zhiben.hazard.models import Hazard
from zhiben.kit.clock import as_utc
from zhiben.standards.accident import AccidentGrade


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def snapshot(accident: Accident) -> dict[str, Any]:
    return {
        "enterprise_id": accident.enterprise_id,
        "kind": accident.kind,
        "title": accident.title,
        "occurred_at": _iso(accident.occurred_at),
        "unit_reported_at": _iso(accident.unit_reported_at),
        "deaths": accident.deaths,
        "serious_injuries": accident.serious_injuries,
        "direct_loss_yuan": str(accident.direct_loss_yuan),
        "grade": accident.grade,
        "window_closes_at": _iso(accident.window_closes_at),
        "is_reporting_complete": accident.is_reporting_complete,
        "had_open_major_hazard": accident.had_open_major_hazard,
        "version": accident.version,
    }


def figures_of(accident: Accident) -> Figures:
    return Figures(accident.deaths, accident.serious_injuries, Decimal(accident.direct_loss_yuan))


def get_accident(
    session: Session, actor: Principal, accident_id: int, *, for_update: bool = False
) -> Accident:
    accident = repository.get(session, actor, accident_id, for_update=for_update)
    if accident is None:
        raise NotFoundError(kind="accident", key=accident_id)
    return accident


def _may_record(actor: Principal, enterprise: Enterprise) -> bool:
    if actor.role == Role.enterprise:
        return actor.enterprise_id == enterprise.id
    return actor.role in (Role.regulator, Role.admin) and actor.has_jurisdiction_over(enterprise.county_code)


def _check_version(accident: Accident, expected_version: int | None) -> None:
    if expected_version is not None and accident.version != expected_version:
        raise StaleVersionError(current=accident.version, given=expected_version)


# ---- reporting ------------------------------------------------------------------------------------


def steps_of(
    accident: Accident, reports: Sequence[UpwardReport], rules: ReportingRules | None = None
) -> list[ReportingStep]:
    return reporting_steps(
        as_utc(accident.occurred_at),
        as_utc(accident.unit_reported_at) if accident.unit_reported_at else None,
        as_utc(accident.recorded_at),
        AccidentGrade(accident.grade),
        {Level(r.to_level): as_utc(r.reported_at) for r in reports},
        rules or decree_493_rules(),
    )


def reporting_status(session: Session, accident: Accident) -> list[ReportingStep]:
    return steps_of(accident, repository.upward_reports(session, accident.id))


def _refresh_completeness(session: Session, accident: Accident) -> None:
    accident.is_reporting_complete = all(s.is_done for s in reporting_status(session, accident))


@dataclass(frozen=True)
class OverdueReport:
    accident: Accident
    step: ReportingStep


def overdue_reports(session: Session, actor: Principal) -> list[OverdueReport]:
    """Reports not made by their due time, in the caller's scope (the unit's own report included)."""
    now = session_clock(session).now()
    found = []
    for accident in repository.incomplete_reporting(session, actor):
        found += [
            OverdueReport(accident, s) for s in reporting_status(session, accident) if s.is_overdue(now)
        ]
    return found


def report_upward(
    session: Session, actor: Principal, accident_id: int, reported_at: datetime | None = None
) -> UpwardReport:
    """Record that the actor's level reported the accident to the next level up (Art. 11)."""
    accident = get_accident(session, actor, accident_id, for_update=True)
    if actor.role not in (Role.regulator, Role.admin) or not actor.has_jurisdiction_over(
        accident.county_code
    ):
        raise PermissionDeniedError(action="accident.report_upward")
    step = next_upward_step(reporting_status(session, accident))
    if step is None:
        raise ConflictError(reason="the accident has been reported as far up as its grade requires")
    if actor.role == Role.regulator and actor.level.value != step.from_level:
        raise PermissionDeniedError(action=f"accident.report_upward:{step.from_level}->{step.to_level.value}")
    now = session_clock(session).now()
    at = reported_at or now
    if at > now:
        raise InvalidInputError("reported_at", "future", "the report time is in the future")
    if at < as_utc(accident.occurred_at):
        raise InvalidInputError("reported_at", "order", "a report cannot precede the accident")
    before = snapshot(accident)
    report = UpwardReport(
        accident_id=accident.id,
        to_level=step.to_level.value,
        reported_at=at,
        reported_by=actor.audit_name,
        recorded_at=now,
    )
    session.add(report)
    session.flush()
    _refresh_completeness(session, accident)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "accident.report_upward",
        "accident",
        str(accident.id),
        before=before,
        after=snapshot(accident)
        | {
            "to_level": step.to_level.value,
            "reported_at": at.isoformat(),
            "due_at": step.due_at.isoformat(),
            "is_late": at > step.due_at,
        },
    )
    return report


# ---- hazards open at the time ---------------------------------------------------------------------


def _at_time(hazard: Hazard) -> HazardAtTime:
    return HazardAtTime(
        hazard_id=hazard.id,
        number=hazard.number,
        level=HazardLevel(hazard.level) if hazard.level else None,
        state=HazardState(hazard.state),
        found_at=as_utc(hazard.found_at),
        determined_at=as_utc(hazard.determined_at) if hazard.determined_at else None,
        closed_at=as_utc(hazard.closed_at) if hazard.closed_at else None,
    )


def compute_open_hazards(session: Session, actor: Principal, accident: Accident) -> OpenHazards:
    """Recompute, from the hazard registry as it stands, the hazards open when the accident happened."""
    candidates = repository.hazards_found_before(
        session, actor, accident.enterprise_id, as_utc(accident.occurred_at)
    )
    return hazards_open_at((_at_time(h) for h in candidates), as_utc(accident.occurred_at))


def _store_links(session: Session, accident: Accident, found: OpenHazards) -> None:
    repository.clear_links(session, accident.id)
    for h in found.hazards:
        session.add(
            AccidentHazardLink(
                accident_id=accident.id,
                hazard_id=h.hazard_id,
                hazard_number=h.number,
                level=h.level.value if h.level else None,
                state=h.state.value,
                found_at=h.found_at,
                determined_at=h.determined_at,
                closed_at=h.closed_at,
                is_major=h.level == HazardLevel.major,
            )
        )
    accident.had_open_major_hazard = found.had_open_major_hazard
    accident.hazards_linked_at = session_clock(session).now()


def relink_hazards(session: Session, actor: Principal, accident_id: int) -> OpenHazards:
    """Recompute and store the hazards open at the time (a hazard reported or closed since may change it)."""
    accident = get_accident(session, actor, accident_id, for_update=True)
    if not _may_record(actor, enterprises.get_enterprise(session, actor, accident.enterprise_id)):
        raise PermissionDeniedError(action="accident.link_hazards")
    before = snapshot(accident) | {
        "hazards": [link.hazard_number for link in repository.links(session, accident.id)]
    }
    found = compute_open_hazards(session, actor, accident)
    _store_links(session, accident, found)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "accident.link_hazards",
        "accident",
        str(accident.id),
        before=before,
        after=snapshot(accident) | {"hazards": [h.number for h in found.hazards]},
    )
    return found


# ---- record and update ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AccidentDraft:
    enterprise_id: int
    title: str
    kind: AccidentKind
    occurred_at: datetime
    deaths: int = 0
    serious_injuries: int = 0
    direct_loss_yuan: Decimal = Decimal(0)
    description: str = ""
    location: str = ""
    # When the unit reported it to the county department (Art. 9). An enterprise recording its own accident
    # reports it now; a regulator gives the time of the unit's report, or None if the unit never reported.
    unit_reported_at: datetime | None = None


def record_accident(session: Session, actor: Principal, draft: AccidentDraft) -> Accident:
    enterprise = enterprises.get_enterprise(session, actor, draft.enterprise_id)
    if not _may_record(actor, enterprise):
        raise PermissionDeniedError(action="accident.record")
    if not draft.title.strip():
        raise InvalidInputError("title", "required", "name the accident")
    now = session_clock(session).now()
    unit_reported_at = now if actor.role == Role.enterprise else draft.unit_reported_at
    check_times(draft.occurred_at, unit_reported_at, now)
    figures = check_figures(Figures(draft.deaths, draft.serious_injuries, Decimal(draft.direct_loss_yuan)))
    rules = decree_493_rules()
    grading = figures.grading()
    accident = Accident(
        enterprise_id=enterprise.id,
        county_code=enterprise.county_code,
        city_code=enterprise.city_code,
        province_code=enterprise.province_code,
        sector=enterprise.sector,
        kind=draft.kind.value,
        title=draft.title.strip(),
        description=draft.description.strip(),
        location=draft.location.strip(),
        occurred_at=draft.occurred_at,
        unit_reported_at=unit_reported_at,
        recorded_at=now,
        recorded_by=actor.audit_name,
        deaths=figures.deaths,
        serious_injuries=figures.serious_injuries,
        direct_loss_yuan=figures.direct_loss_yuan,
        grade=grading.grade.value,
        window_closes_at=window_closes_at(draft.occurred_at, draft.kind, rules),
        rules_version=rules.version,
        is_reporting_complete=False,
        had_open_major_hazard=False,
        hazards_linked_at=now,
    )
    session.add(accident)
    session.flush()
    session.add(
        CasualtyUpdate(
            accident_id=accident.id,
            reported_at=now,
            reported_by=actor.audit_name,
            deaths=figures.deaths,
            serious_injuries=figures.serious_injuries,
            direct_loss_yuan=figures.direct_loss_yuan,
            grade_before=None,
            grade_after=grading.grade.value,
            is_within_window=True,
            is_counted=True,
            note="first record",
        )
    )
    found = compute_open_hazards(session, actor, accident)
    _store_links(session, accident, found)
    _refresh_completeness(session, accident)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "accident.record",
        "accident",
        str(accident.id),
        after=snapshot(accident) | {"hazards": [h.number for h in found.hazards]},
    )
    return accident


def update_casualties(
    session: Session,
    actor: Principal,
    accident_id: int,
    reported: Figures,
    note: str = "",
    expected_version: int | None = None,
) -> CasualtyUpdate:
    """A supplementary report of the figures (补报, Art. 13). Within the window the grade follows them."""
    accident = get_accident(session, actor, accident_id, for_update=True)
    _check_version(accident, expected_version)
    if not _may_record(actor, enterprises.get_enterprise(session, actor, accident.enterprise_id)):
        raise PermissionDeniedError(action="accident.update_casualties")
    now = session_clock(session).now()
    result = regrade(
        figures_of(accident),
        reported,
        as_utc(accident.occurred_at),
        AccidentKind(accident.kind),
        now,
        decree_493_rules(),
    )
    before = snapshot(accident)
    accident.deaths = result.counted.deaths
    accident.serious_injuries = result.counted.serious_injuries
    accident.direct_loss_yuan = result.counted.direct_loss_yuan
    accident.grade = result.grading.grade.value
    update = CasualtyUpdate(
        accident_id=accident.id,
        reported_at=now,
        reported_by=actor.audit_name,
        deaths=reported.deaths,
        serious_injuries=reported.serious_injuries,
        direct_loss_yuan=reported.direct_loss_yuan,
        grade_before=before["grade"],
        grade_after=accident.grade,
        is_within_window=result.is_within_window,
        is_counted=result.casualties_counted,
        note=note.strip(),
    )
    session.add(update)
    session.flush()
    _refresh_completeness(session, accident)  # a higher grade reports further up
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "accident.update_casualties",
        "accident",
        str(accident.id),
        before=before,
        after=snapshot(accident)
        | {
            "reported": {
                "deaths": reported.deaths,
                "serious_injuries": reported.serious_injuries,
                "direct_loss_yuan": str(reported.direct_loss_yuan),
            },
            "is_within_window": result.is_within_window,
            "is_counted": result.casualties_counted,
        },
    )
    return update


# ---- the demo -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AccidentDemo:
    accident_id: int
    enterprise_id: int
    hazard_numbers: tuple[str, ...]  # the open major hazards it is linked to


def seed_accident_demo(session: Session, actor: Principal, enterprise_id: int | None = None) -> AccidentDemo:
    """An accident linked to an earlier open major hazard, for the demo. `actor` is a regulator or an
    administrator. Takes the oldest open major hazard in the actor's scope (at `enterprise_id` if given);
    if there is none, reports one first (found 20 days ago). The accident happened yesterday: 1 death and
    4 serious injuries (一般事故), reported by the unit 40 minutes later, and the county reported it up."""
    now = session_clock(session).now()
    occurred = now - timedelta(days=1)
    major = [
        h
        for h in repository.open_major_hazards(session, actor, limit=200)
        if enterprise_id is None or h.enterprise_id == enterprise_id
    ]
    earlier = [h for h in major if as_utc(h.found_at) < occurred]
    if earlier:
        enterprise_id = earlier[0].enterprise_id
    else:
        enterprise_id = enterprise_id or (major[0].enterprise_id if major else None)
        if enterprise_id is None:
            raise NotFoundError(kind="enterprise with an open major hazard", key="demo")
        report = hazards.HazardReport(
            enterprise_id=enterprise_id,
            description="液氨储罐区可燃有毒气体检测报警装置失效，未设置联锁",
            source=Source.enforcement,
            found_at=now - timedelta(days=20),
            location="液氨罐区",
            level=HazardLevel.major,
            citation={"pack": "hazchem", "version": "2017", "clause": "12"},
        )
        hazards.report_hazard(session, actor, report)
    draft = AccidentDraft(
        enterprise_id=enterprise_id,
        title="液氨泄漏中毒事故",
        kind=AccidentKind.other,
        occurred_at=occurred,
        deaths=1,
        serious_injuries=4,
        direct_loss_yuan=Decimal("2350000"),
        location="液氨罐区",
        description="储罐阀门泄漏，检测报警装置未报警，巡检人员中毒",
        unit_reported_at=occurred + timedelta(minutes=40),
    )
    accident = record_accident(session, actor, draft)
    if actor.role == Role.admin or actor.level == Level.county:
        report_upward(session, actor, accident.id, occurred + timedelta(hours=2))
    numbers = tuple(link.hazard_number for link in repository.links(session, accident.id) if link.is_major)
    return AccidentDemo(accident.id, accident.enterprise_id, numbers)
