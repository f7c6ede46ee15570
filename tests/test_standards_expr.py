"""The rule-pack condition language: parsing, types, exact boundaries and three-valued logic."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiben.standards.expr import (
    DIMENSIONLESS,
    ExprError,
    Unit,
    evaluate,
    facts_in,
    format_unit,
    parse,
    parse_unit,
    text_constants,
    unit_mismatches,
)

COAL = {
    "approved_capacity_t_per_year": "number",
    "annual_output_t": "number",
    "max_monthly_output_t": "number",
    "gas_check_skipped_or_faked": "boolean",
    "mine_type": "text",
}
# Coal Order No. 4, article 4 item 1: 以上 includes the number (>=), 大于 excludes it (>).
OVER_CAPACITY = parse(
    "annual_output_t >= 1.10 * approved_capacity_t_per_year"
    " or max_monthly_output_t > 0.10 * approved_capacity_t_per_year",
    COAL,  # type: ignore[arg-type]
)


def coal(annual: float | None, monthly: float | None, capacity: float | None = 1_200_000) -> object:
    record = {
        "approved_capacity_t_per_year": capacity,
        "annual_output_t": annual,
        "max_monthly_output_t": monthly,
    }
    return evaluate(OVER_CAPACITY, record)


@pytest.mark.parametrize(
    ("annual", "expected"),
    [(1_320_000, True), (1_319_999.99, False), (1_320_000.01, True)],
    ids=["at 110% (以上 includes it)", "just below", "just above"],
)
def test_annual_output_at_ten_percent_over_capacity_is_major(annual: float, expected: bool) -> None:
    assert coal(annual, 0) is expected


@pytest.mark.parametrize(
    ("monthly", "expected"),
    [(120_000, False), (119_999.99, False), (120_000.01, True)],
    ids=["at 10% (大于 excludes it)", "just below", "just above"],
)
def test_a_month_above_ten_percent_of_annual_capacity_is_major(monthly: float, expected: bool) -> None:
    assert coal(0, monthly) is expected


def test_a_missing_fact_is_unknown_unless_another_branch_decides() -> None:
    assert coal(None, 0) is None
    assert coal(None, 130_000) is True
    assert coal(1_000_000, None) is None
    assert coal(1_000_000, 1, capacity=None) is None


def test_boolean_checklist_facts_and_not() -> None:
    node = parse("not gas_check_skipped_or_faked", COAL)  # type: ignore[arg-type]
    assert evaluate(node, {"gas_check_skipped_or_faked": True}) is False
    assert evaluate(node, {}) is None


def test_chained_comparisons_and_in_lists() -> None:
    node = parse(
        "0 < annual_output_t <= approved_capacity_t_per_year and mine_type in ['井工', '露天']", COAL
    )  # type: ignore[arg-type]
    assert (
        evaluate(node, {"annual_output_t": 5, "approved_capacity_t_per_year": 5, "mine_type": "井工"}) is True
    )
    assert (
        evaluate(node, {"annual_output_t": 0, "approved_capacity_t_per_year": 5, "mine_type": "井工"})
        is False
    )
    assert facts_in(node) == {"annual_output_t", "approved_capacity_t_per_year", "mine_type"}


def test_division_by_zero_is_unknown_not_a_crash() -> None:
    node = parse("annual_output_t / approved_capacity_t_per_year > 1.1", COAL)  # type: ignore[arg-type]
    assert evaluate(node, {"annual_output_t": 5, "approved_capacity_t_per_year": 0}) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("capcity > 1", "unknown fact 'capcity'"),
        ("annual_output_t >", "syntax error"),
        ("__import__('os').system('id')", "not allowed in a condition: Call"),
        ("().__class__.__bases__", "not allowed in a condition"),
        ("annual_output_t.real > 1", "not allowed in a condition: Attribute"),
        ("annual_output_t > '1000'", "compares a number with a text"),
        ("mine_type * 10000000 == 'x'", "needs a number, not a text"),
        ("mine_type < 'b'", "orders numbers only"),
        ("annual_output_t + 1", "must be true or false"),
        ("gas_check_skipped_or_faked and 1", "needs a boolean"),
        ("mine_type in [1, 2]", "`in` lists values of another type"),
        ("[x for x in y]", "not allowed"),
        (" or ".join(["annual_output_t > 1"] * 60), "too long"),
    ],
)
def test_conditions_that_are_not_accepted_say_why(text: str, message: str) -> None:
    with pytest.raises(ExprError) as caught:
        parse(text, COAL)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_an_error_names_the_column() -> None:
    with pytest.raises(ExprError) as caught:
        parse("annual_output_t > 1 and capcity > 2", COAL)  # type: ignore[arg-type]
    assert caught.value.column == 25


NUMBERS = st.one_of(st.none(), st.integers(-5, 5).map(Fraction), st.fractions(-5, 5, max_denominator=4))
CONDITIONS = [
    "a >= 1.1 * b or c > 0.1 * b",
    "not (a < b and b < c) or a == c",
    "(a + b) / c > 1 and not (a - c <= -2)",
    "a * b != c or (a > 0 and b > 0 and c > 0)",
]
ABC = {"a": "number", "b": "number", "c": "number"}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CONDITIONS),
    NUMBERS,
    NUMBERS,
    NUMBERS,
    st.lists(st.fractions(-5, 5), min_size=3, max_size=3),
)
def test_an_answer_given_with_facts_missing_holds_whatever_they_turn_out_to_be(
    text: str, a: Fraction | None, b: Fraction | None, c: Fraction | None, fill: list[Fraction]
) -> None:
    node = parse(text, ABC)  # type: ignore[arg-type]
    partial = {"a": a, "b": b, "c": c}
    answer = evaluate(node, partial)
    completed = {k: (v if v is not None else fill[i]) for i, (k, v) in enumerate(partial.items())}
    full = evaluate(node, completed)
    if answer is not None:
        assert full is answer or (full is None and "/" in text)


# Units: every number fact declares one; constants are dimensionless scale factors.
QUANTITIES = {
    "annual_output_t_per_year": "number",
    "approved_capacity_t_per_year": "number",
    "max_monthly_output_t": "number",
    "pit_deformation_mm": "number",
    "pit_deformation_control_mm": "number",
    "pile_diameter_m": "number",
    "cavity_depth_m": "number",
    "cavity_area_m2": "number",
    "formwork_load_kn_m2": "number",
    "formwork_force_kn": "number",
    "mine_type": "text",
    "mine_is_outburst": "boolean",
}
UNITS: dict[str, Unit] = {
    "annual_output_t_per_year": parse_unit("t/a"),
    "approved_capacity_t_per_year": parse_unit("t/a"),
    "max_monthly_output_t": parse_unit("t"),
    "pit_deformation_mm": parse_unit("mm"),
    "pit_deformation_control_mm": parse_unit("mm"),
    "pile_diameter_m": parse_unit("m"),
    "cavity_depth_m": parse_unit("m"),
    "cavity_area_m2": parse_unit("m²"),
    "formwork_load_kn_m2": parse_unit("kN/m²"),
    "formwork_force_kn": parse_unit("kN"),
}


def mismatches(text: str) -> list[str]:
    return [str(m) for m in unit_mismatches(parse(text, QUANTITIES), UNITS)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("declared", "written"),
    [
        ("t", "t"),
        ("t/a", "t/a"),
        ("kN/m²", "kN/(m*m)"),
        ("kN/(m*m)", "kN/(m*m)"),
        ("m^2", "m*m"),
        ("m·m", "m*m"),
        ("°", "°"),
        ("个区段", "个区段"),
        ("1/s", "1/s"),
        ("m/m", "dimensionless"),
        ("", "dimensionless"),
    ],
)
def test_a_declared_unit_is_read_as_symbols_with_powers(declared: str, written: str) -> None:
    assert format_unit(parse_unit(declared)) == written


def test_two_spellings_of_one_compound_unit_are_the_same_unit() -> None:
    assert parse_unit("kN/m²") == parse_unit("kN/(m*m)") == parse_unit("kN/m^2")
    assert parse_unit("m/m") == DIMENSIONLESS


@pytest.mark.parametrize(
    "text",
    [
        "annual_output_t_per_year >= 1.10 * approved_capacity_t_per_year",
        "pit_deformation_mm >= 0.8 * pit_deformation_control_mm",
        "pit_deformation_mm / pit_deformation_control_mm >= 0.8",  # a ratio: dimensionless against a constant
        "cavity_depth_m > pile_diameter_m",
        "cavity_depth_m - pile_diameter_m > 0.5",
        "cavity_depth_m * pile_diameter_m > cavity_area_m2",  # m*m against m²
        "formwork_force_kn / cavity_area_m2 > formwork_load_kn_m2",  # kN/(m*m) against kN/m²
        "-cavity_depth_m < -1 and 2 * 3 > 5",
        "mine_type == 'open_pit' and mine_is_outburst",
    ],
)
def test_quantities_in_one_unit_or_scaled_by_constants_agree(text: str) -> None:
    assert mismatches(text) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "max_monthly_output_t > 0.10 * approved_capacity_t_per_year",
            "`>` between t and t/a: the units differ",
        ),
        ("cavity_depth_m + pit_deformation_mm > 1", "`+` between m and mm: the units differ"),
        ("pile_diameter_m - cavity_area_m2 > 0", "`-` between m and m*m: the units differ"),
        (
            "cavity_depth_m * pile_diameter_m > cavity_depth_m",
            "`>` between m*m and m: the units differ",
        ),
        (
            "annual_output_t_per_year / max_monthly_output_t == pile_diameter_m",
            "`==` between 1/a and m: the units differ",
        ),
        (
            "pit_deformation_mm / pit_deformation_control_mm > cavity_depth_m",
            "`>` between dimensionless and m: the units differ",
        ),
        (
            "formwork_force_kn / cavity_depth_m >= formwork_load_kn_m2",
            "`>=` between kN/m and kN/(m*m): the units differ",
        ),
    ],
)
def test_an_operator_between_different_units_is_named_with_both_units(text: str, problem: str) -> None:
    assert mismatches(text) == [problem]


def test_every_mismatch_in_a_condition_is_found_not_just_the_first() -> None:
    found = mismatches("cavity_depth_m > pit_deformation_mm or (max_monthly_output_t + cavity_depth_m > 1)")
    assert found == ["`>` between m and mm: the units differ", "`+` between t and m: the units differ"]


def test_text_constants_are_listed_with_their_operator_on_either_side() -> None:
    node = parse(
        "mine_type == 'open_pit' or 'mixed' != mine_type or not (mine_type in ['a', 'b'])",
        QUANTITIES,  # type: ignore[arg-type]
    )
    assert text_constants(node) == [
        ("mine_type", "==", "open_pit"),
        ("mine_type", "!=", "mixed"),
        ("mine_type", "in", "a"),
        ("mine_type", "in", "b"),
    ]
