"""Rule packs: the YAML format, loading, compiling conditions, and `zhiben rules check`.

A pack is one version of one determination standard. It declares its facts once (type, unit, the
question a checklist asks), and each clause has a condition over those facts, its citation, its
verification level, and examples that are run as tests when the pack is checked: a reviewer reads
what the clause means at its boundary, and CI proves the encoding agrees. See docs/rulepacks.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhiben.standards.expr import (
    ExprError,
    Fact,
    FactType,
    Node,
    Unit,
    evaluate,
    facts_in,
    parse,
    parse_unit,
    text_constants,
    unit_mismatches,
)

PACKS_DIR = Path(__file__).parent / "rulepacks"
Verification = Literal["V", "V2", "V3", "R", "NF"]


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid")
    zh: str
    en: str = ""


class FactSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: FactType
    unit: str = ""
    ask: Text | None = None  # the checklist question, for facts answered in an inspection
    values: dict[str, Text] | None = None  # text facts only: each allowed answer and its label
    ask_if: str | None = None  # a condition over the pack's facts; the question is skipped when it is false

    @model_validator(mode="after")
    def _values_belong_to_text(self) -> FactSpec:
        if self.values is not None and self.type != "text":
            raise ValueError("only a text fact can list `values`")
        if self.values == {}:
            raise ValueError("`values` lists at least one allowed answer")
        return self


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facts: dict[str, float | bool | str | None]
    major: bool | None  # None: cannot be decided from these facts
    note: str = ""


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    any: list[str] | None = None
    all: list[str] | None = None


class UnitAllowance(BaseModel):
    """Two different units a clause may honestly put side by side, and why (the check allows nothing else)."""

    model_config = ConfigDict(extra="forbid")
    units: tuple[str, str]
    reason: str = Field(min_length=1)

    def allows(self, left: Unit, right: Unit) -> bool:
        return {parse_unit(u) for u in self.units} == {left, right}


class ClauseSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^\d+(-\d+)*$", description="<article>-<item>, e.g. 4-1")
    citation: str
    category: Text
    summary: Text
    verification: Verification
    when: str | Condition
    boundary: str = ""  # how the clause's boundary words are read, e.g. "以上 includes the number (>=)"
    evidence: list[str] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    unit_allowances: list[UnitAllowance] = Field(default_factory=list)


class Effective(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: date = Field(alias="from")
    until: date | None = None  # exclusive: the day the successor takes effect


class AppliesTo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sectors: list[str] = Field(min_length=1)


class PackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pack: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    version: str = Field(min_length=1)
    status: Literal["released", "draft"]
    title: Text
    issuer: Text
    document: str
    effective: Effective
    supersedes: str | None = None
    applies_to: AppliesTo
    missing_clauses: list[str] = Field(default_factory=list)
    notes: str = ""
    facts: dict[str, FactSpec]
    clauses: list[ClauseSpec]

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: Any) -> str:
        return str(value)


@dataclass(frozen=True)
class Clause:
    spec: ClauseSpec
    condition: Node

    @property
    def facts(self) -> set[str]:
        return facts_in(self.condition)


@dataclass(frozen=True)
class RulePack:
    spec: PackSpec
    checksum: str  # SHA-256 of the file as released: a stored determination can be reproduced
    clauses: tuple[Clause, ...]
    path: Path
    ask_if: tuple[tuple[str, Node], ...] = ()  # (fact, compiled ask_if) for the facts that have one

    @property
    def id(self) -> str:
        return self.spec.pack

    @property
    def version(self) -> str:
        return self.spec.version

    def in_force(self, on: date) -> bool:
        e = self.spec.effective
        return e.from_ <= on and (e.until is None or on < e.until)

    def asked(self, fact_name: str, facts: Mapping[str, Any]) -> bool:
        """Whether a checklist asks this fact's question, given the answers so far.

        False only when the fact's `ask_if` is false for these facts; a missing answer leaves it unknown,
        and an unknown condition asks the question.
        """
        if fact_name not in self.spec.facts:
            raise KeyError(f"{self.id}/{self.version} declares no fact {fact_name!r}")
        condition = dict(self.ask_if).get(fact_name)
        return condition is None or evaluate(condition, facts) is not False


class PackError(ValueError):
    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


def _condition_text(when: str | Condition) -> str:
    if isinstance(when, str):
        return when
    if bool(when.any) == bool(when.all):
        raise ExprError("`when` takes a condition, or exactly one of `any:` / `all:` with a list")
    parts, joiner = (when.any, " or ") if when.any else (when.all or [], " and ")
    return joiner.join(f"({part})" for part in parts)


def load_pack(path: Path) -> RulePack:
    """Parse, validate and compile one pack file; raise PackError listing every problem found."""
    raw = path.read_bytes()
    try:
        spec = PackSpec.model_validate(yaml.safe_load(raw))
    except (yaml.YAMLError, ValidationError) as exc:
        raise PackError(path, [str(exc)]) from exc
    problems: list[str] = []
    types: dict[str, FactType] = {name: fact.type for name, fact in spec.facts.items()}
    clauses = []
    for clause in spec.clauses:
        try:
            clauses.append(Clause(clause, parse(_condition_text(clause.when), types)))
        except ExprError as exc:
            problems.append(f"clause {clause.id}: {exc}")
    ask_if = []
    for name, fact in spec.facts.items():
        try:
            if fact.ask_if is not None:
                ask_if.append((name, parse(fact.ask_if, types)))
        except ExprError as exc:
            problems.append(f"fact {name}: ask_if: {exc}")
    if problems:
        raise PackError(path, problems)
    return RulePack(spec, hashlib.sha256(raw).hexdigest(), tuple(clauses), path, tuple(ask_if))


def check_pack(pack: RulePack, known_sectors: Iterable[str]) -> list[str]:
    """Everything `zhiben rules check` asks of one pack beyond parsing; an empty list means it passes."""
    spec, problems = pack.spec, []
    if pack.path.stem != spec.version or pack.path.parent.name != spec.pack:
        problems.append(f"file should be rulepacks/{spec.pack}/{spec.version}.yaml")
    seen: set[str] = set()
    for clause in pack.clauses:
        if clause.spec.id in seen:
            problems.append(f"clause {clause.spec.id} appears twice")
        seen.add(clause.spec.id)
    used = set().union(*(c.facts for c in pack.clauses), *(facts_in(node) for _, node in pack.ask_if))
    problems += [
        f"fact {name} is declared but no clause or ask_if uses it" for name in sorted(set(spec.facts) - used)
    ]
    problems += [f"unknown sector {s}" for s in spec.applies_to.sectors if s not in set(known_sectors)]
    if spec.status == "released" and spec.missing_clauses:
        problems.append("a released pack lists missing clauses; release it when they are encoded")
    if spec.effective.until is not None and spec.effective.until <= spec.effective.from_:
        problems.append("effective.until must be after effective.from")
    problems += _check_conditions(pack)
    for clause in pack.clauses:
        problems += _check_examples(clause, spec.facts)
    return problems


def _check_conditions(pack: RulePack) -> list[str]:
    """Units and text values in every clause and ask_if condition; an ask_if that waits on its own answer."""
    facts, problems = pack.spec.facts, []
    units = {name: parse_unit(fact.unit) for name, fact in facts.items() if fact.type == "number"}
    for clause in pack.clauses:
        where = f"clause {clause.spec.id}"
        problems += [f"{where}: {p}" for p in _unit_problems(clause, units)]
        problems += [f"{where}: {p}" for p in _value_problems(clause.condition, facts)]
    for name, condition in pack.ask_if:
        problems += [f"fact {name}: ask_if: {m}" for m in unit_mismatches(condition, units)]
        problems += [f"fact {name}: ask_if: {p}" for p in _value_problems(condition, facts)]
    return problems + _ask_if_loops(pack)


def _unit_problems(clause: Clause, units: Mapping[str, Unit]) -> list[str]:
    allowances, needed, problems = clause.spec.unit_allowances, set(), []
    for mismatch in unit_mismatches(clause.condition, units):
        allowing = {i for i, a in enumerate(allowances) if a.allows(mismatch.left, mismatch.right)}
        needed |= allowing
        if not allowing:
            problems.append(str(mismatch))
    return problems + [
        f"the unit allowance for {a.units[0]} and {a.units[1]} is not needed"
        for i, a in enumerate(allowances)
        if i not in needed
    ]


def _value_problems(condition: Node, facts: Mapping[str, FactSpec]) -> list[str]:
    return [
        f"`{op}` tests {name} against {value!r}, which is not one of its values ({', '.join(allowed)})"
        for name, op, value in text_constants(condition)
        if (allowed := facts[name].values) is not None and value not in allowed
    ]


def _ask_if_loops(pack: RulePack) -> list[str]:
    depends = {name: facts_in(node) for name, node in pack.ask_if}
    problems = []
    for start, first in depends.items():
        seen: set[str] = set()
        todo = list(first)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo += depends.get(name, set())
        if start in seen:
            problems.append(
                f"fact {start}: ask_if depends, directly or through other questions, on its own answer"
            )
    return problems


def _check_examples(clause: Clause, facts: Mapping[str, FactSpec]) -> list[str]:
    problems = []
    examples = list(clause.spec.examples)
    if not examples:
        if not (isinstance(clause.condition, Fact) and facts[clause.condition.name].type == "boolean"):
            return [f"clause {clause.spec.id}: a condition other than one yes/no question needs examples"]
        examples = [Example(facts={clause.condition.name: True}, major=True)]  # a question can be met
    if not any(e.major for e in examples):
        problems.append(f"clause {clause.spec.id}: no example shows the clause can be met")
    for number, example in enumerate(examples, start=1):
        unknown = set(example.facts) - set(facts)
        if unknown:
            problems.append(f"clause {clause.spec.id} example {number}: undeclared facts {sorted(unknown)}")
            continue
        rejected = _rejected_answers(example.facts, facts)
        if rejected:
            problems += [f"clause {clause.spec.id} example {number}: {reason}" for reason in rejected]
            continue
        got = evaluate(clause.condition, example.facts)
        if got is not example.major:
            problems.append(f"clause {clause.spec.id} example {number}: expected {example.major}, got {got}")
    return problems


def _rejected_answers(answers: Mapping[str, object], facts: Mapping[str, FactSpec]) -> list[str]:
    rejected = []
    for name, value in answers.items():
        try:
            coerce_answer(facts[name], value)
        except ValueError as exc:
            rejected.append(f"{name}: {exc}")
    return rejected


# Answers to a checklist. Numbers stay inside the bulk engine's exact decimals (38 digits, 9 after the
# point, see bulk.py), which also keeps a typed-in `1e999999999` from becoming a billion-digit integer.
MAX_DIGITS = 38
MAX_INTEGER_DIGITS = MAX_DIGITS - 9
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_YES_NO = {"true": True, "false": False, "是": True, "否": False}


def coerce_answer(fact: FactSpec, value: object) -> Decimal | bool | str | None:
    """One checklist answer to a fact, checked and converted to the fact's type; None means unanswered.

    - number: an int, a float (read as the decimal it prints as: 0.1 is 0.1), a Decimal, or a string
      such as "12", "-0.5" or "1e3" (ASCII digits, surrounding spaces ignored) → a finite Decimal;
      true/false, NaN and infinities are refused, and so is anything beyond 38 digits or 29 before the
      point;
    - boolean: JSON true/false, or the strings "true", "false", "是", "否" (exactly) → bool;
    - text: a string → itself, which must be one of the fact's `values` when it declares them.

    Raises ValueError saying why the answer cannot be accepted.
    """
    if value is None:
        return None
    if fact.type == "number":
        return _number_answer(value)
    if fact.type == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in _YES_NO:
            return _YES_NO[value]
        raise ValueError(f'a yes/no answer is true or false (or "true", "false", "是", "否"), not {value!r}')
    if not isinstance(value, str):
        raise ValueError(f"a text answer is a string, not {type(value).__name__} {value!r}")
    if fact.values is not None and value not in fact.values:
        raise ValueError(f"{value!r} is not one of the allowed values: {', '.join(fact.values)}")
    return value


def _number_answer(value: object) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"a number is needed, not {str(value).lower()}")
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(str(value))  # nan and inf become Decimal NaN and Infinity, refused below
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        number = Decimal(value.strip())
    elif isinstance(value, str):
        raise ValueError(f"{value!r} is not a number")
    else:
        raise ValueError(f"a number is needed, not {type(value).__name__} {value!r}")
    if not number.is_finite():
        raise ValueError(f"a number must be finite, not {value!r}")
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    if (
        len(digits) > MAX_DIGITS
        or exponent < -MAX_DIGITS
        or (number and number.adjusted() >= MAX_INTEGER_DIGITS)
    ):
        raise ValueError(
            f"{value!r} is out of range: at most {MAX_INTEGER_DIGITS} digits before the decimal point,"
            f" {MAX_DIGITS} after it and {MAX_DIGITS} in all"
        )
    return number


def check_effective_dates(packs: Iterable[RulePack]) -> list[str]:
    """Within one pack id, released versions must not be in force on the same day."""
    problems = []
    by_id: dict[str, list[RulePack]] = {}
    for pack in packs:
        if pack.spec.status == "released":
            by_id.setdefault(pack.id, []).append(pack)
    for pack_id, versions in by_id.items():
        ordered = sorted(versions, key=lambda p: p.spec.effective.from_)
        for earlier, later in pairwise(ordered):
            until = earlier.spec.effective.until
            if until is None or until > later.spec.effective.from_:
                problems.append(
                    f"{pack_id}: {earlier.version} and {later.version} are in force on the same days"
                )
    return problems


def check_shared_facts(packs: Iterable[RulePack]) -> list[str]:
    """A fact name means one thing in every pack: an enterprise's facts are stored by name, and one answer
    serves every pack that asks it, so the same name must have the same type and unit everywhere."""
    declared: dict[str, dict[tuple[str, str], list[str]]] = {}
    for pack in packs:
        for name, fact in pack.spec.facts.items():
            declared.setdefault(name, {}).setdefault((fact.type, fact.unit), []).append(
                f"{pack.id}/{pack.version}"
            )
    return [
        f"fact {name} is declared differently: "
        + "; ".join(f"{kind} [{unit}] in {', '.join(where)}" for (kind, unit), where in sorted(ways.items()))
        for name, ways in sorted(declared.items())
        if len(ways) > 1
    ]


def pack_files(root: Path = PACKS_DIR) -> list[Path]:
    return sorted(root.glob("*/*.yaml"))


def load_all(root: Path = PACKS_DIR) -> list[RulePack]:
    return [load_pack(path) for path in pack_files(root)]
