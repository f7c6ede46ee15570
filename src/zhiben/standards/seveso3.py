"""Seveso III (Directive 2012/18/EU) Annex I: is an establishment lower tier, upper tier or neither.

The inventory is the one `zhiben gb18218` reads, plus two optional columns:
- `seveso_category`: Part 1 categories separated by `;` (`H2`, `P5c`, `H2;E1`). A substance named in
  Part 2 is matched by CAS first, then by its Part 2 name; `part2:<item>` in this column names the Part 2
  entry outright (for entries without a CAS, e.g. `part2:34` petroleum products). For a named substance the
  categories say which Note 4 sums it belongs to; for any other substance they give its thresholds.
- `isolated`: true when the holding's location cannot initiate a major accident elsewhere (note 3).

Seveso applies per establishment (note 3): every unit of the inventory counts together.
- Single entries: each Part 2 entry and each Part 1 category (the unnamed substances in it, added up;
  note 4 "qx ... or dangerous substances of the same category") against its lower- and upper-tier
  quantity. A named substance takes its Part 2 quantities even where it is also in Part 1 (Annex I,
  opening paragraphs), except under note 21 (below).
- Note 4 sums, only where no single entry reaches the tier: (a) health, H1-H3 and named substances in
  them; (b) physical, P1a-P8 and named substances in them; (c) environmental, E1-E2 and named substances
  in them. O1-O3 are in no sum. A named substance enters a sum with its Part 2 quantities.
- The tier is the highest one any single entry, or failing that any sum, reaches (≥ 1).
All arithmetic is exact (fractions).

Decisions where the text leaves room (also in data/README.md and docs/cli.md):
- Note 3's 2 % rule is tested once per substance (all its rows together, as "present at an
  establishment"), against the lowest lower-tier quantity that applies to it, and only for a substance
  whose every row is marked isolated. The literal "relevant qualifying quantity" could be read per tier
  and per sum, which would leave out slightly more at upper tier; the reading here never leaves out more.
- Note 21 (the CSV links it to items 42, 43, 45-48, an inferred link): a named substance also given P5a
  or P5b takes, tier by tier, the lower of its Part 2 quantity and that category's, everywhere.
- A named substance without categories is counted on its own but in no sum (Part 2 does not carry the
  CLP classification); a warning says so.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from functools import lru_cache
from importlib import resources

from zhiben.errors import InvalidInputError
from zhiben.standards import gb18218

# Note 3: a substance at ≤ 2 % of its qualifying quantity may be left out of the totals.
TWO_PERCENT = Fraction(2, 100)
# Note 4 (a), (b), (c): the Part 1 section each sum covers; section O is in none.
FAMILIES = {"H": "health", "P": "physical", "E": "environmental"}
NOTE_21_CATEGORIES = ("P5a", "P5b")
TOP = 5  # contributors shown per sum
COLUMNS = (*gb18218.COLUMNS, "seveso_category", "isolated")
PART2_REF = re.compile(r"part\s*2\s*:\s*(\d+)", re.IGNORECASE)
TRUE, FALSE = ("true", "yes", "y", "1", "是"), ("", "false", "no", "n", "0", "否")


class Tier(StrEnum):
    LOWER = "lower"
    UPPER = "upper"


@dataclass(frozen=True)
class Quantities:
    """A lower-tier and an upper-tier quantity (t), or the two ratios q/Q."""

    lower: Fraction
    upper: Fraction

    def at(self, tier: Tier) -> Fraction:
        return self.lower if tier is Tier.LOWER else self.upper


@dataclass(frozen=True)
class Category:
    code: str
    section: str  # H, P, E, O
    name: str
    q: Quantities
    verification: str


@dataclass(frozen=True)
class Named:
    item: int
    name: str
    cas: tuple[str, ...]
    q: Quantities
    note: str  # e.g. "note 21"
    verification: str


@dataclass(frozen=True)
class Tables:
    categories: Mapping[str, Category]  # by the code's upper-case form (P5C → P5c)
    named: Mapping[int, Named]
    by_cas: Mapping[str, Named]
    by_name: Mapping[str, Named]  # casefolded


def _table(name: str) -> list[dict[str, str]]:
    text = resources.files("zhiben.standards").joinpath(f"data/{name}.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@lru_cache
def tables() -> Tables:
    categories = {
        r["code"].upper(): Category(
            r["code"],
            r["section"],
            r["hazard_category"],
            Quantities(Fraction(r["lower_tier_t"]), Fraction(r["upper_tier_t"])),
            r["verification"],
        )
        for r in _table("seveso3_annex1_part1")
    }
    named: dict[int, Named] = {}
    by_cas: dict[str, Named] = {}
    by_name: dict[str, Named] = {}
    for r in _table("seveso3_annex1_part2"):
        # Single-value entries are stored LT = UT (reference note), so they count at both tiers.
        entry = Named(
            int(r["item"]),
            r["substance"],
            tuple(c.strip() for c in r["cas"].split(";") if c.strip()),
            Quantities(Fraction(r["lower_tier_t"]), Fraction(r["upper_tier_t"])),
            r["directive_note"],
            r["verification"],
        )
        named[entry.item] = entry
        by_cas.update(dict.fromkeys(entry.cas, entry))
        # Whole names only (item 26 lists two): a shortened name could drop a qualifier (≥ 90 %).
        by_name.update(dict.fromkeys((n.strip().casefold() for n in r["substance"].split(";")), entry))
    return Tables(categories, named, by_cas, by_name)


@dataclass(frozen=True)
class Holding:
    """One row of the inventory: a substance held somewhere in the establishment."""

    unit: str
    substance: str
    quantity_t: Fraction
    cas: str = ""
    categories: tuple[str, ...] = ()  # Part 1 codes as written
    part2_item: int | None = None  # a `part2:<item>` reference
    is_isolated: bool = False
    row: int = 0


def read_inventory(rows: Iterable[Mapping[str, str | None]]) -> list[Holding]:
    """The GB 18218 inventory (same columns and checks) plus `seveso_category` and `isolated`."""
    raw = list(rows)
    holdings = []
    for line in gb18218.read_inventory(raw):
        cell = raw[line.row - 2]
        categories, item = _categories(cell.get("seveso_category") or "", line.row)
        holdings.append(
            Holding(
                unit=line.unit,
                substance=line.substance,
                quantity_t=line.quantity_t,
                cas=line.cas,
                categories=categories,
                part2_item=item,
                is_isolated=_isolated(cell.get("isolated") or "", line.row),
                row=line.row,
            )
        )
    return holdings


def _categories(text: str, row: int) -> tuple[tuple[str, ...], int | None]:
    codes, items = [], []
    for token in (t.strip() for t in text.replace("；", ";").split(";")):
        if match := PART2_REF.fullmatch(token):
            items.append(int(match.group(1)))
        elif token:
            codes.append(token)
    if len(items) > 1:
        raise InvalidInputError(
            "seveso_category", "several", f"row {row}: name at most one Part 2 entry (part2:<item>)"
        )
    return tuple(codes), items[0] if items else None


def _isolated(text: str, row: int) -> bool:
    value = text.strip().lower()
    if value not in TRUE + FALSE:
        raise InvalidInputError("isolated", "boolean", f"row {row}: isolated is true or false, not {text!r}")
    return value in TRUE


@dataclass(frozen=True)
class Substance:
    """The rows of one substance taken together, with the quantities that apply to it."""

    name: str
    cas: str
    rows: tuple[int, ...]
    q_t: Fraction
    named: Named | None
    categories: tuple[Category, ...]
    is_isolated: bool  # every row is
    qualifying: Quantities  # Part 2 (note 21 applied), or the lowest of its categories (note 6)
    basis: str

    def in_family(self, family: str) -> tuple[Quantities, str] | None:
        """Its quantities in one note 4 sum and where they come from, or None when it is not in that sum."""
        cats = [c for c in self.categories if FAMILIES.get(c.section) == family]
        if not cats:
            return None
        if self.named is not None:
            return self.qualifying, self.basis  # named thresholds (Part 2 opening paragraph)
        # note 6: the lowest quantity within each sum's group of categories
        lowest = _lowest(cats)
        return lowest, "Part 1 " + "/".join(c.code for c in cats if c.q.lower == lowest.lower)


def _lowest(categories: Sequence[Category]) -> Quantities:
    return Quantities(min(c.q.lower for c in categories), min(c.q.upper for c in categories))


def _resolve(holding: Holding, t: Tables) -> tuple[Named | None, tuple[Category, ...]]:
    unknown = [c for c in holding.categories if c.upper() not in t.categories]
    if unknown:
        raise InvalidInputError(
            "seveso_category",
            "unknown",
            f"row {holding.row}: {unknown[0]!r} is not a Seveso III Annex I Part 1 category "
            "(H1-H3, P1a-P8, E1-E2, O1-O3) nor part2:<item>",
        )
    cats = tuple(dict.fromkeys(t.categories[c.upper()] for c in holding.categories))
    named = t.by_cas.get(holding.cas) or t.by_name.get(holding.substance.casefold())
    if holding.part2_item is not None:
        if holding.part2_item not in t.named:
            raise InvalidInputError(
                "seveso_category", "unknown", f"row {holding.row}: Part 2 has no item {holding.part2_item}"
            )
        if named is not None and named.item != holding.part2_item:
            raise InvalidInputError(
                "seveso_category",
                "conflict",
                f"row {holding.row}: {holding.substance} is Part 2 item {named.item}, "
                f"not part2:{holding.part2_item}",
            )
        named = t.named[holding.part2_item]
    if named is None and not cats:
        cas = f" (CAS {holding.cas})" if holding.cas else ""
        raise InvalidInputError(
            "seveso_category",
            "required",
            f"row {holding.row}: {holding.substance}{cas} is not named in Seveso III Annex I Part 2; "
            "give its Part 1 category in seveso_category (e.g. H2 or P5c)",
        )
    return named, cats


def group_substances(holdings: Iterable[Holding], t: Tables | None = None) -> list[Substance]:
    """The holdings grouped by substance (Part 2 entry, else CAS, else name), in order of first appearance."""
    t = t or tables()
    groups: dict[tuple[int | None, str], list[tuple[Holding, Named | None, tuple[Category, ...]]]] = {}
    for holding in holdings:
        named, cats = _resolve(holding, t)
        # A Part 2 entry is one dangerous substance (note 4's q_x), whatever names its rows use.
        key: tuple[int | None, str] = (
            (named.item, "") if named else (None, holding.cas or holding.substance.casefold())
        )
        groups.setdefault(key, []).append((holding, named, cats))
    return [_substance(group) for group in groups.values()]


def _substance(group: list[tuple[Holding, Named | None, tuple[Category, ...]]]) -> Substance:
    _, named, _ = group[0]
    cats = tuple(dict.fromkeys(c for _, _, row_cats in group for c in row_cats))
    if named is None:
        qualifying = _lowest(cats)  # note 6: several classifications, the lowest quantities
        basis = "Part 1 " + "/".join(c.code for c in cats if c.q.lower == qualifying.lower)
    else:
        qualifying, basis = named.q, f"Part 2 item {named.item}"
        flammable = [c for c in cats if c.code in NOTE_21_CATEGORIES]
        if "note 21" in named.note and flammable:
            # Note 21: also in P5a or P5b → the lowest quantity applies.
            qualifying = _lowest_of(named.q, _lowest(flammable))
            basis += " or " + "/".join(c.code for c in flammable) + ", the lower (note 21)"
    return Substance(
        name=", ".join(dict.fromkeys(h.substance for h, _, _ in group)),
        cas=", ".join(dict.fromkeys(h.cas for h, _, _ in group if h.cas)),
        rows=tuple(h.row for h, _, _ in group),
        q_t=sum((h.quantity_t for h, _, _ in group), Fraction(0)),
        named=named,
        categories=cats,
        is_isolated=all(h.is_isolated for h, _, _ in group),
        qualifying=qualifying,
        basis=basis,
    )


def _lowest_of(a: Quantities, b: Quantities) -> Quantities:
    return Quantities(min(a.lower, b.lower), min(a.upper, b.upper))


@dataclass(frozen=True)
class Entry:
    """A single entry: one Part 2 entry, or one Part 1 category's unnamed substances together."""

    key: str  # part2:<item> or part1:<code>
    name: str
    substances: tuple[Substance, ...]
    q_t: Fraction
    qualifying: Quantities
    basis: str
    verification: str

    @property
    def ratio(self) -> Quantities:
        return Quantities(self.q_t / self.qualifying.lower, self.q_t / self.qualifying.upper)

    @property
    def reaches(self) -> Tier | None:
        return _reached(self.ratio)


@dataclass(frozen=True)
class Term:
    """One substance's q/Q in one Note 4 sum."""

    substance: Substance
    qualifying: Quantities
    basis: str

    @property
    def ratio(self) -> Quantities:
        q = self.substance.q_t
        return Quantities(q / self.qualifying.lower, q / self.qualifying.upper)


@dataclass(frozen=True)
class FamilySum:
    family: str  # health | physical | environmental
    total: Quantities
    terms: tuple[Term, ...]  # largest first


@dataclass(frozen=True)
class Exclusion:
    substance: Substance
    limit_t: Fraction  # 2 % of the qualifying quantity


@dataclass(frozen=True)
class Decision:
    rule: str  # "single" | "note4"
    tier: Tier
    subject: str  # an entry key, or a family
    name: str
    value: Fraction


@dataclass(frozen=True)
class Assessment:
    tier: Tier | None
    decided_by: tuple[Decision, ...]
    entries: tuple[Entry, ...]
    sums: tuple[FamilySum, ...]
    excluded: tuple[Exclusion, ...]
    warnings: tuple[str, ...]


def _reached(ratio: Quantities) -> Tier | None:
    return Tier.UPPER if ratio.upper >= 1 else Tier.LOWER if ratio.lower >= 1 else None


def assess(holdings: Iterable[Holding], t: Tables | None = None) -> Assessment:
    """The establishment's tier: all holdings together, whatever unit they are in (note 3)."""
    found = group_substances(holdings, t)
    excluded = tuple(
        Exclusion(s, s.qualifying.lower * TWO_PERCENT)
        for s in found
        # Note 3: ≤ 2 % and located where it cannot initiate a major accident elsewhere.
        if s.is_isolated and s.q_t <= s.qualifying.lower * TWO_PERCENT
    )
    left_out = {id(e.substance) for e in excluded}
    counted = [s for s in found if id(s) not in left_out]
    entries = _entries(counted)
    sums = tuple(_family_sum(family, counted) for family in FAMILIES.values())
    tier, decided_by = _decide(entries, sums)
    return Assessment(tier, decided_by, entries, sums, excluded, _warnings(counted))


def _entries(counted: Sequence[Substance]) -> tuple[Entry, ...]:
    groups: dict[str, list[Substance]] = {}
    for s in counted:
        if s.named is not None:
            groups.setdefault(f"part2:{s.named.item}", []).append(s)
        else:
            for c in s.categories:
                groups.setdefault(f"part1:{c.code}", []).append(s)
    return tuple(_entry(key, members) for key, members in groups.items())


def _entry(key: str, members: list[Substance]) -> Entry:
    q_t = sum((s.q_t for s in members), Fraction(0))
    named = members[0].named
    if named is not None:
        first = members[0]
        return Entry(key, named.name, tuple(members), q_t, first.qualifying, first.basis, named.verification)
    category = next(c for c in members[0].categories if f"part1:{c.code}" == key)
    return Entry(
        key, category.name, tuple(members), q_t, category.q, f"Part 1 {category.code}", category.verification
    )


def _family_sum(family: str, counted: Sequence[Substance]) -> FamilySum:
    terms = [Term(s, *found) for s in counted if (found := s.in_family(family)) is not None]
    terms.sort(key=lambda term: (-term.ratio.lower, -term.ratio.upper, term.substance.name))
    total = Quantities(
        sum((term.ratio.lower for term in terms), Fraction(0)),
        sum((term.ratio.upper for term in terms), Fraction(0)),
    )
    return FamilySum(family, total, tuple(terms))


def _decide(entries: Sequence[Entry], sums: Sequence[FamilySum]) -> tuple[Tier | None, tuple[Decision, ...]]:
    for tier in (Tier.UPPER, Tier.LOWER):
        singles = [
            Decision("single", tier, e.key, e.name, e.ratio.at(tier))
            for e in entries
            if e.ratio.at(tier) >= 1
        ]
        if singles:
            return tier, tuple(singles)
        # Note 4: the sums decide only where no single substance reaches the quantity.
        summed = [
            Decision("note4", tier, s.family, s.family, s.total.at(tier))
            for s in sums
            if s.total.at(tier) >= 1
        ]
        if summed:
            return tier, tuple(summed)
    return None, ()


def _warnings(counted: Sequence[Substance]) -> tuple[str, ...]:
    warnings = []
    for s in counted:
        if s.named is not None and not s.categories:
            warnings.append(
                f"{s.name} (Part 2 item {s.named.item}) has no seveso_category: counted on its own but in no "
                "note 4 sum; give its categories (e.g. H2;E1) to add it to the sums"
            )
        if not s.is_isolated and s.q_t <= s.qualifying.lower * TWO_PERCENT:
            warnings.append(
                f"{s.name} is at most 2 % of its qualifying quantity: if its location cannot start a major "
                "accident elsewhere in the establishment, mark it isolated to leave it out (note 3)"
            )
    return tuple(warnings)


def number(value: Fraction) -> float:
    """Rounded down to 6 decimals, so a ratio shown as 1 or more did reach its quantity."""
    return float(Fraction(math.floor(value * 10**6), 10**6))


def _pair(q: Quantities) -> dict[str, float]:
    return {"lower": number(q.lower), "upper": number(q.upper)}


def _term_json(term: Term) -> dict[str, object]:
    s = term.substance
    return {
        "substance": s.name,
        "cas": s.cas,
        "rows": list(s.rows),
        "q": number(s.q_t),
        "threshold": _pair(term.qualifying),
        "ratio": _pair(term.ratio),
        "basis": term.basis,
    }


def as_json(result: Assessment) -> dict[str, object]:
    """The stable JSON (docs/cli.md); numbers rounded down to 6 decimals, decisions made on exact fractions."""
    return {
        "regime": "seveso3",
        "tier": result.tier.value if result.tier else None,
        "decided_by": [
            {
                "rule": d.rule,
                "tier": d.tier.value,
                "subject": d.subject,
                "name": d.name,
                "value": number(d.value),
            }
            for d in result.decided_by
        ],
        "sums": {
            s.family: {
                "lower": number(s.total.lower),
                "upper": number(s.total.upper),
                "top": [_term_json(term) for term in s.terms[:TOP]],
                "terms": [_term_json(term) for term in s.terms],
            }
            for s in result.sums
        },
        "entries": [
            {
                "entry": e.key,
                "name": e.name,
                "substances": [s.name for s in e.substances],
                "rows": [row for s in e.substances for row in s.rows],
                "q": number(e.q_t),
                "threshold": _pair(e.qualifying),
                "ratio": _pair(e.ratio),
                "reaches": e.reaches.value if e.reaches else None,
                "basis": e.basis,
                "verification": e.verification,
            }
            for e in result.entries
        ],
        "excluded": [
            {
                "substance": x.substance.name,
                "cas": x.substance.cas,
                "rows": list(x.substance.rows),
                "q": number(x.substance.q_t),
                "limit": number(x.limit_t),
                "basis": x.substance.basis,
                "reason": "at most 2 % of its lower-tier qualifying quantity and marked isolated (note 3)",
            }
            for x in result.excluded
        ],
        "warnings": list(result.warnings),
    }


TIER_TEXT = {
    Tier.UPPER: "upper tier (较高级)",
    Tier.LOWER: "lower tier (较低级)",
    None: "not covered (不适用)",
}


def _short(value: Fraction) -> str:
    """Three decimals, rounded down like `number`."""
    return f"{math.floor(value * 1000) / 1000:.3f}"


def summary(result: Assessment) -> list[str]:
    """A readable summary, one line a string."""
    lines = [f"Seveso III establishment: {TIER_TEXT[result.tier]}"]
    for d in result.decided_by:
        what = f"{d.subject} {d.name}" if d.rule == "single" else f"the note 4 {d.name} sum"
        lines.append(f"  decided by {what}: {_short(d.value)} at {d.tier.value} tier")
    for s in result.sums:
        top = ", ".join(f"{t.substance.name} {_short(t.ratio.lower)}" for t in s.terms[:TOP]) or "-"
        lines.append(
            f"  {s.family}: Σq/Q_LT = {_short(s.total.lower)}, Σq/Q_UT = {_short(s.total.upper)}; top: {top}"
        )
    for x in result.excluded:
        q, limit = x.substance.q_t, x.limit_t
        lines.append(
            f"  left out: {x.substance.name} {float(q):g} t ≤ {float(limit):g} t and isolated (note 3)"
        )
    lines += [f"  warning: {w}" for w in result.warnings]
    return lines
