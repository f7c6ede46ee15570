"""The hazard lifecycle as pure rules: which action is open in which state, to whom. No database.

The expected tables below are written out from the lifecycle diagram and the roles in PRODUCT.md,
not derived from `TRANSITIONS` or `role_may`, so a change to either shows up here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from zhiben.auth.domain import Principal, Role
from zhiben.errors import IllegalTransitionError, InvalidInputError, PermissionDeniedError
from zhiben.hazard.domain import (
    Action,
    HazardFacts,
    HazardLevel,
    HazardState,
    Plan,
    allowed_actions,
    check_citation,
    check_plan,
    escalated,
    next_state,
)

S, A = HazardState, Action
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
COUNTY = "320311"
OWN_ENTERPRISE = 7

# Which actions each state offers (to someone allowed to take them), from the lifecycle diagram.
OFFERED: dict[HazardState, set[Action]] = {
    S.reported: {A.determine, A.reject},
    S.determined: {A.reject, A.plan},
    S.planned: {A.start},
    S.rectifying: {A.complete},
    S.rectified: {A.verify, A.fail_verification},
    S.verified: {A.close},
    S.closed: set(),
    S.rejected: set(),
    S.reopened: {A.plan, A.start},
}
TARGET: dict[Action, HazardState] = {
    A.determine: S.determined,
    A.reject: S.rejected,
    A.plan: S.planned,
    A.start: S.rectifying,
    A.complete: S.rectified,
    A.verify: S.verified,
    A.fail_verification: S.reopened,
    A.close: S.closed,
}

ACTORS: dict[str, Principal] = {
    "enterprise_own": Principal(1, "own", Role.enterprise, enterprise_id=OWN_ENTERPRISE),
    "enterprise_other": Principal(2, "other", Role.enterprise, enterprise_id=OWN_ENTERPRISE + 1),
    "regulator_county": Principal(3, "county", Role.regulator, division_code=COUNTY),
    "regulator_city": Principal(4, "city", Role.regulator, division_code="320300"),
    "regulator_province": Principal(5, "province", Role.regulator, division_code="320000"),
    "regulator_nation": Principal(6, "nation", Role.regulator, division_code=""),
    "regulator_neighbour_county": Principal(7, "nb", Role.regulator, division_code="320312"),
    "regulator_other_province": Principal(8, "gd", Role.regulator, division_code="440000"),
    "officer_in": Principal(9, "officer", Role.officer, division_code=COUNTY),
    "officer_out": Principal(10, "officer2", Role.officer, division_code="440305"),
    "service_provider": Principal(11, "insurer", Role.service_provider, provider_org="人保"),
    "department_in": Principal(
        12, "dept", Role.department, division_code="320300", sectors=frozenset({"hazchem_production"})
    ),
    "admin": Principal(13, "admin", Role.admin),
}
IN_JURISDICTION = {
    "regulator_county",
    "regulator_city",
    "regulator_province",
    "regulator_nation",
    "admin",
}
OUT_OF_JURISDICTION = {"regulator_neighbour_county", "regulator_other_province"}

# Who may take each action, by hazard level (None: not yet determined), whatever the state.
GOV_IN = IN_JURISDICTION | {"officer_in"}
WHO: dict[Action, dict[HazardLevel | None, set[str]]] = {
    A.determine: {lvl: GOV_IN | {"enterprise_own"} for lvl in (None, *HazardLevel)},
    A.reject: {lvl: set(GOV_IN) for lvl in (None, *HazardLevel)},
    **{
        action: {lvl: IN_JURISDICTION | {"enterprise_own"} for lvl in (None, *HazardLevel)}
        for action in (A.plan, A.start, A.complete)
    },
    **{
        action: {
            None: IN_JURISDICTION | {"enterprise_own"},
            HazardLevel.general: IN_JURISDICTION | {"enterprise_own"},
            HazardLevel.major: set(IN_JURISDICTION),
        }
        for action in (A.verify, A.fail_verification, A.close)
    },
}
NOBODY_ELSE = {"enterprise_other", "service_provider", "department_in", "officer_out"} | OUT_OF_JURISDICTION


def facts(state: HazardState, level: HazardLevel | None, listing: str | None = None) -> HazardFacts:
    return HazardFacts(
        state=state, level=level, county_code=COUNTY, enterprise_id=OWN_ENTERPRISE, listing_division=listing
    )


def expected_actions(who: str, state: HazardState, level: HazardLevel | None) -> set[Action]:
    return {action for action in OFFERED[state] if who in WHO[action][level]}


STATES_AND_LEVELS = [(state, level) for state in HazardState for level in (None, *HazardLevel)]


@pytest.mark.parametrize("who", list(ACTORS))
def test_allowed_actions_are_exactly_what_the_state_offers_to_the_role(who: str) -> None:
    wrong = {
        (state.value, level): (sorted(got), sorted(want))
        for state, level in STATES_AND_LEVELS
        if (got := set(allowed_actions(ACTORS[who], facts(state, level))))
        != (want := expected_actions(who, state, level))
    }
    assert wrong == {}


def _outcome(action: Action, actor: Principal, hazard: HazardFacts) -> object:
    try:
        return next_state(action, actor, hazard)
    except IllegalTransitionError as error:
        return ("illegal", error.details["state"], error.details["action"], sorted(error.details["allowed"]))
    except PermissionDeniedError:
        return "denied"


@pytest.mark.parametrize("who", list(ACTORS))
def test_next_state_moves_allowed_actors_and_refuses_the_rest(who: str) -> None:
    wrong = {}
    for state, level in STATES_AND_LEVELS:
        allowed_now = sorted(a.value for a in expected_actions(who, state, level))
        for action in Action:
            if action not in OFFERED[state]:
                want: object = ("illegal", state.value, action.value, allowed_now)
            elif who not in WHO[action][level]:
                want = "denied"
            else:
                want = TARGET[action]
            got = _outcome(action, ACTORS[who], facts(state, level))
            if got != want:
                wrong[(state.value, level, action.value)] = (got, want)
    assert wrong == {}


def test_closed_and_rejected_hazards_allow_nothing_to_anyone() -> None:
    for state in (S.closed, S.rejected):
        for actor in ACTORS.values():
            assert allowed_actions(actor, facts(state, HazardLevel.major)) == []


def test_major_hazard_cannot_close_without_regulator_verification() -> None:
    own = ACTORS["enterprise_own"]
    assert A.verify not in allowed_actions(own, facts(S.rectified, HazardLevel.major))
    assert A.close not in allowed_actions(own, facts(S.verified, HazardLevel.major))
    with pytest.raises(IllegalTransitionError):
        next_state(A.close, ACTORS["regulator_county"], facts(S.rectified, HazardLevel.major))


def test_general_hazard_can_be_verified_and_closed_by_the_enterprise_itself() -> None:
    own = ACTORS["enterprise_own"]
    assert next_state(A.verify, own, facts(S.rectified, HazardLevel.general)) == S.verified
    assert next_state(A.close, own, facts(S.verified, HazardLevel.general)) == S.closed


@pytest.mark.parametrize(
    ("who", "may_close"),
    [
        ("regulator_county", False),
        ("regulator_city", False),
        ("regulator_province", True),
        ("regulator_nation", True),
        ("admin", True),
        ("regulator_other_province", False),
        ("enterprise_own", False),
    ],
)
def test_a_hazard_listed_by_the_province_is_closed_only_by_the_province_or_above(
    who: str, may_close: bool
) -> None:
    hazard = facts(S.verified, HazardLevel.major, listing="320000")
    assert (A.close in allowed_actions(ACTORS[who], hazard)) is may_close


def test_a_hazard_listed_by_the_city_is_closed_by_that_city_not_by_another_city_or_the_county() -> None:
    hazard = facts(S.verified, HazardLevel.major, listing="320300")
    assert A.close in allowed_actions(ACTORS["regulator_city"], hazard)
    assert A.close not in allowed_actions(ACTORS["regulator_county"], hazard)
    other_city = Principal(20, "suzhou", Role.regulator, division_code="320500")
    assert A.close not in allowed_actions(other_city, hazard)


def test_listing_does_not_restrict_verification_only_close_out() -> None:
    hazard = facts(S.rectified, HazardLevel.major, listing="320000")
    assert A.verify in allowed_actions(ACTORS["regulator_county"], hazard)


def test_an_illegal_transition_names_the_state_and_what_this_user_may_do_now() -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        next_state(A.close, ACTORS["enterprise_own"], facts(S.determined, HazardLevel.major))
    assert caught.value.details["state"] == "determined"
    assert caught.value.details["allowed"] == ["plan"]
    assert "plan" in caught.value.message("en")


def five(deadline: datetime = NOW + timedelta(days=30), **changes: object) -> Plan:
    fields: dict[str, object] = {
        "responsible_person": "张伟",
        "measures": "更换检测报警装置",
        "deadline_at": deadline,
        "funds_yuan": Decimal("85000"),
        "contingency": "停用罐区",
    }
    fields.update(changes)
    return Plan(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("responsible_person", {"responsible_person": "  "}),
        ("measures", {"measures": ""}),
        ("deadline_at", {"deadline_at": NOW}),
        ("funds_yuan", {"funds_yuan": None}),
        ("funds_yuan", {"funds_yuan": Decimal("0")}),
        ("contingency", {"contingency": " "}),
    ],
)
def test_a_major_hazard_plan_needs_all_five_implementations(field: str, changes: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_plan(five(**changes), HazardLevel.major, NOW)  # type: ignore[arg-type]
    assert caught.value.details["fields"][0]["field"] == field


def test_a_general_hazard_plan_needs_no_funds_or_contingency() -> None:
    check_plan(five(funds_yuan=None, contingency=""), HazardLevel.general, NOW)
    with pytest.raises(InvalidInputError):
        check_plan(five(funds_yuan=Decimal("-1")), HazardLevel.general, NOW)


def test_a_major_determination_cites_its_clause() -> None:
    with pytest.raises(InvalidInputError):
        check_citation(HazardLevel.major, None)
    with pytest.raises(InvalidInputError):
        check_citation(HazardLevel.major, {"pack": "hazchem", "clause": " "})
    check_citation(HazardLevel.major, {"clause": "1"})
    check_citation(HazardLevel.general, None)


@pytest.mark.parametrize(
    ("county", "levels", "to"),
    [("320311", 1, "320300"), ("320311", 2, "320000"), ("320311", 3, ""), ("440305", 1, "440300")],
)
def test_escalation_goes_up_the_division_tree(county: str, levels: int, to: str) -> None:
    assert escalated(county, levels) == to
