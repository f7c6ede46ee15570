"""Wire models of the assessment."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from zhiben.assessment.domain import KPIS, Assessment, Row, TraceRecord


class KpiInfo(BaseModel):
    code: str
    kind: str = Field(description="count | rate | sum | mean: how the value comes from the traced records")
    record: str = Field(description="what the trace lists: hazard, enterprise, alarm, accident, tipoff")
    name_zh: str
    name_en: str
    weight: float | None
    direction: str | None
    full_at: float | None
    zero_at: float | None


class SchemeRead(BaseModel):
    version: str
    basis: str


class GradeCount(BaseModel):
    accidents: int
    deaths: int


class AssessmentRow(BaseModel):
    code: str
    name: str
    values: dict[str, float | None] = Field(description="KPI code → value (a rate as a fraction of 1)")
    points: dict[str, float] = Field(description="KPI code → points earned (KPIs with a value only)")
    enterprises: int = Field(
        description="registered enterprises in scope; a division with none is not scored"
    )
    score: float | None = Field(description="out of 100, over the KPIs that have a value")
    rank: int | None = Field(description="among the siblings, 1 best; equal scores share a rank")
    accidents_by_grade: dict[str, GradeCount]


class AssessmentRead(BaseModel):
    start: date
    end: date
    computed_at: datetime
    scheme: SchemeRead
    kpis: list[KpiInfo]
    division: AssessmentRow
    children: list[AssessmentRow] = Field(description="the direct lower-level divisions, best first")


class TracedRecord(BaseModel):
    record: str
    id: int
    label: str = Field(description="hazard number, enterprise name, alarm condition, accident title, ...")
    county_code: str
    in_numerator: bool
    value: float | None
    related: list[int] = Field(description="for an enterprise: the inspections done in the period")


class TraceRead(BaseModel):
    division: str
    kpi: str
    kind: str
    start: date
    end: date
    count: int = Field(description="records behind the KPI (a count KPI's value)")
    numerator: int = Field(description="of which in the rate's numerator")
    value: float | None = Field(description="the KPI's value recomputed from these records")
    records: list[TracedRecord]
    is_truncated: bool


def row_read(row: Row) -> AssessmentRow:
    return AssessmentRow(
        code=row.code,
        name=row.name,
        values=dict(row.values),
        points=dict(row.points),
        enterprises=row.enterprises,
        score=row.score,
        rank=row.rank,
        accidents_by_grade={g: GradeCount(accidents=n, deaths=d) for g, (n, d) in row.by_grade.items()},
    )


def assessment_read(a: Assessment) -> AssessmentRead:
    infos = []
    for k in KPIS:
        rule = a.scheme.rules.get(k.code)
        infos.append(
            KpiInfo(
                code=k.code,
                kind=k.kind.value,
                record=k.record.value,
                name_zh=k.name_zh,
                name_en=k.name_en,
                weight=rule.weight if rule else None,
                direction=rule.direction.value if rule else None,
                full_at=rule.full_at if rule else None,
                zero_at=rule.zero_at if rule else None,
            )
        )
    return AssessmentRead(
        start=a.period.start,
        end=a.period.end,
        computed_at=a.computed_at,
        scheme=SchemeRead(version=a.scheme.version, basis=a.scheme.basis),
        kpis=infos,
        division=row_read(a.division),
        children=[row_read(r) for r in a.children],
    )


def traced(record: TraceRecord) -> TracedRecord:
    return TracedRecord(
        record=record.record.value,
        id=record.id,
        label=record.label,
        county_code=record.county_code,
        in_numerator=record.in_numerator,
        value=record.value,
        related=list(record.related),
    )
