"""The assessment's pure core: values from counts, points by the scheme, ranking, periods, child divisions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from zhiben.assessment.domain import (
    KPIS,
    Counts,
    Direction,
    Kind,
    Record,
    Rule,
    TraceRecord,
    check_period,
    child_for,
    counts_of,
    packaged_scheme,
    rank,
    roll_up,
    scheme_from_mapping,
    score,
    value_of,
)
from zhiben.errors import InvalidInputError


def test_equal_scores_share_a_rank_and_the_next_rank_skips_and_unscored_come_last() -> None:
    ranked = rank({"320500": 80.0, "320100": 90.0, "320300": 80.0, "320400": None, "320200": 70.0})
    assert [(r.code, r.rank) for r in ranked] == [
        ("320100", 1),
        ("320300", 2),
        ("320500", 2),
        ("320200", 4),
        ("320400", None),
    ]


def test_a_rule_gives_points_linearly_between_zero_and_full_and_clamps_outside() -> None:
    higher = Rule(20, Direction.higher, full_at=1.0, zero_at=0.5)
    assert (higher.points(1.0), higher.points(0.75), higher.points(0.2), higher.points(1.2)) == (
        20,
        10,
        0,
        20,
    )
    lower = Rule(15, Direction.lower, full_at=0, zero_at=10)
    assert (lower.points(0), lower.points(5), lower.points(30)) == (15, 7.5, 0)


def test_the_score_is_over_the_kpis_that_have_a_value() -> None:
    scheme = scheme_from_mapping(
        {
            "version": "t",
            "kpis": {
                "clearance_rate": {"weight": 20, "direction": "higher", "full_at": 1, "zero_at": 0.5},
                "overdue_major": {"weight": 10, "direction": "lower", "full_at": 0, "zero_at": 10},
            },
        }
    )
    found = score({"clearance_rate": 0.75, "overdue_major": None}, scheme)
    assert found.points == {"clearance_rate": 10} and found.total == 50.0
    assert score({}, scheme).total is None


def test_a_scheme_with_an_unknown_kpi_or_a_direction_against_its_targets_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        scheme_from_mapping(
            {
                "kpis": {
                    "no_such": {"weight": 1, "direction": "higher", "full_at": 1, "zero_at": 0},
                    "deaths": {"weight": 5, "direction": "lower", "full_at": 3, "zero_at": 0},
                }
            }
        )
    fields = {f["field"] for f in caught.value.details["fields"]}
    assert fields == {"kpis.no_such", "kpis.deaths"}


def test_the_packaged_scheme_weighs_every_kpi_to_100_and_says_it_is_an_example() -> None:
    scheme = packaged_scheme()
    assert set(scheme.rules) == {k.code for k in KPIS}
    assert sum(r.weight for r in scheme.rules.values()) == 100
    assert "example" in scheme.version and "example" in scheme.basis


def test_values_come_from_counts_by_kind() -> None:
    c = Counts(n=4, numerator=3, total=30.0, valued=2)
    assert value_of(Kind.count, c) == 4
    assert value_of(Kind.rate, c) == 0.75
    assert value_of(Kind.sum, c) == 30
    assert value_of(Kind.mean, c) == 15
    assert value_of(Kind.rate, Counts()) is None and value_of(Kind.mean, Counts()) is None


def test_traced_records_give_back_the_counts() -> None:
    records = [
        TraceRecord(Record.alarm, 1, "a", "320102", True, 2.0),
        TraceRecord(Record.alarm, 2, "b", "320102", False, 10.0),
        TraceRecord(Record.alarm, 3, "c", "320102", False, None),
    ]
    assert counts_of(records) == Counts(3, 1, 12.0, 2)


def test_a_county_counts_for_its_city_or_for_the_province_that_administers_it_directly() -> None:
    children = ["420100", "429004"]  # Wuhan, and 仙桃市 administered by Hubei directly
    assert child_for("420102", "42", children) == "420100"
    assert child_for("429004", "42", children) == "429004"
    assert child_for("320102", "42", children) is None
    assert child_for("320102", "3201", ["320102", "320104"]) == "320102"
    assert child_for("320102", "", ["320000", "420000"]) == "320000"
    total, by_child = roll_up({"420102": Counts(2), "429004": Counts(1)}, "42", children)
    assert total == Counts(3) and by_child == {"420100": Counts(2), "429004": Counts(1)}


def test_a_period_is_whole_beijing_days_and_must_not_end_before_it_starts() -> None:
    low, high = check_period(date(2026, 1, 1), date(2026, 1, 31)).bounds
    assert low == datetime(2025, 12, 31, 16, tzinfo=UTC) and high == datetime(2026, 1, 31, 16, tzinfo=UTC)
    with pytest.raises(InvalidInputError):
        check_period(date(2026, 2, 1), date(2026, 1, 1))
