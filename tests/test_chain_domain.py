"""One thing, whole chain: the matrix overlay, gaps and overlaps, referral states, similar business. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from zhiben.chain.domain import (
    Assignment,
    AssignmentRole,
    Department,
    KnownBusinessType,
    Named,
    ReferralAction,
    ReferralState,
    Stage,
    Thing,
    chain_report,
    departments_of,
    effective_matrix,
    is_referral_overdue,
    nearest_business_type,
    next_referral_state,
    normalise_industry_code,
    propose_department,
)
from zhiben.chain.service import reference
from zhiben.errors import InvalidInputError, ReferralTransitionError

GAS = Thing("urban_gas", "城镇燃气", "urban gas", (Stage.production, Stage.sale, Stage.use))
LEAD, SUPPORT = AssignmentRole.lead, AssignmentRole.support


def a(stage: Stage, dept: str, role: AssignmentRole = LEAD, division: str = "") -> Assignment:
    return Assignment("urban_gas", stage, dept, role, "basis", division)


def test_a_stage_nobody_leads_is_a_gap_and_two_leads_an_overlap() -> None:
    matrix = effective_matrix(
        [
            a(Stage.sale, "housing_construction"),
            a(Stage.use, "market_regulation"),
            a(Stage.use, "fire_rescue"),
        ],
        [],
    )
    report = chain_report("", [GAS], matrix)
    assert [(c.thing, c.stage) for c in report.gaps] == [("urban_gas", Stage.production)]
    assert [(c.stage, [x.department for x in c.leads]) for c in report.overlaps] == [
        (Stage.use, ["fire_rescue", "market_regulation"])
    ]
    assert len(report.cells) == 3


def test_a_lower_level_replaces_the_whole_cell_and_support_only_leaves_a_gap() -> None:
    national = [a(Stage.sale, "housing_construction"), a(Stage.sale, "market_regulation", SUPPORT)]
    province = [a(Stage.use, "housing_construction", division="320000")]
    city = [a(Stage.sale, "housing_construction", SUPPORT, "320500")]
    matrix = effective_matrix(national, [[], province, city])
    report = chain_report("320500", [GAS], matrix)
    sale = next(c for c in report.cells if c.stage == Stage.sale)
    assert sale.is_gap and [x.department for x in sale.supports] == ["housing_construction"]
    use = next(c for c in report.cells if c.stage == Stage.use)
    assert [x.division_code for x in use.leads] == ["320000"]


def test_a_department_user_belongs_by_department_code_or_by_a_sector_it_handles() -> None:
    depts = [
        Department("housing_construction", "住建", "housing", frozenset({"construction", "urban_gas"})),
        Department("transport", "交通", "transport", frozenset({"road_transport"})),
        Department("fire_rescue", "消防", "fire"),
    ]
    assert departments_of({"urban_gas"}, depts) == {"housing_construction"}
    assert departments_of({"fire_rescue", "road_transport"}, depts) == {"fire_rescue", "transport"}
    assert departments_of({"coal_mine"}, depts) == frozenset()


def test_referral_moves_referred_acknowledged_handled_and_overdue_can_still_be_acknowledged() -> None:
    state = next_referral_state(ReferralState.referred, ReferralAction.acknowledge)
    assert next_referral_state(state, ReferralAction.record_outcome) == ReferralState.handled
    overdue = next_referral_state(ReferralState.referred, ReferralAction.mark_overdue)
    assert next_referral_state(overdue, ReferralAction.acknowledge) == ReferralState.acknowledged
    with pytest.raises(ReferralTransitionError) as info:
        next_referral_state(ReferralState.referred, ReferralAction.record_outcome)
    assert info.value.details["allowed"] == ["acknowledge"]
    with pytest.raises(ReferralTransitionError):
        next_referral_state(ReferralState.handled, ReferralAction.acknowledge)


def test_only_an_unacknowledged_referral_past_its_deadline_is_overdue() -> None:
    deadline = datetime(2026, 3, 7, tzinfo=UTC)
    assert is_referral_overdue(ReferralState.referred, deadline, deadline + timedelta(seconds=1))
    assert not is_referral_overdue(ReferralState.referred, deadline, deadline)
    assert not is_referral_overdue(ReferralState.acknowledged, deadline, deadline + timedelta(days=9))


KNOWN = (
    KnownBusinessType(
        "escape", "密室逃脱", "escape room", "9019", frozenset({"open_to_public"}), "culture_tourism"
    ),
    KnownBusinessType(
        "ktv", "歌舞厅", "karaoke", "9011", frozenset({"open_to_public", "gas"}), "fire_rescue", True
    ),
    KnownBusinessType(
        "chem", "化工", "chemicals", "26", frozenset({"hazchem"}), "emergency_management", True
    ),
)


def test_the_nearest_business_type_is_decided_by_industry_code_first_then_attributes() -> None:
    near = nearest_business_type("R9019", frozenset({"hazchem"}), KNOWN)
    assert near.known.code == "escape" and near.prefix_digits == 4
    near = nearest_business_type("9012", frozenset({"open_to_public", "gas"}), KNOWN)
    assert near.known.code == "ktv" and near.differing == frozenset() and near.distance == 10
    near = nearest_business_type("2614", frozenset(), KNOWN)
    assert near.known.code == "chem" and near.prefix_digits == 2


def test_the_reason_names_the_neighbour_the_matched_features_and_a_missing_legal_basis() -> None:
    attrs = {c: Named(c, c, c) for c in ("open_to_public", "gas", "hazchem")}
    depts = {k.department: Department(k.department, k.department, k.department) for k in KNOWN}
    proposal = propose_department("9019", frozenset({"open_to_public"}), KNOWN, attrs, depts)
    assert proposal.department == "culture_tourism"
    assert "escape room" in proposal.reason_en and "open_to_public" in proposal.reason_en
    assert "without legal basis" in proposal.reason_en and "密室逃脱" in proposal.reason_zh
    with pytest.raises(InvalidInputError):
        propose_department("9019", frozenset({"flying"}), KNOWN, attrs, depts)


@pytest.mark.parametrize("code", ["9", "90190", "ABCD", "R90x9"])
def test_an_industry_code_is_two_to_four_digits(code: str) -> None:
    with pytest.raises(InvalidInputError):
        normalise_industry_code(code)


def test_the_reference_data_leaves_unsourced_stages_unassigned_and_every_default_has_a_source() -> None:
    ref = reference()
    assert all("Source:" in d.basis and d.confidence for d in ref.defaults)
    report = chain_report("", ref.things.values(), effective_matrix(ref.defaults, []))
    gaps = {(c.thing, c.stage.value) for c in report.gaps}
    assert ("e_bike_and_battery", "use") in gaps and ("self_built_house_for_business", "use") in gaps
    assert ("urban_gas", "sale") not in gaps and ("hazardous_chemicals", "approval") in gaps
    assert report.overlaps == ()
    assert not ref.acknowledge_has_legal_basis  # the referral deadline is a configurable default
    used = {d.department for d in ref.defaults}
    assert all(ref.departments[d].in_reference for d in used)
