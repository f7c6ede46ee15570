"""Check tasks of the dual-prevention register: windows per cycle on the Shanghai calendar, missed checks,
escalation, the quarterly self-inspection, and the vectorised generator against the plain one."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhiben.dualprevention.tasks import (
    CYCLES,
    DEFAULT_SHIFTS,
    REGULATOR,
    ChecklistQuestion,
    Cycle,
    Measure,
    Responsibility,
    ShiftPattern,
    Task,
    escalate_to,
    escalations,
    missed,
    parse_escalation,
    self_inspection_templates,
    shanghai_day,
    tasks_due,
    tasks_due_arrays,
    trailing_misses,
    windows,
)
from zhiben.errors import InvalidInputError

R = Responsibility


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def sh_midnight_utc(day: date) -> datetime:
    """Shanghai midnight is 16:00 UTC the day before (UTC+8, no daylight saving)."""
    return datetime.combine(day - timedelta(days=1), time(16), UTC)


def due(cycle: Cycle, day: date) -> list[tuple[datetime, datetime]]:
    return [(t.starts_at, t.ends_at) for t in tasks_due([Measure("m", cycle, R.operator)], day)]


def test_hourly_gives_24_windows_from_shanghai_midnight() -> None:
    got = due(Cycle.hourly, date(2025, 12, 31))
    assert len(got) == 24
    assert got[0] == (utc(2025, 12, 30, 16), utc(2025, 12, 30, 17))
    assert got[-1] == (utc(2025, 12, 31, 15), utc(2025, 12, 31, 16))


def test_default_shifts_are_three_eight_hour_shifts_from_midnight() -> None:
    got = due(Cycle.shift, date(2024, 2, 29))
    assert got == [
        (utc(2024, 2, 28, 16), utc(2024, 2, 29, 0)),
        (utc(2024, 2, 29, 0), utc(2024, 2, 29, 8)),
        (utc(2024, 2, 29, 8), utc(2024, 2, 29, 16)),
    ]


def test_an_enterprise_shift_pattern_runs_its_last_shift_into_the_next_day() -> None:
    pattern = ShiftPattern((time(8), time(20)))
    got = tasks_due([Measure("m", Cycle.shift, R.operator, "E1")], date(2023, 12, 31), {"E1": pattern})
    assert [(t.starts_at, t.ends_at) for t in got] == [
        (utc(2023, 12, 31, 0), utc(2023, 12, 31, 12)),
        (utc(2023, 12, 31, 12), utc(2024, 1, 1, 0)),  # 20:00 on 31 Dec to 08:00 on 1 Jan, Shanghai
    ]
    with pytest.raises(InvalidInputError):
        ShiftPattern((time(8), time(8)))


@pytest.mark.parametrize("day", [date(2024, 2, 28), date(2024, 2, 29), date(2023, 12, 31), date(2024, 1, 31)])
def test_daily_window_is_the_shanghai_day_across_month_year_and_leap_day(day: date) -> None:
    assert due(Cycle.daily, day) == [(sh_midnight_utc(day), sh_midnight_utc(day + timedelta(days=1)))]


def test_weekly_opens_on_mondays_and_spans_a_year_end() -> None:
    assert due(Cycle.weekly, date(2024, 12, 30)) == [(utc(2024, 12, 29, 16), utc(2025, 1, 5, 16))]
    assert due(Cycle.weekly, date(2024, 12, 31)) == []
    assert due(Cycle.weekly, date(2025, 1, 1)) == []


@pytest.mark.parametrize(
    ("cycle", "day", "end"),
    [
        (Cycle.monthly, date(2024, 2, 1), date(2024, 3, 1)),  # 29 days in a leap year
        (Cycle.monthly, date(2023, 2, 1), date(2023, 3, 1)),
        (Cycle.monthly, date(2024, 12, 1), date(2025, 1, 1)),  # across the year end
        (Cycle.quarterly, date(2024, 10, 1), date(2025, 1, 1)),
        (Cycle.quarterly, date(2024, 1, 1), date(2024, 4, 1)),
        (Cycle.half_yearly, date(2024, 7, 1), date(2025, 1, 1)),
        (Cycle.half_yearly, date(2024, 1, 1), date(2024, 7, 1)),
        (Cycle.yearly, date(2024, 1, 1), date(2025, 1, 1)),
    ],
)
def test_calendar_cycles_open_on_their_first_day_and_end_on_the_next_period(
    cycle: Cycle, day: date, end: date
) -> None:
    assert due(cycle, day) == [(sh_midnight_utc(day), sh_midnight_utc(end))]
    assert due(cycle, day + timedelta(days=1)) == []
    assert due(cycle, day - timedelta(days=1)) == []


@pytest.mark.parametrize(
    ("cycle", "not_opening"),
    [
        (Cycle.quarterly, date(2024, 2, 1)),
        (Cycle.half_yearly, date(2024, 4, 1)),
        (Cycle.yearly, date(2024, 7, 1)),
    ],
)
def test_calendar_cycles_do_not_open_on_other_months(cycle: Cycle, not_opening: date) -> None:
    assert due(cycle, not_opening) == []


def test_utc_instants_near_shanghai_midnight_fall_on_the_shanghai_date() -> None:
    assert shanghai_day(utc(2024, 12, 31, 15, 59, 59)) == date(2024, 12, 31)
    assert shanghai_day(utc(2024, 12, 31, 16, 0)) == date(2025, 1, 1)
    assert shanghai_day(datetime(2025, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=8)))) == date(2025, 1, 1)
    # 16:00 UTC on 31 Dec is New Year's Day in Shanghai: the yearly task opens
    assert due(Cycle.yearly, utc(2024, 12, 31, 16)) == [(utc(2024, 12, 31, 16), utc(2025, 12, 31, 16))]
    assert due(Cycle.yearly, utc(2024, 12, 31, 15, 59)) == []
    assert due(Cycle.daily, utc(2024, 2, 28, 20)) == [(utc(2024, 2, 28, 16), utc(2024, 2, 29, 16))]


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        tasks_due([], datetime(2024, 1, 1, 12))
    assert caught.value.details["fields"][0]["reason"] == "naive_datetime"


# --- missed checks and escalation ---


def _daily_tasks(days: int, level: Responsibility = R.operator) -> list[Task]:
    m = Measure("m1", Cycle.daily, level)
    return [t for i in range(days) for t in tasks_due([m], date(2024, 2, 27) + timedelta(days=i))]


def test_a_window_without_a_record_by_its_end_is_missed() -> None:
    tasks = _daily_tasks(3)  # 27, 28, 29 Feb (Shanghai)
    records = {"m1": [utc(2024, 2, 27, 2)]}  # 10:00 on the 27th in Shanghai
    now = utc(2024, 2, 29, 16)  # the 29th has just ended
    assert [t.starts_at for t in missed(tasks, records, now)] == [utc(2024, 2, 27, 16), utc(2024, 2, 28, 16)]
    assert missed(tasks, records, now - timedelta(seconds=1)) == [tasks[1]]  # the 29th still open


def test_a_record_at_the_window_end_belongs_to_the_next_window() -> None:
    tasks = _daily_tasks(1)
    assert missed(tasks, {"m1": [tasks[0].ends_at]}, tasks[0].ends_at) == tasks
    assert missed(tasks, {"m1": [tasks[0].starts_at]}, tasks[0].ends_at) == []


def test_trailing_misses_count_back_from_the_latest_window() -> None:
    assert trailing_misses([True, False, True, True]) == 2
    assert trailing_misses([True, True, False]) == 0
    assert trailing_misses([]) == 0


@pytest.mark.parametrize(
    ("level", "run", "notify"),
    [
        (R.operator, 1, None),
        (R.operator, 2, R.technical_lead),
        (R.operator, 3, R.technical_lead),
        (R.operator, 4, R.main_responsible),
        (R.operator, 6, REGULATOR),
        (R.technical_lead, 2, R.main_responsible),
        (R.technical_lead, 4, REGULATOR),
        (R.main_responsible, 1, None),
        (R.main_responsible, 2, REGULATOR),
    ],
)
def test_two_misses_in_a_row_climb_one_level_and_past_the_top_reach_the_regulator(
    level: Responsibility, run: int, notify: str | None
) -> None:
    assert escalate_to(level, run) == notify


def test_escalations_over_records() -> None:
    tasks = _daily_tasks(3)
    now = utc(2024, 2, 29, 16)
    assert escalations(tasks, {"m1": [utc(2024, 2, 27, 2)]}, now)[0].notify == R.technical_lead
    assert escalations(tasks, {"m1": [utc(2024, 2, 29, 2)]}, now) == []
    top = escalations(_daily_tasks(3, R.main_responsible), {}, now)
    assert (top[0].misses_in_a_row, top[0].notify) == (3, REGULATOR)


def test_escalation_rules_are_data_and_checked() -> None:
    rules = parse_escalation("level,misses_in_a_row,notify\noperator,1,regulator\n")
    assert escalate_to(R.operator, 1, rules) == REGULATOR
    with pytest.raises(InvalidInputError):
        parse_escalation("level,misses_in_a_row,notify\noperator,0,regulator\n")
    with pytest.raises(InvalidInputError):
        parse_escalation("level,misses_in_a_row,notify\nboss,2,regulator\n")


# --- the quarterly self-inspection ---


def test_self_inspection_checklist_becomes_quarterly_tasks_of_the_main_responsible_person() -> None:
    questions = [
        ChecklistQuestion("has_mhi_registration", "重大危险源是否备案？", "Is the MHI registered?"),
        ("sis_in_service", "安全仪表系统是否投用？", "Is the SIS in service?"),
    ]
    templates = self_inspection_templates("chem-2017", questions, "E1")
    assert [t.id for t in templates] == [
        "self-inspection/chem-2017/has_mhi_registration",
        "self-inspection/chem-2017/sis_in_service",
    ]
    assert {(t.cycle, t.level, t.enterprise_id) for t in templates} == {
        (Cycle.quarterly, R.main_responsible, "E1")
    }
    assert templates[1].title_zh == "安全仪表系统是否投用？"
    assert len(tasks_due(templates, date(2025, 4, 1))) == 2
    assert tasks_due(templates, date(2025, 5, 1)) == []
    with pytest.raises(InvalidInputError):
        self_inspection_templates("p", [("a", "", ""), ("a", "", "")])


# --- vectorised = plain ---


def _plain_as_arrays(
    cycles: list[int], pattern: list[int], patterns: list[ShiftPattern], day: date
) -> list[tuple[int, int, int]]:
    measures = [
        Measure(str(i), CYCLES[c], R.operator, f"E{p}")
        for i, (c, p) in enumerate(zip(cycles, pattern, strict=True))
    ]
    tasks = tasks_due(measures, day, {f"E{i}": p for i, p in enumerate(patterns)})
    return [(int(t.measure_id), int(t.starts_at.timestamp()), int(t.ends_at.timestamp())) for t in tasks]


shift_patterns = st.lists(st.integers(0, 23), min_size=1, max_size=5, unique=True).map(
    lambda hours: ShiftPattern(tuple(time(h) for h in sorted(hours)))
)


@settings(max_examples=150, deadline=None)
@given(
    day=st.dates(date(1995, 1, 1), date(2100, 12, 31)),
    cycles=st.lists(st.integers(0, len(CYCLES) - 1), max_size=40),
    patterns=st.lists(shift_patterns, min_size=1, max_size=3),
    data=st.data(),
)
def test_vectorised_generator_equals_the_plain_one(
    day: date, cycles: list[int], patterns: list[ShiftPattern], data: st.DataObject
) -> None:
    pattern = data.draw(
        st.lists(st.integers(0, len(patterns) - 1), min_size=len(cycles), max_size=len(cycles))
    )
    got = tasks_due_arrays(np.array(cycles, dtype=np.int8), day, np.array(pattern), patterns)
    as_rows = list(zip(got.measure.tolist(), got.starts_s.tolist(), got.ends_s.tolist(), strict=True))
    assert as_rows == _plain_as_arrays(cycles, pattern, patterns, day)


def test_vectorised_refuses_unknown_cycle_codes() -> None:
    with pytest.raises(InvalidInputError):
        tasks_due_arrays(np.array([8]), date(2024, 1, 1))
    assert windows(Cycle.shift, date(2024, 1, 1)) == windows(Cycle.shift, date(2024, 1, 1), DEFAULT_SHIFTS)
