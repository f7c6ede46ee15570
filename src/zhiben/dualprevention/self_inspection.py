"""The quarterly major-hazard self-inspection (重大事故隐患自查, Action 3 of the action plan: at least once a
quarter), as a check task per enterprise per quarter generated from the applicable rule packs' checklist
(`standards.checklist.checklist`): one item per question the packs ask of this enterprise.

Answers go through the checklist's own path (`standards.checklist.answer`: validated, stored as the
enterprise's facts, determined again, a met clause of a released pack raising its major hazard). That path
stores only changed answers, so a quarter that confirms last quarter's answers would leave no trace; the
self-inspection therefore appends one audit entry, `self_inspection.answer`, naming the quarter and every
fact answered. An item is done when its fact was answered inside the quarter (changed or confirmed); the
task is done when every item is, and missed when the quarter has ended first.

Which 包保 level owns the task is not stated in the reference; it is the main responsible person here
(tasks.self_inspection_templates, our choice).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal
from zhiben.db.uow import session_clock
from zhiben.dualprevention import repository
from zhiben.dualprevention.service import require_owner
from zhiben.dualprevention.tasks import (
    ChecklistQuestion,
    Cycle,
    Measure,
    self_inspection_templates,
    shanghai_day,
    windows,
)
from zhiben.enterprise import service as enterprises
from zhiben.standards import checklist
from zhiben.standards.checklist import Question

ACTION = "self_inspection.answer"


@dataclass(frozen=True)
class Item:
    task: Measure  # id self-inspection/<pack>/<fact>, quarterly, with the question in zh and en
    pack: str
    version: str
    fact: str
    unit: str
    clauses: tuple[str, ...]
    answer: str | None  # the current answer, as stored
    answered_at: datetime | None
    is_done: bool  # answered (changed or confirmed) inside this quarter


@dataclass(frozen=True)
class SelfInspection:
    enterprise_id: int
    quarter: str  # e.g. 2026Q1 (Shanghai calendar)
    starts_at: datetime
    ends_at: datetime
    items: tuple[Item, ...]
    is_missed: bool

    @property
    def done(self) -> int:
        return sum(i.is_done for i in self.items)

    @property
    def is_done(self) -> bool:
        return bool(self.items) and all(i.is_done for i in self.items)


def quarter_window(day: date) -> tuple[str, datetime, datetime]:
    local = shanghai_day(day)
    first = date(local.year, (local.month - 1) // 3 * 3 + 1, 1)
    ((start, end),) = windows(Cycle.quarterly, first)
    return f"{first.year}Q{(first.month - 1) // 3 + 1}", start, end


def _text(question: Question) -> ChecklistQuestion:
    ask = question.spec.ask
    return ChecklistQuestion(
        question.fact, ask.zh if ask else question.fact, ask.en if ask else question.fact
    )


def self_inspection(session: Session, actor: Principal, enterprise_id: int, day: date) -> SelfInspection:
    """The quarter's self-inspection task of the enterprise, from the packs that apply on `day`."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    quarter, start, end = quarter_window(day)
    listed = checklist.checklist(
        session, actor, enterprise.id, checklist.installed_packs(), shanghai_day(day)
    )
    asked = [q for q in listed.questions if q.asked]
    confirmed = repository.confirmed_facts(session, enterprise.id, ACTION, start, end)
    items = []
    for question in asked:
        (task,) = self_inspection_templates(question.pack, [_text(question)], str(enterprise.id))
        when = question.answer.answered_at if question.answer else None
        items.append(
            Item(
                task,
                question.pack,
                question.version,
                question.fact,
                question.spec.unit,
                question.clauses,
                None if question.answer is None else str(question.answer.value),
                when,
                question.fact in confirmed or (when is not None and start <= when < end),
            )
        )
    now = session_clock(session).now()
    missed = now >= end and not all(i.is_done for i in items)
    return SelfInspection(enterprise.id, quarter, start, end, tuple(items), missed)


def answer_self_inspection(
    session: Session, actor: Principal, enterprise_id: int, answers: Mapping[str, object]
) -> tuple[checklist.Outcome, SelfInspection]:
    """Answer items of this quarter's self-inspection through the checklist's path, then record that they
    were answered (confirmed) in this quarter."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    require_owner(actor, enterprise.id, "dual_prevention.self_inspection")
    outcome = checklist.answer(session, actor, enterprise.id, answers, checklist.installed_packs())
    today = session_clock(session).now()
    quarter, _, _ = quarter_window(shanghai_day(today))
    audit.record(
        session,
        actor.audit_name,
        ACTION,
        "enterprise",
        str(enterprise.id),
        after={"quarter": quarter, "facts": sorted(answers), "changed": list(outcome.changed)},
    )
    return outcome, self_inspection(session, actor, enterprise.id, shanghai_day(today))
