"""The inspection on site (现场检查), once it has started: the checklist, findings with their photos and
place, on-the-spot measures (现场处理措施), rectification orders (责令限期整改指令书) with deadlines,
re-inspection (复查), penalties (行政处罚) and finishing.

Who: the inspection's team, or the planning regulator (domain.is_planning_regulator); anyone else who can
see the inspection gets 403, anyone who cannot gets 404. When: only while the inspection is in progress
(started, not finished). The one exception is the re-inspection, which falls after the deadlines and so
usually after the inspection has finished.

A cross-region team comes from another county, so its officers have no jurisdiction over the target in
their own right. While they act for the inspection they act with the target county's scope (`acting_for`):
that is the principal the checklist and the hazard service see, and it answers the checklist as an officer,
so the source is enforcement. The audit entries keep the officer's own name.

Every change is audited in the transaction that makes it; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.division import service as divisions
from zhiben.enforcement import models, repository, service
from zhiben.enforcement.documents import DocumentKind, DocumentNumber
from zhiben.enforcement.domain import is_planning_regulator
from zhiben.enforcement.penalties import check_fine
from zhiben.enterprise.models import Enterprise
from zhiben.errors import (
    ConflictError,
    EvidenceRejectedError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
)
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.kit.blobs import BlobStore, sniff_media_type
from zhiben.kit.clock import SHANGHAI
from zhiben.standards import checklist as checklists
from zhiben.standards.engine import applicable
from zhiben.standards.pack import Clause, RulePack

# 现场处理措施 the Work Safety Law lets an inspector take on the spot (安全生产法 2021 第六十五条, recalled: R).
MEASURE_KINDS = {
    "correct_on_site": "当场予以纠正",
    "evacuate": "责令从危险区域内撤出作业人员",
    "suspend": "责令暂时停产停业或者停止使用相关设施、设备",
    "seal": "查封、扣押不符合标准的设施、设备、器材",
    "other": "其他现场处理措施",
}
ORDER_LEGAL_BASIS = (
    "《中华人民共和国安全生产法》第六十五条"  # the inspector's power to order rectification (R)
)
DOCUMENT_KINDS = {
    "record": DocumentKind.INSPECTION_RECORD,
    "order": DocumentKind.RECTIFICATION_ORDER,
    "reinspection": DocumentKind.REINSPECTION_OPINION,
    "penalty": DocumentKind.PENALTY_DECISION,
}


# ------------------------------------------------------------------------------------------ access


def acting_for(actor: Principal, inspection: models.Inspection) -> Principal:
    """The principal a team member acts as for this inspection: an officer of the target's county."""
    if actor.role == Role.officer:
        return replace(actor, division_code=inspection.county_code)
    return actor


def _inspector(session: Session, actor: Principal, inspection_id: int, action: str) -> models.Inspection:
    """The inspection, if the caller sees it (else 404) and is on its team or its planning regulator (else 403)."""
    inspection = service.view_inspection(session, actor, inspection_id)
    team = repository.team_of(session, inspection.id)
    if actor.user_id not in team and not is_planning_regulator(actor, inspection.planning_division):
        raise PermissionDeniedError(action=action)
    return inspection


def _in_progress(session: Session, actor: Principal, inspection_id: int, action: str) -> models.Inspection:
    inspection = _inspector(session, actor, inspection_id, action)
    if inspection.state != "in_progress":
        raise ConflictError(
            reason="nothing is recorded before the inspection starts"
            if inspection.state == "planned"
            else "the inspection is finished: nothing more is recorded on it"
        )
    return inspection


def _now(session: Session) -> datetime:
    return session_clock(session).now()


def _today(session: Session) -> date:
    return _now(session).astimezone(SHANGHAI).date()


def enterprise_of(session: Session, inspection: models.Inspection) -> Enterprise:
    enterprise = session.get(Enterprise, inspection.enterprise_id)
    assert enterprise is not None  # a foreign key
    return enterprise


# --------------------------------------------------------------------------------------- checklist


@dataclass(frozen=True)
class InspectionChecklist:
    """The questions of the rule packs that apply to the target, then the emphasis programme's questions."""

    inspection_id: int
    checklist: checklists.Checklist
    emphasis: tuple[models.EmphasisQuestion, ...]


def _emphasis(session: Session, inspection_id: int) -> list[models.EmphasisQuestion]:
    query = select(models.EmphasisQuestion).where(models.EmphasisQuestion.inspection_id == inspection_id)
    return list(session.scalars(query.order_by(models.EmphasisQuestion.id)))


def inspection_checklist(session: Session, actor: Principal, inspection_id: int) -> InspectionChecklist:
    inspection = _inspector(session, actor, inspection_id, "inspection.checklist")
    packs = checklists.installed_packs()
    found = checklists.checklist(session, acting_for(actor, inspection), inspection.enterprise_id, packs)
    return InspectionChecklist(inspection.id, found, tuple(_emphasis(session, inspection.id)))


def add_emphasis_questions(
    session: Session, actor: Principal, inspection_id: int, programme: str, questions: Sequence[str]
) -> list[models.EmphasisQuestion]:
    """The planning regulator adds an emphasis programme's (专项) questions to one inspection."""
    inspection = _inspector(session, actor, inspection_id, "inspection.emphasis")
    if not is_planning_regulator(actor, inspection.planning_division):
        raise PermissionDeniedError(action="inspection.emphasis")
    if inspection.state == "done":
        raise ConflictError(reason="the inspection is finished: nothing more is recorded on it")
    texts = [q.strip() for q in questions if q.strip()]
    if not programme.strip() or not texts:
        raise InvalidInputError("questions", "required", "name the programme and give at least one question")
    rows = [
        models.EmphasisQuestion(inspection_id=inspection.id, programme=programme.strip(), question=text)
        for text in texts
    ]
    session.add_all(rows)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.emphasis",
        "inspection",
        str(inspection.id),
        after={"programme": programme.strip(), "questions": texts},
    )
    return rows


def answer_checklist(
    session: Session,
    actor: Principal,
    inspection_id: int,
    answers: Mapping[str, object],
    emphasis: Mapping[int, str],
) -> checklists.Outcome | None:
    """Rule-pack answers go through the standards checklist (a met clause raises the major hazard);
    emphasis answers are kept on the inspection."""
    inspection = _in_progress(session, actor, inspection_id, "inspection.answer")
    if not answers and not emphasis:
        raise InvalidInputError("answers", "required", "give at least one answer")
    if emphasis:
        _answer_emphasis(session, actor, inspection, emphasis)
    if not answers:
        return None
    packs = checklists.installed_packs()
    return checklists.answer(session, acting_for(actor, inspection), inspection.enterprise_id, answers, packs)


def _answer_emphasis(
    session: Session, actor: Principal, inspection: models.Inspection, emphasis: Mapping[int, str]
) -> None:
    rows = {q.id: q for q in _emphasis(session, inspection.id)}
    unknown = sorted(set(emphasis) - set(rows))
    if unknown:
        raise InvalidInputError("emphasis", "unknown", f"this inspection has no emphasis questions {unknown}")
    now = _now(session)
    before, after = {}, {}
    for qid, text in sorted(emphasis.items()):
        row = rows[qid]
        before[str(qid)], after[str(qid)] = row.answer, text.strip() or None
        row.answer, row.answered_by, row.answered_at = text.strip() or None, actor.audit_name, now
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.answer_emphasis",
        "inspection",
        str(inspection.id),
        before=before,
        after=after,
    )


# ---------------------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class FindingDraft:
    description: str
    location: str = ""
    longitude: float | None = None
    latitude: float | None = None
    found_at: datetime | None = None  # now, if not given
    is_major: bool = False
    pack: str | None = None  # a major finding cites the clause it meets: pack id and clause id
    clause: str | None = None
    basis: str = ""  # what a general finding breaks, as printed on the documents (e.g. GB 30871-2022 5.2.1)


@dataclass(frozen=True)
class Photo:
    filename: str
    data: bytes


def _check_finding(draft: FindingDraft, inspection: models.Inspection, now: datetime) -> None:
    problems = []
    if not draft.description.strip():
        problems.append(("description", "required", "describe what was found"))
    if (draft.longitude is None) != (draft.latitude is None):
        problems.append(("longitude", "incomplete", "give both the longitude and the latitude, or neither"))
    if draft.longitude is not None and not -180 <= draft.longitude <= 180:
        problems.append(("longitude", "range", "a longitude from -180 to 180"))
    if draft.latitude is not None and not -90 <= draft.latitude <= 90:
        problems.append(("latitude", "range", "a latitude from -90 to 90"))
    found_at = draft.found_at or now
    if found_at > now:
        problems.append(("found_at", "future", "a finding cannot be made in the future"))
    elif inspection.started_at is not None and found_at < inspection.started_at:
        problems.append(("found_at", "before_start", "a finding is made after the inspection started"))
    if draft.is_major and not (draft.pack and draft.clause):
        problems.append(("clause", "required", "a major hazard cites the pack and clause it meets"))
    if problems:
        raise InvalidInputError.of(problems)


def _clause_in_force(
    enterprise: Enterprise, pack_id: str, clause_id: str, on: date
) -> tuple[RulePack, Clause]:
    """The clause of a pack that applies to the enterprise's sector and is in force on the day."""
    packs = applicable(checklists.installed_packs(), enterprise.sector, on, drafts=True)
    for pack in packs:
        if pack.id != pack_id:
            continue
        for clause in pack.clauses:
            if clause.spec.id == clause_id:
                return pack, clause
    in_force = ", ".join(sorted(p.id for p in packs))
    raise InvalidInputError(
        "clause",
        "not_in_force",
        f"{pack_id}/{clause_id} is not a clause of a pack in force for {enterprise.sector} on {on} "
        f"(packs in force: {in_force})",
    )


def _photos(photos: Sequence[Photo], store: BlobStore, max_bytes: int) -> list[dict[str, Any]]:
    kept = []
    for i, photo in enumerate(photos):
        field = f"photos[{i}]"
        if not photo.data:
            raise EvidenceRejectedError(field, "empty", "the file is empty")
        if len(photo.data) > max_bytes:
            raise EvidenceRejectedError(
                field, "too_large", f"{len(photo.data)} bytes; the limit is {max_bytes}"
            )
        media_type = sniff_media_type(photo.data)
        if media_type is None:
            raise EvidenceRejectedError(field, "type", "only JPEG, PNG and PDF files are accepted")
        kept.append(
            {"sha256": store.put(photo.data), "media_type": media_type, "filename": photo.filename[:200]}
        )
    return kept


def record_finding(
    session: Session,
    actor: Principal,
    inspection_id: int,
    draft: FindingDraft,
    photos: Sequence[Photo] = (),
    store: BlobStore | None = None,
    max_bytes: int = 20 * 1024 * 1024,
) -> models.InspectionFinding:
    """Record a finding; a major one raises the hazard, determined major and citing its clause, with the photos."""
    inspection = _in_progress(session, actor, inspection_id, "inspection.finding")
    now = _now(session)
    _check_finding(draft, inspection, now)
    if photos and store is None:
        raise InvalidInputError("photos", "no_store", "photos need a file store")
    enterprise = enterprise_of(session, inspection)
    found_at = draft.found_at or now
    finding = models.InspectionFinding(
        inspection_id=inspection.id,
        description=draft.description.strip(),
        location=draft.location.strip(),
        longitude=draft.longitude,
        latitude=draft.latitude,
        found_at=found_at,
        evidence=[],
        is_major=draft.is_major,
        citation=draft.basis.strip(),
        recorded_by=actor.audit_name,
        recorded_at=now,
    )
    if draft.is_major:
        assert draft.pack is not None and draft.clause is not None
        on = found_at.astimezone(SHANGHAI).date()
        pack, clause = _clause_in_force(enterprise, draft.pack, draft.clause, on)
        finding.pack, finding.pack_version, finding.clause = pack.id, pack.version, clause.spec.id
        finding.citation = f"{pack.id}/{clause.spec.id}（{pack.spec.document} {clause.spec.citation}）"
        hazard = _raise_hazard(session, actor, inspection, finding, pack, clause)
        finding.hazard_id = hazard.id
    if photos:
        assert store is not None
        finding.evidence = _photos(photos, store, max_bytes)
    session.add(finding)
    session.flush()
    if finding.hazard_id is not None and photos:
        assert store is not None
        acting = acting_for(actor, inspection)
        for photo in photos:
            hazards.attach_evidence(
                session, acting, finding.hazard_id, photo.data, "before", photo.filename, store, max_bytes
            )
    audit.record(
        session,
        actor.audit_name,
        "inspection.finding",
        "inspection",
        str(inspection.id),
        after=_snapshot(finding),
    )
    return finding


def _raise_hazard(
    session: Session,
    actor: Principal,
    inspection: models.Inspection,
    finding: models.InspectionFinding,
    pack: RulePack,
    clause: Clause,
) -> Any:
    citation = checklists.citation_of(pack, clause, {})
    citation["inspection_id"] = str(inspection.id)
    report = hazards.HazardReport(
        enterprise_id=inspection.enterprise_id,
        description=f"{finding.description}（{pack.spec.document} {clause.spec.citation}：{clause.spec.summary.zh}）",
        source=Source.enforcement,
        found_at=finding.found_at,
        location=finding.location,
        level=HazardLevel.major,
        citation=citation,
    )
    return hazards.report_hazard(session, acting_for(actor, inspection), report)


def _snapshot(finding: models.InspectionFinding) -> dict[str, Any]:
    return {
        "finding_id": finding.id,
        "description": finding.description,
        "location": finding.location,
        "gps": [finding.longitude, finding.latitude] if finding.longitude is not None else None,
        "found_at": finding.found_at.isoformat(),
        "is_major": finding.is_major,
        "clause": f"{finding.pack}/{finding.clause}" if finding.pack else None,
        "pack_version": finding.pack_version,
        "hazard_id": finding.hazard_id,
        "evidence": [e["sha256"] for e in finding.evidence],
    }


def add_finding_photo(
    session: Session, actor: Principal, finding_id: int, photo: Photo, store: BlobStore, max_bytes: int
) -> models.InspectionFinding:
    finding = session.get(models.InspectionFinding, finding_id)
    if finding is None:
        raise NotFoundError(kind="finding", key=finding_id)
    inspection = _in_progress(session, actor, finding.inspection_id, "inspection.finding")
    kept = _photos([photo], store, max_bytes)
    finding.evidence = [*finding.evidence, *kept]
    if finding.hazard_id is not None:
        acting = acting_for(actor, inspection)
        hazards.attach_evidence(
            session, acting, finding.hazard_id, photo.data, "before", photo.filename, store, max_bytes
        )
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.finding_photo",
        "inspection",
        str(inspection.id),
        after={"finding_id": finding.id, **kept[0]},
    )
    return finding


def findings_of(session: Session, inspection_id: int) -> list[models.InspectionFinding]:
    query = select(models.InspectionFinding).where(models.InspectionFinding.inspection_id == inspection_id)
    return list(session.scalars(query.order_by(models.InspectionFinding.id)))


# ---------------------------------------------------------------------------------------- measures


def take_measure(
    session: Session, actor: Principal, inspection_id: int, kind: str, description: str
) -> models.OnSiteMeasure:
    inspection = _in_progress(session, actor, inspection_id, "inspection.measure")
    problems = []
    if kind not in MEASURE_KINDS:
        problems.append(("kind", "unknown", f"one of {', '.join(MEASURE_KINDS)}"))
    if not description.strip():
        problems.append(("description", "required", "say what was ordered on the spot"))
    if problems:
        raise InvalidInputError.of(problems)
    measure = models.OnSiteMeasure(
        inspection_id=inspection.id,
        kind=kind,
        description=description.strip(),
        taken_at=_now(session),
        recorded_by=actor.audit_name,
    )
    session.add(measure)
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.measure",
        "inspection",
        str(inspection.id),
        after={"measure_id": measure.id, "kind": kind, "description": measure.description},
    )
    return measure


def measures_of(session: Session, inspection_id: int) -> list[models.OnSiteMeasure]:
    query = select(models.OnSiteMeasure).where(models.OnSiteMeasure.inspection_id == inspection_id)
    return list(session.scalars(query.order_by(models.OnSiteMeasure.id)))


# ----------------------------------------------------------------------------------------- numbers


def issuer(session: Session, division_code: str) -> tuple[str, str]:
    """The authority (应急管理局 of the planning division) and the head of its document numbers,
    `（地区简称）应急` (reference: data-standards/enforcement_doc_number_abbrev.csv). The reference has no
    table of regional short names, so the division's full name stands in for it (（苏州市）应急)."""
    if not division_code:
        return "中华人民共和国应急管理部", "应急"
    try:
        division = divisions.get_division(session, division_code)
    except NotFoundError:
        return f"{division_code}应急管理局", f"（{division_code}）应急"
    return f"{division.name}应急管理局", f"（{division.name}）应急"


SEQUENCE_CONSTRAINT = "uq_enforcement_document_numbers_sequence"
NUMBER_ATTEMPTS = 20


def _sequence_clash(error: IntegrityError) -> bool:
    """Whether the insert lost the race for a sequence number (and not some other constraint): PostgreSQL
    names the constraint; SQLite names the columns."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        return bool(diag.constraint_name == SEQUENCE_CONSTRAINT)
    return "enforcement_document_numbers.sequence" in str(error.orig)


def allocate_number(
    session: Session, inspection: models.Inspection, kind: str, object_id: int
) -> models.EnforcementDocumentNumber:
    """The next number of this kind in the planning division's year: max(sequence) + 1, inserted in a
    savepoint. Two transactions may read the same maximum; the unique constraint lets one insert win, and
    the other, refused on it, rolls back only its savepoint, reads the maximum again (read committed: it
    now sees the winner's row) and takes the next number. So numbers stay consecutive, with no gap and
    no counter table. SQLite serialises writing transactions, so there the first attempt always wins."""
    session.flush()  # only the number row is in the savepoint, so a refusal rolls back nothing else
    now = _now(session)
    year = now.astimezone(SHANGHAI).year
    N = models.EnforcementDocumentNumber
    for _ in range(NUMBER_ATTEMPTS):
        last = session.scalar(
            select(func.max(N.sequence)).where(
                N.planning_division == inspection.planning_division, N.kind == kind, N.year == year
            )
        )
        row = N(
            inspection_id=inspection.id,
            kind=kind,
            object_id=object_id,
            planning_division=inspection.planning_division,
            year=year,
            sequence=(last or 0) + 1,
            issued_at=now,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError as error:
            if not _sequence_clash(error):
                raise
            continue
        return row
    raise ConflictError(reason=f"no free {kind} number after {NUMBER_ATTEMPTS} attempts: try again")


def render_number(session: Session, row: models.EnforcementDocumentNumber) -> str:
    return document_number(session, row).render(DOCUMENT_KINDS[row.kind])


def document_number(session: Session, row: models.EnforcementDocumentNumber) -> DocumentNumber:
    return DocumentNumber(issuer(session, row.planning_division)[1], row.year, row.sequence)


# ------------------------------------------------------------------------------------------ orders


@dataclass(frozen=True)
class OrderItemDraft:
    finding_id: int
    deadline: date


def issue_order(
    session: Session,
    actor: Principal,
    inspection_id: int,
    items: Sequence[OrderItemDraft],
    legal_basis: str = ORDER_LEGAL_BASIS,
    reinspect_on: date | None = None,
) -> models.RectificationOrder:
    """责令限期整改: each item a finding of this inspection with a deadline after the day of the order.
    The re-inspection is scheduled at once: on `reinspect_on`, or on the latest deadline."""
    inspection = _in_progress(session, actor, inspection_id, "inspection.order")
    findings = {f.id: f for f in findings_of(session, inspection.id)}
    today = _today(session)
    problems = []
    if not items:
        problems.append(("items", "required", "an order has at least one item"))
    for i, item in enumerate(items):
        if item.finding_id not in findings:
            problems.append(
                (f"items[{i}].finding_id", "unknown", f"no finding {item.finding_id} on this inspection")
            )
        if item.deadline <= today:
            problems.append(
                (f"items[{i}].deadline", "not_after_order", f"a deadline after {today.isoformat()}")
            )
    if reinspect_on is not None and reinspect_on <= today:
        problems.append(("reinspect_on", "not_after_order", f"a re-inspection after {today.isoformat()}"))
    if not legal_basis.strip():
        problems.append(("legal_basis", "required", "the article the order rests on"))
    if problems:
        raise InvalidInputError.of(problems)
    order = models.RectificationOrder(
        inspection_id=inspection.id,
        number="",
        items=[_order_item(findings[item.finding_id], item.deadline) for item in items],
        legal_basis=legal_basis.strip(),
        issued_at=_now(session),
        issued_by=actor.audit_name,
    )
    session.add(order)
    session.flush()
    order.number = render_number(session, allocate_number(session, inspection, "order", order.id))
    scheduled = reinspect_on or max(item.deadline for item in items)
    session.add(models.Reinspection(order_id=order.id, inspection_id=inspection.id, scheduled_on=scheduled))
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.order",
        "inspection",
        str(inspection.id),
        after={
            "order_id": order.id,
            "number": order.number,
            "items": order.items,
            "reinspect_on": scheduled.isoformat(),
        },
    )
    return order


def _order_item(finding: models.InspectionFinding, deadline: date) -> dict[str, Any]:
    return {
        "finding_id": finding.id,
        "description": finding.description,
        "clause": finding.citation,
        "is_major": finding.is_major,
        "deadline": deadline.isoformat(),
    }


def orders_of(session: Session, inspection_id: int) -> list[models.RectificationOrder]:
    query = select(models.RectificationOrder).where(models.RectificationOrder.inspection_id == inspection_id)
    return list(session.scalars(query.order_by(models.RectificationOrder.id)))


# ------------------------------------------------------------------------------------ re-inspection


@dataclass(frozen=True)
class ItemResult:
    item: int  # 1-based, as numbered on the order
    is_rectified: bool
    note: str = ""


def record_reinspection(
    session: Session, actor: Principal, order_id: int, results: Sequence[ItemResult]
) -> models.Reinspection:
    """复查: every item of the order, rectified or not. Recorded once, by the team or the planning regulator."""
    order = session.get(models.RectificationOrder, order_id)
    if order is None:
        raise NotFoundError(kind="rectification order", key=order_id)
    inspection = _inspector(session, actor, order.inspection_id, "inspection.reinspect")
    reinspection = session.scalars(
        select(models.Reinspection).where(models.Reinspection.order_id == order.id)
    ).one()
    if reinspection.done_at is not None:
        raise ConflictError(reason="this order has been re-inspected already")
    given = sorted(r.item for r in results)
    if given != list(range(1, len(order.items) + 1)):
        raise InvalidInputError(
            "results",
            "items",
            f"one result for each of the order's items 1 to {len(order.items)}; got {given}",
        )
    reinspection.results = [
        {"item": r.item, "is_rectified": r.is_rectified, "note": r.note.strip()}
        for r in sorted(results, key=lambda r: r.item)
    ]
    reinspection.done_at, reinspection.recorded_by = _now(session), actor.audit_name
    session.flush()
    reinspection.number = render_number(
        session, allocate_number(session, inspection, "reinspection", reinspection.id)
    )
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.reinspect",
        "inspection",
        str(inspection.id),
        after={"order_id": order.id, "number": reinspection.number, "results": reinspection.results},
    )
    return reinspection


def reinspections_of(session: Session, inspection_id: int) -> list[models.Reinspection]:
    query = select(models.Reinspection).where(models.Reinspection.inspection_id == inspection_id)
    return list(session.scalars(query.order_by(models.Reinspection.id)))


def list_reinspections(
    session: Session, actor: Principal, overdue: bool, offset: int, limit: int
) -> tuple[list[models.Reinspection], int]:
    """Re-inspections of the inspections the caller may see; `overdue`: not done and past their day."""
    now = _now(session)
    query = (
        select(models.Reinspection)
        .join(models.Inspection, models.Inspection.id == models.Reinspection.inspection_id)
        .where(repository.visible(actor, now))
    )
    if overdue:
        today = now.astimezone(SHANGHAI).date()
        query = query.where(models.Reinspection.done_at.is_(None), models.Reinspection.scheduled_on < today)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(models.Reinspection.scheduled_on, models.Reinspection.id).offset(offset).limit(limit)
    )
    return list(rows), total


# ---------------------------------------------------------------------------------------- penalties


@dataclass(frozen=True)
class PenaltyDraft:
    provision_id: str  # a row of penalties.py's table
    amount_yuan: Decimal
    facts: str
    violated: str = ""  # the duty broken, as the decision states it
    person_name: str = ""  # where the provision fines a responsible person
    person_position: str = ""


def impose_penalty(
    session: Session, actor: Principal, inspection_id: int, draft: PenaltyDraft
) -> models.Penalty:
    """行政处罚: the amount must lie inside the provision's range (else the article and the range are named)."""
    inspection = _in_progress(session, actor, inspection_id, "inspection.penalty")
    provision = check_fine(draft.provision_id, draft.amount_yuan)
    problems = []
    on_person = provision.party == "responsible_person"
    if on_person and not draft.person_name.strip():
        problems.append(
            ("person_name", "required", f"{provision.provision_id} fines a responsible person: name them")
        )
    if not on_person and draft.person_name.strip():
        problems.append(
            ("person_name", "party_mismatch", f"{provision.provision_id} fines the unit, not a person")
        )
    if not draft.facts.strip():
        problems.append(("facts", "required", "state the facts of the violation"))
    if problems:
        raise InvalidInputError.of(problems)
    penalty = models.Penalty(
        inspection_id=inspection.id,
        provision_id=provision.provision_id,
        article=provision.article,
        amount_yuan=Decimal(draft.amount_yuan),
        party=provision.party,
        person_name=draft.person_name.strip(),
        person_position=draft.person_position.strip(),
        facts=draft.facts.strip(),
        violated=draft.violated.strip(),
        number="",
        decided_at=_now(session),
        decided_by=actor.audit_name,
    )
    session.add(penalty)
    session.flush()
    penalty.number = render_number(session, allocate_number(session, inspection, "penalty", penalty.id))
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "inspection.penalty",
        "inspection",
        str(inspection.id),
        after={
            "penalty_id": penalty.id,
            "number": penalty.number,
            "provision_id": penalty.provision_id,
            "article": penalty.article,
            "amount_yuan": str(penalty.amount_yuan),
            "party": penalty.party,
            "person": penalty.person_name or None,
        },
    )
    return penalty


def penalties_of(session: Session, inspection_id: int) -> list[models.Penalty]:
    query = select(models.Penalty).where(models.Penalty.inspection_id == inspection_id)
    return list(session.scalars(query.order_by(models.Penalty.id)))


# ---------------------------------------------------------------------------------------- finishing


def finish_inspection(session: Session, actor: Principal, inspection_id: int) -> models.Inspection:
    """The team leaves: the inspection record (现场检查记录) is numbered and nothing more is recorded."""
    inspection = _in_progress(session, actor, inspection_id, "inspection.finish")
    inspection.state, inspection.finished_at = "done", _now(session)
    session.flush()
    number = render_number(session, allocate_number(session, inspection, "record", inspection.id))
    audit.record(
        session,
        actor.audit_name,
        "inspection.finish",
        "inspection",
        str(inspection.id),
        after={
            "finished_at": inspection.finished_at.isoformat(),
            "record_number": number,
            "findings": len(findings_of(session, inspection.id)),
        },
    )
    return inspection
