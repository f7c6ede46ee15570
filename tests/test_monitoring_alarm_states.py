"""ISA-18.2 alarm handling as pure rules: every transition, allowed and refused; shelving; escalation.

The expected table below is written out from the ISA-18.2 state model (reference
`alarm_states_isa18_2.csv`) and the module docstring's table, not derived from `ALLOWED_IN`, so a
change to the code shows up here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from zhiben.errors import ConflictError, InvalidInputError
from zhiben.monitoring.alarm_states import (
    Acknowledge,
    Action,
    AlarmKey,
    AlarmState,
    AlarmStatus,
    Assign,
    Comment,
    ConditionActive,
    ConditionNormal,
    Escalate,
    Event,
    Priority,
    RemoveFromService,
    ReturnToService,
    Shelve,
    ShelvingExpired,
    Suppress,
    Unshelve,
    Unsuppress,
    allowed_actions,
    apply,
    consistency_problems,
    escalation_deadline,
    is_annunciation,
    is_due_for_escalation,
    is_shelving_expired,
    new_alarm,
)

S, A = AlarmState, Action
KEY = AlarmKey("CH4-0101", "alarm")
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
RESPONSE = timedelta(minutes=10)
SHELF_UNTIL = T0 + timedelta(minutes=30)
LATE = T0 + timedelta(hours=2)  # after the shelving expiry and after the response time
OP = "operator-li"


def event(action: Action, at: datetime = LATE) -> Event:
    factories: dict[Action, Callable[[datetime], Event]] = {
        A.condition_active: ConditionActive,
        A.condition_normal: ConditionNormal,
        A.acknowledge: lambda t: Acknowledge(t, OP),
        A.shelve: lambda t: Shelve(t, OP, t + timedelta(hours=1), "chattering during calibration"),
        A.unshelve: lambda t: Unshelve(t, OP),
        A.shelving_expired: ShelvingExpired,
        A.suppress: lambda t: Suppress(t, "plant-state:unit-2-shutdown", "unit 2 shut down"),
        A.unsuppress: lambda t: Unsuppress(t, "plant-state:unit-2-shutdown"),
        A.remove_from_service: lambda t: RemoveFromService(t, OP, "sensor replacement, permit 88"),
        A.return_to_service: lambda t: ReturnToService(t, OP),
        A.comment: lambda t: Comment(t, OP, "checked locally, fan running"),
        A.assign: lambda t: Assign(t, OP, "shift-lead-wang"),
        A.escalate: Escalate,
    }
    return factories[action](at)


def fresh() -> AlarmStatus:
    return new_alarm(KEY, Priority.high, RESPONSE)


def step(alarm: AlarmStatus, *events: Event) -> AlarmStatus:
    for e in events:
        alarm = apply(alarm, e)
    return alarm


SECOND = timedelta(seconds=1)

# Each state reached by real events, with the process normal for the non-annunciated ones.
BUILD: dict[AlarmState, Callable[[], AlarmStatus]] = {
    S.normal: fresh,
    S.unacknowledged: lambda: step(fresh(), ConditionActive(T0)),
    S.acknowledged: lambda: step(fresh(), ConditionActive(T0), Acknowledge(T0 + SECOND, OP)),
    S.returned_unacknowledged: lambda: step(fresh(), ConditionActive(T0), ConditionNormal(T0 + SECOND)),
    S.shelved: lambda: step(fresh(), Shelve(T0, OP, SHELF_UNTIL, "nuisance")),
    S.suppressed_by_design: lambda: step(fresh(), Suppress(T0, "plant-state", "unit shut down")),
    S.out_of_service: lambda: step(fresh(), RemoveFromService(T0, OP, "maintenance")),
}

X = None  # refused
EXPECTED: dict[AlarmState, dict[Action, AlarmState | None]] = {
    S.normal: {
        A.condition_active: S.unacknowledged, A.condition_normal: S.normal, A.acknowledge: X,
        A.shelve: S.shelved, A.unshelve: X, A.shelving_expired: X, A.suppress: S.suppressed_by_design,
        A.unsuppress: X, A.remove_from_service: S.out_of_service, A.return_to_service: X,
        A.comment: X, A.assign: X, A.escalate: X,
    },
    S.unacknowledged: {
        A.condition_active: S.unacknowledged, A.condition_normal: S.returned_unacknowledged,
        A.acknowledge: S.acknowledged, A.shelve: S.shelved, A.unshelve: X, A.shelving_expired: X,
        A.suppress: S.suppressed_by_design, A.unsuppress: X, A.remove_from_service: S.out_of_service,
        A.return_to_service: X, A.comment: S.unacknowledged, A.assign: S.unacknowledged,
        A.escalate: S.unacknowledged,
    },
    S.acknowledged: {
        A.condition_active: S.acknowledged, A.condition_normal: S.normal, A.acknowledge: X,
        A.shelve: S.shelved, A.unshelve: X, A.shelving_expired: X, A.suppress: S.suppressed_by_design,
        A.unsuppress: X, A.remove_from_service: S.out_of_service, A.return_to_service: X,
        A.comment: S.acknowledged, A.assign: S.acknowledged, A.escalate: X,
    },
    S.returned_unacknowledged: {
        A.condition_active: S.unacknowledged, A.condition_normal: S.returned_unacknowledged,
        A.acknowledge: S.normal, A.shelve: S.shelved, A.unshelve: X, A.shelving_expired: X,
        A.suppress: S.suppressed_by_design, A.unsuppress: X, A.remove_from_service: S.out_of_service,
        A.return_to_service: X, A.comment: S.returned_unacknowledged,
        A.assign: S.returned_unacknowledged, A.escalate: X,
    },
    S.shelved: {
        A.condition_active: S.shelved, A.condition_normal: S.shelved, A.acknowledge: X, A.shelve: X,
        A.unshelve: S.normal, A.shelving_expired: S.normal, A.suppress: S.suppressed_by_design,
        A.unsuppress: X, A.remove_from_service: S.out_of_service, A.return_to_service: X,
        A.comment: S.shelved, A.assign: S.shelved, A.escalate: X,
    },
    S.suppressed_by_design: {
        A.condition_active: S.suppressed_by_design, A.condition_normal: S.suppressed_by_design,
        A.acknowledge: X, A.shelve: X, A.unshelve: X, A.shelving_expired: X, A.suppress: X,
        A.unsuppress: S.normal, A.remove_from_service: S.out_of_service, A.return_to_service: X,
        A.comment: S.suppressed_by_design, A.assign: S.suppressed_by_design, A.escalate: X,
    },
    S.out_of_service: {
        A.condition_active: S.out_of_service, A.condition_normal: S.out_of_service, A.acknowledge: X,
        A.shelve: X, A.unshelve: X, A.shelving_expired: X, A.suppress: X, A.unsuppress: X,
        A.remove_from_service: X, A.return_to_service: S.normal, A.comment: S.out_of_service,
        A.assign: S.out_of_service, A.escalate: X,
    },
}  # fmt: skip

CASES = [(state, action, target) for state, row in EXPECTED.items() for action, target in row.items()]


def test_the_expected_table_covers_every_state_and_action() -> None:
    assert set(EXPECTED) == set(AlarmState)
    assert all(set(row) == set(Action) for row in EXPECTED.values())


@pytest.mark.parametrize(
    ("state", "action", "target"), CASES, ids=[f"{s.value}-{a.value}" for s, a, _ in CASES]
)
def test_each_isa_18_2_transition_is_allowed_or_refused_as_the_model_says(
    state: AlarmState, action: Action, target: AlarmState | None
) -> None:
    alarm = BUILD[state]()
    assert alarm.state == state
    if target is None:
        with pytest.raises(ConflictError) as refused:
            apply(alarm, event(action))
        assert refused.value.details["state"] == state.value
        assert refused.value.details["action"] == action.value
        assert refused.value.status == 409
    else:
        after = apply(alarm, event(action))
        assert after.state == target
        assert consistency_problems(after) == []


@pytest.mark.parametrize("state", list(AlarmState))
def test_allowed_actions_lists_exactly_the_operator_actions_the_table_allows(state: AlarmState) -> None:
    operator = set(Action) - {A.condition_active, A.condition_normal}
    expected = {a for a in operator if EXPECTED[state][a] is not None}
    assert set(allowed_actions(BUILD[state]())) == expected


def test_a_refusal_names_the_state_and_the_actions_allowed_now() -> None:
    with pytest.raises(ConflictError) as refused:
        apply(BUILD[S.acknowledged](), Acknowledge(LATE, OP))
    details = refused.value.details
    assert details["allowed"] == ["shelve", "suppress", "remove_from_service", "comment", "assign"]
    assert "CH4-0101/alarm is acknowledged" in str(refused.value)


# ---- the annunciated states --------------------------------------------------------------------


def test_an_alarm_acknowledged_then_returned_to_normal_closes() -> None:
    alarm = step(BUILD[S.acknowledged](), ConditionNormal(T0 + 2 * SECOND))
    assert alarm.state == S.normal
    assert alarm.closed_at == T0 + 2 * SECOND
    assert alarm.closed_by == A.condition_normal
    assert alarm.acknowledged_by == OP
    assert alarm.open_key is None


def test_an_unacknowledged_alarm_that_returns_to_normal_stays_open_until_acknowledged() -> None:
    rtn = BUILD[S.returned_unacknowledged]()
    assert rtn.open_key == KEY
    assert rtn.cleared_at == T0 + SECOND
    closed = apply(rtn, Acknowledge(T0 + 5 * SECOND, OP))
    assert (closed.state, closed.closed_by, closed.acknowledged_at) == (
        S.normal,
        A.acknowledge,
        T0 + 5 * SECOND,
    )
    assert closed.open_key is None


def test_a_returned_alarm_that_comes_back_is_annunciated_again_with_its_first_time_kept() -> None:
    again = apply(BUILD[S.returned_unacknowledged](), ConditionActive(T0 + 2 * SECOND))
    assert again.state == S.unacknowledged
    assert again.annunciated_at == T0  # the escalation clock keeps running
    assert again.annunciations == 2
    assert again.cleared_at is None


def test_a_repeated_process_event_changes_nothing() -> None:
    unack = BUILD[S.unacknowledged]()
    assert apply(unack, ConditionActive(T0 + SECOND)) is unack
    normal = fresh()
    assert apply(normal, ConditionNormal(T0)) is normal


def test_a_new_record_after_closing_carries_nothing_over() -> None:
    closed = step(BUILD[S.acknowledged](), Assign(T0 + SECOND, OP, "wang"), ConditionNormal(T0 + 2 * SECOND))
    reopened = apply(closed, ConditionActive(T0 + timedelta(minutes=5)))
    assert reopened.opened_at == T0 + timedelta(minutes=5)
    assert (reopened.acknowledged_at, reopened.assignee, reopened.closed_at) == (None, None, None)
    assert reopened.annunciations == 1


def test_annunciation_is_each_entry_into_unacknowledged() -> None:
    normal, unack = fresh(), BUILD[S.unacknowledged]()
    assert is_annunciation(normal, unack)
    rtn = apply(unack, ConditionNormal(T0 + SECOND))
    assert is_annunciation(rtn, apply(rtn, ConditionActive(T0 + 2 * SECOND)))
    assert not is_annunciation(unack, apply(unack, Acknowledge(T0 + SECOND, OP)))


def test_comment_and_assign_record_who_and_leave_the_state() -> None:
    unack = BUILD[S.unacknowledged]()
    assert apply(unack, Comment(T0, OP, "on my way")) == unack
    assigned = apply(unack, Assign(T0 + SECOND, OP, "wang"))
    assert (assigned.state, assigned.assignee, assigned.assigned_at) == (
        S.unacknowledged,
        "wang",
        T0 + SECOND,
    )


# ---- shelving, suppression, out of service ----------------------------------------------------


def test_a_shelved_alarm_records_process_changes_without_annunciating() -> None:
    shelved = apply(BUILD[S.shelved](), ConditionActive(T0 + SECOND))
    assert shelved.state == S.shelved
    assert shelved.is_process_active
    assert shelved.process_changed_at == T0 + SECOND
    assert not shelved.is_annunciated


def test_when_shelving_expires_an_active_condition_is_annunciated_afresh() -> None:
    shelved = step(BUILD[S.shelved](), ConditionActive(T0 + SECOND))
    after = apply(shelved, ShelvingExpired(SHELF_UNTIL))
    assert after.state == S.unacknowledged
    assert after.annunciated_at == SHELF_UNTIL
    assert after.suppression is None


def test_when_shelving_expires_a_normal_condition_closes_the_alarm() -> None:
    shelved = step(BUILD[S.shelved](), ConditionActive(T0 + SECOND), ConditionNormal(T0 + 2 * SECOND))
    after = apply(shelved, ShelvingExpired(SHELF_UNTIL))
    assert (after.state, after.closed_by, after.closed_at) == (S.normal, A.shelving_expired, SHELF_UNTIL)


def test_shelving_expires_at_its_expiry_and_not_a_moment_before() -> None:
    shelved = BUILD[S.shelved]()
    tick = timedelta(microseconds=1)
    assert not is_shelving_expired(shelved, SHELF_UNTIL - tick)
    assert is_shelving_expired(shelved, SHELF_UNTIL)
    with pytest.raises(ConflictError):
        apply(shelved, ShelvingExpired(SHELF_UNTIL - tick))
    assert apply(shelved, ShelvingExpired(SHELF_UNTIL)).state == S.normal


def test_shelving_an_unacknowledged_alarm_keeps_who_and_why_and_until() -> None:
    shelved = apply(BUILD[S.unacknowledged](), Shelve(T0 + SECOND, OP, SHELF_UNTIL, "known fault"))
    assert shelved.suppression is not None
    assert (shelved.suppression.by, shelved.suppression.reason) == (OP, "known fault")
    assert shelved.shelved_until == SHELF_UNTIL
    assert shelved.open_key == KEY


def test_unshelving_an_alarm_whose_condition_is_still_active_annunciates_it() -> None:
    shelved = apply(BUILD[S.acknowledged](), Shelve(T0 + 2 * SECOND, OP, SHELF_UNTIL, "nuisance"))
    after = apply(shelved, Unshelve(T0 + 3 * SECOND, OP))
    assert after.state == S.unacknowledged
    assert after.acknowledged_at is None


def test_suppression_by_design_replaces_shelving_and_shelving_cannot_replace_it() -> None:
    suppressed = apply(BUILD[S.shelved](), Suppress(T0 + SECOND, "plant-state", "unit down"))
    assert suppressed.state == S.suppressed_by_design
    assert suppressed.shelved_until is None
    with pytest.raises(ConflictError):
        apply(suppressed, Shelve(T0 + 2 * SECOND, OP, SHELF_UNTIL, "again"))


def test_returning_to_service_with_the_condition_active_annunciates_it() -> None:
    oos = step(BUILD[S.out_of_service](), ConditionActive(T0 + SECOND))
    assert oos.state == S.out_of_service and oos.is_process_active
    assert apply(oos, ReturnToService(T0 + 2 * SECOND, OP)).state == S.unacknowledged


def test_unsuppressing_with_the_condition_normal_closes_the_alarm() -> None:
    after = apply(BUILD[S.suppressed_by_design](), Unsuppress(T0 + SECOND, "plant-state"))
    assert (after.state, after.closed_by) == (S.normal, A.unsuppress)


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (Shelve(T0, OP, T0, "nuisance"), "until"),
        (Shelve(T0, OP, T0 - SECOND, "nuisance"), "until"),
        (Shelve(T0, OP, SHELF_UNTIL, "  "), "reason"),
        (Shelve(T0, OP, SHELF_UNTIL.replace(tzinfo=None), "nuisance"), "until"),
        (Acknowledge(T0.replace(tzinfo=None), OP), "at"),
        (Acknowledge(T0, ""), "by"),
        (Comment(T0, OP, ""), "text"),
        (RemoveFromService(T0, OP, ""), "reason"),
    ],
)
def test_malformed_actions_are_invalid_input(bad: Event, field: str) -> None:
    with pytest.raises(InvalidInputError) as invalid:
        apply(BUILD[S.unacknowledged](), bad)
    assert invalid.value.details["fields"][0]["field"] == field


def test_an_alarm_needs_a_positive_response_time() -> None:
    with pytest.raises(InvalidInputError):
        new_alarm(KEY, Priority.low, timedelta(0))


def test_the_open_key_is_the_alarm_point_while_open_and_none_when_closed() -> None:
    assert fresh().open_key is None
    for state in set(AlarmState) - {S.normal}:
        assert BUILD[state]().open_key == KEY
    assert KEY.token == "CH4-0101\x1falarm"


def test_each_limit_level_of_an_engine_condition_is_its_own_alarm() -> None:
    assert AlarmKey.of("T-7", "alarm", "hihi") == AlarmKey("T-7", "alarm:hihi")
    assert AlarmKey.of("T-7", "offline") == AlarmKey("T-7", "offline")
    assert str(AlarmKey.of("T-7", "alarm", "hi")) == "T-7/alarm:hi"


# ---- escalation -------------------------------------------------------------------------------

TICK = timedelta(microseconds=1)


def test_escalation_is_not_due_just_before_the_response_time() -> None:
    assert not is_due_for_escalation(BUILD[S.unacknowledged](), T0 + RESPONSE - TICK)


def test_escalation_is_not_due_at_exactly_the_response_time() -> None:
    unack = BUILD[S.unacknowledged]()
    assert escalation_deadline(unack) == T0 + RESPONSE
    assert not is_due_for_escalation(unack, T0 + RESPONSE)


def test_escalation_is_due_just_after_the_response_time() -> None:
    assert is_due_for_escalation(BUILD[S.unacknowledged](), T0 + RESPONSE + TICK)


def test_escalation_happens_once_per_annunciation() -> None:
    escalated = apply(BUILD[S.unacknowledged](), Escalate(T0 + RESPONSE + TICK))
    assert escalated.escalated_at == T0 + RESPONSE + TICK
    assert not is_due_for_escalation(escalated, LATE)
    with pytest.raises(ConflictError):
        apply(escalated, Escalate(LATE))


def test_escalating_before_it_is_due_is_refused() -> None:
    with pytest.raises(ConflictError):
        apply(BUILD[S.unacknowledged](), Escalate(T0 + RESPONSE))


@pytest.mark.parametrize(
    "state", [S.normal, S.acknowledged, S.returned_unacknowledged, S.shelved, S.out_of_service]
)
def test_only_an_active_unacknowledged_alarm_escalates(state: AlarmState) -> None:
    assert not is_due_for_escalation(BUILD[state](), LATE)


def test_an_alarm_annunciated_again_after_shelving_gets_a_new_response_window() -> None:
    shelved = step(BUILD[S.unacknowledged](), Shelve(T0 + SECOND, OP, SHELF_UNTIL, "nuisance"))
    back = apply(shelved, ShelvingExpired(SHELF_UNTIL))
    assert not is_due_for_escalation(back, SHELF_UNTIL + RESPONSE)
    assert is_due_for_escalation(back, SHELF_UNTIL + RESPONSE + TICK)


# ---- random sequences never reach an impossible state ----------------------------------------


class AlarmMachine(RuleBasedStateMachine):
    """Drives one alarm with random process events, operator actions and timers, the clock moving
    forward; every refusal must be a ConflictError the table predicts, never a broken status."""

    def __init__(self) -> None:
        super().__init__()
        self.alarm = new_alarm(KEY, Priority.medium, RESPONSE)
        self.now = T0
        self.process_active = False

    def _try(self, e: Event) -> None:
        allowed_before = set(allowed_actions(self.alarm))
        try:
            self.alarm = apply(self.alarm, e)
        except ConflictError:
            timers = {A.shelving_expired, A.escalate}
            assert e.action not in allowed_before or e.action in timers

    @rule(dt=st.integers(min_value=0, max_value=3_600))
    def time_passes(self, dt: int) -> None:
        self.now += timedelta(seconds=dt)

    @rule(active=st.booleans())
    def process(self, active: bool) -> None:
        self.process_active = active
        self._try(ConditionActive(self.now) if active else ConditionNormal(self.now))

    @rule(action=st.sampled_from([a for a in Action if a not in {A.condition_active, A.condition_normal}]))
    def operator(self, action: Action) -> None:
        self._try(event(action, self.now))

    @precondition(lambda self: self.alarm.shelved_until is not None)
    @rule()
    def shelving_runs_out(self) -> None:
        until = self.alarm.shelved_until
        assert until is not None
        self.now = max(self.now, until)
        self.alarm = apply(self.alarm, ShelvingExpired(self.now))

    @precondition(lambda self: escalation_deadline(self.alarm) is not None)
    @rule()
    def escalation_falls_due(self) -> None:
        deadline = escalation_deadline(self.alarm)
        assert deadline is not None
        self.now = max(self.now, deadline + TICK)
        if self.alarm.escalated_at is None:
            self.alarm = apply(self.alarm, Escalate(self.now))

    @invariant()
    def status_is_possible(self) -> None:
        assert consistency_problems(self.alarm) == []

    @invariant()
    def the_process_condition_is_always_recorded(self) -> None:
        assert self.alarm.is_process_active == self.process_active

    @invariant()
    def shelved_means_an_expiry_and_open_means_a_key(self) -> None:
        assert (self.alarm.state == S.shelved) == (self.alarm.shelved_until is not None)
        assert (self.alarm.open_key is not None) == (self.alarm.state != S.normal)
        if self.alarm.state == S.normal and self.alarm.closed_by in {A.condition_normal, A.acknowledge}:
            assert self.alarm.acknowledged_at is not None  # never closed but unacknowledged


AlarmMachine.TestCase.settings = settings(max_examples=200, stateful_step_count=40, deadline=None)
TestAlarmStateMachine = AlarmMachine.TestCase


def test_the_invariant_check_catches_an_alarm_closed_but_unacknowledged() -> None:
    closed = AlarmStatus(KEY, Priority.low, RESPONSE, opened_at=T0, closed_at=T0, closed_by=A.acknowledge)
    assert "closed but unacknowledged" in consistency_problems(closed)


def test_the_invariant_check_catches_a_shelved_alarm_without_expiry() -> None:
    shelved = BUILD[S.shelved]()
    assert shelved.suppression is not None
    broken = replace(shelved, suppression=replace(shelved.suppression, until=None))
    assert "shelved without expiry" in consistency_problems(broken)
