from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from zhiben.enterprise.domain import EnterpriseDraft
from zhiben.enterprise.ledger import ImportMode


class Licence(BaseModel):
    kind: str = Field(max_length=60)
    number: str = Field(max_length=80)
    valid_until: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")


class EnterpriseCreate(BaseModel):
    uscc: str = Field(min_length=1, max_length=40, description="unified social credit code (GB 32100)")
    name: str = Field(min_length=1, max_length=200)
    county_code: str = Field(pattern=r"^\d{6}$")
    sector: str = Field(min_length=1, max_length=48)
    address: str = Field("", max_length=300)
    longitude: float | None = None
    latitude: float | None = None
    gbt4754_code: str | None = Field(None, max_length=8)
    headcount: int | None = Field(None, ge=0, le=10_000_000)
    main_responsible_person: str = Field("", max_length=60)
    safety_manager: str = Field("", max_length=60)
    licences: list[Licence] = Field(default_factory=list, max_length=50)

    def draft(self) -> EnterpriseDraft:
        data = self.model_dump()
        data["licences"] = tuple(data["licences"])
        return EnterpriseDraft(**data)


class EnterpriseUpdate(BaseModel):
    """The fields an edit may change; leave a field out to keep it. Only the optional ones may be null.
    Not `sector`: each hazard carries its enterprise's sector for scope (a department sees only its
    sectors), so re-classifying here would leave the hazards behind."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=200)
    address: str | None = Field(None, max_length=300)
    longitude: float | None = None
    latitude: float | None = None
    gbt4754_code: str | None = Field(None, max_length=8)
    headcount: int | None = Field(None, ge=0, le=10_000_000)
    main_responsible_person: str | None = Field(None, max_length=60)
    safety_manager: str | None = Field(None, max_length=60)
    licences: list[Licence] | None = Field(None, max_length=50)

    @field_validator(
        "name", "address", "main_responsible_person", "safety_manager", "licences", mode="before"
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class EnterpriseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    uscc: str
    name: str
    county_code: str
    city_code: str
    province_code: str
    address: str
    longitude: float | None
    latitude: float | None
    sector: str
    gbt4754_code: str | None
    headcount: int | None
    main_responsible_person: str
    safety_manager: str
    licences: list[dict[str, Any]]
    created_at: datetime
    updated_at: datetime
    version: int


class EnterprisePage(BaseModel):
    items: list[EnterpriseRead]
    total: int
    page: int
    size: int


class LedgerRejection(BaseModel):
    row: int = Field(description="the row as the spreadsheet shows it; the header is row 1")
    field: str
    column: str = Field(description="the column header as the file spells it")
    cell: str = Field(description='e.g. "C7"; empty when the file has no such column')
    reason: str
    message: str


class LedgerImportReport(BaseModel):
    mode: ImportMode
    format: Literal["xlsx", "csv"]
    rows: int = Field(description="non-blank rows below the header")
    valid: int = Field(description="rows that passed every check")
    imported: int
    rejected_rows: int
    committed: bool
    rejections: list[LedgerRejection]
    ignored_columns: list[str]
