"""Wire models of tip-offs. The public ones are narrow on purpose: the receipt code shows the state and the
published outcome, nothing else; the reporter's identity has a schema of its own."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from zhiben.auth.api import MAX_ID
from zhiben.hazard.domain import HazardLevel
from zhiben.hazard.schemas import Citation


class TipoffSubmit(BaseModel):
    """A tip-off from the public form. Name the enterprise (code or name) or the place; who you are is
    optional and only the handling regulator can ever read it."""

    model_config = ConfigDict(extra="forbid")

    county_code: str = Field(pattern=r"^\d{6}$", description="the county (区县) the tip-off concerns")
    content: str = Field(min_length=1, max_length=4000, description="what is wrong, where, since when")
    enterprise_uscc: str = Field("", max_length=24, description="统一社会信用代码, if known")
    enterprise_name: str = Field("", max_length=200)
    place: str = Field("", max_length=300, description="address or description of the place")
    reporter_name: str = Field("", max_length=60, description="optional")
    reporter_contact: str = Field("", max_length=200, description="optional: phone or e-mail, for feedback")


class TipoffEntered(TipoffSubmit):
    """A tip-off a regulator enters, received by hotline (12350), letter or visit."""

    channel: str = Field("hotline", pattern=r"^(hotline|letter|visit)$")


class ReceiptRead(BaseModel):
    receipt_code: str = Field(description="shown once: keep it to follow the outcome")
    received_at: datetime
    status_url: str


class PublicStatusRead(BaseModel):
    state: str = Field(description="received | verifying | substantiated | unsubstantiated")
    received_at: datetime
    concluded_at: datetime | None
    public_outcome: str


class TipoffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    county_code: str
    channel: str
    enterprise_uscc: str
    enterprise_name: str
    place: str
    content: str
    received_at: datetime
    state: str
    handled_by: str | None
    verification_started_at: datetime | None
    concluded_at: datetime | None
    finding: str
    enterprise_id: int | None
    hazard_id: int | None
    public_outcome: str
    feedback_at: datetime | None
    fine_yuan: Decimal | None
    reward_yuan: Decimal | None
    reward_paid_at: datetime | None
    version: int
    verification_due_at: datetime | None = None
    feedback_due_at: datetime | None = None
    is_verification_overdue: bool = False
    is_feedback_overdue: bool = False


class TipoffPage(BaseModel):
    items: list[TipoffRead]
    total: int
    page: int
    size: int


class ReporterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    contact: str


class SubstantiateIn(BaseModel):
    enterprise_id: int = Field(ge=1, le=MAX_ID)
    hazard_description: str = Field(min_length=1, max_length=4000, description="as found on site")
    finding: str = Field(min_length=1, max_length=4000)
    level: HazardLevel | None = None
    citation: Citation | None = None
    location: str = Field("", max_length=300)
    public_outcome: str = Field("", max_length=2000)


class DismissIn(BaseModel):
    finding: str = Field(min_length=1, max_length=4000)
    public_outcome: str = Field("", max_length=2000)


class OutcomeIn(BaseModel):
    public_outcome: str = Field(min_length=1, max_length=2000)


class FineIn(BaseModel):
    fine_yuan: Decimal = Field(gt=0, le=Decimal("1e12"), max_digits=16, decimal_places=2)
