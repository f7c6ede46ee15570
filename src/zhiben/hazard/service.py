"""Hazard use cases: report, move through the lifecycle, list for supervision, extend, mark overdue.

Every function checks scope (an out-of-scope hazard is not found), checks the role, audits, and flushes;
the caller's unit of work commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Level, Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.errors import (
    ConflictError,
    EvidenceRejectedError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.hazard import repository
from zhiben.hazard.domain import (
    RECTIFICATION_STATES,
    Action,
    HazardFacts,
    HazardLevel,
    HazardState,
    Plan,
    Source,
    allowed_actions,
    check_citation,
    check_plan,
    escalated,
    level_rank,
    listing_level,
    next_state,
)
from zhiben.hazard.models import DeadlineExtension, Evidence, Hazard, RectificationPlan, Supervision
from zhiben.kit.blobs import BlobStore, sniff_media_type
from zhiben.kit.clock import SHANGHAI

SOURCE_BY_ROLE = {
    Role.enterprise: {Source.self_inspection},
    Role.officer: {Source.enforcement, Source.tipoff},
    Role.regulator: {Source.enforcement, Source.tipoff, Source.monitoring},
    Role.service_provider: {Source.service},
    Role.department: {Source.enforcement, Source.tipoff},
    Role.admin: set(Source),
}
EDITABLE = ("location", "description")


def snapshot(hazard: Hazard) -> dict[str, Any]:
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "number": hazard.number,
        "enterprise_id": hazard.enterprise_id,
        "state": hazard.state,
        "level": hazard.level,
        "citation": hazard.citation,
        "source": hazard.source,
        "location": hazard.location,
        "description": hazard.description,
        "deadline_at": iso(hazard.deadline_at),
        "is_overdue": hazard.is_overdue,
        "escalated_to": hazard.escalated_to,
        "listed_level": hazard.listed_level,
        "listing_division": hazard.listing_division,
        "version": hazard.version,
    }


def facts_of(hazard: Hazard) -> HazardFacts:
    return HazardFacts(
        state=HazardState(hazard.state),
        level=HazardLevel(hazard.level) if hazard.level else None,
        county_code=hazard.county_code,
        enterprise_id=hazard.enterprise_id,
        listing_division=hazard.listing_division,
        self_reported=hazard.source == Source.self_inspection,
    )


def actions_for(actor: Principal, hazard: Hazard) -> list[str]:
    return [a.value for a in allowed_actions(actor, facts_of(hazard))]


def oversight_for(session: Session, actor: Principal, hazard: Hazard) -> list[str]:
    """Beside the lifecycle actions: which of listing (挂牌督办), asking for more time and deciding on it
    the caller may do now; the same conditions as list_for_supervision, request_extension and
    decide_extension check (a form offered here can still be refused on its input)."""
    overseer = actor.role in (Role.regulator, Role.admin) and actor.has_jurisdiction_over(hazard.county_code)
    rectifying = hazard.deadline_at is not None and HazardState(hazard.state) in RECTIFICATION_STATES
    pending = any(e.status == "pending" for e in repository.extensions(session, hazard.id))
    owner = (actor.role == Role.enterprise and actor.enterprise_id == hazard.enterprise_id) or actor.role == Role.admin
    found = []
    if overseer and hazard.level == HazardLevel.major and hazard.is_open and hazard.state != HazardState.reported:
        found.append("list")
    if owner and rectifying and not pending:
        found.append("request_extension")
    if overseer and pending and HazardState(hazard.state) in RECTIFICATION_STATES:
        found.append("decide_extension")
    return found


def get_hazard(session: Session, actor: Principal, hazard_id: int, *, for_update: bool = False) -> Hazard:
    hazard = repository.get(session, actor, hazard_id, for_update=for_update)
    if hazard is None:
        raise NotFoundError(kind="hazard", key=hazard_id)
    return hazard


def _check_version(hazard: Hazard, expected_version: int | None) -> None:
    if expected_version is not None and hazard.version != expected_version:
        raise StaleVersionError(current=hazard.version, given=expected_version)


@dataclass(frozen=True)
class HazardReport:
    enterprise_id: int
    description: str
    source: Source
    found_at: datetime
    location: str = ""
    level: HazardLevel | None = None  # given when the finder determines it at once
    citation: dict[str, str] | None = None


def report_hazard(session: Session, actor: Principal, report: HazardReport) -> Hazard:
    enterprise = enterprises.get_enterprise(session, actor, report.enterprise_id)
    if report.source not in SOURCE_BY_ROLE[actor.role]:
        raise PermissionDeniedError(action=f"hazard.report:{report.source.value}")
    if not report.description.strip():
        raise InvalidInputError("description", "required", "describe the hazard")
    now = session_clock(session).now()
    if report.found_at > now:
        raise InvalidInputError("found_at", "future", "a hazard cannot be found in the future")
    year = now.astimezone(SHANGHAI).year
    sequence = repository.next_sequence(session, enterprise.county_code, year)
    hazard = Hazard(
        number=f"{enterprise.county_code}-{year}-{sequence:06d}",
        enterprise_id=enterprise.id,
        county_code=enterprise.county_code,
        city_code=enterprise.city_code,
        province_code=enterprise.province_code,
        sector=enterprise.sector,
        source=report.source.value,
        found_by=actor.audit_name,
        found_at=report.found_at,
        reported_at=now,
        location=report.location.strip(),
        description=report.description.strip(),
        level=None,
        citation=None,
        state=HazardState.reported.value,
        is_open=True,
        is_overdue=False,
    )
    session.add(hazard)
    session.flush()
    audit.record(session, actor.audit_name, "hazard.report", "hazard", str(hazard.id), after=snapshot(hazard))
    if report.level is not None:
        determine_hazard(session, actor, hazard.id, report.level, report.citation)
    return hazard


def _transition(session: Session, actor: Principal, hazard: Hazard, action: Action) -> dict[str, Any]:
    """Move the hazard to its next state; returns the snapshot from before."""
    target = next_state(action, actor, facts_of(hazard))
    before = snapshot(hazard)
    hazard.state = target.value
    hazard.is_open = target not in (HazardState.closed, HazardState.rejected)
    if target not in RECTIFICATION_STATES:
        hazard.is_overdue = False
    return before


def _finish(
    session: Session, actor: Principal, hazard: Hazard, action: str, before: dict[str, Any], **extra: Any
) -> Hazard:
    session.flush()
    after = snapshot(hazard) | extra
    audit.record(
        session, actor.audit_name, f"hazard.{action}", "hazard", str(hazard.id), before=before, after=after
    )
    return hazard


def determine_hazard(
    session: Session,
    actor: Principal,
    hazard_id: int,
    level: HazardLevel,
    citation: dict[str, str] | None = None,
    expected_version: int | None = None,
) -> Hazard:
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    check_citation(level, citation)
    before = _transition(session, actor, hazard, Action.determine)
    hazard.level = level.value
    hazard.citation = citation if level == HazardLevel.major else (citation or None)
    hazard.determined_at = session_clock(session).now()
    return _finish(session, actor, hazard, Action.determine.value, before)


def reject_hazard(
    session: Session, actor: Principal, hazard_id: int, reason: str, expected_version: int | None = None
) -> Hazard:
    if not reason.strip():
        raise InvalidInputError("reason", "required", "say why this is not a hazard")
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    before = _transition(session, actor, hazard, Action.reject)
    return _finish(session, actor, hazard, Action.reject.value, before, reason=reason.strip())


def plan_rectification(
    session: Session, actor: Principal, hazard_id: int, plan: Plan, expected_version: int | None = None
) -> Hazard:
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    now = session_clock(session).now()
    before = _transition(session, actor, hazard, Action.plan)
    check_plan(plan, HazardLevel(hazard.level or HazardLevel.general), now)
    if hazard.deadline_at is not None and plan.deadline_at > hazard.deadline_at:
        # A new plan after failed verification keeps the clock: only an approved extension moves it.
        raise InvalidInputError(
            "deadline_at", "clock", "a new plan cannot move the deadline; request an extension"
        )
    session.add(
        RectificationPlan(
            hazard_id=hazard.id,
            responsible_person=plan.responsible_person.strip(),
            measures=plan.measures.strip(),
            funds_yuan=plan.funds_yuan,
            deadline_at=plan.deadline_at,
            contingency=plan.contingency.strip(),
            created_by=actor.audit_name,
            created_at=now,
        )
    )
    if hazard.deadline_at is None:
        hazard.original_deadline_at = plan.deadline_at
        hazard.deadline_at = plan.deadline_at
    plan_record = {
        "responsible_person": plan.responsible_person,
        "measures": plan.measures,
        "funds_yuan": str(plan.funds_yuan) if plan.funds_yuan is not None else None,
        "deadline_at": plan.deadline_at.isoformat(),
        "contingency": plan.contingency,
    }
    return _finish(session, actor, hazard, Action.plan.value, before, plan=plan_record)


def start_rectification(
    session: Session, actor: Principal, hazard_id: int, expected_version: int | None = None
) -> Hazard:
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    if repository.current_plan(session, hazard.id) is None:
        raise InvalidInputError(
            "plan", "required", "a rectification plan is needed before rectification starts"
        )
    before = _transition(session, actor, hazard, Action.start)
    return _finish(session, actor, hazard, Action.start.value, before)


def complete_rectification(
    session: Session,
    actor: Principal,
    hazard_id: int,
    acceptance_note: str,
    expected_version: int | None = None,
) -> Hazard:
    """The enterprise's own acceptance (企业自行验收): a note, and for a major hazard an 'after' photo or document."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    if not acceptance_note.strip():
        raise InvalidInputError(
            "acceptance_note", "required", "record the enterprise's acceptance of the work"
        )
    before = _transition(session, actor, hazard, Action.complete)
    since = hazard.reopened_at  # after a failed verification, only new evidence counts
    fresh = [e for e in repository.evidence(session, hazard.id) if since is None or e.uploaded_at >= since]
    if hazard.level == HazardLevel.major and not any(e.phase == "after" for e in fresh):
        raise InvalidInputError(
            "evidence", "required", "a major hazard needs evidence of the rectified state ('after')"
        )
    hazard.rectified_at = session_clock(session).now()
    return _finish(
        session, actor, hazard, Action.complete.value, before, acceptance_note=acceptance_note.strip()
    )


def verify_hazard(
    session: Session, actor: Principal, hazard_id: int, opinion: str, expected_version: int | None = None
) -> Hazard:
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    before = _transition(session, actor, hazard, Action.verify)
    hazard.verified_at = session_clock(session).now()
    return _finish(session, actor, hazard, Action.verify.value, before, opinion=opinion.strip())


def fail_verification(
    session: Session, actor: Principal, hazard_id: int, reason: str, expected_version: int | None = None
) -> Hazard:
    if not reason.strip():
        raise InvalidInputError("reason", "required", "say what is still wrong")
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    before = _transition(session, actor, hazard, Action.fail_verification)
    hazard.rectified_at = None
    hazard.reopened_at = session_clock(session).now()
    return _finish(session, actor, hazard, Action.fail_verification.value, before, reason=reason.strip())


def close_out_hazard(
    session: Session, actor: Principal, hazard_id: int, expected_version: int | None = None
) -> Hazard:
    """Close-out (销号)."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    before = _transition(session, actor, hazard, Action.close)
    now = session_clock(session).now()
    hazard.closed_at = now
    supervision = repository.active_supervision(session, hazard.id)
    if supervision is not None:
        supervision.lifted_at = now
    return _finish(session, actor, hazard, Action.close.value, before)


def list_for_supervision(
    session: Session, actor: Principal, hazard_id: int, deadline_at: datetime, document_number: str = ""
) -> Supervision:
    """Listed supervision (挂牌督办) at the regulator's own level."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    if actor.role not in (Role.regulator, Role.admin) or not actor.has_jurisdiction_over(hazard.county_code):
        raise PermissionDeniedError(action="hazard.list")
    if hazard.level != HazardLevel.major or not hazard.is_open or hazard.state == HazardState.reported:
        raise ConflictError(reason="only an open, determined major hazard can be listed for supervision")
    now = session_clock(session).now()
    if deadline_at <= now:
        raise InvalidInputError("deadline_at", "past", "the supervision deadline must be in the future")
    current = repository.active_supervision(session, hazard.id)
    level = listing_level(actor)
    if current is not None:
        # A higher level may take over the listing (提级督办); the same or a lower level may not.
        if level_rank(level) <= level_rank(Level(current.level)):
            raise ConflictError(
                reason=f"already listed at {current.level} level by {current.authority_division}"
            )
        current.lifted_at = now
    before = snapshot(hazard)
    supervision = Supervision(
        hazard_id=hazard.id,
        level=level.value,
        authority_division=actor.division_code or "",
        listed_by=actor.audit_name,
        listed_at=now,
        deadline_at=deadline_at,
        document_number=document_number.strip(),
    )
    session.add(supervision)
    hazard.listed_level = level.value
    hazard.listing_division = actor.division_code or ""
    _finish(session, actor, hazard, "list", before, supervision_deadline_at=deadline_at.isoformat())
    return supervision


def request_extension(
    session: Session, actor: Principal, hazard_id: int, new_deadline_at: datetime, reason: str
) -> DeadlineExtension:
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    if (
        not (actor.role == Role.enterprise and actor.enterprise_id == hazard.enterprise_id)
        and actor.role != Role.admin
    ):
        raise PermissionDeniedError(action="hazard.request_extension")
    if hazard.deadline_at is None or HazardState(hazard.state) not in RECTIFICATION_STATES:
        raise ConflictError(reason="only a hazard under rectification with a deadline can be extended")
    if not reason.strip():
        raise InvalidInputError("reason", "required", "say why more time is needed")
    if any(e.status == "pending" for e in repository.extensions(session, hazard.id)):
        raise ConflictError(reason="an extension request is already waiting for a decision")
    if new_deadline_at <= hazard.deadline_at:
        raise InvalidInputError(
            "new_deadline_at", "earlier", "the new deadline must be later than the current one"
        )
    now = session_clock(session).now()
    extension = DeadlineExtension(
        hazard_id=hazard.id,
        requested_by=actor.audit_name,
        requested_at=now,
        old_deadline_at=hazard.deadline_at,
        new_deadline_at=new_deadline_at,
        reason=reason.strip(),
        status="pending",
    )
    session.add(extension)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "hazard.request_extension",
        "hazard",
        str(hazard.id),
        after={
            "extension_id": extension.id,
            "new_deadline_at": new_deadline_at.isoformat(),
            "reason": extension.reason,
        },
    )
    return extension


def decide_extension(
    session: Session, actor: Principal, hazard_id: int, extension_id: int, approve: bool
) -> DeadlineExtension:
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    if actor.role not in (Role.regulator, Role.admin) or not actor.has_jurisdiction_over(hazard.county_code):
        raise PermissionDeniedError(action="hazard.decide_extension")
    extension = next((e for e in repository.extensions(session, hazard.id) if e.id == extension_id), None)
    if extension is None:
        raise NotFoundError(kind="extension", key=extension_id)
    if extension.status != "pending":
        raise ConflictError(reason=f"the extension was already {extension.status}")
    if HazardState(hazard.state) not in RECTIFICATION_STATES:
        raise ConflictError(reason=f"the hazard is {hazard.state}; there is no deadline left to extend")
    before = snapshot(hazard)
    now = session_clock(session).now()
    extension.status = "approved" if approve else "refused"
    extension.decided_by, extension.decided_at = actor.audit_name, now
    if approve:
        hazard.deadline_at = extension.new_deadline_at
        hazard.is_overdue = False  # an escalation, once made, stays: the higher level keeps watching
        hazard.overdue_since = None
    _finish(
        session, actor, hazard, "decide_extension", before, extension_id=extension.id, status=extension.status
    )
    return extension


def update_hazard(
    session: Session, actor: Principal, hazard_id: int, changes: dict[str, Any], expected_version: int
) -> Hazard:
    """Edit the description or location. Never touches dates, deadlines or state."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    _check_version(hazard, expected_version)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        field = sorted(unknown)[0]
        raise InvalidInputError(field, "not_editable", f"{field} cannot be edited; use the lifecycle actions")
    if not hazard.is_open:
        raise ConflictError(reason="a closed or rejected hazard is not edited")
    if not (
        hazard.found_by == actor.audit_name
        or actor.has_jurisdiction_over(hazard.county_code)
        or (actor.role == Role.enterprise and actor.enterprise_id == hazard.enterprise_id)
    ):
        raise PermissionDeniedError(action="hazard.update")
    if "description" in changes and not str(changes["description"]).strip():
        raise InvalidInputError("description", "required", "describe the hazard")
    before = snapshot(hazard)
    for key, value in changes.items():
        setattr(hazard, key, str(value).strip())
    return _finish(session, actor, hazard, "update", before)


def attach_evidence(
    session: Session,
    actor: Principal,
    hazard_id: int,
    data: bytes,
    phase: str,
    filename: str,
    store: BlobStore,
    max_bytes: int,
) -> Evidence:
    hazard = get_hazard(session, actor, hazard_id)
    if phase not in ("before", "after", "other"):
        raise EvidenceRejectedError("phase", "unknown", "phase is before, after or other")
    if not data:
        raise EvidenceRejectedError("file", "empty", "the file is empty")
    if len(data) > max_bytes:
        raise EvidenceRejectedError(
            "file", "too_large", f"the file is {len(data)} bytes; the limit is {max_bytes}"
        )
    media_type = sniff_media_type(data)
    if media_type is None:
        raise EvidenceRejectedError("file", "type", "only JPEG, PNG and PDF files are accepted")
    if not hazard.is_open:
        raise ConflictError(reason="evidence cannot be added to a closed or rejected hazard")
    digest = store.put(data)
    evidence = Evidence(
        hazard_id=hazard.id,
        sha256=digest,
        media_type=media_type,
        size_bytes=len(data),
        phase=phase,
        filename=filename[:200],
        uploaded_by=actor.audit_name,
        uploaded_at=session_clock(session).now(),
    )
    session.add(evidence)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "hazard.attach_evidence",
        "hazard",
        str(hazard.id),
        after={
            "evidence_id": evidence.id,
            "sha256": digest,
            "media_type": media_type,
            "size_bytes": len(data),
            "phase": phase,
        },
    )
    return evidence


def mark_overdue(session: Session, actor: Principal, escalate_levels: int, batch: int = 1000) -> int:
    """One batch of the scheduled job: flag hazards past their deadline; escalate overdue major hazards.
    Returns how many it flagged; the caller commits and calls again until it returns 0."""
    now = session_clock(session).now()
    states = [s.value for s in RECTIFICATION_STATES]
    found = repository.newly_overdue(session, now, states, batch)
    for hazard in found:
        before = snapshot(hazard)
        hazard.is_overdue = True
        hazard.overdue_since = hazard.overdue_since or now
        if hazard.level == HazardLevel.major and escalate_levels > 0 and hazard.escalated_to is None:
            hazard.escalated_to = escalated(hazard.county_code, escalate_levels)
        _finish(session, actor, hazard, "overdue", before)
    return len(found)


def restate_citation(session: Session, actor: Principal, hazard_id: int, citation: dict[str, str]) -> Hazard:
    """New facts still meet the clause an open hazard cites: the citation carries the facts as they are now.

    Called by the standards feature when an enterprise's answers change; the level and state stay."""
    hazard = get_hazard(session, actor, hazard_id, for_update=True)
    if not hazard.is_open:
        raise ConflictError(reason="a closed or rejected hazard keeps the citation it was closed with")
    check_citation(HazardLevel(hazard.level or HazardLevel.major), citation)
    before = snapshot(hazard)
    hazard.citation = citation
    return _finish(session, actor, hazard, "restate_citation", before)
