"""What the standards API reads and writes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from zhiben.standards import checklist, gb18218
from zhiben.standards.pack import RulePack

FactJson = bool | int | float | str


def fact_json(value: Decimal | bool | str | None) -> FactJson | None:
    """Numbers as JSON numbers (whole ones as integers); the stored text keeps every digit given."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class Bilingual(BaseModel):
    zh: str
    en: str


class PackSummary(BaseModel):
    pack: str
    version: str
    status: Literal["released", "draft"]
    title: Bilingual
    document: str
    effective_from: date
    effective_until: date | None
    clauses: int
    missing_clauses: list[str]
    checksum: str

    @classmethod
    def of(cls, pack: RulePack) -> PackSummary:
        s = pack.spec
        return cls(
            pack=pack.id,
            version=pack.version,
            status=s.status,
            title=Bilingual(zh=s.title.zh, en=s.title.en),
            document=s.document,
            effective_from=s.effective.from_,
            effective_until=s.effective.until,
            clauses=len(pack.clauses),
            missing_clauses=s.missing_clauses,
            checksum=pack.checksum,
        )


class AnswerRead(BaseModel):
    value: FactJson
    answered_by: str
    answered_at: datetime


class QuestionRead(BaseModel):
    pack: str
    version: str
    fact: str
    type: Literal["number", "boolean", "text"]
    unit: str
    question: Bilingual
    clauses: list[str]
    asked: bool
    answer: AnswerRead | None

    @classmethod
    def of(cls, q: checklist.Question) -> QuestionRead:
        ask = q.spec.ask
        return cls(
            pack=q.pack,
            version=q.version,
            fact=q.fact,
            type=q.spec.type,
            unit=q.spec.unit,
            question=Bilingual(zh=ask.zh if ask else q.fact, en=ask.en if ask else q.fact),
            clauses=list(q.clauses),
            asked=q.asked,
            answer=(
                AnswerRead(
                    value=fact_json(q.answer.value),
                    answered_by=q.answer.answered_by,
                    answered_at=q.answer.answered_at,
                )
                if q.answer
                else None
            ),
        )


class ChecklistRead(BaseModel):
    enterprise_id: int
    sector: str
    on: date
    packs: list[PackSummary]
    questions: list[QuestionRead]


class AnswersWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")
    answers: dict[str, FactJson | None] = Field(
        description="fact name → answer; null clears an answer", min_length=1, max_length=500
    )


class ClauseMet(BaseModel):
    pack: str
    version: str
    clause: str
    citation: str
    summary: Bilingual
    facts: dict[str, FactJson | None]
    provisional: bool = Field(description="met under a draft pack: reported, no hazard raised")
    hazard_id: int | None
    hazard_action: Literal["raised", "restated"] | None

    @classmethod
    def of(cls, r: checklist.ClauseResult) -> ClauseMet:
        return cls(
            pack=r.pack,
            version=r.version,
            clause=r.clause,
            citation=r.citation,
            summary=Bilingual(zh=r.summary_zh, en=r.summary_en),
            facts={k: fact_json(v) for k, v in r.facts.items()},
            provisional=r.provisional,
            hazard_id=r.hazard_id,
            hazard_action=r.hazard_action,
        )


class DeterminationRead(BaseModel):
    enterprise_id: int
    on: date
    major: bool
    met: list[ClauseMet]
    missing: list[str]
    changed: list[str]

    @classmethod
    def of(cls, o: checklist.Outcome) -> DeterminationRead:
        met = [ClauseMet.of(r) for r in o.met]
        return cls(
            enterprise_id=o.enterprise_id,
            on=o.on,
            major=any(not m.provisional for m in met),
            met=met,
            missing=list(o.missing),
            changed=list(o.changed),
        )


class DetermineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sector: str = Field(max_length=48)
    facts: dict[str, FactJson | None] = Field(max_length=500)
    at: date | None = None
    drafts: bool = False


class Determined(BaseModel):
    pack: str
    version: str
    clause: str
    major: bool
    facts: dict[str, Any]
    citation: str
    verification: str
    checksum: str


class DetermineResponse(BaseModel):
    determinations: list[Determined]
    missing: list[str]
    packs: list[dict[str, str]]


class InventoryLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(max_length=120)
    unit_type: Literal["production", "storage"]
    substance: str = Field(max_length=200)
    cas: str = Field(default="", max_length=200)
    category: str = Field(default="", max_length=100, description="Table 2 symbols, ; separated")
    quantity_t: Decimal = Field(ge=0)
    exposed_people: int | None = Field(default=None, ge=0)


class Inventory(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lines: list[InventoryLine] = Field(min_length=1, max_length=10_000)

    def as_lines(self) -> list[gb18218.Line]:
        rows = [{k: "" if v is None else str(v) for k, v in line.model_dump().items()} for line in self.lines]
        return gb18218.read_inventory(rows)


class Term(BaseModel):
    substance: str
    cas: str
    q: float | None
    Q: float | None
    source: str
    beta: float | None
    beta_source: str
    ratio: float | None


class UnitAssessment(BaseModel):
    unit: str
    unit_type: str
    s: float | None
    is_major_hazard: bool
    exposed_people: int | None
    alpha: float | None
    r: float | None
    grade: int | None
    terms: list[Term]


class Gb18218Result(BaseModel):
    units: list[UnitAssessment]


class FacilityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_id: int
    name: str
    kind: str
    is_major_hazard: bool
    grade: int | None
    s: str
    r: str | None
    assessment: dict[str, Any]
    assessed_by: str
    assessed_at: datetime


class RedeterminationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    pack: str
    version: str
    checksum: str
    against: str | None
    run_by: str
    started_at: datetime
    finished_at: datetime
    enterprises: int
    newly_major: int
    no_longer_major: int
    still_major: int
    still_not_major: int
    applied: bool


class ChangeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    enterprise_id: int
    change: Literal["newly_major", "no_longer_major", "clauses_changed"]
    clauses_before: list[str]
    clauses_after: list[str]


class ChangePage(BaseModel):
    run: RedeterminationRead
    items: list[ChangeRead]
    total: int
    page: int
    size: int
