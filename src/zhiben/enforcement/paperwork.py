"""The enforcement documents of one inspection, built from what is stored (documents.py renders them).

Officers are the inspection's team, by their users' display names, with the certificate number from their
officer profile; an officer without a profile gets a marked blank `【待填：执法证号】` rather than an
invented number. A document can be seen by whoever can see the inspection (404 otherwise); a view of a
confidential inspection is audited by `service.view_inspection`.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal
from zhiben.auth.models import User
from zhiben.enforcement import documents as docs
from zhiben.enforcement import inspecting, models, repository, service
from zhiben.errors import ConflictError, InvalidInputError, NotFoundError
from zhiben.kit.clock import SHANGHAI

KINDS = tuple(inspecting.DOCUMENT_KINDS)


def _blank(what: str) -> str:
    return f"【待填：{what}】"


def officers_of(session: Session, inspection_id: int) -> tuple[docs.Officer, ...]:
    team = repository.team_of(session, inspection_id)
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(team)))}
    profiles = {
        p.user_id: p
        for p in session.scalars(select(models.OfficerProfile).where(models.OfficerProfile.user_id.in_(team)))
    }
    return tuple(
        docs.Officer(
            users[uid].display_name or users[uid].username,
            profiles[uid].certificate_no if uid in profiles else _blank("执法证号"),
        )
        for uid in team
    )


def _enterprise(session: Session, inspection: models.Inspection) -> docs.Enterprise:
    e = inspecting.enterprise_of(session, inspection)
    return docs.Enterprise(
        e.name, e.uscc, e.address or _blank("地址"), e.main_responsible_person or _blank("主要负责人")
    )


def _number(session: Session, kind: str, object_id: int) -> models.EnforcementDocumentNumber:
    row = session.scalars(
        select(models.EnforcementDocumentNumber).where(
            models.EnforcementDocumentNumber.kind == kind,
            models.EnforcementDocumentNumber.object_id == object_id,
        )
    ).first()
    assert row is not None, (kind, object_id)
    return row


def _finding(item: dict[str, object]) -> docs.Finding:
    return docs.Finding(
        str(item["description"]), str(item["clause"]) or _blank("依据"), bool(item["is_major"])
    )


def _pick(rows: list[object], object_id: int | None, kind: str) -> object:
    if not rows:
        raise ConflictError(reason=f"this inspection has no {kind} yet")
    if object_id is None:
        return rows[-1]
    for row in rows:
        if getattr(row, "id", None) == object_id:
            return row
    raise NotFoundError(kind=kind, key=object_id)


def document(
    session: Session, actor: Principal, inspection_id: int, kind: str, object_id: int | None = None
) -> tuple[str, bytes]:
    """(number, PDF) of the inspection's document of this kind: the record, or an order, re-inspection or
    penalty (`object_id`, by default the latest)."""
    if kind not in KINDS:
        raise InvalidInputError("kind", "unknown", f"one of {', '.join(KINDS)}")
    inspection = service.view_inspection(session, actor, inspection_id)
    authority, _ = inspecting.issuer(session, inspection.planning_division)
    head = (authority, _enterprise(session, inspection), officers_of(session, inspection.id))
    if kind == "record":
        return _record(session, inspection, *head)
    if kind == "order":
        order = _pick(list(inspecting.orders_of(session, inspection.id)), object_id, "rectification order")
        assert isinstance(order, models.RectificationOrder)
        return _order(session, inspection, order, *head)
    if kind == "reinspection":
        done = [r for r in inspecting.reinspections_of(session, inspection.id) if r.done_at is not None]
        reinspection = _pick(list(done), object_id, "re-inspection")
        assert isinstance(reinspection, models.Reinspection)
        return _reinspection(session, reinspection, *head)
    penalty = _pick(list(inspecting.penalties_of(session, inspection.id)), object_id, "penalty")
    assert isinstance(penalty, models.Penalty)
    return _penalty(session, inspection, penalty, *head)


def _record(
    session: Session,
    inspection: models.Inspection,
    authority: str,
    enterprise: docs.Enterprise,
    officers: tuple[docs.Officer, ...],
) -> tuple[str, bytes]:
    if inspection.state != "done" or inspection.started_at is None or inspection.finished_at is None:
        raise ConflictError(reason="the inspection record is produced when the inspection is finished")
    row = _number(session, "record", inspection.id)
    findings = inspecting.findings_of(session, inspection.id)
    places = sorted({f.location for f in findings if f.location})
    measures = tuple(
        f"{inspecting.MEASURE_KINDS[m.kind]}：{m.description}"
        for m in inspecting.measures_of(session, inspection.id)
    )
    record = docs.InspectionRecord(
        number=inspecting.document_number(session, row),
        authority=authority,
        enterprise=enterprise,
        officers=officers,
        started_at=inspection.started_at,
        ended_at=inspection.finished_at,
        place="、".join(places) or enterprise.address,
        attendee=_blank("现场负责人"),
        findings=tuple(
            docs.Finding(f.description, f.citation or _blank("依据"), f.is_major) for f in findings
        ),
        on_site_measures=measures,
    )
    return inspecting.render_number(session, row), docs.render_inspection_record(record)


def _record_number(session: Session, inspection: models.Inspection) -> str:
    row = session.scalars(
        select(models.EnforcementDocumentNumber).where(
            models.EnforcementDocumentNumber.kind == "record",
            models.EnforcementDocumentNumber.object_id == inspection.id,
        )
    ).first()
    return inspecting.render_number(session, row) if row else ""


def _order(
    session: Session,
    inspection: models.Inspection,
    order: models.RectificationOrder,
    authority: str,
    enterprise: docs.Enterprise,
    officers: tuple[docs.Officer, ...],
) -> tuple[str, bytes]:
    row = _number(session, "order", order.id)
    doc = docs.RectificationOrder(
        number=inspecting.document_number(session, row),
        authority=authority,
        enterprise=enterprise,
        officers=officers,
        issued_on=order.issued_at.astimezone(SHANGHAI).date(),
        items=tuple(docs.OrderItem(_finding(i), date.fromisoformat(str(i["deadline"]))) for i in order.items),
        legal_basis=order.legal_basis,
        record_number=_record_number(session, inspection),
    )
    return order.number, docs.render_rectification_order(doc)


def _reinspection(
    session: Session,
    reinspection: models.Reinspection,
    authority: str,
    enterprise: docs.Enterprise,
    officers: tuple[docs.Officer, ...],
) -> tuple[str, bytes]:
    order = session.get(models.RectificationOrder, reinspection.order_id)
    assert order is not None and reinspection.done_at is not None and reinspection.results is not None
    row = _number(session, "reinspection", reinspection.id)
    items = tuple(
        docs.ReinspectionItem(
            str(item["description"]),
            date.fromisoformat(str(item["deadline"])),
            bool(result["is_rectified"]),
            str(result.get("note", "")),
        )
        for item, result in zip(order.items, reinspection.results, strict=True)
    )
    doc = docs.ReinspectionOpinion(
        number=inspecting.document_number(session, row),
        authority=authority,
        enterprise=enterprise,
        officers=officers,
        reinspected_on=reinspection.done_at.astimezone(SHANGHAI).date(),
        order_number=order.number,
        items=items,
    )
    return reinspection.number or "", docs.render_reinspection_opinion(doc)


def _penalty(
    session: Session,
    inspection: models.Inspection,
    penalty: models.Penalty,
    authority: str,
    enterprise: docs.Enterprise,
    officers: tuple[docs.Officer, ...],
) -> tuple[str, bytes]:
    row = _number(session, "penalty", penalty.id)
    findings = inspecting.findings_of(session, inspection.id)
    evidence = [f"现场检查记录（{_record_number(session, inspection) or _blank('文书编号')}）"]
    evidence += [f"现场照片 {len(f.evidence)} 张：{f.description}" for f in findings if f.evidence]
    person = (
        docs.ResponsiblePerson(penalty.person_name, penalty.person_position or _blank("职务"))
        if penalty.party == "responsible_person"
        else None
    )
    doc = docs.PenaltyDecision(
        number=inspecting.document_number(session, row),
        authority=authority,
        enterprise=enterprise,
        officers=officers,
        decided_on=penalty.decided_at.astimezone(SHANGHAI).date(),
        facts=penalty.facts,
        evidence=tuple(evidence),
        violated=penalty.violated or _blank("违反的法律条款"),
        provision_id=penalty.provision_id,
        amount_yuan=penalty.amount_yuan,
        person=person,
    )
    return penalty.number, docs.render_penalty_decision(doc)
