"""GB 18218-2018: S per unit, the toxic-gas β, α by population band, and every grade boundary."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhiben.cli.main import app
from zhiben.errors import InvalidInputError
from zhiben.standards.gb18218 import Line, identify, read_inventory


def line(
    substance: str,
    q: float | str,
    cas: str = "",
    categories: tuple[str, ...] = (),
    people: int | None = 10,
    unit: str = "U1",
) -> Line:
    return Line(
        unit=unit,
        unit_type="storage",
        substance=substance,
        quantity_t=Fraction(str(q)),
        cas=cas,
        categories=categories,
        exposed_people=people,
    )


def test_a_unit_mixing_named_and_category_substances_sums_q_over_q() -> None:
    [unit] = identify(
        [line("液氯", 4, "7782-50-5", people=120), line("甲醇", 600, "67-56-1", ("W5.3",), 120)]
    )
    assert unit.s == 2 and unit.is_major_hazard
    assert [t.source for t in unit.terms] == ["table1:12", "table1:65"]
    assert unit.alpha == 2 and unit.r == Fraction(44, 5) and unit.grade == 4  # 2 × (4 × 0.8 + 1 × 1.2)


def test_units_are_identified_separately_never_summed() -> None:
    results = identify([line("液氯", 3, unit="A"), line("液氯", 3, unit="B")])
    assert [(r.unit, r.s, r.is_major_hazard) for r in results] == [
        ("A", Fraction(3, 5), False),
        ("B", Fraction(3, 5), False),
    ]


@pytest.mark.parametrize(("q", "major"), [("5", True), ("4.999", False), ("5.001", True)])
def test_s_of_one_is_a_major_hazard_installation(q: str, major: bool) -> None:
    [unit] = identify([line("氯", q)])
    assert unit.is_major_hazard is major
    assert (unit.grade is None) is (not major)


@pytest.mark.parametrize(
    ("substance", "beta"),
    [
        ("一氧化碳", 2),
        ("二氧化硫", 2),
        ("氨", 2),
        ("环氧乙烷", 2),
        ("氯化氢(无水)", 3),
        ("溴甲烷", 3),
        ("氯", 4),
        ("硫化氢", 5),
        ("氟化氢", 5),
        ("二氧化氮", 10),
        ("氰化氢", 10),
        ("光气", 20),
        ("磷化氢", 20),
        ("异氰酸甲酯", 20),
    ],
)
def test_toxic_gases_take_their_table_3_beta(substance: str, beta: int) -> None:
    from zhiben.standards.gb18218 import tables

    critical = tables().by_key[substance].q_t
    [unit] = identify([line(substance, critical, people=0)])  # S = 1, α = 0.5
    assert unit.terms[0].beta_source == "table3"
    assert unit.r == Fraction(1, 2) * beta


@pytest.mark.parametrize(
    ("people", "alpha"),
    [
        (0, "0.5"),
        (1, "1"),
        (29, "1"),
        (30, "1.2"),
        (49, "1.2"),
        (50, "1.5"),
        (99, "1.5"),
        (100, "2"),
        (5000, "2"),
    ],
)
def test_alpha_follows_the_population_band(people: int, alpha: str) -> None:
    [unit] = identify([line("汽油", 200, cas="86290-81-5", categories=("W5.1",), people=people)])
    assert unit.alpha == Fraction(alpha)


@pytest.mark.parametrize(
    ("r", "grade"),
    [("100", 1), ("99.999", 2), ("50", 2), ("49.999", 3), ("10", 3), ("9.999", 4), ("1", 4)],
)
def test_each_grade_boundary(r: str, grade: int) -> None:
    # W5.3: Q = 1000 t, β = 1; 10 people: α = 1; so R = q / 1000
    [unit] = identify([line("某溶剂", Fraction(r) * 1000, categories=("W5.3",))])
    assert unit.r == Fraction(r) and unit.grade == grade


def test_several_categories_take_the_lowest_q_and_its_beta() -> None:
    [unit] = identify([line("某混合物", 10, categories=("W5.3", "J3"))])
    term = unit.terms[0]
    assert (term.critical_q_t, term.source, term.beta, term.beta_source) == (50, "table2:J3", 2, "table4:J3")


def test_a_named_substance_without_category_has_no_r_and_says_why() -> None:
    [unit] = identify([line("汽油", 300, cas="86290-81-5")])  # Table 1, Q 200 t, not a toxic gas
    assert unit.is_major_hazard and unit.r is None and unit.grade is None
    assert unit.terms[0].beta_source.startswith("missing")


def test_named_substances_are_found_by_any_of_their_cas_numbers() -> None:
    [unit] = identify([line("丙烷", 50, cas="74-98-6")])
    assert unit.terms[0].source == "table1:52" and unit.is_major_hazard


def test_an_unnamed_substance_needs_its_category() -> None:
    with pytest.raises(InvalidInputError, match="not named in Table 1"):
        identify([line("某未知物质", 1)])


def test_inventory_rows_are_checked_with_their_row_numbers() -> None:
    rows = [{"unit": "A", "unit_type": "storage", "substance": "氯", "quantity_t": "x"}]
    with pytest.raises(InvalidInputError, match="row 2: quantity_t 'x' is not a number"):
        read_inventory(rows)


def test_the_cli_prints_units_terms_and_grades_as_json(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.csv"
    inventory.write_text(
        "unit,unit_type,substance,cas,category,quantity_t,exposed_people\n"
        "罐区A,storage,液氯,7782-50-5,,4,120\n罐区A,storage,甲醇,67-56-1,W5.3,600,120\n"
        "装置B,production,苯,71-43-2,W5.1,5,10\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["gb18218", str(inventory), "--json"])
    assert result.exit_code == 0, result.output
    units = json.loads(result.stdout)["units"]
    assert [(u["unit"], u["s"], u["is_major_hazard"], u["r"], u["grade"]) for u in units] == [
        ("罐区A", 2.0, True, 8.8, 4),
        ("装置B", 0.1, False, None, None),
    ]
    assert set(units[0]["terms"][0]) >= {"q", "Q", "beta", "ratio"}
