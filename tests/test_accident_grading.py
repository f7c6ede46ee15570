"""Decree 493 Art. 3: the highest grade any criterion reaches; 以上 includes the number, 以下 excludes it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from zhiben.cli.main import app
from zhiben.errors import InvalidInputError
from zhiben.standards.accident import AccidentGrade, Band, decree_493_bands, grade_accident

G = AccidentGrade
CUTS = [
    # criterion, threshold, grade at and above it, grade just below it
    ("deaths", 3, G.relatively_serious, G.ordinary),
    ("deaths", 10, G.serious, G.relatively_serious),
    ("deaths", 30, G.extraordinarily_serious, G.serious),
    ("serious_injuries", 10, G.relatively_serious, G.ordinary),
    ("serious_injuries", 50, G.serious, G.relatively_serious),
    ("serious_injuries", 100, G.extraordinarily_serious, G.serious),
    ("direct_loss_yuan", 10_000_000, G.relatively_serious, G.ordinary),
    ("direct_loss_yuan", 50_000_000, G.serious, G.relatively_serious),
    ("direct_loss_yuan", 100_000_000, G.extraordinarily_serious, G.serious),
]


def grade(**given: int | Decimal) -> AccidentGrade:
    values = {"deaths": 0, "serious_injuries": 0, "direct_loss_yuan": 0} | given
    return grade_accident(**values).grade  # type: ignore[arg-type]


@pytest.mark.parametrize(("criterion", "threshold", "at", "below"), CUTS)
def test_each_threshold_belongs_to_the_higher_grade(
    criterion: str, threshold: int, at: AccidentGrade, below: AccidentGrade
) -> None:
    step = Decimal("0.01") if criterion == "direct_loss_yuan" else 1
    assert grade(**{criterion: threshold}) == at
    assert grade(**{criterion: threshold - step}) == below
    assert grade(**{criterion: threshold + step}) == at


def test_the_highest_grade_of_any_criterion_wins_and_names_every_criterion_that_reached_it() -> None:
    result = grade_accident(deaths=2, serious_injuries=50, direct_loss_yuan=60_000_000)
    assert result.grade == G.serious and result.name_zh == "重大事故"
    assert [d.criterion for d in result.decided_by] == ["serious_injuries", "direct_loss_yuan"]


def test_no_casualties_and_no_loss_is_an_ordinary_accident() -> None:
    assert grade() == G.ordinary


@pytest.mark.parametrize("field", ["deaths", "serious_injuries", "direct_loss_yuan"])
def test_negative_counts_are_refused(field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        grade(**{field: -1})
    assert caught.value.details["fields"][0]["field"] == field


def test_the_cut_offs_come_from_the_table_not_the_code() -> None:
    bands = decree_493_bands()
    assert len(bands) == 12
    shifted = tuple(
        Band(
            b.grade,
            b.name_zh,
            b.criterion,
            b.minimum + (1 if b.criterion == "deaths" and b.minimum else 0),
            b.maximum + 1 if b.criterion == "deaths" and b.maximum is not None else b.maximum,
        )
        for b in bands
    )
    assert grade_accident(3, 0, 0).grade == G.relatively_serious
    assert grade_accident(3, 0, 0, shifted).grade == G.ordinary


def test_the_cli_prints_the_grade_and_what_decided_it_as_json() -> None:
    result = CliRunner().invoke(
        app, ["accident", "grade", "--deaths", "10", "--direct-loss-yuan", "1e8", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "grade": "extraordinarily_serious",
        "decided_by": [{"criterion": "direct_loss_yuan", "value": 100000000}],
    }
