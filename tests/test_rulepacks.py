"""Every shipped rule pack passes `zhiben rules check`, and every threshold is pinned by examples."""

from __future__ import annotations

import hashlib
import itertools
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from zhiben.enterprise.domain import SECTOR_BY_CODE
from zhiben.standards.expr import Compare, Const, Logic, Node, Unary, evaluate, facts_in
from zhiben.standards.pack import (
    FactSpec,
    PackError,
    RulePack,
    check_effective_dates,
    check_pack,
    check_shared_facts,
    coerce_answer,
    load_all,
    load_pack,
    pack_files,
)

PACKS = load_all()


def _compares_with_a_number(node: Node) -> bool:
    match node:
        case Compare(left=left, right=right):
            return any(
                isinstance(n, Const) and not isinstance(n.value, bool | str) for n in _leaves(left, right)
            )
        case Logic(items=items):
            return any(_compares_with_a_number(item) for item in items)
        case Unary(operand=operand):
            return _compares_with_a_number(operand)
    return False


def _leaves(*nodes: Node) -> list[Node]:
    from zhiben.standards.expr import Binary

    found: list[Node] = []
    for node in nodes:
        found += _leaves(node.left, node.right) if isinstance(node, Binary) else [node]
    return found


def test_the_packs_folder_is_not_empty() -> None:
    assert pack_files(), "no rule packs shipped"


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_each_pack_passes_the_check(pack: RulePack) -> None:
    assert check_pack(pack, SECTOR_BY_CODE) == []


def test_no_two_released_versions_of_a_pack_are_in_force_on_the_same_day() -> None:
    assert check_effective_dates(PACKS) == []


def test_a_fact_name_means_one_thing_in_every_pack(tmp_path: Path) -> None:
    assert check_shared_facts(PACKS) == []
    demo = Path(__file__).parent / "data" / "rulepacks" / "demo-coal" / "2020.1.yaml"
    other = tmp_path / "other-coal"
    other.mkdir()
    text = demo.read_text("utf-8").replace("pack: demo-coal", "pack: other-coal")
    (other / "2020.1.yaml").write_text(
        text.replace(
            "max_monthly_output_t: {type: number, unit: t,", "max_monthly_output_t: {type: number, unit: kt,"
        ),
        "utf-8",
    )
    [problem] = check_shared_facts([load_pack(demo), load_pack(other / "2020.1.yaml")])
    assert problem.startswith("fact max_monthly_output_t is declared differently") and "kt" in problem


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_every_quantitative_clause_is_pinned_at_just_below_and_just_above_its_threshold(
    pack: RulePack,
) -> None:
    thin = [
        clause.spec.id
        for clause in pack.clauses
        if _compares_with_a_number(clause.condition) and len(clause.spec.examples) < 3
    ]
    assert thin == [], "each threshold needs examples at, just below and just above it"


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_a_draft_pack_says_what_is_missing(pack: RulePack) -> None:
    if pack.spec.status == "draft":
        assert pack.spec.missing_clauses or pack.spec.notes


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_the_checksum_is_the_sha256_of_the_file_as_released(pack: RulePack) -> None:
    assert pack.checksum == hashlib.sha256(pack.path.read_bytes()).hexdigest()


def _booleans_making_false(condition: Node, facts: dict[str, FactSpec]) -> list[dict[str, bool]]:
    names = sorted(facts_in(condition))
    if any(facts[name].type != "boolean" for name in names):
        return []
    cases = (
        dict(zip(names, values, strict=True))
        for values in itertools.product([True, False], repeat=len(names))
    )
    return [case for case in cases if evaluate(condition, case) is False]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_a_question_skipped_by_ask_if_never_decides_a_clause(pack: RulePack) -> None:
    """Where ask_if is false, each clause reading the fact comes out the same whatever the answer."""
    for name, condition in pack.ask_if:
        answers: list[object] = [True, False] if pack.spec.facts[name].type == "boolean" else []
        for clause in (c for c in pack.clauses if name in c.facts):
            answers += [e.facts[name] for e in clause.spec.examples if e.facts.get(name) is not None]
            for skipped in _booleans_making_false(condition, pack.spec.facts):
                for example in clause.spec.examples or [None]:
                    base = {**(example.facts if example else {}), **skipped}
                    base.pop(name, None)
                    results = {evaluate(clause.condition, {**base, name: a}) for a in answers}
                    assert len(results | {evaluate(clause.condition, base)}) == 1, (
                        clause.spec.id,
                        name,
                        skipped,
                    )


def test_coal_outburst_questions_are_asked_only_of_outburst_mines() -> None:
    [coal] = [p for p in PACKS if (p.id, p.version) == ("coal-mine", "2020.1")]
    question = "outburst_prevention_measures_not_taken"
    assert coal.asked(question, {"mine_is_outburst": True})
    assert not coal.asked(question, {"mine_is_outburst": False})
    assert coal.asked(question, {}), "an unknown scope asks the question"
    assert coal.asked(
        "methane_sensors_noncompliant_or_failing", {"mine_is_outburst": True, "mine_is_high_gas": False}
    )
    assert not coal.asked("seam_gas_pressure_mpa", {"mine_is_outburst": True})
    assert coal.asked("mine_is_outburst", {}), "a fact without ask_if is always asked"
    with pytest.raises(KeyError, match="no fact 'mine_is_gassy'"):
        coal.asked("mine_is_gassy", {})


# Problem cases: a small pack written to tmp_path, one defect at a time.
def _write(tmp_path: Path, facts: str, when: str, examples: str = "[]", more: str = "{}") -> Path:
    """A one-clause pack; `facts`, `examples` (a list) and `more` (extra clause keys) are YAML text."""
    clause = {
        "id": "1-1",
        "citation": "第一条",
        "category": {"zh": "测试", "en": "test"},
        "summary": {"zh": "测试", "en": "test"},
        "verification": "V",
        "when": when,
        "examples": yaml.safe_load(textwrap.dedent(examples)),
        **yaml.safe_load(textwrap.dedent(more)),
    }
    head = {
        "pack": "demo",
        "version": "2020.1",
        "status": "released",
        "title": {"zh": "测试", "en": "test"},
        "issuer": {"zh": "应急管理部", "en": "Ministry of Emergency Management"},
        "document": "test",
        "effective": {"from": "2021-01-01"},
        "applies_to": {"sectors": ["coal_mine"]},
    }
    path = tmp_path / "rulepacks" / "demo" / "2020.1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {**head, "facts": yaml.safe_load(textwrap.dedent(facts)), "clauses": [clause]}
    path.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _problems(path: Path) -> list[str]:
    return check_pack(load_pack(path), SECTOR_BY_CODE)


OUTPUT = """\
    output_t: {type: number, unit: t}
    capacity_t_per_year: {type: number, unit: t/a}
    output_t_per_year: {type: number, unit: t/a}
    """


def test_comparing_tonnes_with_tonnes_a_year_is_reported_with_the_clause_operator_and_units(
    tmp_path: Path,
) -> None:
    path = _write(
        tmp_path,
        OUTPUT,
        "output_t >= 1.1 * capacity_t_per_year or output_t_per_year > 0",
        """\
        - {facts: {output_t: 11, capacity_t_per_year: 10, output_t_per_year: 0}, major: true}
        """,
    )
    assert _problems(path) == ["clause 1-1: `>=` between t and t/a: the units differ"]


def test_a_unit_allowance_with_a_reason_accepts_that_one_pair_of_units(tmp_path: Path) -> None:
    allowance = """\
        unit_allowances:
          - {units: [t/a, t], reason: "a month's output against a tenth of a year's capacity"}
        """
    examples = "- {facts: {output_t: 11, capacity_t_per_year: 100, output_t_per_year: 0}, major: true}\n"
    path = _write(
        tmp_path, OUTPUT, "output_t > 0.1 * capacity_t_per_year or output_t_per_year > 0", examples, allowance
    )
    assert _problems(path) == []
    path = _write(
        tmp_path, OUTPUT, "output_t_per_year > 0.1 * capacity_t_per_year or output_t > 0", examples, allowance
    )
    assert _problems(path) == ["clause 1-1: the unit allowance for t/a and t is not needed"]


def test_a_unit_allowance_needs_a_reason(tmp_path: Path) -> None:
    allowance = "unit_allowances: [{units: [t, t/a], reason: ''}]\n"
    path = _write(
        tmp_path, OUTPUT, "output_t > 0.1 * capacity_t_per_year or output_t_per_year > 0", more=allowance
    )
    with pytest.raises(PackError, match="reason"):
        load_pack(path)


def test_compound_units_from_multiplying_and_dividing_facts(tmp_path: Path) -> None:
    facts = """\
        load_kn: {type: number, unit: kN}
        area_m2: {type: number, unit: m²}
        side_m: {type: number, unit: m}
        design_load_kn_m2: {type: number, unit: kN/m²}
        """
    fine = "load_kn / (side_m * side_m) > design_load_kn_m2 and side_m * side_m <= area_m2"
    examples = "- {facts: {load_kn: 5, side_m: 1, design_load_kn_m2: 4, area_m2: 1}, major: true}\n"
    assert _problems(_write(tmp_path, facts, fine, examples)) == []
    wrong = "load_kn / side_m > design_load_kn_m2 and side_m * side_m <= area_m2"
    assert _problems(_write(tmp_path, facts, wrong, examples)) == [
        "clause 1-1: `>` between kN/m and kN/(m*m): the units differ"
    ]


MINE_KIND = """\
    mine_kind:
      type: text
      values: {open_pit: {zh: 露天, en: open pit}, underground: {zh: 井工, en: underground}}
      ask: {zh: 开采方式, en: "open pit or underground?"}
    """


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ("mine_kind == 'open-pit'", "`==` tests mine_kind against 'open-pit'"),
        ("'Underground' != mine_kind", "`!=` tests mine_kind against 'Underground'"),
        ("mine_kind in ['open_pit', '露天']", "`in` tests mine_kind against '露天'"),
    ],
)
def test_a_text_constant_that_is_not_among_the_facts_values_is_reported(
    tmp_path: Path, when: str, problem: str
) -> None:
    path = _write(tmp_path, MINE_KIND, when, "- {facts: {mine_kind: open_pit}, major: true}\n")
    expected = f"clause 1-1: {problem}, which is not one of its values (open_pit, underground)"
    assert expected in _problems(path)


def test_a_text_constant_among_the_values_passes(tmp_path: Path) -> None:
    path = _write(
        tmp_path, MINE_KIND, "mine_kind in ['open_pit']", "- {facts: {mine_kind: open_pit}, major: true}\n"
    )
    assert _problems(path) == []


def test_an_example_answer_outside_the_values_is_reported(tmp_path: Path) -> None:
    examples = """\
        - {facts: {mine_kind: open_pit}, major: true}
        - {facts: {mine_kind: openpit}, major: false}
        """
    assert _problems(_write(tmp_path, MINE_KIND, "mine_kind == 'open_pit'", examples)) == [
        "clause 1-1 example 2: mine_kind: 'openpit' is not one of the allowed values: open_pit, underground"
    ]


def test_only_a_text_fact_lists_values(tmp_path: Path) -> None:
    facts = "depth_m: {type: number, unit: m, values: {deep: {zh: 深}}}\n"
    with pytest.raises(PackError, match="only a text fact can list `values`"):
        load_pack(_write(tmp_path, facts, "depth_m > 1"))


GAS = """\
    mine_is_outburst: {type: boolean, ask: {zh: 是否为突出矿井？, en: "outburst mine?"}}
    outburst_measures_not_taken: {type: boolean, ask_if: mine_is_outburst}
    seam_gas_pressure_mpa: {type: number, unit: MPa, ask_if: "not mine_is_outburst"}
    """


def test_a_fact_read_only_by_ask_if_counts_as_used(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        GAS,
        "outburst_measures_not_taken or seam_gas_pressure_mpa >= 0.74",
        """\
        - {facts: {outburst_measures_not_taken: true}, major: true}
        - {facts: {outburst_measures_not_taken: false, seam_gas_pressure_mpa: 0.74}, major: true}
        - {facts: {outburst_measures_not_taken: false, seam_gas_pressure_mpa: 0.73}, major: false}
        - {facts: {outburst_measures_not_taken: false, seam_gas_pressure_mpa: 0.75}, major: true}
        """,
    )
    pack = load_pack(path)
    assert check_pack(pack, SECTOR_BY_CODE) == []
    assert not pack.asked("outburst_measures_not_taken", {"mine_is_outburst": False})
    assert pack.asked("seam_gas_pressure_mpa", {"mine_is_outburst": False})
    assert pack.asked("outburst_measures_not_taken", {"seam_gas_pressure_mpa": 0.8})


@pytest.mark.parametrize(
    ("ask_if", "problem"),
    [
        ("mine_is_outbrust", "fact seam_gas_pressure_mpa: ask_if: unknown fact 'mine_is_outbrust'"),
        (
            "seam_gas_pressure_mpa + 1",
            "fact seam_gas_pressure_mpa: ask_if: a condition must be true or false",
        ),
        ("mine_is_outburst >", "fact seam_gas_pressure_mpa: ask_if: syntax error"),
    ],
)
def test_an_ask_if_that_does_not_compile_is_a_load_error_naming_the_fact(
    tmp_path: Path, ask_if: str, problem: str
) -> None:
    facts = GAS.replace('ask_if: "not mine_is_outburst"', f'ask_if: "{ask_if}"')
    with pytest.raises(PackError) as caught:
        load_pack(_write(tmp_path, facts, "seam_gas_pressure_mpa >= 0.74 or outburst_measures_not_taken"))
    [found] = caught.value.problems
    assert found.startswith(problem)


def test_units_and_values_are_checked_in_ask_if_too(tmp_path: Path) -> None:
    facts = textwrap.dedent(MINE_KIND) + textwrap.dedent("""\
        depth_m: {type: number, unit: m, ask_if: "mine_kind == 'underground' and depth_m > limit_mm"}
        limit_mm: {type: number, unit: mm, ask_if: "mine_kind != 'openpit'"}
        """)
    examples = "[{facts: {depth_m: 1, limit_mm: 999}, major: true}]"
    assert _problems(_write(tmp_path, facts, "depth_m > limit_mm / 1000", examples)) == [
        "clause 1-1: `>` between m and mm: the units differ",
        "fact depth_m: ask_if: `>` between m and mm: the units differ",
        "fact limit_mm: ask_if: `!=` tests mine_kind against 'openpit', which is not one of its values"
        " (open_pit, underground)",
        "fact depth_m: ask_if depends, directly or through other questions, on its own answer",
    ]


def test_an_ask_if_waiting_on_its_own_answer_is_reported(tmp_path: Path) -> None:
    facts = """\
        a_present: {type: boolean, ask_if: b_present}
        b_present: {type: boolean, ask_if: "a_present or c_present"}
        c_present: {type: boolean, ask_if: c_present}
        """
    assert _problems(_write(tmp_path, facts, "a_present")) == [
        f"fact {name}: ask_if depends, directly or through other questions, on its own answer"
        for name in ("a_present", "b_present", "c_present")
    ]


# Checklist answers: coerce_answer
NUMBER = FactSpec(type="number", unit="t")
BOOLEAN = FactSpec(type="boolean")
TEXT = FactSpec(type="text")
MINE = FactSpec.model_validate(
    {"type": "text", "values": {"open_pit": {"zh": "露天"}, "underground": {"zh": "井工"}}}
)


@pytest.mark.parametrize(
    ("fact", "answer", "expected"),
    [
        (NUMBER, 0, Decimal(0)),
        (NUMBER, 1_100_000, Decimal(1_100_000)),
        (NUMBER, 0.1, Decimal("0.1")),  # the decimal it prints as, not the binary float
        (NUMBER, 1_319_999.99, Decimal("1319999.99")),
        (NUMBER, -0.5, Decimal("-0.5")),
        (NUMBER, " 0.74 ", Decimal("0.74")),
        (NUMBER, "1e3", Decimal(1000)),
        (NUMBER, "-.5", Decimal("-0.5")),
        (NUMBER, Decimal("2.50"), Decimal("2.5")),
        (NUMBER, 10**28, Decimal(10**28)),  # 29 digits before the point: the largest accepted
        (NUMBER, "0." + "0" * 37 + "1", Decimal("1e-38")),
        (BOOLEAN, True, True),
        (BOOLEAN, False, False),
        (BOOLEAN, "true", True),
        (BOOLEAN, "false", False),
        (BOOLEAN, "是", True),
        (BOOLEAN, "否", False),
        (TEXT, "井工", "井工"),
        (TEXT, "", ""),
        (MINE, "open_pit", "open_pit"),
        (NUMBER, None, None),
        (BOOLEAN, None, None),
        (MINE, None, None),
    ],
)
def test_a_checklist_answer_is_converted_to_the_facts_type(
    fact: FactSpec, answer: object, expected: Any
) -> None:
    got = coerce_answer(fact, answer)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("fact", "answer", "reason"),
    [
        (NUMBER, True, "a number is needed, not true"),
        (NUMBER, float("nan"), "must be finite"),
        (NUMBER, float("inf"), "must be finite"),
        (NUMBER, float("-inf"), "must be finite"),
        (NUMBER, Decimal("NaN"), "must be finite"),
        (NUMBER, "NaN", "is not a number"),
        (NUMBER, "Infinity", "is not a number"),
        (NUMBER, "", "is not a number"),
        (NUMBER, "1,000", "is not a number"),
        (NUMBER, "1_000", "is not a number"),
        (NUMBER, "１２", "is not a number"),
        (NUMBER, "12 t", "is not a number"),
        (NUMBER, 10**29, "out of range"),
        (NUMBER, "1e999999999", "out of range"),
        (NUMBER, "1e-39", "out of range"),
        (NUMBER, "1" * 39 + "e-20", "out of range"),
        (NUMBER, [1], "a number is needed, not list"),
        (BOOLEAN, 1, "a yes/no answer is true or false"),
        (BOOLEAN, 0, "a yes/no answer is true or false"),
        (BOOLEAN, "True", "a yes/no answer is true or false"),
        (BOOLEAN, "yes", "a yes/no answer is true or false"),
        (BOOLEAN, "", "a yes/no answer is true or false"),
        (TEXT, 3, "a text answer is a string, not int"),
        (TEXT, True, "a text answer is a string, not bool"),
        (MINE, "Open_pit", "'Open_pit' is not one of the allowed values: open_pit, underground"),
    ],
)
def test_a_checklist_answer_that_does_not_fit_is_refused_with_the_reason(
    fact: FactSpec, answer: object, reason: str
) -> None:
    with pytest.raises(ValueError, match=None) as caught:
        coerce_answer(fact, answer)
    assert reason in str(caught.value)
