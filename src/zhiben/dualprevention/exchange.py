"""The national dual-prevention data exchange (双重预防机制数字化建设数据交换规范): records, export, import.

The chain risk analysis unit (风险分析单元) → risk event (风险事件) → control measure (管控措施) → check
task (排查任务) → check record (排查记录) → hazard (隐患) as frozen dataclasses with zhiben-side names,
and a table of `FieldSpec`s per entity that says, for every field, its wire name (as the reference
spells it), kind, length, whether it is required, its code table and how sure the reference is.
Sources: `shared/reference/data-standards.md` §1.1 and `data-standards/dp_*.csv` (copied into
`data/`). The mapping, field by field, is in docs/dual-prevention-exchange.md.

Where the sources disagree we take the strictest known rule (the shortest length, the field required
by any source), so that an exported payload is acceptable to every receiver we know of.

Pure: no database, no clock, no network. Transport (AES/SM4 envelopes, paging by 20, Kafka) is a
separate adapter; the payload here is one JSON object holding one array per endpoint, in upload
order (measures before tasks, tasks before records, records before hazards: S-DP2).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal
from typing import Any

from zhiben.dualprevention.exchange_codes import (
    COMPANY_CODE_RE,
    FieldError,
    FieldSpec,
    Kind,
    Options,
    RiskLevelEncoding,
    TimeFormat,
    decode_value,
    encode_value,
    need_str,
)
from zhiben.errors import ZhibenError
from zhiben.kit import uscc as uscc_kit

FORMAT = "zhiben-dp-exchange/1"


# --- records ------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class RiskUnit:
    """安全风险分析单元 (`/sec_security_risk_unit`)."""

    id: str
    company_code: str
    hazard_code: str
    department: str
    liable_person: str
    name: str
    risk_level: str | None = None  # major / high / moderate / low


@dataclass(frozen=True, kw_only=True)
class RiskEvent:
    """安全风险事件 (`/sec_security_risk_events`)."""

    id: str
    risk_unit_id: str
    name: str


@dataclass(frozen=True, kw_only=True)
class ControlMeasure:
    """安全风险管控措施 (`/sec_security_risk_control_measures`)."""

    id: str
    risk_event_id: str
    control_mode: str  # dataSrc: 1 自动化监控 / 2 隐患排查
    description: str
    classify1: str
    classify2: str
    check_content: str
    classify3: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckTask:
    """隐患排查任务 (`/sec_hidden_check_mission`)."""

    id: str
    control_measure_id: str
    check_content: str
    cycle: Decimal
    cycle_unit: str  # 小时 / 天 / 月 / 年
    task_start_at: datetime | None = None
    work_start: time | None = None
    work_end: time | None = None
    work_day_type: str | None = None
    work_type: str = "0"
    task_num: int | None = None


@dataclass(frozen=True, kw_only=True)
class CheckRecord:
    """隐患排查记录 (`/sec_hidden_check_record`)."""

    id: str
    check_task_id: str
    checked_at: datetime
    result: str  # checkStatus: 0 正常 / 1 存在隐患 / 2 未排查 / 3 其他
    creator_mobile: str | None = None
    updater_mobile: str | None = None
    defend_marker: str | None = None  # isDefend: meaning not documented anywhere (NF); carried as is


@dataclass(frozen=True, kw_only=True)
class Hazard:
    """隐患信息 / 隐患治理信息 (`/sec_hidden_danger_info`)."""

    id: str
    company_code: str
    hazard_code: str
    control_measure_id: str
    check_record_id: str
    name: str
    level: str
    registered_at: datetime
    registrant: str
    source: str
    manage_type: str
    professional_type: str
    description: str
    liable_person: str
    deadline_at: datetime
    state: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime
    category: str = "0"
    is_deleted: bool = False
    enforcement_id: str | None = None
    reason: str | None = None
    control_measures: str | None = None
    cost: str | None = None
    accepted_by: str | None = None
    accepted_at: datetime | None = None
    accept_comment: str | None = None
    management_class: str | None = None
    occurrence_stage: str | None = None
    photo: bytes | None = None
    accept_photo: bytes | None = None
    attachment: bytes | None = None
    attachment_name: str | None = None


Record = RiskUnit | RiskEvent | ControlMeasure | CheckTask | CheckRecord | Hazard


@dataclass(frozen=True, kw_only=True)
class DualPreventionChain:
    """One enterprise's exchange: its identifiers and the six record lists in upload order."""

    uscc: str | None
    company_code: str | None
    risk_units: tuple[RiskUnit, ...] = ()
    risk_events: tuple[RiskEvent, ...] = ()
    control_measures: tuple[ControlMeasure, ...] = ()
    check_tasks: tuple[CheckTask, ...] = ()
    check_records: tuple[CheckRecord, ...] = ()
    hazards: tuple[Hazard, ...] = ()


def _f(attr: str, wire: str, kind: Kind, required: bool = True, **kw: Any) -> FieldSpec:
    return FieldSpec(attr, wire, kind, required, **kw)


RISK_UNIT_FIELDS = (
    _f("id", "id", "uuid"),
    _f("company_code", "companyCode", "company_code"),
    _f("hazard_code", "hazardCode", "text", max_len=36),
    _f("department", "hazardDep", "text", max_len=200),
    _f("liable_person", "hazardLiablePerson", "text", max_len=20),
    _f("name", "riskUnitName", "text", max_len=200),
    _f("risk_level", "riskLevel", "risk_level", False, confidence="V"),
)
RISK_EVENT_FIELDS = (
    _f("id", "id", "uuid"),
    _f("risk_unit_id", "riskUnitId", "link", table="risk_unit"),
    _f("name", "riskEventName", "text", max_len=500),
)
CONTROL_MEASURE_FIELDS = (
    _f("id", "id", "uuid"),
    _f("risk_event_id", "riskEventId", "link", table="risk_event"),
    _f("control_mode", "dataSrc", "code", table="measure_data_src"),
    _f("description", "riskMeasureDesc", "text", max_len=4000),
    _f("classify1", "classify1", "code", table="measure_classify1"),
    _f("classify2", "classify2", "code", table="measure_classify2"),
    _f("classify3", "classify3", "text", False, max_len=100),
    _f("check_content", "troubleshootContent", "text"),
)
CHECK_TASK_FIELDS = (
    _f("id", "id", "uuid"),
    _f("control_measure_id", "riskMeasureId", "link", table="control_measure"),
    _f("check_content", "troubleshootContent", "text", max_len=1000),
    _f("cycle", "checkCycle", "cycle"),
    _f("cycle_unit", "checkCycleUnit", "code", table="check_cycle_unit", confidence="V2"),
    _f("task_start_at", "taskStartTime", "datetime", False, confidence="V"),
    _f("work_start", "workStartTime", "time_of_day", False, confidence="V"),
    _f("work_end", "workEndTime", "time_of_day", False, confidence="V"),
    _f("work_day_type", "workDayType", "code", False, table="work_day_type", confidence="V"),
    _f("work_type", "workType", "code", False, table="work_type", confidence="V", default="0"),
    _f("task_num", "taskNum", "integer", False, confidence="V"),
)
CHECK_RECORD_FIELDS = (
    _f("id", "id", "uuid"),
    _f("check_task_id", "checkTaskId", "link", table="check_task"),
    _f("checked_at", "checkTime", "datetime"),
    _f("result", "checkStatus", "code", table="check_status", confidence="V2"),
    _f("creator_mobile", "mobileMe", "text", False, max_len=20, confidence="V2"),
    _f("updater_mobile", "updateByMobile", "text", False, max_len=20),
    _f("defend_marker", "isDefend", "text", False, confidence="V"),
)
HAZARD_FIELDS = (
    _f("id", "id", "uuid"),
    _f("company_code", "companyCode", "company_code"),
    _f("hazard_code", "hazardCode", "text", max_len=36),
    _f("control_measure_id", "riskMeasureId", "link", table="control_measure"),
    _f("check_record_id", "checkRecordId", "link", table="check_record"),
    _f("name", "dangerName", "text", max_len=300),
    _f("level", "dangerLevel", "code", table="danger_level"),
    _f("registered_at", "registTime", "datetime"),
    _f("registrant", "registrant", "text", max_len=100),
    _f("source", "dangerSrc", "code", table="danger_src", aliases=("dangersSrc",)),
    _f("enforcement_id", "enforcementId", "text", False, confidence="V"),
    _f("manage_type", "dangerManageType", "code", table="danger_manage_type"),
    _f("professional_type", "hazardDangerType", "code", table="hazard_danger_type"),
    _f("category", "hazardCategory", "code_number", False, table="hazard_category", confidence="V2", default="0"),
    _f("description", "dangerDesc", "text"),
    _f("reason", "dangerReason", "text", False),
    _f("control_measures", "controlMeasures", "text", False, max_len=1000, confidence="V2"),
    _f("cost", "cost", "text", False, max_len=100, confidence="V2"),
    _f("liable_person", "liablePerson", "text", max_len=100),
    _f("deadline_at", "dangerManageDeadline", "deadline"),
    _f("accepted_by", "checkAcceptPerson", "text", False, max_len=50, confidence="V2"),
    _f("accepted_at", "checkAcceptTime", "datetime", False, confidence="V2"),
    _f("accept_comment", "checkAcceptComment", "text", False, max_len=1000, confidence="V2"),
    _f("state", "dangerState", "code", table="danger_state"),
    _f("management_class", "managementClassification", "code", False, table="management_classification", confidence="V2"),
    _f("occurrence_stage", "occurrenceLink", "code", False, table="occurrence_link", confidence="V2"),
    _f("photo", "attachments1", "image", False, aliases=("dangerImg",)),
    _f("accept_photo", "attachments2", "image", False, aliases=("dangerAcceptImg",)),
    _f("attachment", "attachments3", "file", False, confidence="V2"),
    _f("attachment_name", "attachmentsType", "text", False, confidence="V"),
    _f("is_deleted", "deleted", "deleted", False, default=False),
    _f("created_by", "createBy", "text", max_len=200),
    _f("created_at", "createDate", "datetime"),
    _f("updated_by", "updateBy", "text", max_len=200),
    _f("updated_at", "updateDate", "datetime"),
)  # fmt: skip


# --- issues -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issue:
    """One invalid value: where (entity, position in its array, record id), which field, why."""

    entity: str
    position: int | None
    record_id: str | None
    field: str
    value: str  # repr of the value received, cut to 120 characters
    reason: str  # stable machine word: missing, too_long, bad_code, bad_time, dangling_link, ...
    message: str


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


class ExchangeRejectedError(ZhibenError):
    """Export refused: some records would not pass a receiver's checks. `issues` lists them all."""

    status = 422
    code = "exchange_rejected"
    message_zh = "交换数据不合格：{summary}"
    message_en = "exchange data rejected: {summary}"

    def __init__(self, issues: Collection[Issue]) -> None:
        self.issues = tuple(issues)
        first = self.issues[0] if self.issues else None
        summary = (
            f"{len(self.issues)} issue(s); first: {first.entity} {first.field}: {first.message}"
            if first
            else ""
        )
        fields_ = [
            {"field": f"{i.entity}[{i.position}].{i.field}", "reason": i.reason, "message": i.message}
            for i in self.issues
        ]
        super().__init__(summary=summary, fields=fields_)


# --- entities -----------------------------------------------------------------------------------

Rule = Callable[
    [Mapping[str, object]], Iterator[tuple[str, object, str, str]]
]  # wire, value, reason, message


def _no_rules(values: Mapping[str, object]) -> Iterator[tuple[str, object, str, str]]:
    yield from ()


def _measure_rules(values: Mapping[str, object]) -> Iterator[tuple[str, object, str, str]]:
    classify1, classify2 = values.get("classify1"), values.get("classify2")
    if (
        isinstance(classify1, str)
        and isinstance(classify2, str)
        and not classify2.startswith(f"{classify1}-")
    ):
        yield (
            "classify2",
            classify2,
            "inconsistent",
            f"classify2 {classify2} is not a subclass of classify1 {classify1}",
        )


_TASK_NUM_MAX = {"1": 9, "2": 9, "3": 10}  # items of the 包保 checklist per responsible person (S-DP2)


def _task_rules(values: Mapping[str, object]) -> Iterator[tuple[str, object, str, str]]:
    if values.get("cycle_unit") == "小时":
        for attr, wire in (("work_start", "workStartTime"), ("work_end", "workEndTime")):
            if values.get(attr) is None:
                yield wire, None, "missing", "required when checkCycleUnit is 小时"
    limit = _TASK_NUM_MAX.get(str(values.get("work_type")))
    task_num = values.get("task_num")
    if limit is not None and task_num is None:
        yield "taskNum", None, "missing", "required when workType is 1, 2 or 3 (a 包保 task)"
    if limit is not None and isinstance(task_num, int) and not 1 <= task_num <= limit:
        yield "taskNum", task_num, "out_of_range", f"a 包保 task of this type is item 1 to {limit}"


def _hazard_rules(values: Mapping[str, object]) -> Iterator[tuple[str, object, str, str]]:
    if values.get("state") == "9":
        for attr, wire in (("accepted_by", "checkAcceptPerson"), ("accepted_at", "checkAcceptTime")):
            if values.get(attr) is None:
                yield wire, None, "missing", "required when dangerState is 9 (accepted)"


@dataclass(frozen=True)
class Entity:
    key: str  # risk_unit, risk_event, ...
    endpoint: str  # the national upload path without its slash, also the payload key
    record_type: Callable[..., Record]
    chain_attr: str
    fields: tuple[FieldSpec, ...]
    rules: Rule = _no_rules


ENTITIES = (
    Entity("risk_unit", "sec_security_risk_unit", RiskUnit, "risk_units", RISK_UNIT_FIELDS),
    Entity("risk_event", "sec_security_risk_events", RiskEvent, "risk_events", RISK_EVENT_FIELDS),
    Entity("control_measure", "sec_security_risk_control_measures", ControlMeasure, "control_measures", CONTROL_MEASURE_FIELDS, _measure_rules),
    Entity("check_task", "sec_hidden_check_mission", CheckTask, "check_tasks", CHECK_TASK_FIELDS, _task_rules),
    Entity("check_record", "sec_hidden_check_record", CheckRecord, "check_records", CHECK_RECORD_FIELDS),
    Entity("hazard", "sec_hidden_danger_info", Hazard, "hazards", HAZARD_FIELDS, _hazard_rules),
)  # fmt: skip
_BY_KEY = {entity.key: entity for entity in ENTITIES}


# --- export -------------------------------------------------------------------------------------


def _encode_record(entity: Entity, record: Record, options: Options) -> dict[str, object]:
    out: dict[str, object] = {}
    for spec in entity.fields:
        value = getattr(record, spec.attr)
        if value is not None:
            out[spec.wire] = encode_value(spec, value, options)
    return out


def encode_chain(
    chain: DualPreventionChain,
    *,
    time_format: TimeFormat = TimeFormat.DASHED,
    risk_level_encoding: RiskLevelEncoding = RiskLevelEncoding.NATIONAL,
) -> dict[str, object]:
    """The chain as a payload, not validated: `import_payload` says what in it a receiver would refuse."""
    options = Options(time_format, risk_level_encoding)
    payload: dict[str, object] = {
        "format": FORMAT,
        "timeFormat": time_format.value,
        "riskLevelEncoding": risk_level_encoding.value,
        "enterprise": {"uscc": chain.uscc, "companyCode": chain.company_code},
    }
    for entity in ENTITIES:
        records: tuple[Record, ...] = getattr(chain, entity.chain_attr)
        payload[entity.endpoint] = [_encode_record(entity, record, options) for record in records]
    return payload


def export_chain(
    chain: DualPreventionChain,
    *,
    time_format: TimeFormat = TimeFormat.DASHED,
    risk_level_encoding: RiskLevelEncoding = RiskLevelEncoding.NATIONAL,
    known_ids: Mapping[str, Collection[str]] | None = None,
) -> dict[str, object]:
    """The chain as one exchange payload; raises ExchangeRejectedError listing every invalid value.

    The payload is validated by the importer before it is returned, so what we send is exactly what
    we would accept. `known_ids` (entity key -> ids) are records the receiver already holds.
    """
    payload = encode_chain(chain, time_format=time_format, risk_level_encoding=risk_level_encoding)
    result = import_payload(payload, risk_level_encoding=risk_level_encoding, known_ids=known_ids)
    if result.issues:
        raise ExchangeRejectedError(result.issues)
    return payload


def export_json(chain: DualPreventionChain, **options: Any) -> str:
    return json.dumps(export_chain(chain, **options), ensure_ascii=False, indent=1)


# --- import -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    chain: DualPreventionChain  # the valid records (none at all when all_or_nothing found an issue)
    issues: tuple[Issue, ...]  # every invalid value, in payload order

    @property
    def is_clean(self) -> bool:
        return not self.issues


@dataclass
class _Import:
    options: Options
    company_code: str | None
    known_ids: Mapping[str, Collection[str]]
    issues: list[Issue] = field(default_factory=list)
    accepted: dict[str, dict[str, Record]] = field(default_factory=dict)  # entity key -> id -> record
    rejected: dict[str, set[str]] = field(default_factory=dict)  # entity key -> ids seen but rejected

    def report(
        self,
        entity: str,
        position: int | None,
        record_id: str | None,
        wire: str,
        value: object,
        reason: str,
        message: str,
    ) -> None:
        self.issues.append(Issue(entity, position, record_id, wire, _short(value), reason, message))


def _raw_value(spec: FieldSpec, raw: Mapping[str, object]) -> object:
    for name in (spec.wire, *spec.aliases):
        if name in raw:
            return raw[name]
    return None


def _decode_fields(
    state: _Import, entity: Entity, raw: Mapping[str, object], where: tuple[int, str | None]
) -> tuple[dict[str, object], bool]:
    values: dict[str, object] = {}
    ok = True
    for spec in entity.fields:
        value = _raw_value(spec, raw)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                state.report(
                    entity.endpoint,
                    *where,
                    spec.wire,
                    value,
                    "missing",
                    "a required field is missing or blank",
                )
                ok = False
            values[spec.attr] = spec.default
            continue
        try:
            values[spec.attr] = decode_value(spec, value, state.options)
        except FieldError as exc:
            state.report(entity.endpoint, *where, spec.wire, value, exc.reason, exc.message)
            values[spec.attr] = None
            ok = False
    return values, ok


def _check_links(
    state: _Import, entity: Entity, values: Mapping[str, object], where: tuple[int, str | None]
) -> bool:
    ok = True
    for spec in entity.fields:
        target = values.get(spec.attr)
        if spec.kind != "link" or not isinstance(target, str) or spec.table is None:
            continue
        if target in state.accepted.get(spec.table, {}) or target in state.known_ids.get(spec.table, ()):
            continue
        if target in state.rejected.get(spec.table, set()):
            reason, message = "link_to_rejected", f"points to a {spec.table} that was itself rejected"
        else:
            reason, message = (
                "dangling_link",
                f"no {spec.table} with this id in the payload or known to the receiver",
            )
        state.report(entity.endpoint, *where, spec.wire, target, reason, message)
        ok = False
    return ok


def _check_hazard_chain(state: _Import, values: Mapping[str, object], where: tuple[int, str | None]) -> bool:
    """A hazard's check record must come from a task of the hazard's own control measure."""
    record = state.accepted.get("check_record", {}).get(str(values.get("check_record_id")))
    task = (
        state.accepted.get("check_task", {}).get(record.check_task_id)
        if isinstance(record, CheckRecord)
        else None
    )
    if isinstance(task, CheckTask) and task.control_measure_id != values.get("control_measure_id"):
        state.report("sec_hidden_danger_info", *where, "riskMeasureId", values.get("control_measure_id"), "inconsistent_link",
                     f"the check record belongs to a task of control measure {task.control_measure_id}")  # fmt: skip
        return False
    return True


def _import_record(state: _Import, entity: Entity, position: int, raw: object) -> None:
    if not isinstance(raw, Mapping):
        state.report(
            entity.endpoint, position, None, "", raw, "bad_type", "each record must be a JSON object"
        )
        return
    raw_id = raw.get("id")
    where = (position, raw_id if isinstance(raw_id, str) else None)
    values, ok = _decode_fields(state, entity, raw, where)
    for wire, value, reason, message in entity.rules(values):
        state.report(entity.endpoint, *where, wire, value, reason, message)
        ok = False
    code = values.get("company_code")
    if code is not None and state.company_code is not None and code != state.company_code:
        state.report(
            entity.endpoint,
            *where,
            "companyCode",
            code,
            "company_mismatch",
            "differs from the enterprise's companyCode in the header",
        )
        ok = False
    ok = _check_links(state, entity, values, where) and ok
    if entity.key == "hazard":
        ok = _check_hazard_chain(state, values, where) and ok
    record_id = where[1]
    if record_id is not None and (
        record_id in state.accepted.get(entity.key, {}) or record_id in state.rejected.get(entity.key, set())
    ):
        state.report(
            entity.endpoint,
            *where,
            "id",
            record_id,
            "duplicate_id",
            "another record of this kind has the same id",
        )
        ok = False
    if ok and record_id is not None:
        state.accepted.setdefault(entity.key, {})[record_id] = entity.record_type(**values)
    elif record_id is not None:
        state.rejected.setdefault(entity.key, set()).add(record_id)


def _header(payload: Mapping[str, object], state: _Import) -> str | None:
    """Validate the enterprise header; returns the USCC (None when invalid, with an issue)."""
    enterprise = payload.get("enterprise")
    if not isinstance(enterprise, Mapping):
        state.report(
            "enterprise", None, None, "enterprise", enterprise, "missing", "the payload names no enterprise"
        )
        return None
    code = enterprise.get("companyCode")
    if isinstance(code, str) and COMPANY_CODE_RE.fullmatch(code):
        state.company_code = code
    else:
        state.report(
            "enterprise",
            None,
            None,
            "companyCode",
            code,
            "bad_company_code",
            "the registration-platform company code is 9 digits",
        )
    raw_uscc = enterprise.get("uscc")
    try:
        return uscc_kit.validate(need_str(raw_uscc))
    except uscc_kit.UsccError as exc:
        state.report("enterprise", None, None, "uscc", raw_uscc, f"bad_uscc_{exc.reason}", str(exc))
    except FieldError as exc:
        state.report(
            "enterprise",
            None,
            None,
            "uscc",
            raw_uscc,
            "missing" if raw_uscc is None else exc.reason,
            "the enterprise's USCC (统一社会信用代码) is required",
        )
    return None


def _risk_encoding(
    payload: Mapping[str, object], explicit: RiskLevelEncoding | None, state_issues: _Import
) -> RiskLevelEncoding:
    if explicit is not None:
        return explicit
    declared = payload.get("riskLevelEncoding", RiskLevelEncoding.NATIONAL.value)
    try:
        return RiskLevelEncoding(str(declared))
    except ValueError:
        state_issues.report(
            "header",
            None,
            None,
            "riskLevelEncoding",
            declared,
            "bad_code",
            "risk-level encoding must be A or B",
        )
        return RiskLevelEncoding.NATIONAL


def import_payload(
    payload: object,
    *,
    all_or_nothing: bool = False,
    risk_level_encoding: RiskLevelEncoding | None = None,
    known_ids: Mapping[str, Collection[str]] | None = None,
) -> ImportResult:
    """Validate a payload field by field; return the valid records and every issue.

    Risk-level codes are read in `risk_level_encoding`, else in the payload's declared
    `riskLevelEncoding`, else in the national encoding A. Times are read in either format.
    With `all_or_nothing`, one issue anywhere returns no records at all.
    """
    state = _Import(Options(TimeFormat.DASHED, RiskLevelEncoding.NATIONAL), None, known_ids or {})
    if not isinstance(payload, Mapping):
        state.report("payload", None, None, "", payload, "bad_type", "the payload must be a JSON object")
        return ImportResult(DualPreventionChain(uscc=None, company_code=None), tuple(state.issues))
    state.options = Options(TimeFormat.DASHED, _risk_encoding(payload, risk_level_encoding, state))
    uscc = _header(payload, state)
    for entity in ENTITIES:
        rows = payload.get(entity.endpoint, [])
        if not isinstance(rows, list):
            state.report(
                entity.endpoint, None, None, "", rows, "bad_type", "each endpoint holds a JSON array"
            )
            continue
        for position, raw in enumerate(rows):
            _import_record(state, entity, position, raw)
    issues = tuple(state.issues)
    if all_or_nothing and issues:
        return ImportResult(DualPreventionChain(uscc=uscc, company_code=state.company_code), issues)
    lists = {e.chain_attr: tuple(state.accepted.get(e.key, {}).values()) for e in ENTITIES}
    return ImportResult(DualPreventionChain(uscc=uscc, company_code=state.company_code, **lists), issues)  # type: ignore[arg-type]


def import_json(text: str, **options: Any) -> ImportResult:
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        issue = Issue("payload", None, None, "", _short(text[:40]), "bad_json", str(exc))
        return ImportResult(DualPreventionChain(uscc=None, company_code=None), (issue,))
    return import_payload(payload, **options)


def field_specs(entity_key: str) -> tuple[FieldSpec, ...]:
    return _BY_KEY[entity_key].fields


__all__ = [
    "ENTITIES", "FORMAT", "CheckRecord", "CheckTask", "ControlMeasure", "DualPreventionChain", "Entity",
    "ExchangeRejectedError", "FieldSpec", "Hazard", "ImportResult", "Issue", "RiskEvent", "RiskUnit",
    "encode_chain", "export_chain", "export_json", "field_specs", "import_json", "import_payload",
]  # fmt: skip
