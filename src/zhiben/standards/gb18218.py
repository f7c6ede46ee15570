"""GB 18218-2018 危险化学品重大危险源辨识: identify and grade major hazard installations (重大危险源).

Per unit (a production unit or a storage unit; units are never summed across a site):
- S = Σ q/Q; the unit is a major hazard installation when S ≥ 1 (clause 4.2). Q comes from Table 1
  when the substance is named there, otherwise from Table 2 by its hazard category; a substance with
  several categories takes the lowest Q (clause 4.1).
- R = α · Σ β·q/Q (clause 4.3): β from Table 3 for the listed toxic gases, otherwise Table 4 by the
  category; α from Table 5 by the resident population within 500 m of the plant boundary.
- Grade 1 (R ≥ 100), 2 (50 ≤ R < 100), 3 (10 ≤ R < 50), 4 (R < 10), Table 6.
All arithmetic is exact (fractions), so S = 1 and R = 100 fall on the side the standard puts them.

Decisions where the standard leaves a gap (also in data/README.md):
- 一氧化碳 has a β in Table 3 but no row of its own in Table 1; it is counted under row 13 (煤气, Q 20 t).
- A named substance that is not a listed toxic gas needs its category for β (Table 4); without one the
  unit's R is not computed and the term says which substance needs it.
- A substance given several categories takes the lowest Q, and the highest β among the categories that
  give that Q.
- When the lines of one unit state different populations, the largest is used (the cautious reading).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from importlib import resources

from zhiben.errors import InvalidInputError

CO_ROW = 13  # 煤气 (CO, and mixtures of CO with H2, CH4 ...)
CO_NAMES = ("一氧化碳", "630-08-0")


def _table(name: str) -> list[dict[str, str]]:
    text = resources.files("zhiben.standards").joinpath(f"data/{name}.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class Named:
    seq: int
    name: str
    cas: str
    q_t: Fraction
    beta: Fraction | None  # Table 3, for the listed toxic gases


@dataclass(frozen=True)
class Tables:
    by_key: Mapping[str, Named]  # CAS, name and every alias
    category_q: Mapping[str, Fraction]
    category_beta: Mapping[str, Fraction]
    alpha: tuple[tuple[int, int | None, Fraction], ...]  # (min, max inclusive or None, α)
    grades: tuple[tuple[int, Fraction | None, Fraction | None], ...]  # (grade, R min incl., R max excl.)


@lru_cache
def tables() -> Tables:
    toxic = {int(r["table1_seq"].split()[0]): Fraction(r["beta"]) for r in _table("gb18218_beta_toxic_gases")}
    by_key: dict[str, Named] = {}
    for row in _table("gb18218_named_substances"):
        seq = int(row["seq"])
        named = Named(seq, row["name_cn"], row["cas"], Fraction(row["critical_quantity_t"]), toxic.get(seq))
        # Names are matched exactly, with the standard's own qualifiers (甲醛(含量>90%)), never by a shortened
        # form that would drop a condition. CAS cells may hold several numbers, each with a note:
        # "68476-85-7;74-98-6(丙烷);106-97-8(丁烷)".
        cas_numbers = [re.sub(r"[(（].*$", "", c) for c in row["cas"].split(";")]
        for key in (
            row["name_cn"],
            *cas_numbers,
            *row["alias_cn"].split(";"),
            *(CO_NAMES if seq == CO_ROW else ()),
        ):
            if key.strip():
                by_key.setdefault(key.strip(), named)
    alpha = tuple(
        (
            int(r["population_min"]),
            int(r["population_max"]) if r["population_max"] else None,
            Fraction(r["alpha"]),
        )
        for r in _table("gb18218_alpha_exposed_population")
    )
    grades = tuple(
        (
            int(r["grade"]),
            Fraction(r["r_min_inclusive"]) if r["r_min_inclusive"] else None,
            Fraction(r["r_max_exclusive"]) if r["r_max_exclusive"] else None,
        )
        for r in _table("gb18218_grade_by_R")
    )
    return Tables(
        by_key=by_key,
        category_q={
            r["symbol"]: Fraction(r["critical_quantity_t"]) for r in _table("gb18218_hazard_categories")
        },
        category_beta={r["symbol"]: Fraction(r["beta"]) for r in _table("gb18218_beta_categories")},
        alpha=alpha,
        grades=grades,
    )


@dataclass(frozen=True)
class Line:
    """One substance held in one unit (a row of the inventory)."""

    unit: str
    unit_type: str  # production | storage
    substance: str
    quantity_t: Fraction
    cas: str = ""
    categories: tuple[str, ...] = ()  # Table 2 symbols
    exposed_people: int | None = None
    row: int = 0  # where it came from, for error messages


@dataclass(frozen=True)
class Term:
    substance: str
    cas: str
    q_t: Fraction
    critical_q_t: Fraction
    source: str  # "table1:<seq>" or "table2:<symbol>"
    beta: Fraction | None
    beta_source: str  # "table3" | "table4:<symbol>" | "missing: give the category"

    @property
    def ratio(self) -> Fraction:
        return self.q_t / self.critical_q_t


@dataclass(frozen=True)
class UnitResult:
    unit: str
    unit_type: str
    s: Fraction
    is_major_hazard: bool
    exposed_people: int | None
    alpha: Fraction | None
    r: Fraction | None  # None when not a major hazard installation, or when a β is missing
    grade: int | None
    terms: tuple[Term, ...]


def identify(lines: Iterable[Line], t: Tables | None = None) -> list[UnitResult]:
    """S, R and the grade of every unit, in the order the units first appear."""
    t = t or tables()
    units: dict[tuple[str, str], list[Line]] = {}
    for line in lines:
        units.setdefault((line.unit, line.unit_type), []).append(line)
    return [_unit(name, kind, group, t) for (name, kind), group in units.items()]


def _unit(name: str, kind: str, lines: list[Line], t: Tables) -> UnitResult:
    terms = tuple(_term(line, t) for line in lines)
    s = sum((term.ratio for term in terms), Fraction(0))
    major = s >= 1
    people = max((line.exposed_people for line in lines if line.exposed_people is not None), default=None)
    alpha = _alpha(people, t) if people is not None else None
    r = grade = None
    if major and alpha is not None and all(term.beta is not None for term in terms):
        r = alpha * sum((term.beta * term.ratio for term in terms if term.beta is not None), Fraction(0))
        grade = _grade(r, t)
    return UnitResult(name, kind, s, major, people, alpha, r, grade, terms)


def _term(line: Line, t: Tables) -> Term:
    named = t.by_key.get(line.cas.strip()) or t.by_key.get(line.substance.strip())
    unknown = [c for c in line.categories if c not in t.category_q]
    if unknown:
        raise InvalidInputError(
            "category", "unknown", f"row {line.row}: {unknown[0]!r} is not a Table 2 category"
        )
    lowest = min((t.category_q[c] for c in line.categories), default=None)
    at_lowest = [c for c in line.categories if t.category_q[c] == lowest]
    category_beta = max(((t.category_beta[c], c) for c in at_lowest), default=None)
    if named is not None:
        q, source = named.q_t, f"table1:{named.seq}"
    elif lowest is not None:
        q, source = lowest, f"table2:{at_lowest[0]}"
    else:
        raise InvalidInputError(
            "category",
            "required",
            f"row {line.row}: {line.substance} is not named in Table 1; give its Table 2 category (e.g. W5.3)",
        )
    if named is not None and named.beta is not None:
        beta, beta_source = named.beta, "table3"
    elif category_beta is not None:
        beta, beta_source = category_beta[0], f"table4:{category_beta[1]}"
    else:
        beta, beta_source = None, "missing: give the category"
    return Term(
        line.substance,
        line.cas or (named.cas if named else ""),
        line.quantity_t,
        q,
        source,
        beta,
        beta_source,
    )


def _alpha(people: int, t: Tables) -> Fraction:
    for low, high, alpha in t.alpha:
        if people >= low and (high is None or people <= high):
            return alpha
    raise InvalidInputError("exposed_people", "range", f"no α band covers {people} people")


def _grade(r: Fraction, t: Tables) -> int:
    for grade, low, high in t.grades:
        if (low is None or r >= low) and (high is None or r < high):
            return grade
    raise ValueError(f"no grade covers R = {r}")


COLUMNS = ("unit", "unit_type", "substance", "cas", "category", "quantity_t", "exposed_people")


def read_inventory(rows: Iterable[Mapping[str, str | None]]) -> list[Line]:
    """Inventory rows (CSV columns as in COLUMNS; the header is row 1) as lines; the first bad cell raises."""
    lines = []
    for number, row in enumerate(rows, start=2):
        if not any((value or "").strip() for value in row.values()):
            continue
        cell = {key: (row.get(key) or "").strip() for key in COLUMNS}
        for required in ("unit", "unit_type", "substance", "quantity_t"):
            if not cell[required]:
                raise InvalidInputError(required, "required", f"row {number}: {required} is empty")
        if cell["unit_type"] not in ("production", "storage"):
            raise InvalidInputError(
                "unit_type", "unknown", f"row {number}: unit_type is production or storage"
            )
        lines.append(
            Line(
                unit=cell["unit"],
                unit_type=cell["unit_type"],
                substance=cell["substance"],
                cas=cell["cas"],
                quantity_t=_positive(cell["quantity_t"], number),
                categories=tuple(
                    c.strip().upper() for c in cell["category"].replace("；", ";").split(";") if c.strip()
                ),
                exposed_people=_people(cell["exposed_people"], number),
                row=number,
            )
        )
    if not lines:
        raise InvalidInputError("file", "empty", "the inventory has no rows")
    return lines


def _positive(text: str, row: int) -> Fraction:
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise InvalidInputError(
            "quantity_t", "number", f"row {row}: quantity_t {text!r} is not a number"
        ) from exc
    if value < 0:
        raise InvalidInputError("quantity_t", "range", f"row {row}: quantity_t cannot be negative")
    return value


def _people(text: str, row: int) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise InvalidInputError("exposed_people", "number", f"row {row}: exposed_people is a whole number")
    return int(text)


def as_json(result: UnitResult) -> dict[str, object]:
    """The stable JSON of one unit (numbers as floats; decisions were made on exact fractions)."""

    def number(value: Fraction | None) -> float | None:
        return None if value is None else round(float(value), 6)

    return {
        "unit": result.unit,
        "unit_type": result.unit_type,
        "s": number(result.s),
        "is_major_hazard": result.is_major_hazard,
        "exposed_people": result.exposed_people,
        "alpha": number(result.alpha),
        "r": number(result.r),
        "grade": result.grade,
        "terms": [
            {
                "substance": term.substance,
                "cas": term.cas,
                "q": number(term.q_t),
                "Q": number(term.critical_q_t),
                "source": term.source,
                "beta": number(term.beta),
                "beta_source": term.beta_source,
                "ratio": number(term.ratio),
            }
            for term in result.terms
        ],
    }
