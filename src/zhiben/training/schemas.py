"""Wire models of the training feature. The ID number goes in and never comes out: reads show it masked."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from zhiben.training.domain import CertificateKind, WarningKind


class CertificateCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_name: str = Field(min_length=1, max_length=60)
    id_number: str = Field(
        min_length=18,
        max_length=18,
        description="resident ID number; stored only masked and as a keyed digest",
    )
    kind: CertificateKind = Field(
        description="principal 主要负责人, safety_manager 安全生产管理人员, special_operation 特种作业"
    )
    number: str = Field(min_length=1, max_length=64, description="certificate number 证书编号")
    issuer: str = Field(min_length=1, max_length=120, description="issuing authority 发证机关")
    issued_on: date
    valid_until: date = Field(description="the last valid day, as printed on the certificate")
    operation_type: str = Field("", max_length=80, description="作业类别 of a special-operation certificate")
    reviewed_on: date | None = Field(None, description="the last review (复审), if any")


class CertificateReview(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reviewed_on: date
    valid_until: date | None = Field(None, description="the new last valid day, when the review extended it")


class CertificateRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    enterprise_id: int
    county_code: str
    sector: str
    person_name: str
    person_id_masked: str
    kind: str
    operation_type: str
    number: str
    issuer: str
    issued_on: date
    valid_until: date
    reviewed_on: date | None
    status: str
    recorded_by: str
    recorded_at: datetime
    version: int


class CertificatePage(BaseModel):
    items: list[CertificateRead]
    total: int
    page: int
    size: int


class CertificateWarning(BaseModel):
    kind: WarningKind = Field(description="expired, expiring (within the window) or review_due (复审)")
    due_on: date
    days_left: int = Field(description="negative once expired")
    certificate: CertificateRead


class CertificateWarnings(BaseModel):
    on: date
    within_days: int
    warnings: list[CertificateWarning]


class FactSyncRead(BaseModel):
    enterprise_id: int
    facts: dict[str, bool | None]
    raised_or_restated: list[int] = Field(
        description="hazards raised or restated by the clauses the facts met"
    )


class KindRuleRead(BaseModel):
    kind: str
    zh: str
    en: str
    basis: str
    validity_years: int | None = Field(description="recalled (R) figure, not used to decide validity")
    review_interval_years: int | None = Field(description="recalled (R) figure for the review reminder")
