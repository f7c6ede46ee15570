"""Alarm KPIs at their reference boundaries (alarm_management_kpis.csv, ISA-18.2 §16.4, EEMUA 191)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from importlib import resources

import pytest

from zhiben.errors import InvalidInputError
from zhiben.monitoring.alarm_states import AlarmKey, Priority
from zhiben.monitoring.kpi import (
    Annunciation,
    Bound,
    Verdict,
    compute_kpis,
    kpis_by_enterprise,
    parse_bound,
    reference,
    reference_from_csv,
)

T0 = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)  # 00:00 in Shanghai
HOUR, DAY, MIN, SEC = timedelta(hours=1), timedelta(days=1), timedelta(minutes=1), timedelta(seconds=1)
TICK = timedelta(microseconds=1)
ENTERPRISE = 7


def ann(
    raised_at: datetime,
    sensor: str = "CH4-01",
    condition: str = "alarm",
    priority: Priority = Priority.low,
    cleared_at: datetime | None = None,
    enterprise_id: int = ENTERPRISE,
) -> Annunciation:
    cleared = raised_at + MIN if cleared_at is None else cleared_at
    return Annunciation(enterprise_id, sensor, condition, priority, raised_at, cleared)


def spread(n: int, start: datetime = T0, every: timedelta = SEC, distinct: bool = True) -> list[Annunciation]:
    """n annunciations of distinct alarms (so nothing chatters), `every` apart."""
    return [ann(start + i * every, sensor=f"S{i}" if distinct else "S") for i in range(n)]


# ---- the reference as read -------------------------------------------------------------------


def test_the_bounds_are_read_from_the_reference_text() -> None:
    t = reference().targets
    assert (t["alarms_per_10_min"].target, t["alarms_per_10_min"].upper_limit) == (
        Bound("<=", 1),
        Bound("<=", 2),
    )
    assert (t["alarms_per_hour"].target, t["alarms_per_hour"].upper_limit) == (
        Bound("<=", 6),
        Bound("<=", 12),
    )
    assert t["flood_period_share_pct"].target == Bound("<", 1)
    assert t["max_alarms_in_10_min"].target == Bound("<=", 10)
    assert t["time_in_flood_pct"].target == Bound("<", 1)
    assert t["top10_share_pct"].target == Bound("<=", 5)
    assert t["chattering_and_fleeting"].target == Bound("<=", 0)
    assert t["stale_max_per_day"].target == Bound("<", 5)
    assert t["priority_emergency_pct"].target == Bound("<", 1)
    assert t["priority_high_pct"].target == Bound("<=", 5)
    assert t["priority_medium_pct"].target == Bound("<=", 15)
    assert reference().low_priority_text == "~80%"


def test_the_detection_rules_are_read_from_the_reference_text() -> None:
    rules = reference().rules
    assert (rules.flood_window, rules.flood_more_than, rules.flood_ends_below) == (10 * MIN, 10, 5)
    assert (rules.chatter_window, rules.chatter_more_than) == (5 * MIN, 5)
    assert (rules.fleeting_under, rules.stale_over) == (10 * SEC, DAY)


def test_the_packaged_table_is_the_reference_copy() -> None:
    packaged = (
        resources.files("zhiben.monitoring").joinpath("data/alarm_management_kpis.csv").read_text("utf-8")
    )
    assert "ISA-18.2-2016 16.4.3" in packaged
    changed = reference_from_csv(packaged.replace("more than 10 alarms", "more than 12 alarms"))
    assert changed.rules.flood_more_than == 12


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("~6", Bound("<=", 6)),
        ("< ~1%", Bound("<", 1)),
        ("<= 10", Bound("<=", 10)),
        ("~1% to 5% (maximum)", Bound("<=", 5)),
    ],
)
def test_parse_bound(text: str, bound: Bound) -> None:
    assert parse_bound(text) == bound


# ---- average rates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_hour", "verdict"),
    [
        (6, Verdict.meets_target),
        (7, Verdict.within_upper_limit),
        (12, Verdict.within_upper_limit),
        (13, Verdict.exceeds),
    ],
)
def test_hourly_rate_at_its_target_and_maximum_manageable(per_hour: int, verdict: Verdict) -> None:
    report = compute_kpis(spread(per_hour, every=MIN), T0, T0 + HOUR)
    assert report.results["alarms_per_hour"].value == per_hour
    assert report.results["alarms_per_hour"].verdict == verdict


@pytest.mark.parametrize(
    ("per_hour", "verdict"),
    [
        (6, Verdict.meets_target),
        (7, Verdict.within_upper_limit),
        (12, Verdict.within_upper_limit),
        (13, Verdict.exceeds),
    ],
)
def test_ten_minute_rate_at_its_target_and_maximum_manageable(per_hour: int, verdict: Verdict) -> None:
    result = compute_kpis(spread(per_hour, every=MIN), T0, T0 + HOUR).results["alarms_per_10_min"]
    assert result.value == pytest.approx(per_hour / 6)
    assert result.verdict == verdict


def test_rates_are_per_operator_position() -> None:
    report = compute_kpis(spread(12, every=MIN), T0, T0 + HOUR, operator_positions=2)
    assert report.results["alarms_per_hour"].value == 6
    assert report.results["alarms_per_hour"].verdict == Verdict.meets_target


def test_the_daily_rate_is_shown_without_a_target() -> None:
    result = compute_kpis(spread(48, every=30 * MIN), T0, T0 + DAY).results["alarms_per_day"]
    assert (result.value, result.target, result.verdict) == (48, None, None)


def test_only_annunciations_raised_in_the_period_count() -> None:
    records = [ann(T0 - SEC), ann(T0, "A"), ann(T0 + HOUR - TICK, "B"), ann(T0 + HOUR, "C")]
    assert compute_kpis(records, T0, T0 + HOUR).annunciations == 2


# ---- floods ----------------------------------------------------------------------------------


def test_exactly_ten_alarms_in_ten_minutes_is_not_a_flood() -> None:
    report = compute_kpis(spread(10), T0, T0 + 10 * MIN)
    assert report.results["flood_period_share_pct"].value == 0
    assert report.results["max_alarms_in_10_min"].verdict == Verdict.meets_target
    assert report.results["time_in_flood_pct"].value == 0


def test_eleven_alarms_in_ten_minutes_is_a_flood() -> None:
    report = compute_kpis(spread(11), T0, T0 + 10 * MIN)
    assert report.results["flood_period_share_pct"].value == 100
    assert report.results["max_alarms_in_10_min"].value == 11
    assert report.results["max_alarms_in_10_min"].verdict == Verdict.exceeds


def test_flood_periods_are_fixed_ten_minute_periods_from_the_start() -> None:
    # six at the end of the first period and six at the start of the next: no period floods,
    # but some 10-minute window holds all twelve
    records = spread(6, T0 + 10 * MIN - 6 * SEC) + [ann(T0 + 10 * MIN + i * SEC, f"T{i}") for i in range(6)]
    report = compute_kpis(records, T0, T0 + HOUR)
    assert report.results["flood_period_share_pct"].value == 0
    assert report.results["max_alarms_in_10_min"].value == 12


def test_alarms_exactly_ten_minutes_apart_are_not_in_the_same_window() -> None:
    records = [*spread(10, T0), ann(T0 + 10 * MIN, "LATE")]
    assert compute_kpis(records, T0, T0 + HOUR).results["max_alarms_in_10_min"].value == 10


def test_one_flooded_period_in_a_hundred_is_not_under_one_percent() -> None:
    report = compute_kpis(spread(11), T0, T0 + 100 * 10 * MIN)
    assert report.results["flood_period_share_pct"].value == pytest.approx(1.0)
    assert report.results["flood_period_share_pct"].verdict == Verdict.exceeds


def test_one_flooded_period_in_two_hundred_is_under_one_percent() -> None:
    report = compute_kpis(spread(11), T0, T0 + 200 * 10 * MIN)
    assert report.results["flood_period_share_pct"].value == pytest.approx(0.5)
    assert report.results["flood_period_share_pct"].verdict == Verdict.meets_target


def test_time_in_flood_runs_from_the_eleventh_alarm_until_fewer_than_five_remain() -> None:
    # eleven alarms one second apart: the flood starts with the 11th (T0 + 10 s); alarm i leaves the
    # trailing window at T0 + i s + 10 min; after the 7th (i = 6) has left, 4 remain
    report = compute_kpis(spread(11), T0, T0 + 1000 * MIN)
    expected = (10 * MIN + 6 * SEC) - 10 * SEC
    assert report.results["time_in_flood_pct"].value == pytest.approx(100 * (expected / (1000 * MIN)))
    assert report.results["time_in_flood_pct"].verdict == Verdict.meets_target


def test_a_flood_still_running_at_the_end_counts_until_the_end() -> None:
    report = compute_kpis(spread(11), T0, T0 + MIN)
    assert report.results["time_in_flood_pct"].value == pytest.approx(100 * (50 / 60))


# ---- top ten ---------------------------------------------------------------------------------


def test_ten_alarms_carrying_five_percent_of_the_load_meet_the_top_ten_target() -> None:
    report = compute_kpis(spread(200, every=10 * MIN), T0, T0 + 2000 * MIN)
    assert report.results["top10_share_pct"].value == pytest.approx(5.0)
    assert report.results["top10_share_pct"].verdict == Verdict.meets_target


def test_top_ten_share_above_five_percent_exceeds() -> None:
    records = [*spread(199, every=10 * MIN), ann(T0 + 5 * MIN, "S0", cleared_at=T0 + 6 * MIN)]
    report = compute_kpis(records, T0, T0 + 2000 * MIN)
    assert report.results["top10_share_pct"].value == pytest.approx(100 * 11 / 200)
    assert report.results["top10_share_pct"].verdict == Verdict.exceeds
    assert report.top10[0] == (AlarmKey("S0", "alarm"), 2)


# ---- chattering, fleeting, stale --------------------------------------------------------------


def cycles(
    raises: list[timedelta], clears: list[timedelta | None], sensor: str = "CHAT"
) -> list[Annunciation]:
    return [
        Annunciation(ENTERPRISE, sensor, "alarm", Priority.low, T0 + r, None if c is None else T0 + c)
        for r, c in zip(raises, clears, strict=True)
    ]


def test_six_transitions_within_five_minutes_chatter() -> None:
    records = cycles([0 * MIN, 2 * MIN, 4 * MIN], [1 * MIN, 3 * MIN, 5 * MIN])  # exactly 5 min apart
    report = compute_kpis(records, T0, T0 + HOUR)
    assert report.chattering == {AlarmKey("CHAT", "alarm")}
    assert report.results["chattering_and_fleeting"].value == 1
    assert report.results["chattering_and_fleeting"].verdict == Verdict.exceeds


def test_six_transitions_just_over_five_minutes_do_not_chatter() -> None:
    records = cycles([0 * MIN, 2 * MIN, 4 * MIN], [1 * MIN, 3 * MIN, 5 * MIN + TICK])
    assert compute_kpis(records, T0, T0 + HOUR).chattering == frozenset()


def test_five_transitions_within_five_minutes_do_not_chatter() -> None:
    records = cycles([0 * MIN, 2 * MIN, 4 * MIN], [1 * MIN, 3 * MIN, None])
    report = compute_kpis(records, T0, T0 + HOUR)
    assert report.chattering == frozenset()
    assert report.results["chattering_and_fleeting"].verdict == Verdict.meets_target


def test_an_alarm_active_for_less_than_ten_seconds_is_fleeting() -> None:
    records = cycles([0 * MIN], [10 * SEC - TICK], "FLEET") + cycles([0 * MIN], [10 * SEC], "TEN")
    report = compute_kpis(records, T0, T0 + HOUR)
    assert report.fleeting == {AlarmKey("FLEET", "alarm")}
    assert report.results["chattering_and_fleeting"].value == 1


def test_chattering_and_fleeting_count_distinct_alarms_once() -> None:
    quick = [0 * SEC, 20 * SEC, 40 * SEC]
    records = cycles(quick, [q + SEC for q in quick])  # chatters and is fleeting
    assert compute_kpis(records, T0, T0 + HOUR).results["chattering_and_fleeting"].value == 1


def test_an_alarm_active_for_exactly_24_hours_is_not_stale() -> None:
    report = compute_kpis(cycles([0 * MIN], [DAY]), T0, T0 + 2 * DAY)
    assert report.stale_by_day == (0, 0)


def test_an_alarm_active_just_over_24_hours_is_stale_on_that_day() -> None:
    report = compute_kpis(cycles([0 * MIN], [DAY + TICK]), T0, T0 + 2 * DAY)
    assert report.stale_by_day == (0, 1)


def test_an_alarm_raised_before_the_period_and_never_cleared_is_stale_from_the_first_day() -> None:
    records = [Annunciation(ENTERPRISE, "OLD", "alarm", Priority.high, T0 - 30 * HOUR)]
    report = compute_kpis(records, T0, T0 + 2 * DAY)
    assert report.stale_by_day == (1, 1)
    assert report.annunciations == 0  # raised before the period: not in the rates


@pytest.mark.parametrize(("stale", "verdict"), [(4, Verdict.meets_target), (5, Verdict.exceeds)])
def test_fewer_than_five_stale_alarms_on_any_day(stale: int, verdict: Verdict) -> None:
    records = [Annunciation(ENTERPRISE, f"S{i}", "alarm", Priority.low, T0 - DAY - SEC) for i in range(stale)]
    result = compute_kpis(records, T0, T0 + DAY).results["stale_max_per_day"]
    assert (result.value, result.verdict) == (stale, verdict)


# ---- priority distribution ------------------------------------------------------------------


def by_priority(**counts: int) -> list[Annunciation]:
    records: list[Annunciation] = []
    for name, n in counts.items():
        records += [
            ann(T0 + len(records) * MIN + i * MIN, f"{name}{i}", priority=Priority(name)) for i in range(n)
        ]
    return records


def test_the_reference_priority_split_meets_its_targets() -> None:
    report = compute_kpis(by_priority(low=80, medium=15, high=5), T0, T0 + 2 * DAY)
    assert report.priority_shares_pct == {
        Priority.emergency: 0,
        Priority.high: 5,
        Priority.medium: 15,
        Priority.low: 80,
    }
    for kpi in ("priority_emergency_pct", "priority_high_pct", "priority_medium_pct"):
        assert report.results[kpi].verdict == Verdict.meets_target
    assert report.results["priority_low_pct"].verdict is None


def test_more_than_five_percent_high_priority_exceeds() -> None:
    report = compute_kpis(by_priority(low=79, medium=15, high=6), T0, T0 + 2 * DAY)
    assert report.results["priority_high_pct"].verdict == Verdict.exceeds


def test_one_percent_highest_priority_is_not_under_one_percent() -> None:
    report = compute_kpis(by_priority(low=79, medium=15, high=5, emergency=1), T0, T0 + 2 * DAY)
    assert report.results["priority_emergency_pct"].value == pytest.approx(1.0)
    assert report.results["priority_emergency_pct"].verdict == Verdict.exceeds


# ---- per enterprise, empty, invalid ----------------------------------------------------------


def test_kpis_are_computed_per_enterprise() -> None:
    records = [*spread(11), ann(T0, "X", enterprise_id=9)]
    reports = kpis_by_enterprise(records, T0, T0 + HOUR, operator_positions={9: 2})
    assert set(reports) == {ENTERPRISE, 9}
    assert reports[ENTERPRISE].results["max_alarms_in_10_min"].value == 11
    assert reports[9].results["alarms_per_hour"].value == 0.5
    assert reports[9].enterprise_id == 9


def test_a_period_without_alarms_meets_every_target() -> None:
    report = compute_kpis([], T0, T0 + DAY)
    assert all(r.verdict in {Verdict.meets_target, None} for r in report.results.values())


@pytest.mark.parametrize(
    ("start", "end", "positions"),
    [(T0, T0, 1), (T0 + SEC, T0, 1), (T0.replace(tzinfo=None), T0 + HOUR, 1), (T0, T0 + HOUR, 0)],
)
def test_an_invalid_period_is_refused(start: datetime, end: datetime, positions: int) -> None:
    with pytest.raises(InvalidInputError):
        compute_kpis([], start, end, operator_positions=positions)
