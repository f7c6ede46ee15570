"""Risk assessment of the dual-prevention register: LEC bands, matrix cells, mappings, residual risk."""

from __future__ import annotations

from decimal import Decimal

import pytest

from zhiben.dualprevention import assessment as a
from zhiben.dualprevention.assessment import Change, RiskLevel, Trigger
from zhiben.dualprevention.controls import ControlFlag, ControlLevel, control_flag, strongest
from zhiben.errors import InvalidInputError

# (D, danger band's lower bound, default level): each band of lec_d_bands.csv at and just past its edges
LEC_BOUNDARIES = [
    ("0.05", 0, RiskLevel.low),
    ("20", 0, RiskLevel.low),
    ("20.01", 20, RiskLevel.low),
    ("70", 20, RiskLevel.low),
    ("70.01", 70, RiskLevel.moderate),
    ("160", 70, RiskLevel.moderate),
    ("160.01", 160, RiskLevel.high),
    ("320", 160, RiskLevel.high),
    ("320.01", 320, RiskLevel.major),
    ("10000", 320, RiskLevel.major),
]


@pytest.mark.parametrize(("d", "band_min", "level"), LEC_BOUNDARIES)
def test_each_lec_band_includes_its_upper_bound_and_excludes_its_lower(
    d: str, band_min: int, level: RiskLevel
) -> None:
    value = Decimal(d)
    assert a.lec_band(value).d_min_exclusive == band_min
    assert a.lec_mapping().level(value) is level


def test_d_of_320_is_highly_dangerous_not_extremely() -> None:
    band = a.lec_band(Decimal(320))
    assert band.danger_zh.startswith("高度危险") and band.row == 3


def test_s5_5_mapping_makes_more_than_160_major() -> None:
    other = a.lec_mapping("s5_5")
    assert other.level(Decimal("160.01")) is RiskLevel.major
    assert other.level(Decimal(160)) is RiskLevel.high
    assert other.level(Decimal(70)) is RiskLevel.moderate
    assert other.level(Decimal(20)) is RiskLevel.low


def test_lec_from_table_factors_is_exact() -> None:
    # 1 × 10 × 7 = 70 exactly: the 20–70 band, blue by default
    result = a.assess_lec(1, 10, 7)
    assert result.d == 70 and result.level is RiskLevel.low and result.band.d_min_exclusive == 20
    assert a.assess_lec("0.5", 1, 40).d == 20
    assert a.assess_lec(0.1, 0.5, 1).d == Decimal("0.05")
    top = a.assess_lec(10, 10, 100)
    assert top.d == 10000 and top.level is RiskLevel.major and top.level.colour == "red"


@pytest.mark.parametrize(
    ("l_", "e", "c", "field"), [(2, 6, 7, "L"), (6, 4, 7, "E"), (6, 6, 50, "C"), ("x", 6, 7, "L")]
)
def test_factor_values_outside_the_table_are_refused(l_: object, e: object, c: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        a.assess_lec(l_, e, c)
    assert caught.value.details["fields"][0]["field"] == field


def test_every_wrong_factor_is_reported_at_once() -> None:
    with pytest.raises(InvalidInputError) as caught:
        a.assess_lec(2, 4, 50)
    assert [f["field"] for f in caught.value.details["fields"]] == ["L", "E", "C"]


def test_a_province_mapping_is_loaded_and_checked() -> None:
    mapping = a.parse_lec_mapping("d_min_exclusive,level\n240,major\n100,high\n40,moderate\n0,low\n", "xx")
    assert mapping.level(Decimal(240)) is RiskLevel.high and mapping.level(Decimal(241)) is RiskLevel.major
    with pytest.raises(InvalidInputError, match="lowest threshold"):
        a.parse_lec_mapping("d_min_exclusive,level\n240,major\n", "xx")
    with pytest.raises(InvalidInputError, match="lower level"):
        a.parse_lec_mapping("d_min_exclusive,level\n240,low\n0,major\n", "xx")
    with pytest.raises(InvalidInputError, match="red"):
        a.parse_lec_mapping("d_min_exclusive,level\n0,red\n", "xx")


EXPECTED_DEFAULT_CELLS = {
    1: "LLLMM",  # L = 1, S = 1..5 (R = 1..5): ≥ 4 moderate
    2: "LMMMH",  # R = 2, 4, 6, 8, 10
    3: "LMHHX",  # R = 3, 6, 9, 12, 15
    4: "MMHXX",  # R = 4, 8, 12, 16, 20
    5: "MHXXX",  # R = 5, 10, 15, 20, 25
}
CODE = {"L": RiskLevel.low, "M": RiskLevel.moderate, "H": RiskLevel.high, "X": RiskLevel.major}


@pytest.mark.parametrize(("likelihood", "severity"), [(li, s) for li in range(1, 6) for s in range(1, 6)])
def test_each_default_matrix_cell(likelihood: int, severity: int) -> None:
    result = a.assess_matrix(likelihood, severity)
    assert result.level is CODE[EXPECTED_DEFAULT_CELLS[likelihood][severity - 1]]
    assert result.r == likelihood * severity


def test_matrix_cut_offs_are_inclusive_at_15_9_and_4() -> None:
    assert a.assess_matrix(3, 5).level is RiskLevel.major  # R = 15
    assert a.assess_matrix(3, 4).level is RiskLevel.high  # R = 12
    assert a.assess_matrix(3, 3).level is RiskLevel.high  # R = 9
    assert a.assess_matrix(2, 4).level is RiskLevel.moderate  # R = 8
    assert a.assess_matrix(2, 2).level is RiskLevel.moderate  # R = 4
    assert a.assess_matrix(1, 3).level is RiskLevel.low  # R = 3


@pytest.mark.parametrize(("likelihood", "severity"), [(0, 3), (6, 3), (3, 0), ("2.5", 1), (True, 2)])
def test_matrix_scale_values_outside_1_to_5_are_refused(likelihood: object, severity: object) -> None:
    with pytest.raises(InvalidInputError):
        a.assess_matrix(likelihood, severity)


def test_a_matrix_missing_a_cell_or_not_monotone_is_refused() -> None:
    rows = "likelihood,severity,level\n" + "".join(
        f"{li},{s},low\n" for li in range(1, 6) for s in range(1, 6)
    )
    assert a.parse_risk_matrix(rows, "flat").cells[(5, 5)] is RiskLevel.low
    with pytest.raises(InvalidInputError, match="missing"):
        a.parse_risk_matrix(rows.replace("5,5,low\n", ""), "xx")
    with pytest.raises(InvalidInputError, match="lower"):
        a.parse_risk_matrix(rows.replace("1,1,low", "1,1,major"), "xx")


def test_residual_risk_reassesses_likelihood_only() -> None:
    inherent = a.assess_lec(6, 6, 15)  # D = 540: major
    residual = a.residual_lec(inherent, 1)  # D = 90: moderate
    assert inherent.level is RiskLevel.major
    assert (residual.d, residual.level, residual.exposure, residual.consequence) == (
        90,
        RiskLevel.moderate,
        6,
        15,
    )
    with pytest.raises(InvalidInputError, match="exceed"):
        a.residual_lec(inherent, 10)
    cell = a.residual_matrix(a.assess_matrix(5, 4), 2)
    assert (cell.likelihood, cell.severity, cell.level) == (2, 4, RiskLevel.moderate)


def test_a_changed_control_and_a_closed_hazard_trigger_reassessment_of_their_events() -> None:
    events = {"m1": "e1", "m2": "e1", "m3": "e2", "m4": "e3"}
    changes = [Change(Trigger.control_changed, "m3"), Change(Trigger.hazard_closed, "m1", "h9")]
    result = a.events_to_reassess(changes, events)
    assert list(result) == ["e1", "e2"]
    assert result["e1"][0].ref == "h9"
    with pytest.raises(InvalidInputError, match="m7"):
        a.events_to_reassess([Change(Trigger.control_changed, "m7")], events)


def test_levels_carry_their_national_colours() -> None:
    assert [(lv.colour, lv.name_zh, lv.rank) for lv in RiskLevel] == [
        ("red", "重大风险", 4),
        ("orange", "较大风险", 3),
        ("yellow", "一般风险", 2),
        ("blue", "低风险", 1),
    ]


# --- the hierarchy of controls ---


C = ControlLevel


@pytest.mark.parametrize(
    ("levels", "flag"),
    [
        ((), ControlFlag.uncontrolled_major),
        ((C.administrative,), ControlFlag.major_only_administrative_or_ppe),
        ((C.ppe,), ControlFlag.major_only_administrative_or_ppe),
        ((C.administrative, C.ppe, C.administrative), ControlFlag.major_only_administrative_or_ppe),
        ((C.administrative, C.engineering), None),
        ((C.ppe, C.substitution), None),
        ((C.elimination,), None),
    ],
)
def test_a_major_risk_controlled_only_by_administration_or_ppe_is_flagged(
    levels: tuple[ControlLevel, ...], flag: ControlFlag | None
) -> None:
    assert control_flag(RiskLevel.major, levels) is flag


@pytest.mark.parametrize("level", [RiskLevel.high, RiskLevel.moderate, RiskLevel.low])
def test_below_major_no_flag_even_with_ppe_only_or_nothing(level: RiskLevel) -> None:
    assert control_flag(level, (C.ppe,)) is None
    assert control_flag(level, ()) is None


def test_the_strongest_control_is_the_highest_in_the_hierarchy() -> None:
    assert strongest([C.ppe, C.engineering, C.administrative]) is C.engineering
    assert strongest([]) is None
    assert [c.rank for c in ControlLevel] == [1, 2, 3, 4, 5]
