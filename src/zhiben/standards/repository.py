"""Stored facts and findings. Callers reach an enterprise through the enterprise service first, so every
query here is already inside the caller's scope (facts and findings have no scope of their own)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.enterprise.models import Enterprise
from zhiben.standards.models import ClauseFinding, EnterpriseFact

FactValue = Decimal | bool | str


def text_of(value: FactValue) -> str:
    """Canonical text: true/false, a plain decimal with every significant digit (no exponent), or the text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "0") else text
    return value


def value_of(kind: str, text: str) -> FactValue:
    if kind == "number":
        return Decimal(text)
    if kind == "boolean":
        return text == "true"
    return text


def current_facts(session: Session, enterprise_id: int) -> dict[str, EnterpriseFact]:
    rows = session.scalars(select(EnterpriseFact).where(EnterpriseFact.enterprise_id == enterprise_id))
    return {row.name: row for row in rows}


def findings(session: Session, enterprise_id: int) -> dict[tuple[str, str], ClauseFinding]:
    rows = session.scalars(select(ClauseFinding).where(ClauseFinding.enterprise_id == enterprise_id))
    return {(row.pack, row.clause): row for row in rows}


def facts_by_enterprise(
    session: Session, sectors: Iterable[str], chunk: int = 5000
) -> Iterator[list[tuple[int, str, dict[str, FactValue]]]]:
    """Every enterprise of these sectors with its current facts, `chunk` enterprises at a time, in id order.

    Unscoped: for re-determination, a national job run by an administrator."""
    after = 0
    sectors = list(sectors)
    while True:
        ids = list(
            session.execute(
                select(Enterprise.id, Enterprise.sector)
                .where(Enterprise.sector.in_(sectors), Enterprise.id > after)
                .order_by(Enterprise.id)
                .limit(chunk)
            )
        )
        if not ids:
            return
        facts: dict[int, dict[str, FactValue]] = {}
        rows = session.execute(
            select(
                EnterpriseFact.enterprise_id,
                EnterpriseFact.name,
                EnterpriseFact.value_type,
                EnterpriseFact.value,
            ).where(EnterpriseFact.enterprise_id.between(ids[0][0], ids[-1][0]))
        )
        for enterprise_id, name, kind, value in rows:
            facts.setdefault(enterprise_id, {})[name] = value_of(kind, value)
        yield [(enterprise_id, sector, facts.get(enterprise_id, {})) for enterprise_id, sector in ids]
        after = ids[-1][0]
