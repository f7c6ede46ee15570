"""What the standards feature stores: each enterprise's current facts, the clauses they meet, and the runs
that re-determined every enterprise when a pack version was released.

A fact's history is the audit log: every answer is a state change recorded with who, when, before and
after, so this table holds only the current value.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class EnterpriseFact(Base):
    """An enterprise's current answer to one fact, as canonical text (numbers keep every digit given)."""

    __tablename__ = "enterprise_facts"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    value_type: Mapped[str] = mapped_column(String(8))  # number | boolean | text
    value: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(String(24))  # the hazard source its findings would carry
    answered_by: Mapped[str] = mapped_column(String(120))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ClauseFinding(Base):
    """Whether an enterprise's facts meet one clause, as last determined, and the hazard it raised."""

    __tablename__ = "clause_findings"
    __table_args__ = (UniqueConstraint("enterprise_id", "pack", "clause"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    pack: Mapped[str] = mapped_column(String(48))
    clause: Mapped[str] = mapped_column(String(24))
    version: Mapped[str] = mapped_column(String(16))
    checksum: Mapped[str] = mapped_column(String(64))
    met: Mapped[bool] = mapped_column(Boolean)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)  # the facts the clause read
    determined_at: Mapped[datetime] = mapped_column(UtcDateTime)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id"), index=True)


class Redetermination(Base):
    """One run of `zhiben rules redetermine`: a pack version against its predecessor, over every enterprise."""

    __tablename__ = "redeterminations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pack: Mapped[str] = mapped_column(String(48))
    version: Mapped[str] = mapped_column(String(16))
    checksum: Mapped[str] = mapped_column(String(64))
    against: Mapped[str | None] = mapped_column(String(16))  # the version compared with; None: nothing
    run_by: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime)
    enterprises: Mapped[int] = mapped_column(Integer)
    newly_major: Mapped[int] = mapped_column(Integer)
    no_longer_major: Mapped[int] = mapped_column(Integer)
    still_major: Mapped[int] = mapped_column(Integer)
    still_not_major: Mapped[int] = mapped_column(Integer)
    applied: Mapped[bool] = mapped_column(Boolean, default=False)


class RedeterminationChange(Base):
    """An enterprise whose determination differs between the two versions (unchanged ones are counted only)."""

    __tablename__ = "redetermination_changes"
    __table_args__ = (Index("ix_redetermination_changes_run_change", "run_id", "change"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("redeterminations.id"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    change: Mapped[str] = mapped_column(String(16))  # newly_major | no_longer_major | clauses_changed
    clauses_before: Mapped[list[str]] = mapped_column(JSON)
    clauses_after: Mapped[list[str]] = mapped_column(JSON)
