"""Checklists (检查表): the questions of every pack that applies to an enterprise, and what answering does.

Answers become the enterprise's facts: the current value in `enterprise_facts`, who answered and when in
the audit log. The enterprise is then determined again. A clause of a *released* pack that the facts meet
raises a major hazard through the hazard service, citing the clause with the facts as evidence; when the
hazard it raised is still open and the facts changed, the hazard's citation is restated instead. A clause
of a draft pack is reported as provisional only: its pack is incomplete, so an inspector decides.

A closed hazard is not raised again from the same facts: after rectification the enterprise answers anew,
and only a changed answer that still meets the clause raises a new hazard.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.enterprise import service as enterprises
from zhiben.enterprise.models import Enterprise
from zhiben.errors import InvalidInputError, PermissionDeniedError
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.hazard.models import Hazard
from zhiben.kit.clock import SHANGHAI
from zhiben.standards import repository
from zhiben.standards.engine import applicable
from zhiben.standards.expr import evaluate
from zhiben.standards.models import ClauseFinding, EnterpriseFact
from zhiben.standards.pack import Clause, FactSpec, RulePack, coerce_answer, load_all
from zhiben.standards.repository import FactValue

SOURCE_OF_ROLE = {
    Role.enterprise: Source.self_inspection,
    Role.officer: Source.enforcement,
    Role.regulator: Source.enforcement,
    Role.department: Source.enforcement,
    Role.service_provider: Source.service,
    Role.admin: Source.enforcement,
}
# Roles whose finding is a determination (hazard.domain.role_may: government, or the enterprise itself on
# its own self-inspection). A service provider's or a department's finding is reported for them to decide.
DETERMINING_ROLES = {Role.enterprise, Role.officer, Role.regulator, Role.admin}


@lru_cache
def installed_packs() -> tuple[RulePack, ...]:
    """The packs shipped with this release (src/zhiben/standards/rulepacks), loaded once per process."""
    return tuple(load_all())


@dataclass(frozen=True)
class Answer:
    value: FactValue
    answered_by: str
    answered_at: datetime


@dataclass(frozen=True)
class Question:
    pack: str
    version: str
    fact: str
    spec: FactSpec
    clauses: tuple[str, ...]  # the clauses that read this fact
    asked: bool  # False when the pack's `ask_if` says the question does not arise for these facts
    answer: Answer | None


@dataclass(frozen=True)
class Checklist:
    enterprise_id: int
    sector: str
    on: date
    packs: tuple[RulePack, ...]
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class ClauseResult:
    pack: str
    version: str
    clause: str
    citation: str
    summary_zh: str
    summary_en: str
    facts: dict[str, FactValue]
    provisional: bool  # met under a draft pack: reported, no hazard raised
    hazard_id: int | None = None
    hazard_action: str | None = None  # raised | restated | None (unchanged, or provisional)


@dataclass(frozen=True)
class Outcome:
    enterprise_id: int
    on: date
    met: tuple[ClauseResult, ...]
    missing: tuple[str, ...]
    changed: tuple[str, ...] = field(default=())  # facts whose value this answer changed


def today(session: Session) -> date:
    return session_clock(session).now().astimezone(SHANGHAI).date()


def _packs_for(enterprise: Enterprise, packs: Sequence[RulePack], on: date) -> list[RulePack]:
    return applicable(packs, enterprise.sector, on, drafts=True)


def _declared(chosen: Sequence[RulePack]) -> dict[str, tuple[RulePack, FactSpec]]:
    """Each fact name once: released packs first, so their declaration is the one answers are checked by."""
    declared: dict[str, tuple[RulePack, FactSpec]] = {}
    for pack in sorted(chosen, key=lambda p: p.spec.status != "released"):
        for name, spec in pack.spec.facts.items():
            declared.setdefault(name, (pack, spec))
    return declared


def _facts(rows: Mapping[str, EnterpriseFact]) -> dict[str, FactValue]:
    return {name: repository.value_of(row.value_type, row.value) for name, row in rows.items()}


def checklist(
    session: Session, actor: Principal, enterprise_id: int, packs: Sequence[RulePack], on: date | None = None
) -> Checklist:
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    on = on or today(session)
    chosen = _packs_for(enterprise, packs, on)
    rows = repository.current_facts(session, enterprise.id)
    facts = _facts(rows)
    questions, seen = [], set[str]()
    for pack in sorted(chosen, key=lambda p: (p.spec.status != "released", p.id)):
        readers: dict[str, list[str]] = {}
        for clause in pack.clauses:
            for name in sorted(clause.facts):
                readers.setdefault(name, []).append(clause.spec.id)
        for name, spec in pack.spec.facts.items():
            if name in seen:
                continue
            seen.add(name)
            row = rows.get(name)
            questions.append(
                Question(
                    pack.id,
                    pack.version,
                    name,
                    spec,
                    tuple(readers.get(name, ())),
                    pack.asked(name, facts),
                    Answer(facts[name], row.answered_by, row.answered_at) if row else None,
                )
            )
    return Checklist(enterprise.id, enterprise.sector, on, tuple(chosen), tuple(questions))


def answer(
    session: Session,
    actor: Principal,
    enterprise_id: int,
    answers: Mapping[str, object],
    packs: Sequence[RulePack],
    on: date | None = None,
) -> Outcome:
    """Store answers (None clears one), then determine the enterprise again. All answers or none: a wrong
    one rejects the whole set, naming every wrong field."""
    if actor.role not in SOURCE_OF_ROLE:
        raise PermissionDeniedError(action="checklist.answer")
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    if actor.role == Role.department and enterprise.sector not in actor.sectors:
        raise PermissionDeniedError(action="checklist.answer")
    on = on or today(session)
    declared = _declared(_packs_for(enterprise, packs, on))
    if not answers:
        raise InvalidInputError("answers", "required", "give at least one answer")
    values, problems = {}, []
    for name, raw in answers.items():
        if name not in declared:
            problems.append(
                (f"answers.{name}", "unknown", f"no pack applying to {enterprise.sector} asks {name}")
            )
            continue
        try:
            values[name] = coerce_answer(declared[name][1], raw)
        except ValueError as exc:
            problems.append((f"answers.{name}", "invalid", str(exc)))
    if problems:
        raise InvalidInputError.of(problems)

    now = session_clock(session).now()
    rows = repository.current_facts(session, enterprise.id)
    before, after = {}, {}
    source = SOURCE_OF_ROLE[actor.role].value
    for name, value in sorted(values.items()):
        row = rows.get(name)
        old = row.value if row else None
        new = None if value is None else repository.text_of(value)
        if old == new:
            continue
        before[name], after[name] = old, new
        if new is None:
            assert row is not None
            session.delete(row)
            continue
        kind = declared[name][1].type
        if row is None:
            row = EnterpriseFact(enterprise_id=enterprise.id, name=name)
            session.add(row)
        row.value_type, row.value, row.source = kind, new, source
        row.answered_by, row.answered_at = actor.audit_name, now
    if after or before:
        session.flush()
        audit.record(
            session,
            actor.audit_name,
            "checklist.answer",
            "enterprise",
            str(enterprise.id),
            before=before,
            after=after,
        )
    outcome = determine_enterprise(session, actor, enterprise, packs, on)
    return Outcome(outcome.enterprise_id, on, outcome.met, outcome.missing, tuple(sorted(after)))


def determine_enterprise(
    session: Session, actor: Principal, enterprise: Enterprise, packs: Sequence[RulePack], on: date
) -> Outcome:
    """Evaluate every applicable clause on the enterprise's current facts; keep findings and hazards in step."""
    facts = _facts(repository.current_facts(session, enterprise.id))
    stored = repository.findings(session, enterprise.id)
    met, missing = [], set[str]()
    for pack in _packs_for(enterprise, packs, on):
        for clause in pack.clauses:
            result = evaluate(clause.condition, facts)
            if result is None:
                missing |= {name for name in clause.facts if name not in facts}
                continue
            used = {name: facts[name] for name in sorted(clause.facts) if name in facts}
            if pack.spec.status != "released":
                if result:
                    met.append(_result(pack, clause, used, provisional=True))
                continue
            finding = stored.get((pack.id, clause.spec.id))
            if result:
                met.append(_keep_met(session, actor, enterprise, pack, clause, used, finding))
            elif finding is not None and finding.met:
                finding.met, finding.determined_at = False, session_clock(session).now()
                finding.version, finding.checksum, finding.facts = pack.version, pack.checksum, _json(used)
    session.flush()
    return Outcome(enterprise.id, on, tuple(met), tuple(sorted(missing)))


def _result(
    pack: RulePack,
    clause: Clause,
    used: dict[str, FactValue],
    *,
    provisional: bool = False,
    hazard_id: int | None = None,
    action: str | None = None,
) -> ClauseResult:
    s = clause.spec
    return ClauseResult(
        pack.id,
        pack.version,
        s.id,
        s.citation,
        s.summary.zh,
        s.summary.en,
        used,
        provisional,
        hazard_id,
        action,
    )


def _json(facts: Mapping[str, FactValue]) -> dict[str, Any]:
    return {name: repository.text_of(v) if isinstance(v, Decimal) else v for name, v in facts.items()}


def citation_of(pack: RulePack, clause: Clause, used: Mapping[str, FactValue]) -> dict[str, str]:
    return {
        "standard": pack.spec.document,
        "pack": pack.id,
        "version": pack.version,
        "checksum": pack.checksum,
        "clause": clause.spec.id,
        "citation": clause.spec.citation,
        "facts": json.dumps(_json(used), ensure_ascii=False, sort_keys=True),
    }


def _keep_met(
    session: Session,
    actor: Principal,
    enterprise: Enterprise,
    pack: RulePack,
    clause: Clause,
    used: dict[str, FactValue],
    finding: ClauseFinding | None,
) -> ClauseResult:
    now = session_clock(session).now()
    facts_json = _json(used)
    hazard = session.get(Hazard, finding.hazard_id) if finding and finding.hazard_id else None
    same_facts = finding is not None and finding.met and finding.facts == facts_json
    action: str | None = None
    if hazard is not None and hazard.is_open:
        if not same_facts:  # the hazard is open (checked above): restate_citation's own refusal cannot arise
            hazards.restate_citation(session, actor, hazard.id, citation_of(pack, clause, used))
            action = "restated"
    elif not (hazard is not None and same_facts):
        hazard = _raise(session, actor, enterprise, pack, clause, used)
        action = "raised"
    if finding is None:
        finding = ClauseFinding(enterprise_id=enterprise.id, pack=pack.id, clause=clause.spec.id)
        session.add(finding)
    finding.version, finding.checksum, finding.met, finding.facts = (
        pack.version,
        pack.checksum,
        True,
        facts_json,
    )
    finding.determined_at = now
    finding.hazard_id = hazard.id if hazard is not None else finding.hazard_id
    return _result(pack, clause, used, hazard_id=finding.hazard_id, action=action)


def _raise(
    session: Session,
    actor: Principal,
    enterprise: Enterprise,
    pack: RulePack,
    clause: Clause,
    used: dict[str, FactValue],
) -> Hazard:
    s = clause.spec
    facts_text = ", ".join(f"{name} = {repository.text_of(v)}" for name, v in used.items())
    citation = citation_of(pack, clause, used)
    determines = actor.role in DETERMINING_ROLES
    report = hazards.HazardReport(
        enterprise_id=enterprise.id,
        description=f"{s.summary.zh}（{pack.spec.document} {s.citation}；{facts_text}）",
        source=SOURCE_OF_ROLE[actor.role],
        found_at=session_clock(session).now(),
        level=HazardLevel.major if determines else None,
        citation=citation if determines else None,
    )
    return hazards.report_hazard(session, actor, report)
