"""Stored records ↔ the national dual-prevention exchange (数据交换): export an enterprise's (or a
division's) register, check tasks, check records and hazards from the database, and import an exchange
file into it.

**Export** maps rows to `exchange` records (a record imported earlier keeps its own id, from
`dp_exchange_ids`; any other row gets a UUID derived from its table and id), then runs the exchange's
own validator over them: what passes is the payload, what does not is *held back* and listed field by
field (never silently dropped). The enterprise's 9-digit 危化品登记 code (`companyCode`) is not part of
the enterprise register: it is stored when a file is imported, or set with `set_company_code`.

**Import** validates the whole file first, with the exchange's rules and then zhiben's (lengths, cycles,
a level for every event, a hazard for every abnormal check). If any record has an error, nothing is
stored and every error is answered. Otherwise every record is stored in the caller's transaction, each
with its audit entry; what is stored with a caveat (a hazard's later lifecycle, which an import does not
replay) or not at all (a record already stored; a `checkStatus` of 未排查 / 其他, since zhiben derives
missed checks from the absence of a record) is answered as a notice.

Mappings are data (`data/exchange_*.csv`, ours where the reference is silent: see data/README.md).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal
from zhiben.db.uow import session_clock
from zhiben.dualprevention import exchange as ex
from zhiben.dualprevention import repository, service
from zhiben.dualprevention.assessment import RiskLevel
from zhiben.dualprevention.controls import ControlLevel
from zhiben.dualprevention.exchange import Issue
from zhiben.dualprevention.exchange_codes import (
    COMPANY_CODE_RE,
    RiskLevelEncoding,
    TimeFormat,
    whole_seconds,
)
from zhiben.dualprevention.models import CheckRecord, ControlMeasure, ExchangeId, RiskEvent, RiskUnit
from zhiben.dualprevention.tasks import Cycle, Responsibility, window_containing
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.models import Enterprise
from zhiben.errors import InvalidInputError, NotFoundError, ZhibenError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardState, Source
from zhiben.hazard.models import Hazard

NAMESPACE = uuid.UUID("0b6f3f1e-6c2d-5a57-9a63-3d1f0e2c7b41")  # zhiben's, for ids derived from rows
ENTERPRISE = "enterprise"  # ExchangeId.entity holding the companyCode
WORK_TYPE = {"1": Responsibility.main_responsible, "2": Responsibility.technical_lead}
WORK_TYPE |= {"3": Responsibility.operator, "0": Responsibility.operator}  # 日常任务: operator (ours, I)
STATE = {  # hazard state -> dangerState: 0 整改中 / 1 待验收 / 9 已验收 (ours, I)
    HazardState.rectified: "1",
    HazardState.verified: "9",
    HazardState.closed: "9",
}
EXCHANGE_LEVEL_METHOD = "exchange"  # a risk event whose level came from a file, not from zhiben's assessment


# --- the mapping tables -------------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("zhiben.dualprevention").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def cycle_codes() -> dict[Cycle, tuple[Decimal, str]]:
    return {
        Cycle(r["cycle"]): (Decimal(r["check_cycle"]), r["check_cycle_unit"])
        for r in _rows("exchange_cycles.csv")
    }


@cache
def _cycle_of() -> dict[tuple[Decimal, str], Cycle]:
    return {code: cycle for cycle, code in cycle_codes().items()}


@cache
def hierarchy_codes() -> dict[ControlLevel, tuple[str, str, str]]:
    rows = _rows("exchange_hierarchy.csv")
    return {ControlLevel(r["hierarchy"]): (r["classify1"], r["classify2"], r["classify3"]) for r in rows}


@cache
def _hierarchy_of_classify2() -> dict[str, ControlLevel]:
    return {r["classify2"]: ControlLevel(r["hierarchy"]) for r in _rows("exchange_classify_import.csv")}


def hierarchy_of(measure: ex.ControlMeasure) -> ControlLevel:
    """`classify3` when it is one of our hierarchy words (our own export), else by `classify2`."""
    for level, (_, _, word) in hierarchy_codes().items():
        if measure.classify3 == word:
            return level
    return _hierarchy_of_classify2()[measure.classify2]


def derived_id(entity: str, local_id: int) -> str:
    return uuid.uuid5(NAMESPACE, f"{entity}:{local_id}").hex


# --- export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    enterprise_id: int
    name: str
    payload: dict[str, object] | None  # None when nothing could be exported (no companyCode)
    held_back: tuple[Issue, ...]  # every record not exported, field by field

    @property
    def counts(self) -> dict[str, int]:
        payload = self.payload or {}
        return {e.key: len(payload.get(e.endpoint, ())) for e in ex.ENTITIES}  # type: ignore[arg-type]


@dataclass
class _Ids:
    stored: dict[tuple[str, int], str]

    def __call__(self, entity: str, local_id: int) -> str:
        return self.stored.get((entity, local_id)) or derived_id(entity, local_id)


def _level_of_unit(events: Sequence[RiskEvent]) -> str | None:
    levels = [RiskLevel(e.inherent_level) for e in events]
    return max(levels, key=lambda lv: lv.rank).value if levels else None


def _task_of(measure: ControlMeasure, ids: _Ids) -> ex.CheckTask:
    cycle, unit = cycle_codes()[Cycle(measure.cycle)]
    hourly = unit == "小时"
    return ex.CheckTask(
        id=ids("check_task", measure.id),
        control_measure_id=ids("control_measure", measure.id),
        check_content=measure.description,
        cycle=cycle,
        cycle_unit=unit,
        work_start=time(0) if hourly else None,  # the whole day: ours (I), the measure has no hours
        work_end=time(23, 59, 59) if hourly else None,
    )


def _measure_of(measure: ControlMeasure, ids: _Ids) -> ex.ControlMeasure:
    classify1, classify2, classify3 = hierarchy_codes()[ControlLevel(measure.hierarchy)]
    return ex.ControlMeasure(
        id=ids("control_measure", measure.id),
        risk_event_id=ids("risk_event", measure.event_id),
        control_mode="2",  # 隐患排查: zhiben's measures are checked by people
        description=measure.description,
        classify1=classify1,
        classify2=classify2,
        classify3=classify3,
        check_content=measure.description,
    )


def _hazard_of(
    hazard: Hazard, record: CheckRecord, unit: RiskUnit, code: str, ids: _Ids, verifier: str | None
) -> ex.Hazard:
    state = STATE.get(HazardState(hazard.state), "0")
    updated = max(t for t in (hazard.reported_at, hazard.determined_at, hazard.rectified_at,
                              hazard.verified_at, hazard.closed_at) if t is not None)  # fmt: skip
    return ex.Hazard(
        id=ids("hazard", hazard.id),
        company_code=code,
        hazard_code=unit.object_code,
        control_measure_id=ids("control_measure", record.measure_id),
        check_record_id=ids("check_record", record.id),
        name=hazard.description[:300],
        level="1" if hazard.level == "major" else "0",  # undetermined reads as 一般 (ours, I)
        registered_at=whole_seconds(hazard.found_at),
        registrant=hazard.found_by,
        source="9",  # 管控措施失效: the check of a control measure failed
        manage_type="1" if hazard.deadline_at else "0",
        professional_type="8",  # 其他: zhiben does not classify by profession
        description=hazard.description,
        liable_person=unit.responsible_person,
        deadline_at=whole_seconds(hazard.deadline_at) if hazard.deadline_at else None,  # type: ignore[arg-type]
        state=state,
        is_deleted=hazard.state == HazardState.rejected,
        accepted_by=verifier if state == "9" else None,
        accepted_at=whole_seconds(hazard.verified_at) if state == "9" and hazard.verified_at else None,
        created_by=hazard.found_by,
        created_at=whole_seconds(hazard.reported_at),
        updated_by=hazard.found_by,
        updated_at=whole_seconds(updated),
    )


def _chain(session: Session, actor: Principal, enterprise: Enterprise, code: str) -> ex.DualPreventionChain:
    ids = _Ids(
        {
            (r.entity, r.local_id): r.external_id
            for r in repository.exchange_ids(session, actor, enterprise.id)
        }
    )
    units = repository.units(session, actor, enterprise.id)
    events = repository.events(session, actor, enterprise.id)
    measures = repository.measures(session, actor, [enterprise.id])
    records = repository.records_of(session, actor, enterprise.id)
    events_of: dict[int, list[RiskEvent]] = defaultdict(list)
    for e in events:
        events_of[e.unit_id].append(e)
    unit_of_event = {e.id: e.unit_id for e in events}
    event_of_measure = {m.id: m.event_id for m in measures}
    unit_by_id = {u.id: u for u in units}
    found = repository.hazards_by_id(session, actor, [r.hazard_id for r in records if r.hazard_id])
    checked = repository.verifiers(session, found)
    return ex.DualPreventionChain(
        uscc=enterprise.uscc,
        company_code=code,
        risk_units=tuple(
            ex.RiskUnit(
                id=ids("risk_unit", u.id),
                company_code=code,
                hazard_code=u.object_code,
                department=u.department,
                liable_person=u.responsible_person,
                name=u.name,
                risk_level=_level_of_unit(events_of[u.id]),
            )
            for u in units
        ),
        risk_events=tuple(
            ex.RiskEvent(
                id=ids("risk_event", e.id), risk_unit_id=ids("risk_unit", e.unit_id), name=e.description
            )
            for e in events
        ),
        control_measures=tuple(_measure_of(m, ids) for m in measures),
        check_tasks=tuple(_task_of(m, ids) for m in measures),
        check_records=tuple(
            ex.CheckRecord(
                id=ids("check_record", r.id),
                check_task_id=ids("check_task", r.measure_id),
                checked_at=whole_seconds(r.checked_at),
                result="1" if r.result == "abnormal" else "0",
            )
            for r in records
        ),
        hazards=tuple(
            _hazard_of(
                found[r.hazard_id],
                r,
                unit_by_id[unit_of_event[event_of_measure[r.measure_id]]],
                code,
                ids,
                checked.get(r.hazard_id),
            )
            for r in records
            if r.hazard_id in found
        ),
    )


def company_code_of(session: Session, actor: Principal, enterprise_id: int) -> str | None:
    for row in repository.exchange_ids(session, actor, enterprise_id):
        if row.entity == ENTERPRISE:
            return row.external_id
    return None


def export_enterprise(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    *,
    company_code: str | None = None,
    time_format: TimeFormat = TimeFormat.DASHED,
    risk_level_encoding: RiskLevelEncoding = RiskLevelEncoding.NATIONAL,
) -> ExportResult:
    """The enterprise's chain as one exchange payload, and every record held back with its reasons."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    code = company_code or company_code_of(session, actor, enterprise.id)
    if code is None:
        missing = Issue("enterprise", None, None, "companyCode", "None", "missing",
                        "no 9-digit 危化品登记 code is stored for this enterprise: import a file or set it")  # fmt: skip
        return ExportResult(enterprise.id, enterprise.name, None, (missing,))
    chain = _chain(session, actor, enterprise, code)
    raw = ex.encode_chain(chain, time_format=time_format, risk_level_encoding=risk_level_encoding)
    checked = ex.import_payload(raw, risk_level_encoding=risk_level_encoding)
    if checked.chain.uscc is None or checked.chain.company_code is None:
        return ExportResult(enterprise.id, enterprise.name, None, checked.issues)
    payload = ex.export_chain(checked.chain, time_format=time_format, risk_level_encoding=risk_level_encoding)
    return ExportResult(enterprise.id, enterprise.name, payload, checked.issues)


def export_division(
    session: Session, actor: Principal, division_code: str, **options: Any
) -> list[ExportResult]:
    """One export per enterprise of the division with a risk register (within the caller's scope)."""
    prefix = service.division_in_reach(actor, division_code)
    firms = repository.enterprises_with_register(session, actor, prefix)
    return [export_enterprise(session, actor, eid, **options) for eid, _, _ in firms]


def set_company_code(session: Session, actor: Principal, enterprise_id: int, code: str) -> None:
    """Record the enterprise's 9-digit 危化品登记 code (`companyCode`), audited."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    service.require_owner(actor, enterprise.id, "dual_prevention.company_code")
    if not COMPANY_CODE_RE.fullmatch(code):
        raise InvalidInputError("company_code", "bad_company_code", "the 危化品登记 company code is 9 digits")
    row = next(
        (r for r in repository.exchange_ids(session, actor, enterprise.id) if r.entity == ENTERPRISE), None
    )
    before = row.external_id if row else None
    if row is None:
        _link(session, enterprise, ENTERPRISE, code, enterprise.id)
    else:
        row.external_id = code
    session.flush()
    audit.record(session, actor.audit_name, "dual_prevention.company_code", "enterprise", str(enterprise.id),
                 before={"company_code": before}, after={"company_code": code})  # fmt: skip


def _link(session: Session, enterprise: Enterprise, entity: str, external: str, local: int) -> None:
    session.add(
        ExchangeId(
            enterprise_id=enterprise.id,
            county_code=enterprise.county_code,
            city_code=enterprise.city_code,
            province_code=enterprise.province_code,
            sector=enterprise.sector,
            entity=entity,
            external_id=external,
            local_id=local,
            created_at=session_clock(session).now(),
        )
    )


# --- import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    enterprise_id: int
    stored: dict[str, int]  # entity key -> records stored
    issues: tuple[Issue, ...]  # errors: when any, nothing was stored
    notices: tuple[Issue, ...]  # not stored, or stored with a caveat

    @property
    def is_stored(self) -> bool:
        return not self.issues


@dataclass
class _Plan:
    """What the import will store, and what it found wrong, before anything is written."""

    chain: ex.DualPreventionChain
    known: dict[str, dict[str, int]]  # entity -> external id -> local id (stored already)
    issues: list[Issue] = field(default_factory=list)
    notices: list[Issue] = field(default_factory=list)
    position: dict[tuple[str, str], int] = field(default_factory=dict)
    skip: set[tuple[str, str]] = field(default_factory=set)
    task_of_measure: dict[str, ex.CheckTask] = field(default_factory=dict)
    hazard_of_record: dict[str, ex.Hazard] = field(default_factory=dict)
    level_of_unit: dict[str, str] = field(default_factory=dict)

    def _say(self, into: list[Issue], key: str, record_id: str, wire: str, value: object, reason: str,
             message: str) -> None:  # fmt: skip
        endpoint = next(e.endpoint for e in ex.ENTITIES if e.key == key)
        into.append(Issue(endpoint, self.position.get((key, record_id)), record_id, wire, repr(value)[:120],
                          reason, message))  # fmt: skip

    def error(self, key: str, record_id: str, wire: str, value: object, reason: str, message: str) -> None:
        self._say(self.issues, key, record_id, wire, value, reason, message)

    def notice(self, key: str, record_id: str, wire: str, value: object, reason: str, message: str) -> None:
        self._say(self.notices, key, record_id, wire, value, reason, message)

    def new(self, key: str, record_id: str) -> bool:
        return record_id not in self.known.get(key, {}) and (key, record_id) not in self.skip


def _known(session: Session, actor: Principal, enterprise_id: int) -> dict[str, dict[str, int]]:
    """Every exchange id this enterprise's records already answer to: stored ones and derived ones."""
    known: dict[str, dict[str, int]] = defaultdict(dict)
    for link in repository.exchange_ids(session, actor, enterprise_id):
        known[link.entity][link.external_id] = link.local_id
    rows: Sequence[RiskUnit | RiskEvent | ControlMeasure | CheckRecord]
    for key, rows in (
        ("risk_unit", repository.units(session, actor, enterprise_id)),
        ("risk_event", repository.events(session, actor, enterprise_id)),
        ("control_measure", repository.measures(session, actor, [enterprise_id])),
        ("check_record", repository.records_of(session, actor, enterprise_id)),
    ):
        for row in rows:
            known[key].setdefault(derived_id(key, row.id), row.id)
    known["check_task"] |= {derived_id("check_task", m): m for m in known["control_measure"].values()}
    return known


def _positions(payload: object) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    if isinstance(payload, Mapping):
        for entity in ex.ENTITIES:
            rows = payload.get(entity.endpoint)
            for i, raw in enumerate(rows if isinstance(rows, list) else []):
                if isinstance(raw, Mapping) and isinstance(raw.get("id"), str):
                    out[(entity.key, raw["id"])] = i
    return out


def _check_header(plan: _Plan, enterprise: Enterprise, stored_code: str | None) -> None:
    if plan.chain.uscc is not None and plan.chain.uscc != enterprise.uscc:
        plan.issues.append(Issue("enterprise", None, None, "uscc", repr(plan.chain.uscc), "other_enterprise",
                                 "the file is another enterprise's (its USCC differs)"))  # fmt: skip
    code = plan.chain.company_code
    if code is not None and stored_code is not None and code != stored_code:
        plan.issues.append(Issue("enterprise", None, None, "companyCode", repr(code), "company_mismatch",
                                 f"this enterprise's stored companyCode is {stored_code}"))  # fmt: skip


def _check_units_and_events(plan: _Plan) -> None:
    for u in plan.chain.risk_units:
        if not plan.new("risk_unit", u.id):
            plan.skip.add(("risk_unit", u.id))
            plan.notice(
                "risk_unit", u.id, "id", u.id, "already_stored", "kept as stored; an import does not update"
            )
            continue
        if len(u.department) > 100:
            plan.error(
                "risk_unit",
                u.id,
                "hazardDep",
                u.department,
                "too_long",
                "zhiben keeps at most 100 characters",
            )
        if u.risk_level is not None:
            plan.level_of_unit[u.id] = u.risk_level
    for e in plan.chain.risk_events:
        if not plan.new("risk_event", e.id):
            plan.skip.add(("risk_event", e.id))
            plan.notice(
                "risk_event", e.id, "id", e.id, "already_stored", "kept as stored; an import does not update"
            )
        elif e.risk_unit_id not in plan.level_of_unit:
            plan.error("risk_event", e.id, "riskUnitId", e.risk_unit_id, "no_level",
                       "the exchange carries no assessment: the event's new unit must give its riskLevel")  # fmt: skip


def _check_measures_and_tasks(plan: _Plan) -> None:
    new_measures = {m.id for m in plan.chain.control_measures if plan.new("control_measure", m.id)}
    for t in plan.chain.check_tasks:
        cycle = _cycle_of().get((t.cycle, t.cycle_unit))
        if not plan.new("check_task", t.id):
            plan.skip.add(("check_task", t.id))
            plan.notice(
                "check_task", t.id, "id", t.id, "already_stored", "kept as stored; an import does not update"
            )
        elif t.control_measure_id not in new_measures:
            plan.notice("check_task", t.id, "riskMeasureId", t.control_measure_id, "not_applied",
                        "a new task of a stored measure: zhiben keeps one cycle per measure, the stored one")  # fmt: skip
            plan.skip.add(("check_task", t.id))
        elif cycle is None:
            known = ", ".join(f"{c} {u}" for c, u in _cycle_of())
            plan.error("check_task", t.id, "checkCycle", f"{t.cycle} {t.cycle_unit}", "unsupported_cycle",
                       f"zhiben's cycles are {known}")  # fmt: skip
        elif t.control_measure_id in plan.task_of_measure:
            plan.error("check_task", t.id, "riskMeasureId", t.control_measure_id, "second_task",
                       "zhiben keeps one recurring task per control measure")  # fmt: skip
        else:
            plan.task_of_measure[t.control_measure_id] = t
    for m in plan.chain.control_measures:
        if not plan.new("control_measure", m.id):
            plan.skip.add(("control_measure", m.id))
            plan.notice(
                "control_measure",
                m.id,
                "id",
                m.id,
                "already_stored",
                "kept as stored; an import does not update",
            )
            continue
        if len(m.description) > 1000:
            plan.error("control_measure", m.id, "riskMeasureDesc", m.description, "too_long",
                       "zhiben keeps at most 1000 characters")  # fmt: skip
        if not any(t.control_measure_id == m.id for t in plan.chain.check_tasks):
            plan.error("control_measure", m.id, "id", m.id, "no_task",
                       "a new measure needs its check task (sec_hidden_check_mission): it gives the cycle")  # fmt: skip


def _check_records_and_hazards(plan: _Plan, now: datetime) -> None:
    for h in plan.chain.hazards:
        if not plan.new("hazard", h.id):
            plan.skip.add(("hazard", h.id))
            plan.notice(
                "hazard", h.id, "id", h.id, "already_stored", "kept as stored; an import does not update"
            )
        elif h.check_record_id not in {
            r.id for r in plan.chain.check_records if plan.new("check_record", r.id)
        }:
            plan.error("hazard", h.id, "checkRecordId", h.check_record_id, "record_stored",
                       "a hazard is stored with the new check record that found it")  # fmt: skip
        else:
            plan.hazard_of_record[h.check_record_id] = h
            plan.notice("hazard", h.id, "dangerState", h.state, "lifecycle_not_replayed",
                        "stored as a newly reported self-inspection hazard; its level, deadline, state and "
                        "acceptance in the file are not replayed (the hazard lifecycle is the regulator's)")  # fmt: skip
    for r in plan.chain.check_records:
        if not plan.new("check_record", r.id):
            plan.skip.add(("check_record", r.id))
            plan.notice(
                "check_record",
                r.id,
                "id",
                r.id,
                "already_stored",
                "kept as stored; an import does not update",
            )
        elif r.result in ("2", "3"):
            plan.skip.add(("check_record", r.id))
            plan.notice("check_record", r.id, "checkStatus", r.result, "not_stored",
                        "zhiben stores checks made (正常 / 存在隐患); a missed check is the absence of one")  # fmt: skip
        elif r.checked_at > now:
            plan.error("check_record", r.id, "checkTime", r.checked_at.isoformat(), "future",
                       "a check cannot be recorded in the future")  # fmt: skip
        elif r.result == "1" and r.id not in plan.hazard_of_record:
            plan.error("check_record", r.id, "checkStatus", r.result, "hazard_missing",
                       "a check that found a hazard (存在隐患) needs its hazard (sec_hidden_danger_info) in the file")  # fmt: skip


class _Store:
    """Writes the planned records, remembering external id -> local row id."""

    def __init__(self, session: Session, actor: Principal, enterprise: Enterprise, plan: _Plan) -> None:
        self.session, self.actor, self.enterprise, self.plan = session, actor, enterprise, plan
        self.local: dict[str, dict[str, int]] = {k: dict(v) for k, v in plan.known.items()}
        self.stored: dict[str, int] = defaultdict(int)

    def remember(self, key: str, external: str, local: int) -> None:
        _link(self.session, self.enterprise, key, external, local)
        self.local.setdefault(key, {})[external] = local
        self.stored[key] += 1

    def units(self) -> None:
        for u in self.plan.chain.risk_units:
            if ("risk_unit", u.id) in self.plan.skip:
                continue
            draft = service.UnitDraft(u.name, "area", u.department, u.liable_person, u.hazard_code)
            self.remember(
                "risk_unit", u.id, service.create_unit(self.session, self.actor, self.enterprise.id, draft).id
            )

    def events(self) -> None:
        for e in self.plan.chain.risk_events:
            if ("risk_event", e.id) in self.plan.skip:
                continue
            unit = service.get_unit(self.session, self.actor, self.local["risk_unit"][e.risk_unit_id])
            level = self.plan.level_of_unit[e.risk_unit_id]
            event = RiskEvent(
                unit_id=unit.id, enterprise_id=unit.enterprise_id, county_code=unit.county_code,
                city_code=unit.city_code, province_code=unit.province_code, sector=unit.sector,
                description=e.name, consequence="", method=EXCHANGE_LEVEL_METHOD,
                factors={"riskLevel": level, "note": "the unit's level in an exchange file; re-assess in zhiben"},
                inherent_level=level, residual_level=None, assessed_at=session_clock(self.session).now(),
                assessed_by=self.actor.audit_name,
            )  # fmt: skip
            self.session.add(event)
            self.session.flush()
            audit.record(self.session, self.actor.audit_name, "risk_event.import", "risk_event", str(event.id),
                         after=service.event_snapshot(event))  # fmt: skip
            self.remember("risk_event", e.id, event.id)

    def measures(self) -> None:
        for m in self.plan.chain.control_measures:
            if ("control_measure", m.id) in self.plan.skip:
                continue
            task = self.plan.task_of_measure[m.id]
            draft = service.MeasureDraft(
                m.description, hierarchy_of(m).value, _cycle_of()[(task.cycle, task.cycle_unit)].value,
                WORK_TYPE[task.work_type].value,
            )  # fmt: skip
            event_id = self.local["risk_event"][m.risk_event_id]
            controls = service.add_measure(self.session, self.actor, event_id, draft)
            created = max(controls.measures, key=lambda row: row.id)
            self.remember("control_measure", m.id, created.id)
            self.remember("check_task", task.id, created.id)

    def records(self) -> None:
        for r in self.plan.chain.check_records:
            if ("check_record", r.id) in self.plan.skip:
                continue
            measure = service.get_measure(self.session, self.actor, self.local["check_task"][r.check_task_id])
            start, _ = window_containing(Cycle(measure.cycle), r.checked_at)
            found = self.plan.hazard_of_record.get(r.id)
            hazard_id = self._hazard(measure, found, r.checked_at) if found is not None else None
            record = CheckRecord(
                measure_id=measure.id, enterprise_id=measure.enterprise_id, county_code=measure.county_code,
                city_code=measure.city_code, province_code=measure.province_code, sector=measure.sector,
                window_start_at=start, checked_at=r.checked_at, checked_by=self.actor.audit_name,
                result="abnormal" if r.result == "1" else "normal", note=found.description[:1000] if found else "",
                place="", photos=[], hazard_id=hazard_id, recorded_at=session_clock(self.session).now(),
            )  # fmt: skip
            self.session.add(record)
            self.session.flush()
            audit.record(self.session, self.actor.audit_name, "check_record.import", "check_record", str(record.id),
                         after=service.record_snapshot(record))  # fmt: skip
            self.remember("check_record", r.id, record.id)

    def _hazard(self, measure: ControlMeasure, found: ex.Hazard, checked_at: datetime) -> int:
        event = service.get_event(self.session, self.actor, measure.event_id)
        unit = service.get_unit(self.session, self.actor, event.unit_id)
        report = hazards.HazardReport(
            enterprise_id=measure.enterprise_id, description=found.description,
            source=Source.self_inspection, found_at=found.registered_at, location=unit.name[:200],
        )  # fmt: skip
        hazard = hazards.report_hazard(self.session, self.actor, report)
        self.remember("hazard", found.id, hazard.id)
        return hazard.id


def _plan(session: Session, actor: Principal, enterprise: Enterprise, payload: object,
          encoding: RiskLevelEncoding | None) -> tuple[_Plan, str | None]:  # fmt: skip
    known = _known(session, actor, enterprise.id)
    checked = ex.import_payload(payload, risk_level_encoding=encoding, known_ids=known)
    plan = _Plan(checked.chain, known, list(checked.issues), position=_positions(payload))
    stored_code = company_code_of(session, actor, enterprise.id)
    _check_header(plan, enterprise, stored_code)
    _check_units_and_events(plan)
    _check_measures_and_tasks(plan)
    _check_records_and_hazards(plan, session_clock(session).now())
    return plan, stored_code


def import_exchange(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    payload: object,
    *,
    risk_level_encoding: RiskLevelEncoding | None = None,
) -> ImportReport:
    """Store an exchange file's records for the enterprise: all of them, or (with any error) none."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    service.require_owner(actor, enterprise.id, "dual_prevention.import")
    plan, stored_code = _plan(session, actor, enterprise, payload, risk_level_encoding)
    if plan.issues:
        return ImportReport(enterprise.id, {}, tuple(plan.issues), tuple(plan.notices))
    store = _Store(session, actor, enterprise, plan)
    try:
        with session.begin_nested():
            if stored_code is None and plan.chain.company_code is not None:
                store.remember(ENTERPRISE, plan.chain.company_code, enterprise.id)
                store.stored.pop(ENTERPRISE)
            store.units()
            store.events()
            store.measures()
            store.records()
    except (ZhibenError, KeyError) as exc:  # a rule only the services know: nothing stays stored
        problem = Issue("payload", None, None, getattr(exc, "code", "") or "", "", "not_stored", str(exc))
        return ImportReport(enterprise.id, {}, (problem,), tuple(plan.notices))
    stored = dict(store.stored)
    audit.record(session, actor.audit_name, "dual_prevention.import", "enterprise", str(enterprise.id),
                 after={"stored": stored, "notices": len(plan.notices)})  # fmt: skip
    return ImportReport(enterprise.id, stored, (), tuple(plan.notices))


def import_for_uscc(session: Session, actor: Principal, payload: object, **options: Any) -> ImportReport:
    """Import into the enterprise the file's header names (by USCC), when the caller can see it."""
    header = payload.get("enterprise") if isinstance(payload, Mapping) else None
    uscc = header.get("uscc") if isinstance(header, Mapping) else None
    enterprise = repository.enterprise_by_uscc(session, actor, uscc) if isinstance(uscc, str) else None
    if enterprise is None:
        raise NotFoundError(kind="enterprise", key=str(uscc))
    return import_exchange(session, actor, enterprise.id, payload, **options)
