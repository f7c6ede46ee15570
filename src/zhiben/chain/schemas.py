"""Wire models of the chain: the report, local assignments, referrals and business types."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from zhiben.chain.domain import Assignment, AssignmentRole, CellReport, ChainReport, Reference

StageName = Literal["approval", "production", "storage", "transport", "sale", "use", "disposal"]


class AssignmentRead(BaseModel):
    department: str
    department_name: str
    role: AssignmentRole
    basis: str
    division_code: str = Field(description="where the assignment comes from: '' = national")


class CellRead(BaseModel):
    thing: str
    thing_name: str
    stage: str
    stage_name: str
    leads: list[AssignmentRead]
    supports: list[AssignmentRead]
    is_gap: bool = Field(description="nobody leads this stage")
    is_overlap: bool = Field(description="two or more departments lead it")


class ChainReportRead(BaseModel):
    division_code: str
    cells: list[CellRead]
    gaps: list[CellRead]
    overlaps: list[CellRead]
    gap_count: int
    overlap_count: int


def report_read(report: ChainReport, ref: Reference, language: str) -> ChainReportRead:
    stage_names = {s.code: s.name(language) for s in ref.stages}

    def cell(c: CellReport) -> CellRead:
        def one(a: Assignment) -> AssignmentRead:
            return AssignmentRead(
                department=a.department,
                department_name=ref.departments[a.department].name(language),
                role=a.role,
                basis=a.basis,
                division_code=a.division_code,
            )

        return CellRead(
            thing=c.thing,
            thing_name=ref.things[c.thing].name(language),
            stage=c.stage.value,
            stage_name=stage_names[c.stage.value],
            leads=[one(a) for a in c.leads],
            supports=[one(a) for a in c.supports],
            is_gap=c.is_gap,
            is_overlap=c.is_overlap,
        )

    return ChainReportRead(
        division_code=report.division_code,
        cells=[cell(c) for c in report.cells],
        gaps=[cell(c) for c in report.gaps],
        overlaps=[cell(c) for c in report.overlaps],
        gap_count=len(report.gaps),
        overlap_count=len(report.overlaps),
    )


class CellAssignmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str = Field(min_length=1, max_length=48)
    role: AssignmentRole


class CellAssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    division: str = Field(pattern=r"^(\d{2}|\d{4}|\d{6})?$", description="'' = national")
    thing: str = Field(min_length=1, max_length=48)
    stage: StageName
    assignments: list[CellAssignmentIn] = Field(
        max_length=20, description="replaces the division's own assignments of the stage; [] removes them"
    )
    basis: str = Field(default="", max_length=2000, description="the document or decision behind it")


class ReferralCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hazard_id: int = Field(ge=1, le=2**31 - 1)
    reason: str = Field(min_length=1, max_length=2000)
    department: str | None = Field(default=None, max_length=48, description="or give thing and stage")
    thing: str | None = Field(default=None, max_length=48)
    stage: StageName | None = None


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: str = Field(min_length=1, max_length=4000)


class ReferralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    hazard_id: int
    hazard_number: str
    enterprise_id: int
    county_code: str
    department: str
    thing: str | None
    stage: str | None
    reason: str
    state: Literal["referred", "acknowledged", "handled", "overdue"]
    referred_by: str
    referred_at: datetime
    acknowledge_by: datetime = Field(description="the deadline to acknowledge")
    overdue_at: datetime | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    is_late: bool
    handled_by: str | None
    handled_at: datetime | None
    outcome: str | None
    version: int


class BusinessTypeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    industry_code: str = Field(min_length=2, max_length=5, description="GB/T 4754, e.g. 9019 or R9019")
    attributes: list[str] = Field(default_factory=list, max_length=20)
    description: str = Field(default="", max_length=2000)


class BusinessTypeDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    department: str | None = Field(default=None, max_length=48, description="omit to confirm the proposal")
    note: str = Field(default="", max_length=2000, description="required when overriding")


class BusinessTypeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str
    industry_code: str
    attributes: list[str]
    description: str
    neighbour: str
    proposed_department: str
    reason_zh: str
    reason_en: str
    state: Literal["proposed", "confirmed", "overridden"]
    department: str | None
    decision_note: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    version: int
