"""Emphasis programmes (专项检查) as data: data/emphasis_programmes.yaml, pure.

A programme names the sectors it covers, a selection rule over stored records and its own questions. A plan
that names it gives every enterprise the rule selects the trigger (emphasis, code) in its sealed draw inputs,
and every inspection the draw creates for such an enterprise the programme's questions. The rule is applied
to the records by the service (enforcement.service._triggers); here it is only data. No I/O except reading
the packaged file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zhiben.enterprise.domain import SECTOR_BY_CODE, sector_family
from zhiben.errors import InvalidInputError

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,62}$")
STATUSES = ("example", "official")
MAX_QUESTION = 500  # emphasis_questions.question
LEVELS = ("V", "V2", "R")


@dataclass(frozen=True)
class Text:
    zh: str
    en: str

    def of(self, language: str) -> str:
        return self.en if language == "en" else self.zh


@dataclass(frozen=True)
class Question:
    text: Text
    cites: str
    verification: str

    @property
    def stored(self) -> str:
        """As kept on an inspection (emphasis_questions.question) and printed: the question and its clause."""
        return f"{self.text.zh}（{self.cites}）"


@dataclass(frozen=True)
class ClauseList:
    pack: str
    clauses: frozenset[str] | None  # None: every clause of the pack


@dataclass(frozen=True)
class Programme:
    code: str
    status: str  # example | official
    title: Text
    basis: Text
    sectors: tuple[str, ...]
    selects_all: bool
    open_hazards: tuple[ClauseList, ...]
    questions: tuple[Question, ...]
    document: str = ""

    def covers(self, sector: str) -> bool:
        return sector in self.sectors or (sector in SECTOR_BY_CODE and sector_family(sector) in self.sectors)

    def overlaps(self, sectors: Iterable[str]) -> bool:
        """Whether a plan of these sectors can hold an enterprise this programme covers."""
        mine = set(self.sectors)
        for s in sectors:
            family = sector_family(s) if s in SECTOR_BY_CODE else s
            if s in mine or family in mine or any(sector_family(m) == s for m in mine):
                return True
        return False

    def cites(self, citation: Mapping[str, Any] | None) -> bool:
        """Whether a hazard's stored citation ({"pack", "clause", ...}) is one the rule selects."""
        if not citation:
            return False
        pack, clause = str(citation.get("pack") or ""), str(citation.get("clause") or "")
        return any(
            rule.pack == pack and (rule.clauses is None or clause in rule.clauses)
            for rule in self.open_hazards
        )

    @property
    def stored_questions(self) -> tuple[str, ...]:
        return tuple(q.stored for q in self.questions)


@dataclass(frozen=True)
class Catalogue:
    version: str
    programmes: tuple[Programme, ...]

    def get(self, code: str) -> Programme | None:
        return next((p for p in self.programmes if p.code == code), None)


def _text(data: Any, where: str) -> Text:
    if (
        not isinstance(data, Mapping)
        or not str(data.get("zh", "")).strip()
        or not str(data.get("en", "")).strip()
    ):
        raise ValueError(f"{where}: give zh and en")
    return Text(str(data["zh"]).strip(), str(data["en"]).strip())


def _programme(data: Mapping[str, Any]) -> Programme:
    code = str(data.get("code", ""))
    if not CODE.match(code):
        raise ValueError(f"programme code {code!r}: capitals, digits and hyphens")
    status = str(data.get("status", ""))
    if status not in STATUSES:
        raise ValueError(f"{code}: status is one of {STATUSES}")
    document = str(data.get("document", "")).strip()
    if status == "official" and not document:
        raise ValueError(f"{code}: an official programme names the document that issued it")
    sectors = tuple(str(s) for s in data.get("sectors") or ())
    if not sectors or any(s not in SECTOR_BY_CODE for s in sectors):
        raise ValueError(f"{code}: sectors are codes of enterprise.domain.SECTORS, got {sectors}")
    select = data.get("select")
    rules: list[ClauseList] = []
    if select != "all":
        if not isinstance(select, Mapping) or set(select) != {"open_hazards"} or not select["open_hazards"]:
            raise ValueError(f"{code}: select is `all` or {{open_hazards: [{{pack, clauses}}]}}")
        for rule in select["open_hazards"]:
            clauses = rule.get("clauses")
            rules.append(
                ClauseList(str(rule["pack"]), None if clauses is None else frozenset(str(c) for c in clauses))
            )
    questions = []
    for i, q in enumerate(data.get("questions") or ()):
        question = Question(
            _text(q, f"{code} question {i + 1}"),
            str(q.get("cites", "")).strip(),
            str(q.get("verification", "")),
        )
        if not question.cites or question.verification not in LEVELS:
            raise ValueError(f"{code} question {i + 1}: give `cites` and `verification` ({LEVELS})")
        if len(question.stored) > MAX_QUESTION:
            raise ValueError(f"{code} question {i + 1}: at most {MAX_QUESTION} characters with its citation")
        questions.append(question)
    if not questions:
        raise ValueError(f"{code}: a programme has its own questions")
    return Programme(
        code,
        status,
        _text(data.get("title"), f"{code} title"),
        _text(data.get("basis"), f"{code} basis"),
        sectors,
        select == "all",
        tuple(rules),
        tuple(questions),
        document,
    )


def catalogue_from_mapping(data: Mapping[str, Any]) -> Catalogue:
    programmes = tuple(_programme(p) for p in data["programmes"])
    codes = [p.code for p in programmes]
    if len(codes) != len(set(codes)):
        raise ValueError("programme codes are unique")
    return Catalogue(str(data["version"]), programmes)


@lru_cache(maxsize=1)
def load_catalogue() -> Catalogue:
    text = resources.files("zhiben.enforcement").joinpath("data/emphasis_programmes.yaml").read_text("utf-8")
    return catalogue_from_mapping(yaml.safe_load(text))


def document(programme: Programme) -> dict[str, Any]:
    """A programme as JSON (the API's ProgrammeRead, `zhiben enforcement programmes --json`)."""

    def text(t: Text) -> dict[str, str]:
        return {"zh": t.zh, "en": t.en}

    return {
        "code": programme.code,
        "status": programme.status,
        "document": programme.document,
        "title": text(programme.title),
        "basis": text(programme.basis),
        "sectors": list(programme.sectors),
        "selects": "all" if programme.selects_all else "open_hazards",
        "open_hazards": [
            {"pack": r.pack, "clauses": None if r.clauses is None else sorted(r.clauses, key=clause_order)}
            for r in programme.open_hazards
        ],
        "questions": [
            {"text": text(q.text), "cites": q.cites, "verification": q.verification}
            for q in programme.questions
        ],
    }


def clause_order(clause: str) -> tuple[int, ...]:
    return tuple(int(part) if part.isdigit() else 0 for part in clause.split("-"))


def resolve(codes: Iterable[str], sectors: Iterable[str]) -> tuple[Programme, ...]:
    """The programmes a plan names, in code order; an unknown code, or one covering none of the plan's
    sectors, is refused on the field `emphasis`."""
    catalogue = load_catalogue()
    wanted = sorted(set(codes))
    unknown = [c for c in wanted if catalogue.get(c) is None]
    if unknown:
        known = ", ".join(p.code for p in catalogue.programmes)
        raise InvalidInputError("emphasis", "unknown", f"no emphasis programme {unknown}; known: {known}")
    found = tuple(p for c in wanted if (p := catalogue.get(c)) is not None)
    plan_sectors = list(sectors)
    apart = [p.code for p in found if plan_sectors and not p.overlaps(plan_sectors)]
    if apart:
        raise InvalidInputError(
            "emphasis", "sectors", f"programmes {apart} cover none of the plan's sectors {plan_sectors}"
        )
    return found
