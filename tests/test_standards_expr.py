"""The rule-pack condition language: parsing, types, exact boundaries and three-valued logic."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiben.standards.expr import ExprError, evaluate, facts_in, parse

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
