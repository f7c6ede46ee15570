from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    division_code: Mapped[str] = mapped_column(String(6), default="")
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"))
    provider_org: Mapped[str | None] = mapped_column(String(120))
    sectors: Mapped[str] = mapped_column(String(400), default="")
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ServiceContract(Base):
    """A service provider's contract (insurance policy, technical service) with one enterprise."""

    __tablename__ = "service_contracts"
    __table_args__ = (UniqueConstraint("provider_org", "enterprise_id", "valid_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_org: Mapped[str] = mapped_column(String(120), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # insurance | technical_service | expert
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
