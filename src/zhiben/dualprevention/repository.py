"""Risk register and check-record queries inside the caller's scope: every query names `scoped(...)`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from zhiben.audit.models import AuditEntry
from zhiben.auth.domain import Principal
from zhiben.auth.scope import ScopedColumns, division_condition, scope_condition
from zhiben.dualprevention.models import CheckRecord, ControlMeasure, ExchangeId, RiskEvent, RiskUnit
from zhiben.enterprise.models import Enterprise
from zhiben.hazard.models import Hazard

Scoped = (
    type[RiskUnit]
    | type[RiskEvent]
    | type[ControlMeasure]
    | type[CheckRecord]
    | type[Hazard]
    | type[ExchangeId]
)


def columns(model: Scoped) -> ScopedColumns:
    return ScopedColumns(
        enterprise_id=model.enterprise_id,
        province_code=model.province_code,
        city_code=model.city_code,
        county_code=model.county_code,
        sector=model.sector,
    )


def scoped(principal: Principal, model: Scoped) -> ColumnElement[bool]:
    return scope_condition(principal, columns(model))


def get_unit(session: Session, actor: Principal, unit_id: int) -> RiskUnit | None:
    return session.scalars(select(RiskUnit).where(RiskUnit.id == unit_id, scoped(actor, RiskUnit))).first()


def get_event(session: Session, actor: Principal, event_id: int) -> RiskEvent | None:
    query = select(RiskEvent).where(RiskEvent.id == event_id, scoped(actor, RiskEvent))
    return session.scalars(query).first()


def get_measure(session: Session, actor: Principal, measure_id: int) -> ControlMeasure | None:
    query = select(ControlMeasure).where(ControlMeasure.id == measure_id, scoped(actor, ControlMeasure))
    return session.scalars(query).first()


def units(session: Session, actor: Principal, enterprise_id: int) -> Sequence[RiskUnit]:
    query = select(RiskUnit).where(RiskUnit.enterprise_id == enterprise_id, scoped(actor, RiskUnit))
    return session.scalars(query.order_by(RiskUnit.id)).all()


def events(session: Session, actor: Principal, enterprise_id: int) -> Sequence[RiskEvent]:
    query = select(RiskEvent).where(RiskEvent.enterprise_id == enterprise_id, scoped(actor, RiskEvent))
    return session.scalars(query.order_by(RiskEvent.id)).all()


def measures(
    session: Session, actor: Principal, enterprise_ids: Iterable[int], *, in_force_only: bool = False
) -> Sequence[ControlMeasure]:
    query = select(ControlMeasure).where(
        ControlMeasure.enterprise_id.in_(sorted(set(enterprise_ids))), scoped(actor, ControlMeasure)
    )
    if in_force_only:
        query = query.where(ControlMeasure.is_in_force.is_(True))
    return session.scalars(query.order_by(ControlMeasure.id)).all()


def measures_of_event(session: Session, actor: Principal, event_id: int) -> Sequence[ControlMeasure]:
    query = select(ControlMeasure).where(ControlMeasure.event_id == event_id, scoped(actor, ControlMeasure))
    return session.scalars(query.order_by(ControlMeasure.id)).all()


def records_between(
    session: Session, actor: Principal, measure_ids: Iterable[int], start: datetime, end: datetime
) -> Sequence[CheckRecord]:
    """Check records of these measures made in [start, end), by time."""
    query = select(CheckRecord).where(
        CheckRecord.measure_id.in_(sorted(set(measure_ids))),
        CheckRecord.checked_at >= start,
        CheckRecord.checked_at < end,
        scoped(actor, CheckRecord),
    )
    return session.scalars(query.order_by(CheckRecord.checked_at, CheckRecord.id)).all()


def _with_register(actor: Principal, prefix: str) -> ColumnElement[bool]:
    """Enterprises in the division prefix with at least one risk unit the caller may see."""
    units = select(RiskUnit.enterprise_id).where(
        scoped(actor, RiskUnit), division_condition(prefix, columns(RiskUnit))
    )
    return Enterprise.id.in_(units)


def enterprises_with_register(
    session: Session, actor: Principal, prefix: str, offset: int = 0, limit: int | None = None
) -> list[tuple[int, str, str]]:
    """(id, name, county) of the enterprises in the division prefix with at least one risk unit, by id;
    `offset`/`limit` take one page of them."""
    query = (
        select(Enterprise.id, Enterprise.name, Enterprise.county_code)
        .where(_with_register(actor, prefix))
        .order_by(Enterprise.id)
        .offset(offset)
        .limit(limit)
    )
    return [(eid, name, county) for eid, name, county in session.execute(query)]


def count_with_register(session: Session, actor: Principal, prefix: str) -> int:
    query = select(func.count()).select_from(Enterprise).where(_with_register(actor, prefix))
    return session.scalar(query) or 0


def hazard_source_totals(session: Session, actor: Principal, prefix: str) -> dict[str, int]:
    """Hazard source → number of hazards (every state) over the enterprises with a register in the prefix."""
    query = (
        select(Hazard.source, func.count())
        .where(Hazard.enterprise_id.in_(select(Enterprise.id).where(_with_register(actor, prefix))))
        .where(scoped(actor, Hazard))
        .group_by(Hazard.source)
    )
    return {str(source): int(count) for source, count in session.execute(query)}


def level_counts(
    session: Session, actor: Principal, enterprise_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Enterprise id → inherent level → number of risk events."""
    query = (
        select(RiskEvent.enterprise_id, RiskEvent.inherent_level, func.count())
        .where(RiskEvent.enterprise_id.in_(enterprise_ids), scoped(actor, RiskEvent))
        .group_by(RiskEvent.enterprise_id, RiskEvent.inherent_level)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for eid, level, count in session.execute(query):
        out[eid][level] = count
    return out


def hazard_counts(
    session: Session, actor: Principal, enterprise_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Enterprise id → hazard source → number of hazards (every state)."""
    query = (
        select(Hazard.enterprise_id, Hazard.source, func.count())
        .where(and_(Hazard.enterprise_id.in_(enterprise_ids), scoped(actor, Hazard)))
        .group_by(Hazard.enterprise_id, Hazard.source)
    )
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for eid, source, count in session.execute(query):
        out[eid][source] = count
    return out


# --- the exchange -------------------------------------------------------------------------------


def exchange_ids(session: Session, actor: Principal, enterprise_id: int) -> Sequence[ExchangeId]:
    query = select(ExchangeId).where(ExchangeId.enterprise_id == enterprise_id, scoped(actor, ExchangeId))
    return session.scalars(query.order_by(ExchangeId.id)).all()


def records_of(session: Session, actor: Principal, enterprise_id: int) -> Sequence[CheckRecord]:
    query = select(CheckRecord).where(CheckRecord.enterprise_id == enterprise_id, scoped(actor, CheckRecord))
    return session.scalars(query.order_by(CheckRecord.checked_at, CheckRecord.id)).all()


def hazards_by_id(session: Session, actor: Principal, hazard_ids: Iterable[int]) -> dict[int, Hazard]:
    query = select(Hazard).where(Hazard.id.in_(sorted(set(hazard_ids))), scoped(actor, Hazard))
    return {h.id: h for h in session.scalars(query)}


def verifiers(session: Session, hazard_ids: Iterable[int]) -> dict[int, str]:
    """Hazard id -> who last verified it (验收人), from the audit log. The hazards were found in scope."""
    wanted = [str(i) for i in sorted(set(hazard_ids))]
    if not wanted:
        return {}
    query = (
        select(AuditEntry.object_id, AuditEntry.actor)
        .where(
            AuditEntry.object_type == "hazard",
            AuditEntry.action == "hazard.verify",
            AuditEntry.object_id.in_(wanted),
        )
        .order_by(AuditEntry.seq)
    )
    return {int(object_id): who for object_id, who in session.execute(query)}


def enterprise_by_uscc(session: Session, actor: Principal, uscc: str) -> Enterprise | None:
    own = ScopedColumns(
        enterprise_id=Enterprise.id,
        province_code=Enterprise.province_code,
        city_code=Enterprise.city_code,
        county_code=Enterprise.county_code,
        sector=Enterprise.sector,
    )
    query = select(Enterprise).where(Enterprise.uscc == uscc, scope_condition(actor, own))
    return session.scalars(query).first()


def confirmed_facts(
    session: Session, enterprise_id: int, action: str, start: datetime, end: datetime
) -> set[str]:
    """Facts named by the enterprise's `action` audit entries in [start, end). The enterprise was found in
    the caller's scope already; audit entries carry no scope columns of their own."""
    query = select(AuditEntry.after).where(
        AuditEntry.object_type == "enterprise",
        AuditEntry.object_id == str(enterprise_id),
        AuditEntry.action == action,
        AuditEntry.at >= start,
        AuditEntry.at < end,
    )
    out: set[str] = set()
    for after in session.scalars(query):
        out.update((after or {}).get("facts", ()))
    return out


def closed_since_assessment(
    session: Session, actor: Principal, *, unit_id: int | None = None, unflagged_only: bool = True
) -> list[tuple[int, str, datetime]]:
    """(unit id, hazard number, closed at) of hazards raised by checks of a unit's measures and closed after
    their event's last assessment; by default only for units not yet flagged for re-assessment."""
    query = (
        select(RiskUnit.id, Hazard.number, Hazard.closed_at)
        .join(RiskEvent, RiskEvent.unit_id == RiskUnit.id)
        .join(ControlMeasure, ControlMeasure.event_id == RiskEvent.id)
        .join(CheckRecord, CheckRecord.measure_id == ControlMeasure.id)
        .join(Hazard, Hazard.id == CheckRecord.hazard_id)
        .where(
            Hazard.closed_at.is_not(None), Hazard.closed_at > RiskEvent.assessed_at, scoped(actor, RiskUnit)
        )
        .order_by(RiskUnit.id, Hazard.closed_at)
    )
    if unit_id is not None:
        query = query.where(RiskUnit.id == unit_id)
    if unflagged_only:
        query = query.where(RiskUnit.reassessment_due_since.is_(None))
    return [(uid, number, closed) for uid, number, closed in session.execute(query) if closed is not None]


def rollup_rows(
    session: Session, actor: Principal, prefix: str, since: datetime
) -> tuple[list[tuple[int, int, str]], list[tuple[int, int, str]], list[tuple[int, datetime]]]:
    """For the division prefix: events (enterprise, unit, inherent level), measures in force (id,
    enterprise, cycle) and their check records made since `since` (measure id, checked at)."""
    events = select(RiskEvent.enterprise_id, RiskEvent.unit_id, RiskEvent.inherent_level).where(
        scoped(actor, RiskEvent), division_condition(prefix, columns(RiskEvent))
    )
    measures = select(ControlMeasure.id, ControlMeasure.enterprise_id, ControlMeasure.cycle).where(
        ControlMeasure.is_in_force.is_(True),
        scoped(actor, ControlMeasure),
        division_condition(prefix, columns(ControlMeasure)),
    )
    records = select(CheckRecord.measure_id, CheckRecord.checked_at).where(
        CheckRecord.checked_at >= since,
        scoped(actor, CheckRecord),
        division_condition(prefix, columns(CheckRecord)),
    )
    return (
        [(e, u, lv) for e, u, lv in session.execute(events.order_by(RiskEvent.id))],
        [(m, e, c) for m, e, c in session.execute(measures.order_by(ControlMeasure.id))],
        [(m, at) for m, at in session.execute(records)],
    )
