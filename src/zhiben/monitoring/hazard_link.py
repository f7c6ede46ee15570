"""Alarm → hazard (issue 4 item 6): alarm conditions that a determination standard names raise a hazard
through the hazard service, citing the clause of the pack in force, with the alarm history as evidence.

The patterns are data (`data/alarm_hazard_rules.yaml`). The one shipped: a coal-mine methane sensor's
power-off condition (断电) active for longer than the sensor's `rationale.power_off.hazard_after_s`
(default 600 s, zhiben's choice) while the power-feed sensor named by `rationale.power_off.power_sensor`
(kind `power_on`, same enterprise) still reads on: work continuing after a methane over-limit. That
establishes the pack fact `working_after_gas_over_limit`; the clause is whichever clause of a released
pack in force that day reads it and is met by it (coal-mine/2020.1: 5-2, 第五条第（二）项). With no such
pack (coal after 2026-07-01, while coal-mine/2026.1 is an empty draft) the hazard is reported without a
level, naming the condition, for a regulator to determine.

One hazard per alarm record: the link is an `alarm_log` row (action `hazard_raised`, detail with the
hazard id and number), written in the same transaction as the hazard and looked up before raising. The
candidate alarm rows are locked (PostgreSQL FOR UPDATE; SQLite's writer lock), so two workers do not
raise the same one twice.

Evidence is text: the hazard description lists the alarm record, its log, the methane readings of the
episode (count, minimum, maximum, the first and last few) and the power-feed readings; the citation's
`evidence` entry holds the same episode facts as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise.models import Enterprise
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.kit.clock import SHANGHAI
from zhiben.monitoring import alarms, domain, readings
from zhiben.monitoring.ingest import IngestReport
from zhiben.monitoring.models import Alarm, AlarmLogEntry, Sensor
from zhiben.standards.checklist import citation_of, installed_packs
from zhiben.standards.engine import applicable
from zhiben.standards.expr import evaluate
from zhiben.standards.pack import Clause, RulePack

MONITOR = Principal(user_id=0, username="monitoring", role=Role.admin)
LINK_ACTION = "hazard_raised"
EDGE_READINGS = 5  # first and last readings of the episode listed in the evidence
MAX_LOG_LINES = 30
MAX_DESCRIPTION = 3900  # the API takes descriptions up to 4,000 characters


@dataclass(frozen=True)
class PowerRule:
    setting: str
    kind: str
    on_at_least: float


@dataclass(frozen=True)
class AlarmHazardRule:
    id: str
    sensor_kind: str
    condition: str
    fact: str
    fact_value: bool | str  # a yes/no or text fact of the packs
    hold_setting: str
    hold_default_s: float
    power: PowerRule
    summary_zh: str
    summary_en: str


@lru_cache
def packaged_rules() -> tuple[AlarmHazardRule, ...]:
    text = resources.files("zhiben.monitoring").joinpath("data/alarm_hazard_rules.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    return tuple(
        AlarmHazardRule(
            id=r["id"],
            sensor_kind=r["sensor_kind"],
            condition=r["condition"],
            fact=r["fact"],
            fact_value=r["fact_value"] if isinstance(r["fact_value"], bool) else str(r["fact_value"]),
            hold_setting=r["hold"]["setting"],
            hold_default_s=float(r["hold"]["default_s"]),
            power=PowerRule(r["power"]["setting"], r["power"]["kind"], float(r["power"]["on_at_least"])),
            summary_zh=r["summary"]["zh"],
            summary_en=r["summary"]["en"],
        )
        for r in data["rules"]
    )


@dataclass(frozen=True)
class Linked:
    alarm_id: int
    hazard_id: int
    hazard_number: str
    level: str | None  # major, or None: awaiting a regulator's determination
    pack: str | None
    version: str | None
    clause: str | None


@dataclass(frozen=True)
class Pending:
    alarm_id: int
    reason: str  # hold | no_power_sensor | no_power_reading | power_off


@dataclass
class LinkReport:
    raised: list[Linked] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)


@dataclass(frozen=True)
class _Episode:
    alarm: Alarm
    sensor: Sensor
    rule: AlarmHazardRule
    since: datetime  # the condition active since
    held_until: datetime  # since + hold: the moment the pattern was met
    hold_s: float
    power: Sensor
    power_ts: datetime
    power_value: float


def _settings(sensor: Sensor, rule: AlarmHazardRule) -> Mapping[str, Any]:
    record = (sensor.rationale or {}).get(rule.condition)
    return record if isinstance(record, Mapping) else {}


def _candidates(
    session: Session, source: IngestReport | Iterable[int], rules: Sequence[AlarmHazardRule]
) -> list[tuple[Alarm, Sensor, AlarmHazardRule]]:
    """Open records whose condition is active now, of a condition some rule watches. For an ingestion
    report: all of them (the open-key index makes this a small slice; the job's query, unscoped). For
    sensor ids: those of the sensors' enterprises (a power-feed sensor's batch can complete a pattern)."""
    by_condition = {(r.condition, r.sensor_kind): r for r in rules}
    query = (
        select(Alarm, Sensor)
        .join(Sensor, Sensor.id == Alarm.sensor_id)
        .where(
            Alarm.open_key.is_not(None),
            Alarm.is_process_active.is_(True),
            Alarm.condition.in_(sorted({r.condition for r in rules})),
        )
        .order_by(Alarm.id)
    )
    if not isinstance(source, IngestReport):
        ids = sorted(set(source))
        enterprise_ids = set()
        for start in range(0, len(ids), 1000):
            part = ids[start : start + 1000]
            enterprise_ids |= set(session.scalars(select(Sensor.enterprise_id).where(Sensor.id.in_(part))))
        if not enterprise_ids:
            return []
        query = query.where(Alarm.enterprise_id.in_(sorted(enterprise_ids)))
    found = []
    for alarm, sensor in session.execute(query.with_for_update(of=Alarm)):
        rule = by_condition.get((alarm.condition, sensor.kind))
        if rule is not None:
            found.append((alarm, sensor, rule))
    return found


def _linked(session: Session, alarm_ids: list[int]) -> set[int]:
    query = select(AlarmLogEntry.alarm_id).where(
        AlarmLogEntry.alarm_id.in_(alarm_ids), AlarmLogEntry.action == LINK_ACTION
    )
    return set(session.scalars(query))


def _episode(
    session: Session, alarm: Alarm, sensor: Sensor, rule: AlarmHazardRule, now: datetime
) -> _Episode | Pending:
    settings = _settings(sensor, rule)
    hold_s = float(settings.get(rule.hold_setting, rule.hold_default_s))
    since = alarm.process_changed_at or alarm.opened_at or now
    held_until = since + timedelta(seconds=hold_s)
    if now < held_until:
        return Pending(alarm.id, "hold")
    code = settings.get(rule.power.setting)
    power = (
        session.scalar(
            select(Sensor).where(Sensor.enterprise_id == sensor.enterprise_id, Sensor.code == code)
        )
        if isinstance(code, str)
        else None
    )
    if power is None or power.kind != rule.power.kind:
        return Pending(alarm.id, "no_power_sensor")
    power_ts, power_values = _window(session, power.id, held_until, now)
    if len(power_ts) == 0:
        return Pending(alarm.id, "no_power_reading")  # cannot tell whether work went on: not raised
    latest_at, latest = domain.from_ms(int(power_ts[-1])), float(power_values[-1])
    if latest < rule.power.on_at_least:
        return Pending(alarm.id, "power_off")
    return _Episode(alarm, sensor, rule, since, held_until, hold_s, power, latest_at, latest)


def _window(session: Session, sensor_id: int, since: datetime, now: datetime) -> tuple[Any, Any]:
    """A sensor's readings in [since, now], oldest first."""
    return readings.series(session, sensor_id, since, now + timedelta(milliseconds=1))


def _clause_for(
    packs: Sequence[RulePack], sector: str, rule: AlarmHazardRule, on: date
) -> tuple[RulePack, Clause] | None:
    """The clause of a released pack in force on `on` that reads the rule's fact and is met by it."""
    facts = {rule.fact: rule.fact_value}
    for pack in applicable(packs, sector, on):
        for clause in pack.clauses:
            if rule.fact in clause.facts and evaluate(clause.condition, facts) is True:
                return pack, clause
    return None


def hazards_from_alarms(
    session: Session,
    source: IngestReport | Iterable[int],
    now: datetime | None = None,
    packs: Sequence[RulePack] | None = None,
) -> LinkReport:
    """Run after an ingestion batch (with its report) or for some sensors (their ids): raise one hazard
    per open alarm record whose pattern is met and that has none yet. Flushes; the caller commits."""
    now = now or session_clock(session).now()
    packs = installed_packs() if packs is None else packs
    report = LinkReport()
    candidates = _candidates(session, source, packaged_rules())
    if not candidates:
        return report
    done = _linked(session, [alarm.id for alarm, _, _ in candidates])
    for alarm, sensor, rule in candidates:
        if alarm.id in done:
            continue
        episode = _episode(session, alarm, sensor, rule, now)
        if isinstance(episode, Pending):
            report.pending.append(episode)
            continue
        report.raised.append(_raise(session, episode, packs, now))
    session.flush()
    return report


def _raise(session: Session, ep: _Episode, packs: Sequence[RulePack], now: datetime) -> Linked:
    enterprise = session.get(Enterprise, ep.alarm.enterprise_id)
    assert enterprise is not None  # alarms reference enterprises
    on = now.astimezone(SHANGHAI).date()
    match = _clause_for(packs, enterprise.sector, ep.rule, on)
    evidence = _evidence(session, ep, now)
    if match is not None:
        pack, clause = match
        citation = citation_of(pack, clause, {ep.rule.fact: ep.rule.fact_value})
        citation["evidence"] = json.dumps(evidence, ensure_ascii=False, sort_keys=True)
        head = (
            f"{clause.spec.summary.zh}（{pack.spec.document} {clause.spec.citation}，"
            f"{pack.id} {pack.version} 条款 {clause.spec.id}）：{ep.rule.summary_zh}。"
        )
        level: HazardLevel | None = HazardLevel.major
    else:
        drafts = [
            p for p in applicable(packs, enterprise.sector, on, drafts=True) if p.spec.status != "released"
        ]
        draft_note = "、".join(f"{p.id} {p.version}（草案，{len(p.clauses)} 条）" for p in drafts)
        head = (
            f"{ep.rule.summary_zh}。{on.isoformat()} 无已发布的判定标准条款适用于该条件"
            f"（{ep.rule.fact}）{'；现行 ' + draft_note if draft_note else ''}。"
            "本隐患未定级，请监管部门依现行标准判定。"
        )
        citation, level = None, None
    description = _description(head, session, ep, now, evidence)
    hazard = hazards.report_hazard(
        session,
        MONITOR,
        hazards.HazardReport(
            enterprise_id=enterprise.id,
            description=description,
            source=Source.monitoring,
            found_at=ep.held_until,
            location=f"{ep.sensor.name or ep.sensor.code}（{ep.sensor.location_code or '—'}）"[:300],
            level=level,
            citation=citation,
        ),
    )
    alarms.log(
        session,
        ep.alarm,
        LINK_ACTION,
        MONITOR.audit_name,
        now,
        hazard_id=hazard.id,
        hazard_number=hazard.number,
        rule=ep.rule.id,
        pack=match[0].id if match else None,
        version=match[0].version if match else None,
        clause=match[1].spec.id if match else None,
    )
    return Linked(
        ep.alarm.id,
        hazard.id,
        hazard.number,
        hazard.level,
        match[0].id if match else None,
        match[0].version if match else None,
        match[1].spec.id if match else None,
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _evidence(session: Session, ep: _Episode, now: datetime) -> dict[str, Any]:
    _, values = _window(session, ep.sensor.id, ep.since, now)
    _, power_values = _window(session, ep.power.id, ep.since, now)
    count = len(values)
    low, high = (float(values.min()), float(values.max())) if count else (None, None)
    power_count = len(power_values)
    power_on = int((power_values >= ep.rule.power.on_at_least).sum())
    return {
        "alarm_id": ep.alarm.id,
        "sensor": ep.sensor.code,
        "condition": ep.alarm.condition,
        "active_since": ep.since.isoformat(),
        "hold_s": ep.hold_s,
        "held_s": round((now - ep.since).total_seconds()),
        "readings": count,
        "min": low,
        "max": high,
        "power_sensor": ep.power.code,
        "power_latest_at": ep.power_ts.isoformat(),
        "power_latest": ep.power_value,
        "power_readings": power_count,
        "power_on_readings": power_on,
    }


def _readings(
    session: Session, sensor_id: int, since: datetime, now: datetime
) -> list[tuple[datetime, float]]:
    ts, values = _window(session, sensor_id, since, now)
    edges = sorted({*range(min(EDGE_READINGS, len(ts))), *range(max(0, len(ts) - EDGE_READINGS), len(ts))})
    return [(domain.from_ms(int(ts[i])), float(values[i])) for i in edges]


def _description(head: str, session: Session, ep: _Episode, now: datetime, ev: Mapping[str, Any]) -> str:
    unit = ep.sensor.unit or ""
    lines = [
        head,
        "监测证据（报警历史）：",
        f"- 报警记录 #{ep.alarm.id}：传感器 {ep.sensor.code}（{ep.sensor.kind}，位置 {ep.sensor.location_code or '—'}），"
        f"条件 {ep.alarm.condition}，自 {_local(ep.since)} 起持续 {ev['held_s']} 秒（设定 {ep.hold_s:g} 秒），"
        f"首值 {ep.alarm.first_value}，峰值 {ep.alarm.peak_value} {unit}。",
        f"- 馈电传感器 {ep.power.code}：{_local(ep.power_ts)} 读数 {ep.power_value:g}（有电）；"
        f"期间 {ev['power_readings']} 条读数，其中 {ev['power_on_readings']} 条为有电。",
        f"- 甲烷读数：期间 {ev['readings']} 条，最小 {ev['min']}，最大 {ev['max']} {unit}；前后各至多 {EDGE_READINGS} 条："
        + "，".join(
            f"{_local(ts)} {value:g}" for ts, value in _readings(session, ep.sensor.id, ep.since, now)
        ),
        "- 报警日志：",
    ]
    log_rows = list(
        session.scalars(
            select(AlarmLogEntry)
            .where(AlarmLogEntry.alarm_id == ep.alarm.id)
            .order_by(AlarmLogEntry.at, AlarmLogEntry.id)
            .limit(MAX_LOG_LINES + 1)
        )
    )
    for entry in log_rows[:MAX_LOG_LINES]:
        value = entry.detail.get("value") if isinstance(entry.detail, dict) else None
        lines.append(
            f"  {_local(entry.at)} {entry.action} → {entry.state_after}"
            + (f"（值 {value}）" if value is not None else "")
            + f" [{entry.actor}]"
        )
    if len(log_rows) > MAX_LOG_LINES:
        lines.append(f"  …（其余日志见报警记录 #{ep.alarm.id}）")
    text = "\n".join(lines)
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"
