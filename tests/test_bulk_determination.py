"""The vectorised (polars) evaluation gives the same answer as the per-record engine, clause by clause."""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhiben.standards.bulk import determine_table
from zhiben.standards.engine import applicable
from zhiben.standards.expr import Binary, Compare, Const, In, Logic, Node, Unary, evaluate
from zhiben.standards.pack import RulePack, load_all

PACKS = load_all()
ON = date(2025, 6, 1)
SECTORS = sorted({s for p in PACKS for s in p.spec.applies_to.sectors if applicable(PACKS, s, ON)})


def _constants(node: Node) -> set[Fraction]:
    match node:
        case Const(value=Fraction() as value):
            return {value}
        case Unary(operand=operand):
            return _constants(operand)
        case Binary(left=left, right=right) | Compare(left=left, right=right):
            return _constants(left) | _constants(right)
        case Logic(items=items):
            return set().union(*(_constants(i) for i in items))
        case In(options=options):
            return {o for o in options if isinstance(o, Fraction)}
    return set()


def _texts(node: Node) -> set[str]:
    match node:
        case In(options=options):
            return {o for o in options if isinstance(o, str)}
        case Compare(left=left, right=right):
            return {n.value for n in (left, right) if isinstance(n, Const) and isinstance(n.value, str)}
        case Logic(items=items):
            return set().union(*(_texts(i) for i in items))
        case Unary(operand=operand):
            return _texts(operand)
    return set()


def _pool(packs: list[RulePack]) -> list[float]:
    """Numbers that land on, just under and just over the packs' thresholds."""
    constants = set().union(*(_constants(c.condition) for p in packs for c in p.clauses)) | {
        Fraction(0),
        Fraction(1),
    }
    values = set()
    for c in constants:
        for scale in (1, 10, 100, 1000, 1_000_000):
            for step in (Fraction(0), Fraction(1, 100), Fraction(-1, 100)):
                values.add(float(c * scale + step))
    return sorted(values)


def _records(packs: list[RulePack]) -> st.SearchStrategy[list[dict[str, object]]]:
    numbers, texts = (
        _pool(packs),
        sorted(set().union(*(_texts(c.condition) for p in packs for c in p.clauses))),
    )
    fields: dict[str, st.SearchStrategy[object]] = {}
    for pack in packs:
        for name, fact in pack.spec.facts.items():
            value = {
                "number": st.sampled_from(numbers),
                "boolean": st.booleans(),
                "text": st.sampled_from([*texts, "其他"]),
            }[fact.type]
            fields[name] = st.one_of(st.none(), value)
    return st.lists(st.fixed_dictionaries(fields), min_size=1, max_size=25)


@pytest.mark.parametrize("sector", SECTORS)
def test_bulk_and_per_record_evaluation_agree_on_random_facts(sector: str) -> None:
    packs = applicable(PACKS, sector, ON)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_records(packs))
    def agree(records: list[dict[str, object]]) -> None:
        table = determine_table(packs, sector, pl.DataFrame(records, infer_schema_length=None), ON)
        for pack in packs:
            for clause in pack.clauses:
                column = table[f"{pack.id}/{clause.spec.id}"].to_list()
                expected = [evaluate(clause.condition, record) for record in records]
                assert column == expected, f"{pack.id}/{clause.spec.id}"

    agree()


def test_a_record_exactly_at_a_threshold_is_met_in_bulk_too() -> None:
    frame = pl.DataFrame(
        {
            "approved_capacity_t_per_year": [1_000_000.0, 1_000_000.0],
            "annual_output_t": [1_100_000.0, 1_099_999.99],
            "max_monthly_output_t": [0.0, 0.0],
        }
    )
    table = determine_table(PACKS, "coal_mine", frame, ON)
    assert table["coal-mine/4-1"].to_list() == [True, False]


@pytest.mark.parametrize("pack", PACKS, ids=lambda p: f"{p.id}/{p.version}")
def test_every_example_in_the_packs_comes_out_the_same_in_bulk(pack: RulePack) -> None:
    from zhiben.standards.bulk import compile_node, prepare

    facts = {name: spec.type for name, spec in pack.spec.facts.items()}
    for clause in pack.clauses:
        if not clause.spec.examples:
            continue
        frame = prepare(
            pl.DataFrame([e.facts for e in clause.spec.examples], infer_schema_length=None), facts
        )
        got = frame.select(compile_node(clause.condition)).to_series().to_list()
        assert got == [e.major for e in clause.spec.examples], clause.spec.id
