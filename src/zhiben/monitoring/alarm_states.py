"""ISA-18.2 alarm handling (报警管理) as a pure state machine: states, events, transitions, escalation.

One `AlarmStatus` is the state of one alarm point, the pair (sensor, condition) named by `AlarmKey`.
Two kinds of event drive it: process events from the alarm engine (`ConditionActive`,
`ConditionNormal`) and operator actions (acknowledge, shelve, unshelve, suppress by design, remove
from service, comment, assign, ...), plus two timer events (`ShelvingExpired`, `Escalate`).
`apply(alarm, event)` returns the next status or raises: `ConflictError` (409) for an action the
current state does not allow, `InvalidInputError` (422) for a malformed event (naive time, empty
reason, shelving expiry not after the shelving time). Time always comes in on the event.

States (reference: `data/alarm_states_isa18_2.csv`, letters from the ISA-18.2 diagram):

    normal (A) ─active─► unacknowledged (B) ─acknowledge─► acknowledged (C)
        ▲                    │        ▲                          │
        │            return to normal │ active                   │ return to normal
        │                    ▼        │                          ▼
        └──acknowledge── returned-to-normal unacknowledged (D)   normal (closes)

    shelved / suppressed by design / out of service: not annunciated; process changes are recorded;
    leaving them re-evaluates the current process condition (active → unacknowledged, normal → normal).

Transition table (`=` keeps the state; `✗` is refused with ConflictError; `eval` re-evaluates):

    event \\ state      normal   unack    ack      rtnun    shelved  suppr.   out of svc
    condition_active   unack    =        =        unack    = (rec)  = (rec)  = (rec)
    condition_normal   =        rtnun    normal   =        = (rec)  = (rec)  = (rec)
    acknowledge        ✗        ack      ✗        normal   ✗        ✗        ✗
    shelve             shelved  shelved  shelved  shelved  ✗        ✗        ✗
    unshelve           ✗        ✗        ✗        ✗        eval     ✗        ✗
    shelving_expired   ✗        ✗        ✗        ✗        eval*    ✗        ✗
    suppress           suppr.   suppr.   suppr.   suppr.   suppr.   ✗        ✗
    unsuppress         ✗        ✗        ✗        ✗        ✗        eval     ✗
    remove_from_service oos     oos      oos      oos      oos      oos      ✗
    return_to_service  ✗        ✗        ✗        ✗        ✗        ✗        eval
    comment, assign    ✗        =        =        =        =        =        =
    escalate           ✗        =**      ✗        ✗        ✗        ✗        ✗

    (rec) the process condition is recorded, nothing is annunciated.
    *  only at or after the shelving expiry.   ** only when `is_due_for_escalation`.
    Process events never raise for the state: a repeated one (at-least-once delivery) changes nothing.
    Out of service outranks suppression by design, which outranks shelving: a stronger one replaces a
    weaker one (the shelf is dropped), a weaker one is refused while a stronger one holds.
    An unacknowledged annunciation is not carried through shelving, suppression or removal from
    service (the reference gives their acknowledgement status as n/a); `closed_by` records how an
    alarm closed, so an alarm that closed without an acknowledgement says which action closed it.

Exactly one open alarm per (sensor, condition). An alarm is *open* from the event that takes it out
of `normal` until the event that brings it back (`closed_at`, `closed_by`). `AlarmStatus.open_key`
is the `AlarmKey` while open and None once closed. The persistence layer stores one row per open
record and enforces the rule with a unique index on (sensor_id, condition) restricted to open rows
(`WHERE closed_at IS NULL`, a partial index on SQLite and PostgreSQL alike), or, equivalently, a
unique nullable column holding `open_key.token` (NULLs never collide). A second, concurrent
"condition active" for the same point then fails on the index instead of opening a duplicate; the
loser reloads the open row and applies its event to it, where it is a no-op.

Priorities follow ISA-18.2's annunciated distribution (reference `alarm_management_kpis.csv`, row
"Annunciated alarm priority distribution"): low, medium, high, and a rarely used highest priority,
called `emergency` here. The reference gives no response time per priority: each alarm carries the
response time of its rationalisation record (cause, consequence, action, response time, priority).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

from zhiben.errors import ConflictError, InvalidInputError


class AlarmState(StrEnum):
    normal = "normal"  # A 正常
    unacknowledged = "unacknowledged"  # B 报警未确认
    acknowledged = "acknowledged"  # C 报警已确认
    returned_unacknowledged = "returned_unacknowledged"  # D 已恢复未确认 (RTNUN)
    shelved = "shelved"  # 搁置 (operator, temporary, with an expiry)
    suppressed_by_design = "suppressed_by_design"  # 设计抑制 (plant-state logic)
    out_of_service = "out_of_service"  # 停用 (maintenance, authorised)


class Priority(StrEnum):
    """Annunciated priority, highest first. `emergency` is ISA-18.2's optional 'highest' priority."""

    emergency = "emergency"  # 紧急
    high = "high"  # 高
    medium = "medium"  # 中
    low = "low"  # 低


class Action(StrEnum):
    condition_active = "condition_active"
    condition_normal = "condition_normal"
    acknowledge = "acknowledge"
    shelve = "shelve"
    unshelve = "unshelve"
    shelving_expired = "shelving_expired"
    suppress = "suppress"
    unsuppress = "unsuppress"
    remove_from_service = "remove_from_service"
    return_to_service = "return_to_service"
    comment = "comment"
    assign = "assign"
    escalate = "escalate"


S = AlarmState
ANNUNCIATED_STATES = frozenset({S.unacknowledged, S.acknowledged, S.returned_unacknowledged})
# Not annunciated, in increasing strength: a stronger one may replace a weaker one.
SUPPRESSION_STATES: tuple[AlarmState, ...] = (S.shelved, S.suppressed_by_design, S.out_of_service)
_ANY_OPEN = frozenset(AlarmState) - {S.normal}

# Operator and timer actions: the states each is allowed in. Process events are allowed everywhere.
ALLOWED_IN: dict[Action, frozenset[AlarmState]] = {
    Action.acknowledge: frozenset({S.unacknowledged, S.returned_unacknowledged}),
    Action.shelve: frozenset({S.normal} | ANNUNCIATED_STATES),
    Action.unshelve: frozenset({S.shelved}),
    Action.shelving_expired: frozenset({S.shelved}),
    Action.suppress: frozenset({S.normal, S.shelved} | ANNUNCIATED_STATES),
    Action.unsuppress: frozenset({S.suppressed_by_design}),
    Action.remove_from_service: frozenset({S.normal, S.shelved, S.suppressed_by_design} | ANNUNCIATED_STATES),
    Action.return_to_service: frozenset({S.out_of_service}),
    Action.comment: _ANY_OPEN,
    Action.assign: _ANY_OPEN,
    Action.escalate: frozenset({S.unacknowledged}),
}
OPERATOR_ACTIONS = tuple(ALLOWED_IN)


@dataclass(frozen=True)
class AlarmKey:
    """The alarm point: one condition of one sensor (e.g. `alarm:hihi`, `power_off`, `offline`)."""

    sensor_id: str
    condition: str

    @classmethod
    def of(cls, sensor_id: str, condition: str, level: str | None = None) -> AlarmKey:
        """The key for an engine event: each limit level is its own alarm (`alarm:hihi`)."""
        return cls(sensor_id, f"{condition}:{level}" if level else condition)

    @property
    def token(self) -> str:
        """One string for a single-column unique key; the unit separator cannot occur in ids."""
        return f"{self.sensor_id}\x1f{self.condition}"

    def __str__(self) -> str:
        return f"{self.sensor_id}/{self.condition}"


@dataclass(frozen=True)
class Suppression:
    """Why an alarm is not annunciated: shelved (with `until`), suppressed by design, out of service."""

    state: AlarmState
    by: str
    at: datetime
    reason: str
    until: datetime | None = None


# ---- events ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionActive:
    """The engine saw the condition become active (abnormal)."""

    at: datetime
    action: ClassVar[Action] = Action.condition_active


@dataclass(frozen=True)
class ConditionNormal:
    """The engine saw the condition return to normal."""

    at: datetime
    action: ClassVar[Action] = Action.condition_normal


@dataclass(frozen=True)
class Acknowledge:
    at: datetime
    by: str
    action: ClassVar[Action] = Action.acknowledge


@dataclass(frozen=True)
class Shelve:
    at: datetime
    by: str
    until: datetime
    reason: str
    action: ClassVar[Action] = Action.shelve


@dataclass(frozen=True)
class Unshelve:
    at: datetime
    by: str
    action: ClassVar[Action] = Action.unshelve


@dataclass(frozen=True)
class ShelvingExpired:
    """The timer event: the shelving's expiry has passed (refused before it)."""

    at: datetime
    action: ClassVar[Action] = Action.shelving_expired


@dataclass(frozen=True)
class Suppress:
    """Suppression by design; `by` is the plant-state logic or the person who applied it."""

    at: datetime
    by: str
    reason: str
    action: ClassVar[Action] = Action.suppress


@dataclass(frozen=True)
class Unsuppress:
    at: datetime
    by: str
    action: ClassVar[Action] = Action.unsuppress


@dataclass(frozen=True)
class RemoveFromService:
    at: datetime
    by: str
    reason: str
    action: ClassVar[Action] = Action.remove_from_service


@dataclass(frozen=True)
class ReturnToService:
    at: datetime
    by: str
    action: ClassVar[Action] = Action.return_to_service


@dataclass(frozen=True)
class Comment:
    """Recorded by the service beside the alarm; it does not change the status."""

    at: datetime
    by: str
    text: str
    action: ClassVar[Action] = Action.comment


@dataclass(frozen=True)
class Assign:
    at: datetime
    by: str
    assignee: str
    action: ClassVar[Action] = Action.assign


@dataclass(frozen=True)
class Escalate:
    """The escalation was sent (through the notifier port); refused unless it is due."""

    at: datetime
    action: ClassVar[Action] = Action.escalate


Event = (
    ConditionActive
    | ConditionNormal
    | Acknowledge
    | Shelve
    | Unshelve
    | ShelvingExpired
    | Suppress
    | Unsuppress
    | RemoveFromService
    | ReturnToService
    | Comment
    | Assign
    | Escalate
)


# ---- the status -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmStatus:
    """The current state of one alarm point and of its open record (or its last, closed one)."""

    key: AlarmKey
    priority: Priority
    response_time: timedelta
    state: AlarmState = S.normal
    is_process_active: bool = False  # the process condition, recorded in every state
    process_changed_at: datetime | None = None
    opened_at: datetime | None = None  # the current (or last) record
    closed_at: datetime | None = None
    closed_by: Action | None = None
    annunciated_at: datetime | None = None  # start of the current unacknowledged annunciation
    annunciations: int = 0  # annunciations in this record (a chattering alarm re-annunciates)
    cleared_at: datetime | None = None  # the process returned to normal while annunciated
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    escalated_at: datetime | None = None
    suppression: Suppression | None = None
    assignee: str | None = None
    assigned_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state != S.normal

    @property
    def open_key(self) -> AlarmKey | None:
        """The uniqueness key while open (see the module docstring), None once closed."""
        return self.key if self.is_open else None

    @property
    def is_annunciated(self) -> bool:
        return self.state in ANNUNCIATED_STATES

    @property
    def shelved_until(self) -> datetime | None:
        return self.suppression.until if self.suppression is not None else None


def new_alarm(key: AlarmKey, priority: Priority, response_time: timedelta) -> AlarmStatus:
    """A point in `normal`, with the priority and response time from its rationalisation record."""
    if response_time <= timedelta(0):
        raise InvalidInputError("response_time", "not_positive", "the response time must be positive")
    return AlarmStatus(key=key, priority=priority, response_time=response_time)


def allowed_actions(alarm: AlarmStatus) -> list[Action]:
    """The operator and timer actions the current state allows (escalation only when due is not
    checked here; see `is_due_for_escalation`)."""
    return [action for action, states in ALLOWED_IN.items() if alarm.state in states]


# ---- escalation and shelving timers ----------------------------------------------------------


def escalation_deadline(alarm: AlarmStatus) -> datetime | None:
    """The last instant at which an acknowledgement is still within the response time."""
    if alarm.state != S.unacknowledged or alarm.annunciated_at is None:
        return None
    return alarm.annunciated_at + alarm.response_time


def is_due_for_escalation(alarm: AlarmStatus, at: datetime) -> bool:
    """Active, unacknowledged, not yet escalated, and more than its response time since it was
    annunciated. At exactly the response time it is not yet due: an acknowledgement at that
    instant is still within the response time. A returned-to-normal alarm does not escalate."""
    deadline = escalation_deadline(alarm)
    return deadline is not None and alarm.escalated_at is None and at > deadline


def is_shelving_expired(alarm: AlarmStatus, at: datetime) -> bool:
    """Shelved, and `at` is at or after the expiry."""
    until = alarm.shelved_until
    return alarm.state == S.shelved and until is not None and at >= until


def is_annunciation(before: AlarmStatus, after: AlarmStatus) -> bool:
    """Did this transition annunciate the alarm (a new unacknowledged alarm for the operator)?
    The persistence layer writes a KPI annunciation record for each one."""
    return after.state == S.unacknowledged and before.state != S.unacknowledged


# ---- apply ----------------------------------------------------------------------------------


def apply(alarm: AlarmStatus, event: Event) -> AlarmStatus:
    """The status after `event`, or ConflictError / InvalidInputError saying why not."""
    _check_event(event)
    if isinstance(event, ConditionActive | ConditionNormal):
        return _process(alarm, isinstance(event, ConditionActive), event.at)
    _check_allowed(alarm, event)
    return _operator(alarm, event)


def _check_event(event: Event) -> None:
    if event.at.tzinfo is None:
        raise InvalidInputError("at", "naive_datetime", "the event time must carry a timezone")
    for name in ("by", "reason", "text", "assignee"):
        value = getattr(event, name, None)
        if value is not None and not value.strip():
            raise InvalidInputError(name, "empty", f"{name} must not be empty")
    if isinstance(event, Shelve):
        if event.until.tzinfo is None:
            raise InvalidInputError("until", "naive_datetime", "the shelving expiry must carry a timezone")
        if event.until <= event.at:
            raise InvalidInputError("until", "not_after_at", "the shelving expiry must be after the shelving")


def _refuse(alarm: AlarmStatus, action: Action, why: str) -> ConflictError:
    allowed = [a.value for a in allowed_actions(alarm)]
    reason = f"alarm {alarm.key} is {alarm.state.value}; {action.value} {why} (allowed now: {', '.join(allowed) or '—'})"
    return ConflictError(reason=reason, state=alarm.state.value, action=action.value, allowed=allowed)


def _check_allowed(alarm: AlarmStatus, event: Event) -> None:
    if alarm.state not in ALLOWED_IN[event.action]:
        raise _refuse(alarm, event.action, "is not allowed now")
    if isinstance(event, ShelvingExpired) and not is_shelving_expired(alarm, event.at):
        raise _refuse(alarm, event.action, f"is refused: the shelving runs until {alarm.shelved_until}")
    if isinstance(event, Escalate) and not is_due_for_escalation(alarm, event.at):
        raise _refuse(alarm, event.action, f"is refused: not due (deadline {escalation_deadline(alarm)})")


def _open(alarm: AlarmStatus, at: datetime) -> AlarmStatus:
    """Start a new record: nothing of the last one carries over."""
    return replace(
        alarm,
        opened_at=at,
        closed_at=None,
        closed_by=None,
        annunciated_at=None,
        annunciations=0,
        cleared_at=None,
        acknowledged_at=None,
        acknowledged_by=None,
        escalated_at=None,
        suppression=None,
        assignee=None,
        assigned_at=None,
    )


def _close(alarm: AlarmStatus, at: datetime, by: Action) -> AlarmStatus:
    return replace(alarm, state=S.normal, closed_at=at, closed_by=by, suppression=None)


def _annunciate(alarm: AlarmStatus, at: datetime) -> AlarmStatus:
    """A fresh unacknowledged annunciation (from normal or on leaving a suppression)."""
    return replace(
        alarm,
        state=S.unacknowledged,
        annunciated_at=at,
        annunciations=alarm.annunciations + 1,
        cleared_at=None,
        acknowledged_at=None,
        acknowledged_by=None,
        escalated_at=None,
        suppression=None,
    )


def _process(alarm: AlarmStatus, is_active: bool, at: datetime) -> AlarmStatus:
    if alarm.is_process_active == is_active:
        return alarm  # a repeated process event: nothing changes
    recorded = replace(alarm, is_process_active=is_active, process_changed_at=at)
    match alarm.state, is_active:
        case S.normal, True:
            return _annunciate(_open(recorded, at), at)
        case S.returned_unacknowledged, True:  # D → B: annunciated again, still unacknowledged
            return replace(
                recorded, state=S.unacknowledged, cleared_at=None, annunciations=alarm.annunciations + 1
            )
        case S.unacknowledged, False:
            return replace(recorded, state=S.returned_unacknowledged, cleared_at=at)
        case S.acknowledged, False:
            return _close(replace(recorded, cleared_at=at), at, Action.condition_normal)
    return recorded  # shelved, suppressed, out of service: recorded, not annunciated


def _reevaluate(alarm: AlarmStatus, at: datetime, by: Action) -> AlarmStatus:
    """Leaving a suppression: annunciate afresh if the process is active, close if it is normal."""
    return _annunciate(alarm, at) if alarm.is_process_active else _close(alarm, at, by)


def _suppress(alarm: AlarmStatus, suppression: Suppression) -> AlarmStatus:
    base = _open(alarm, suppression.at) if alarm.state == S.normal else alarm
    return replace(base, state=suppression.state, suppression=suppression)


def _operator(alarm: AlarmStatus, event: Event) -> AlarmStatus:
    match event:
        case Acknowledge(at=at, by=by):
            if alarm.state == S.returned_unacknowledged:
                return _close(replace(alarm, acknowledged_at=at, acknowledged_by=by), at, Action.acknowledge)
            return replace(alarm, state=S.acknowledged, acknowledged_at=at, acknowledged_by=by)
        case Shelve(at=at, by=by, until=until, reason=reason):
            return _suppress(alarm, Suppression(S.shelved, by, at, reason, until))
        case Suppress(at=at, by=by, reason=reason):
            return _suppress(alarm, Suppression(S.suppressed_by_design, by, at, reason))
        case RemoveFromService(at=at, by=by, reason=reason):
            return _suppress(alarm, Suppression(S.out_of_service, by, at, reason))
        case Unshelve() | ShelvingExpired() | Unsuppress() | ReturnToService():
            return _reevaluate(alarm, event.at, event.action)
        case Assign(at=at, assignee=assignee):
            return replace(alarm, assignee=assignee, assigned_at=at)
        case Escalate(at=at):
            return replace(alarm, escalated_at=at)
    return alarm  # Comment: the service stores it; the status does not change


# ---- invariants -----------------------------------------------------------------------------


def consistency_problems(alarm: AlarmStatus) -> list[str]:
    """What is impossible about this status; empty for every status `apply` can produce."""
    problems: list[str] = []
    state, sup = alarm.state, alarm.suppression

    def need(ok: bool, problem: str) -> None:
        if not ok:
            problems.append(problem)

    need((sup is not None) == (state in SUPPRESSION_STATES), "suppression record does not match the state")
    need(sup is None or (sup.until is not None) == (sup.state == S.shelved), "shelved without expiry")
    need(sup is None or sup.state == state, "suppression record of another state")
    need(state != S.normal or not alarm.is_process_active, "normal while the process is active")
    need(
        state not in {S.unacknowledged, S.acknowledged} or alarm.is_process_active,
        "in alarm while the process is normal",
    )
    need(state != S.returned_unacknowledged or not alarm.is_process_active, "returned to normal while active")
    unacked = state in {S.unacknowledged, S.returned_unacknowledged}
    need(not unacked or alarm.acknowledged_at is None, "unacknowledged but carries an acknowledgement")
    need(not unacked or alarm.annunciated_at is not None, "unacknowledged without an annunciation time")
    need(state != S.acknowledged or alarm.acknowledged_at is not None, "acknowledged without a time")
    need(alarm.is_open == (alarm.closed_at is None and alarm.opened_at is not None), "open/closed mismatch")
    need(
        not (
            alarm.closed_by in {Action.condition_normal, Action.acknowledge} and alarm.acknowledged_at is None
        ),
        "closed but unacknowledged",
    )
    need(alarm.escalated_at is None or alarm.annunciated_at is not None, "escalated but never annunciated")
    return problems
