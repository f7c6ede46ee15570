"""What the training feature stores: certificates of competence held by an enterprise's people. The ID
number is never stored: only a masked form and a keyed digest (domain.person_id). Enterprise-bound, with
the enterprise's scope columns copied when the row is created (ADR 0001)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class Certificate(Base):
    """A certificate (考核合格证 / 特种作业操作证) of one person working for one enterprise."""

    __tablename__ = "certificates"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "kind", "number"),
        Index("ix_certificates_division", "province_code", "city_code", "county_code"),
        Index("ix_certificates_valid_until", "valid_until"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    county_code: Mapped[str] = mapped_column(String(6))
    city_code: Mapped[str] = mapped_column(String(4))
    province_code: Mapped[str] = mapped_column(String(2))
    sector: Mapped[str] = mapped_column(String(48))
    person_name: Mapped[str] = mapped_column(String(60))
    person_id_masked: Mapped[str] = mapped_column(String(18))
    person_digest: Mapped[str] = mapped_column(String(64), index=True)  # HMAC-SHA-256, hex
    kind: Mapped[str] = mapped_column(String(24))  # domain.CertificateKind
    operation_type: Mapped[str] = mapped_column(String(80), default="")  # 作业类别, for special operations
    number: Mapped[str] = mapped_column(String(64))
    issuer: Mapped[str] = mapped_column(String(120))
    issued_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)  # the last valid day, as printed
    reviewed_on: Mapped[date | None] = mapped_column(Date)  # the last 复审
    status: Mapped[str] = mapped_column(String(12))  # domain.CertificateStatus
    recorded_by: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
