"""One thing, whole chain (一件事全链条): the responsibility matrix, its gaps and overlaps, referrals (移送)
and the similar-business principle (相近业态). Pure: data comes in parsed, time comes in as an argument.

The effective matrix of a division is the national default (data/things.yaml) overlaid, level by level,
by the assignments stored for the nation, the province, the city and the county: a level that stores any
assignment for a (thing, stage) cell replaces that whole cell. So a province can name a lead, add a
second one, or keep only supporting departments (which leaves the stage without a lead: a gap).

Referral states:

    referred ──acknowledge──► acknowledged ──record_outcome──► handled
       │                           ▲
       └──(deadline passes)──► overdue ──acknowledge (late)──┘
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from zhiben.errors import InvalidInputError, ReferralTransitionError


class Stage(StrEnum):
    approval = "approval"  # 审批
    production = "production"  # 生产
    storage = "storage"  # 储存
    transport = "transport"  # 运输
    sale = "sale"  # 经营（销售）
    use = "use"  # 使用
    disposal = "disposal"  # 废弃处置


class AssignmentRole(StrEnum):
    lead = "lead"  # 牵头
    support = "support"  # 配合


@dataclass(frozen=True)
class Named:
    code: str
    zh: str
    en: str

    def name(self, language: str) -> str:
        return self.en if language.startswith("en") else self.zh


@dataclass(frozen=True)
class Department(Named):
    sectors: frozenset[str] = frozenset()
    in_reference: bool = True


@dataclass(frozen=True)
class Thing(Named):
    stages: tuple[Stage, ...] = ()


@dataclass(frozen=True)
class Assignment:
    thing: str
    stage: Stage
    department: str
    role: AssignmentRole
    basis: str = ""
    division_code: str = ""  # '' = the national default
    confidence: str = ""  # V, V2, I (inferred) as in the reference note; '' for local assignments


@dataclass(frozen=True)
class KnownBusinessType(Named):
    industry_code: str = ""
    attributes: frozenset[str] = frozenset()
    department: str = ""
    has_legal_basis: bool = False
    basis: str = ""


@dataclass(frozen=True)
class Reference:
    """Everything in data/, parsed."""

    stages: tuple[Named, ...]
    departments: Mapping[str, Department]
    things: Mapping[str, Thing]
    defaults: tuple[Assignment, ...]
    acknowledge_within: timedelta
    acknowledge_has_legal_basis: bool
    attributes: Mapping[str, Named]
    known_types: tuple[KnownBusinessType, ...]

    def check_cell(self, thing: str, stage: str) -> Stage:
        if thing not in self.things:
            raise InvalidInputError(
                "thing", "unknown", f"unknown thing {thing!r}; use one of: {', '.join(self.things)}"
            )
        try:
            parsed = Stage(stage)
        except ValueError:
            raise InvalidInputError("stage", "unknown", f"unknown stage {stage!r}") from None
        if parsed not in self.things[thing].stages:
            raise InvalidInputError("stage", "not_applicable", f"the stage {stage} does not apply to {thing}")
        return parsed

    def check_department(self, code: str, field_name: str = "department") -> Department:
        if code not in self.departments:
            raise InvalidInputError(
                field_name,
                "unknown",
                f"unknown department {code!r}; use one of: {', '.join(self.departments)}",
            )
        return self.departments[code]


# ---------------------------------------------------------------------------------------------- parsing


def _named(row: Mapping[str, Any]) -> tuple[str, str, str]:
    return str(row["code"]), str(row["zh"]), str(row["en"])


def parse_reference(
    stages_doc: Mapping[str, Any],
    departments_doc: Mapping[str, Any],
    things_doc: Mapping[str, Any],
    referral_doc: Mapping[str, Any],
    business_doc: Mapping[str, Any],
) -> Reference:
    """Build the reference from the five YAML documents; a wrong code anywhere raises ValueError."""
    stages = tuple(Named(*_named(row)) for row in stages_doc["stages"])
    if [s.code for s in stages] != [s.value for s in Stage]:
        raise ValueError("stages.yaml must list the seven stages in order")
    departments = {
        row["code"]: Department(
            *_named(row), sectors=frozenset(row.get("sectors") or ()), in_reference=bool(row["in_reference"])
        )
        for row in departments_doc["departments"]
    }
    things: dict[str, Thing] = {}
    defaults: list[Assignment] = []
    for row in things_doc["things"]:
        thing = Thing(*_named(row), stages=tuple(Stage(s) for s in row["stages"]))
        things[thing.code] = thing
        for stage, entries in (row.get("assignments") or {}).items():
            if Stage(stage) not in thing.stages:
                raise ValueError(f"{thing.code}: stage {stage} is not among its stages")
            for entry in entries:
                if entry["department"] not in departments:
                    raise ValueError(f"{thing.code}/{stage}: unknown department {entry['department']}")
                basis = f"{' '.join(str(entry['basis']).split())} Source: {entry['source']}"
                defaults.append(
                    Assignment(
                        thing.code,
                        Stage(stage),
                        entry["department"],
                        AssignmentRole(entry["role"]),
                        basis,
                        "",
                        str(entry.get("confidence", "")),
                    )
                )
    attributes = {row["code"]: Named(*_named(row)) for row in business_doc["attributes"]}
    known = tuple(_known_type(row, departments, attributes) for row in business_doc["known"])
    return Reference(
        stages=stages,
        departments=departments,
        things=things,
        defaults=tuple(defaults),
        acknowledge_within=timedelta(days=int(referral_doc["acknowledge_within_days"])),
        acknowledge_has_legal_basis=bool(referral_doc["has_legal_basis"]),
        attributes=attributes,
        known_types=known,
    )


def _known_type(
    row: Mapping[str, Any], departments: Mapping[str, Department], attributes: Mapping[str, Named]
) -> KnownBusinessType:
    unknown = set(row["attributes"]) - set(attributes)
    if unknown or row["department"] not in departments:
        raise ValueError(f"business type {row['code']}: unknown attribute or department")
    return KnownBusinessType(
        *_named(row),
        industry_code=normalise_industry_code(str(row["industry_code"])),
        attributes=frozenset(row["attributes"]),
        department=row["department"],
        has_legal_basis=bool(row["has_legal_basis"]),
        basis=str(row["basis"]),
    )


# ---------------------------------------------------------------------------------- matrix and report

Cell = tuple[str, Stage]


def effective_matrix(
    defaults: Iterable[Assignment], layers: Sequence[Iterable[Assignment]]
) -> dict[Cell, tuple[Assignment, ...]]:
    """The national default overlaid by each layer in order (nation, province, city, county): a layer
    that names a cell replaces that cell's assignments."""
    matrix: dict[Cell, tuple[Assignment, ...]] = {}
    for layer in (defaults, *layers):
        cells: dict[Cell, list[Assignment]] = {}
        for assignment in layer:
            cells.setdefault((assignment.thing, assignment.stage), []).append(assignment)
        for cell, assignments in cells.items():
            matrix[cell] = tuple(
                sorted(assignments, key=lambda a: (a.role != AssignmentRole.lead, a.department))
            )
    return matrix


@dataclass(frozen=True)
class CellReport:
    thing: str
    stage: Stage
    leads: tuple[Assignment, ...]
    supports: tuple[Assignment, ...]

    @property
    def is_gap(self) -> bool:
        return not self.leads

    @property
    def is_overlap(self) -> bool:
        return len(self.leads) >= 2


@dataclass(frozen=True)
class ChainReport:
    division_code: str
    cells: tuple[CellReport, ...]
    gaps: tuple[CellReport, ...] = field(default=())
    overlaps: tuple[CellReport, ...] = field(default=())


def chain_report(
    division_code: str, things: Iterable[Thing], matrix: Mapping[Cell, Sequence[Assignment]]
) -> ChainReport:
    """Every applicable (thing, stage) cell with its leads and supports; gaps are cells nobody leads,
    overlaps cells with two or more leads."""
    cells = []
    for thing in things:
        for stage in thing.stages:
            assignments = matrix.get((thing.code, stage), ())
            cells.append(
                CellReport(
                    thing.code,
                    stage,
                    tuple(a for a in assignments if a.role == AssignmentRole.lead),
                    tuple(a for a in assignments if a.role == AssignmentRole.support),
                )
            )
    return ChainReport(
        division_code,
        tuple(cells),
        gaps=tuple(c for c in cells if c.is_gap),
        overlaps=tuple(c for c in cells if c.is_overlap),
    )


def leads_of(matrix: Mapping[Cell, Sequence[Assignment]], thing: str, stage: Stage) -> list[str]:
    return [a.department for a in matrix.get((thing, stage), ()) if a.role == AssignmentRole.lead]


def departments_of(sectors: Iterable[str], departments: Iterable[Department]) -> frozenset[str]:
    """The departments a `department` user belongs to: those whose code or one of whose sectors the
    user's `sectors` names."""
    held = set(sectors)
    return frozenset(d.code for d in departments if d.code in held or d.sectors & held)


# --------------------------------------------------------------------------------------------- referral


class ReferralState(StrEnum):
    referred = "referred"  # 已移送
    acknowledged = "acknowledged"  # 已签收
    handled = "handled"  # 已办结
    overdue = "overdue"  # 逾期未签收


class ReferralAction(StrEnum):
    acknowledge = "acknowledge"
    record_outcome = "record_outcome"
    mark_overdue = "mark_overdue"


REFERRAL_TRANSITIONS: dict[ReferralAction, tuple[frozenset[ReferralState], ReferralState]] = {
    ReferralAction.acknowledge: (
        frozenset({ReferralState.referred, ReferralState.overdue}),
        ReferralState.acknowledged,
    ),
    ReferralAction.record_outcome: (frozenset({ReferralState.acknowledged}), ReferralState.handled),
    ReferralAction.mark_overdue: (frozenset({ReferralState.referred}), ReferralState.overdue),
}


def referral_actions(state: ReferralState) -> list[ReferralAction]:
    return [a for a, (sources, _) in REFERRAL_TRANSITIONS.items() if state in sources]


def next_referral_state(state: ReferralState, action: ReferralAction) -> ReferralState:
    sources, target = REFERRAL_TRANSITIONS[action]
    if state not in sources:
        allowed = [a.value for a in referral_actions(state) if a != ReferralAction.mark_overdue]
        raise ReferralTransitionError(state.value, action.value, allowed)
    return target


def acknowledge_deadline(referred_at: datetime, within: timedelta) -> datetime:
    return referred_at + within


def is_referral_overdue(state: ReferralState, deadline_at: datetime, now: datetime) -> bool:
    return state == ReferralState.referred and now > deadline_at


# ------------------------------------------------------------------------------------ similar business


def normalise_industry_code(code: str) -> str:
    """GB/T 4754 code without its section letter: 'R9019' → '9019'; 2 to 4 digits."""
    text = code.strip().upper()
    if text[:1].isalpha():
        text = text[1:]
    if not (2 <= len(text) <= 4 and text.isdigit()):
        raise InvalidInputError(
            "industry_code", "format", "a GB/T 4754 code: 2 to 4 digits, optionally after the section letter"
        )
    return text


def common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@dataclass(frozen=True)
class Neighbour:
    known: KnownBusinessType
    prefix_digits: int
    matched: frozenset[str]
    differing: frozenset[str]

    @property
    def distance(self) -> int:
        return 10 * (4 - self.prefix_digits) + len(self.differing)


@dataclass(frozen=True)
class Proposal:
    department: str
    neighbour: Neighbour
    reason_zh: str
    reason_en: str


def nearest_business_type(
    industry_code: str, attributes: frozenset[str], known: Iterable[KnownBusinessType]
) -> Neighbour:
    """The known type nearest by industry code (longest common prefix) and attributes (fewest differing);
    ties go to a type with a legal basis, then to the smaller code."""
    code = normalise_industry_code(industry_code)
    candidates = [
        Neighbour(
            k, common_prefix(code, k.industry_code), attributes & k.attributes, attributes ^ k.attributes
        )
        for k in known
    ]
    if not candidates:
        raise InvalidInputError("industry_code", "no_neighbour", "no known business type to compare with")
    return min(candidates, key=lambda n: (n.distance, not n.known.has_legal_basis, n.known.code))


def propose_department(
    industry_code: str,
    attributes: frozenset[str],
    known: Iterable[KnownBusinessType],
    attribute_names: Mapping[str, Named],
    department_names: Mapping[str, Department],
) -> Proposal:
    unknown = attributes - set(attribute_names)
    if unknown:
        raise InvalidInputError("attributes", "unknown", f"unknown attributes: {', '.join(sorted(unknown))}")
    best = nearest_business_type(industry_code, attributes, known)
    k, dept = best.known, department_names[best.known.department]

    def names(codes: frozenset[str], language: str) -> str:
        separator = "、" if language == "zh" else ", "
        return separator.join(attribute_names[c].name(language) for c in sorted(codes)) or "—"

    basis_zh = (
        "（依据：" + k.basis + "）" if k.has_legal_basis else "（注意：该业态的部门分工仅为示例，无法律依据）"
    )
    basis_en = (
        f" (basis: {k.basis})"
        if k.has_legal_basis
        else " (note: that assignment is an example without legal basis)"
    )
    reason_zh = (
        f"按相近业态原则，最相近的已知业态为“{k.zh}”（行业代码 {k.industry_code}），"
        f"行业代码前 {best.prefix_digits} 位相同；相同特征：{names(best.matched, 'zh')}；"
        f"不同特征：{names(best.differing, 'zh')}；距离 {best.distance}。"
        f"建议牵头部门：{dept.zh}{basis_zh}"
    )
    reason_en = (
        f"Similar business: the nearest known type is {k.en} (industry code {k.industry_code}); "
        f"{best.prefix_digits} leading digits of the industry code agree; features in common: "
        f"{names(best.matched, 'en')}; features that differ: {names(best.differing, 'en')}; "
        f"distance {best.distance}. Proposed lead: {dept.en}{basis_en}"
    )
    return Proposal(k.department, best, reason_zh, reason_en)
