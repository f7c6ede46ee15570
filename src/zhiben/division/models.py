from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from zhiben.db.base import Base, UtcDateTime


class Division(Base):
    __tablename__ = "divisions"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    level: Mapped[int] = mapped_column(Integer)  # 1 province, 2 city, 3 county
    parent_code: Mapped[str] = mapped_column(String(6), index=True)


class DivisionDataset(Base):
    """Which edition of the division table is loaded, and from where."""

    __tablename__ = "division_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    data_as_of: Mapped[str] = mapped_column(String(10))
    source: Mapped[str] = mapped_column(String(400))
    count: Mapped[int] = mapped_column(Integer)
    loaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
