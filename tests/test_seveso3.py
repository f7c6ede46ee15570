"""Seveso III Annex I: single entries, the three note 4 sums, single-value entries and the 2 % rule."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhiben.cli.main import app
from zhiben.errors import InvalidInputError
from zhiben.standards.seveso3 import Holding, Tier, assess, read_inventory


def held(
    substance: str,
    q: str,
    categories: str = "",
    cas: str = "",
    isolated: bool = False,
    unit: str = "U1",
) -> Holding:
    return Holding(
        unit=unit,
        substance=substance,
        quantity_t=Fraction(q),
        cas=cas,
        categories=tuple(c for c in categories.split(";") if c),
        is_isolated=isolated,
    )


SUMMED_TO_LOWER = {
    "health": [held("毒物甲", "30", "H2"), held("毒物乙", "2", "H1")],  # 30/50 + 2/5
    "physical": [held("可燃气", "6", "P2"), held("易燃液", "4", "P5a")],  # 6/10 + 4/10
    "environmental": [held("水生甲", "60", "E1"), held("水生乙", "80", "E2")],  # 60/100 + 80/200
}
SUMMED_TO_UPPER = {
    # single-value arsenic trioxide 0.09/0.1 + chlorine 9/25: each under its lower-tier quantity
    "health": [held("三氧化二砷", "0.09", "H1", cas="1327-53-3"), held("液氯", "9", "H2", cas="7782-50-5")],
    # 149/500 + 3 × 49/200: every category under its lower-tier quantity
    "physical": [
        held("气雾剂", "149", "P3a"),
        held("烟花", "49", "P1b"),
        held("氧化性气体", "49", "P4"),
        held("过氧化物", "49", "P6b"),
    ],
    # 99/200 + 199/500 + sodium hypochlorite mixture (Part 2 item 41) 199/500
    "environmental": [
        held("水生甲", "99", "E1"),
        held("水生乙", "199", "E2"),
        Holding("U1", "次氯酸钠溶液", Fraction(199), categories=("E1",), part2_item=41),
    ],
}


@pytest.mark.parametrize("family", ["health", "physical", "environmental"])
def test_each_family_sum_reaches_lower_tier_when_no_single_entry_does(family: str) -> None:
    result = assess(SUMMED_TO_LOWER[family])
    assert all(entry.reaches is None for entry in result.entries)
    assert result.tier is Tier.LOWER
    [decision] = result.decided_by
    assert (decision.rule, decision.subject, decision.value) == ("note4", family, 1)


@pytest.mark.parametrize("family", ["health", "physical", "environmental"])
def test_each_family_sum_reaches_upper_tier_when_no_single_entry_does(family: str) -> None:
    result = assess(SUMMED_TO_UPPER[family])
    assert all(entry.reaches is None for entry in result.entries)
    assert result.tier is Tier.UPPER
    assert [(d.rule, d.subject) for d in result.decided_by] == [("note4", family)]
    summed = next(s for s in result.sums if s.family == family)
    assert summed.total.upper >= 1 > max(term.ratio.lower for term in summed.terms)


def test_the_sums_are_kept_apart_by_family() -> None:
    result = assess([held("毒物", "30", "H2"), held("可燃气", "6", "P2"), held("水生", "60", "E1")])
    assert result.tier is None
    assert {s.family: s.total.lower for s in result.sums} == {
        "health": Fraction(3, 5),
        "physical": Fraction(3, 5),
        "environmental": Fraction(3, 5),
    }


def test_other_hazards_o1_to_o3_count_alone_and_in_no_sum() -> None:
    result = assess([held("遇水反应物", "99", "O1"), held("毒物", "49", "H2")])
    assert result.tier is None
    assert all(not s.terms or s.family == "health" for s in result.sums)
    assert assess([held("遇水反应物", "100", "O1")]).tier is Tier.LOWER


@pytest.mark.parametrize(
    ("q", "tier"),
    [
        ("9.999", None),
        ("10", Tier.LOWER),
        ("10.001", Tier.LOWER),
        ("24.999", Tier.LOWER),
        ("25", Tier.UPPER),
        ("25.001", Tier.UPPER),
    ],
)
def test_chlorine_alone_at_just_below_and_just_above_its_10_and_25_tonnes(q: str, tier: Tier | None) -> None:
    result = assess([held("液氯", q, cas="7782-50-5")])
    assert result.tier is tier
    assert [d.rule for d in result.decided_by] == (["single"] if tier else [])
    [entry] = result.entries
    assert (entry.key, entry.qualifying.lower, entry.qualifying.upper) == ("part2:10", 10, 25)


@pytest.mark.parametrize(("q", "tier"), [("0.149", None), ("0.15", Tier.UPPER)])
def test_a_single_value_named_substance_is_lower_and_upper_tier_at_once(q: str, tier: Tier | None) -> None:
    result = assess([held("异氰酸甲酯", q, cas="624-83-9")])
    [entry] = result.entries
    assert entry.qualifying.lower == entry.qualifying.upper == Fraction("0.15")
    assert result.tier is tier


def test_a_single_value_named_substance_counts_in_the_lower_tier_sum() -> None:
    # 0.1/0.15 + 2/5 ≥ 1 at lower tier; 0.1/0.15 + 2/20 < 1 at upper tier
    result = assess([held("异氰酸甲酯", "0.1", "H1", cas="624-83-9"), held("毒物", "2", "H1")])
    health = result.sums[0]
    assert (health.total.lower, health.total.upper) == (Fraction(16, 15), Fraction(23, 30))
    assert result.tier is Tier.LOWER and result.decided_by[0].subject == "health"


@pytest.mark.parametrize(
    ("q", "isolated", "tier"),
    [
        ("0.1", True, None),  # exactly 2 % of H1's 5 t and isolated: left out
        ("0.1", False, Tier.LOWER),  # 2 %, but it could start an accident elsewhere: counted
        ("0.1001", True, Tier.LOWER),  # just above 2 %: counted even when isolated
    ],
)
def test_the_2_percent_rule_leaves_out_only_isolated_small_quantities(
    q: str, isolated: bool, tier: Tier | None
) -> None:
    result = assess([held("毒物", "49.9", "H2"), held("小量剧毒物", q, "H1", isolated=isolated)])
    assert result.tier is tier
    assert [x.substance.name for x in result.excluded] == (["小量剧毒物"] if tier is None else [])
    if tier is None:
        assert result.excluded[0].limit_t == Fraction("0.1")
        assert result.sums[0].total.lower == Fraction("0.998")


def test_the_2_percent_rule_takes_the_substance_over_all_its_rows() -> None:
    rows = [held("小量剧毒物", "0.06", "H1", isolated=True, unit=u) for u in ("A", "B")]  # 0.12 t > 0.1 t
    result = assess([held("毒物", "49.9", "H2"), *rows])
    assert not result.excluded and result.tier is Tier.LOWER


def test_a_small_quantity_not_marked_isolated_gets_a_warning() -> None:
    result = assess([held("小量剧毒物", "0.05", "H1")])
    assert any("mark it isolated" in w for w in result.warnings)


def test_named_and_category_substances_mix_with_named_quantities_taking_precedence() -> None:
    result = assess(
        [
            held("液氯", "3", "H2;E1", cas="7782-50-5", unit="罐区A"),
            held("Chlorine", "3", "H2;E1", unit="罐区B"),  # matched by its Part 2 name, same entry
            held("甲醇", "300", "H2;H3;P5c", cas="67-56-1"),  # Part 2 item 22: 500/5000, not H2 or P5c
            held("毒物", "20", "H2"),
        ]
    )
    assert [(e.key, e.q_t, e.qualifying.lower) for e in result.entries] == [
        ("part2:10", 6, 10),  # one Part 2 entry, whatever names its rows use
        ("part2:22", 300, 500),
        ("part1:H2", 20, 50),
    ]
    health, physical, environmental = result.sums
    # chlorine 6/10 + methanol 300/500 once (not once per category) + 20/50
    assert health.total.lower == Fraction(8, 5)
    assert physical.total.lower == Fraction(3, 5) and environmental.total.lower == Fraction(3, 5)
    assert [t.substance.name for t in health.terms] == ["液氯, Chlorine", "甲醇", "毒物"]
    assert result.tier is Tier.LOWER and result.decided_by[0].subject == "health"


def test_all_units_of_an_establishment_count_together() -> None:
    result = assess([held("液氯", "5", cas="7782-50-5", unit=u) for u in ("A", "B")])
    assert result.tier is Tier.LOWER and result.entries[0].q_t == 10


def test_several_categories_take_the_lowest_quantity_within_each_sum() -> None:
    result = assess([held("混合物", "6", "H1;H2;P2")])
    health, physical, _ = result.sums
    assert health.terms[0].qualifying.lower == 5 and physical.terms[0].qualifying.lower == 10
    assert result.tier is Tier.LOWER  # the H1 entry alone: 6 ≥ 5


def test_note_21_takes_the_lower_of_the_named_and_the_p5a_quantity() -> None:
    result = assess([held("丙胺", "10", "P5a", cas="107-10-8")])  # Part 2 item 42: 500/2000; P5a: 10/50
    assert result.tier is Tier.LOWER
    assert result.entries[0].qualifying.lower == 10


def test_a_named_substance_without_categories_is_in_no_sum_and_says_so() -> None:
    result = assess([held("液氯", "5", cas="7782-50-5")])
    assert all(not s.terms for s in result.sums)
    assert any("no seveso_category" in w for w in result.warnings)


def test_an_unknown_substance_without_a_category_names_its_row() -> None:
    rows = [
        {"unit": "A", "unit_type": "storage", "substance": "液氯", "cas": "7782-50-5", "quantity_t": "1"},
        {"unit": "A", "unit_type": "storage", "substance": "某物", "cas": "1-23-4", "quantity_t": "1"},
    ]
    with pytest.raises(InvalidInputError, match=r"row 3: 某物 \(CAS 1-23-4\) is not named"):
        assess(read_inventory(rows))


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("seveso_category", "H9", "row 2: 'H9' is not a Seveso III"),
        ("seveso_category", "part2:99", "row 2: Part 2 has no item 99"),
        ("isolated", "maybe", "row 2: isolated is true or false"),
    ],
)
def test_bad_seveso_cells_name_their_row(column: str, value: str, message: str) -> None:
    row = {"unit": "A", "unit_type": "storage", "substance": "某物", "quantity_t": "1", column: value}
    with pytest.raises(InvalidInputError, match=message):
        assess(read_inventory([row]))


INVENTORY = (
    "unit,unit_type,substance,cas,category,quantity_t,exposed_people,seveso_category,isolated\n"
    "罐区A,storage,液氯,7782-50-5,,9,120,H2;E1,\n"
    "罐区A,storage,三氧化二砷,1327-53-3,J1,0.09,120,H1,\n"
    "罐区B,storage,柴油,,W5.4,1000,10,part2:34;P5c,\n"
    "实验室,storage,小量剧毒物,,J1,0.1,10,H1,true\n"
)


def test_the_cli_assesses_the_establishment_under_seveso3_as_json(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    result = CliRunner().invoke(app, ["gb18218", str(inventory), "--regime", "seveso3", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["regime"], body["tier"]) == ("seveso3", "upper")
    assert [(d["rule"], d["subject"]) for d in body["decided_by"]] == [("note4", "health")]
    assert body["sums"]["health"]["upper"] == 1.26 and body["sums"]["physical"]["lower"] == 0.4
    assert body["sums"]["health"]["top"][0] == {
        "substance": "三氧化二砷",
        "cas": "1327-53-3",
        "rows": [3],
        "q": 0.09,
        "threshold": {"lower": 0.1, "upper": 0.1},
        "ratio": {"lower": 0.9, "upper": 0.9},
        "basis": "Part 2 item 8",
    }
    assert [e["entry"] for e in body["entries"]] == ["part2:10", "part2:8", "part2:34"]
    assert [(x["substance"], x["rows"], x["limit"]) for x in body["excluded"]] == [("小量剧毒物", [5], 0.1)]


def test_the_cli_prints_a_seveso3_summary_and_keeps_gb18218_the_default(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY, encoding="utf-8")
    summary = CliRunner().invoke(app, ["gb18218", str(inventory), "--regime", "seveso3"])
    assert summary.exit_code == 0, summary.output
    assert "upper tier" in summary.output and "left out: 小量剧毒物" in summary.output
    default = CliRunner().invoke(app, ["gb18218", str(inventory), "--json"])
    assert default.exit_code == 0, default.output
    assert [u["unit"] for u in json.loads(default.stdout)["units"]] == ["罐区A", "罐区B", "实验室"]


def test_the_cli_reports_an_unknown_substance_as_bad_input(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(INVENTORY + "罐区B,storage,某物,1-23-4,,1,10,,\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["gb18218", str(inventory), "--regime", "seveso3"])
    assert result.exit_code == 2
    assert "row 6" in result.output


def test_each_term_names_where_its_threshold_comes_from() -> None:
    result = assess([held("混合物", "1", "H2;H3;P5c;P2")])
    health, physical, _ = result.sums
    assert (health.terms[0].basis, physical.terms[0].basis) == ("Part 1 H2/H3", "Part 1 P2")
