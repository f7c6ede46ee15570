"""Rule packs: the YAML format, loading, compiling conditions, and `zhiben rules check`.

A pack is one version of one determination standard. It declares its facts once (type, unit, the
question a checklist asks), and each clause has a condition over those facts, its citation, its
verification level, and examples that are run as tests when the pack is checked: a reviewer reads
what the clause means at its boundary, and CI proves the encoding agrees. See docs/rulepacks.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from zhiben.standards.expr import ExprError, Fact, FactType, Node, evaluate, facts_in, parse

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


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facts: dict[str, float | bool | str | None]
    major: bool | None  # None: cannot be decided from these facts
    note: str = ""


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid")
    any: list[str] | None = None
    all: list[str] | None = None


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

    @property
    def id(self) -> str:
        return self.spec.pack

    @property
    def version(self) -> str:
        return self.spec.version

    def in_force(self, on: date) -> bool:
        e = self.spec.effective
        return e.from_ <= on and (e.until is None or on < e.until)


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
    if problems:
        raise PackError(path, problems)
    return RulePack(spec, hashlib.sha256(raw).hexdigest(), tuple(clauses), path)


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
    used = set().union(*(c.facts for c in pack.clauses)) if pack.clauses else set()
    problems += [f"fact {name} is declared but no clause uses it" for name in sorted(set(spec.facts) - used)]
    problems += [f"unknown sector {s}" for s in spec.applies_to.sectors if s not in set(known_sectors)]
    if spec.status == "released" and spec.missing_clauses:
        problems.append("a released pack lists missing clauses; release it when they are encoded")
    if spec.effective.until is not None and spec.effective.until <= spec.effective.from_:
        problems.append("effective.until must be after effective.from")
    for clause in pack.clauses:
        problems += _check_examples(clause, spec.facts)
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
        got = evaluate(clause.condition, example.facts)
        if got is not example.major:
            problems.append(f"clause {clause.spec.id} example {number}: expected {example.major}, got {got}")
    return problems


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


def pack_files(root: Path = PACKS_DIR) -> list[Path]:
    return sorted(root.glob("*/*.yaml"))


def load_all(root: Path = PACKS_DIR) -> list[RulePack]:
    return [load_pack(path) for path in pack_files(root)]
