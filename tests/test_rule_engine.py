"""Rule packs: loading and checking, and determination by sector and date."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zhiben.cli.main import app
from zhiben.enterprise.domain import SECTOR_BY_CODE
from zhiben.standards.engine import determine
from zhiben.standards.pack import PackError, check_effective_dates, check_pack, load_all, load_pack

TEST_PACKS = Path(__file__).parent / "data" / "rulepacks"


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    root = tmp_path / "rulepacks"
    shutil.copytree(TEST_PACKS, root)
    return root


def test_the_test_pack_loads_and_passes_every_check(packs: Path) -> None:
    pack = load_pack(packs / "demo-coal" / "2020.1.yaml")
    assert check_pack(pack, SECTOR_BY_CODE) == []
    assert len(pack.checksum) == 64 and [c.spec.id for c in pack.clauses] == ["4-1", "5-1"]


def test_a_clause_is_met_with_the_pack_version_checksum_and_the_facts_that_made_it_true(packs: Path) -> None:
    facts = {
        "approved_capacity_t_per_year": 1_000_000,
        "annual_output_t": 1_100_000,
        "max_monthly_output_t": 0,
    }
    result = determine(load_all(packs), "coal_mine", facts, date(2025, 6, 1))
    [met] = result.met
    assert (met.pack, met.version, met.clause) == ("demo-coal", "2020.1", "4-1")
    assert met.facts == facts
    assert result.missing == ("gas_check_skipped_or_faked",)


def test_packs_apply_by_sector_and_date(packs: Path) -> None:
    facts = {"gas_check_skipped_or_faked": True}
    assert determine(load_all(packs), "coal_mine", facts, date(2026, 6, 30)).is_major
    assert not determine(load_all(packs), "coal_mine", facts, date(2026, 7, 1)).packs  # until is exclusive
    assert not determine(load_all(packs), "hazchem_production", facts, date(2025, 1, 1)).packs


def test_a_wrong_example_fails_the_check(packs: Path) -> None:
    path = packs / "demo-coal" / "2020.1.yaml"
    path.write_text(path.read_text().replace("annual_output_t: 1099999", "annual_output_t: 1100000"))
    problems = check_pack(load_pack(path), SECTOR_BY_CODE)
    assert problems == ["clause 4-1 example 2: expected False, got True"]


def test_an_undeclared_fact_is_a_load_error_naming_the_clause(packs: Path) -> None:
    path = packs / "demo-coal" / "2020.1.yaml"
    path.write_text(path.read_text().replace("when: gas_check_skipped_or_faked", "when: gas_checks_faked"))
    with pytest.raises(PackError, match="clause 5-1: unknown fact 'gas_checks_faked'"):
        load_pack(path)


def test_overlapping_versions_of_one_pack_are_reported(packs: Path) -> None:
    source = packs / "demo-coal" / "2020.1.yaml"
    (packs / "demo-coal" / "2026.1.yaml").write_text(
        source.read_text()
        .replace('version: "2020.1"', 'version: "2026.1"')
        .replace("effective: {from: 2021-01-01, until: 2026-07-01}", "effective: {from: 2026-06-01}")
    )
    assert check_effective_dates(load_all(packs)) == [
        "demo-coal: 2020.1 and 2026.1 are in force on the same days"
    ]


def test_rules_check_and_determine_from_the_cli(packs: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    checked = runner.invoke(app, ["rules", "check", "--root", str(packs)])
    assert checked.exit_code == 0, checked.output
    assert "1 packs, 2 clauses, 0 problems" in checked.output
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps({"approved_capacity_t_per_year": 1000000, "max_monthly_output_t": 100001}))
    result = runner.invoke(
        app,
        [
            "rules",
            "determine",
            "--sector",
            "coal_mine",
            "--facts",
            str(facts),
            "--at",
            "2024-01-01",
            "--root",
            str(packs),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert [(d["pack"], d["clause"], d["major"]) for d in body["determinations"]] == [
        ("demo-coal", "4-1", True)
    ]
    assert body["missing"] == ["gas_check_skipped_or_faked"]
