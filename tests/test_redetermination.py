"""Re-determination: a new pack version against its predecessor, over every enterprise's current facts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.builders import Db, auth_header
from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.errors import ConflictError, PermissionDeniedError
from zhiben.hazard.models import Hazard
from zhiben.standards import checklist, redetermine
from zhiben.standards.models import Redetermination, RedeterminationChange
from zhiben.standards.pack import RulePack, load_pack

DATA = Path(__file__).parent / "data" / "rulepacks" / "demo-coal" / "2020.1.yaml"
BEFORE_SUCCESSOR = date(2026, 2, 1)


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> list[RulePack]:
    """demo-coal 2020.1 until 2026-03-01, and a successor 2026.1 that lowers 4-1 to 105 % and drops 5-1."""
    root = tmp_path_factory.mktemp("packs") / "demo-coal"
    root.mkdir()
    old = DATA.read_text("utf-8").replace("until: 2026-07-01", "until: 2026-03-01")
    (root / "2020.1.yaml").write_text(old, "utf-8")
    new = (
        old.replace('version: "2020.1"', 'version: "2026.1"')
        .replace(
            "effective: {from: 2021-01-01, until: 2026-03-01}",
            "effective: {from: 2026-03-01}\nsupersedes: demo-coal/2020.1",
        )
        .replace(
            "annual_output_t >= 1.10 * approved_capacity_t_per_year",
            "annual_output_t >= 1.05 * approved_capacity_t_per_year",
        )
    )
    new = new[: new.index('  - id: "5-1"')]
    new = new.replace(
        '      - {facts: {approved_capacity_t_per_year: 1000000, annual_output_t: 1099999, max_monthly_output_t: 100000}, major: false, note: "just below; a month at exactly 10%"}\n',
        "",
    ).replace("  gas_check_skipped_or_faked:", "  unused_gas_check:")
    new = "\n".join(line for line in new.splitlines() if "unused_gas_check" not in line) + "\n"
    (root / "2026.1.yaml").write_text(new, "utf-8")
    return [load_pack(root / "2020.1.yaml"), load_pack(root / "2026.1.yaml")]


def mine_with(db: Db, packs: list[RulePack], facts: dict[str, object], county: str = "140213") -> int:
    mine = db.enterprise(county=county, sector="coal_mine")
    if facts:
        db.act(checklist.answer, SYSTEM, mine, facts, packs, BEFORE_SUCCESSOR)
    return mine


CAPACITY = {"approved_capacity_t_per_year": 1_000_000, "max_monthly_output_t": 80_000}


@pytest.fixture
def mines(db: Db, packs: list[RulePack]) -> dict[str, int]:
    return {
        "newly": mine_with(db, packs, CAPACITY | {"annual_output_t": 1_070_000}),
        "no_longer": mine_with(db, packs, {"gas_check_skipped_or_faked": True}),
        "still": mine_with(db, packs, CAPACITY | {"annual_output_t": 1_200_000}),
        "changed": mine_with(
            db, packs, CAPACITY | {"annual_output_t": 1_200_000, "gas_check_skipped_or_faked": True}
        ),
        "never": mine_with(db, packs, {}),
        "elsewhere": mine_with(db, packs, CAPACITY | {"annual_output_t": 1_070_000}, county="320311"),
    }


def test_the_difference_is_stored_and_classified(
    db: Db, packs: list[RulePack], mines: dict[str, int]
) -> None:
    db.enterprise(sector="hazchem_production")  # another sector: not evaluated
    seen: list[tuple[int, int]] = []
    run, changes = db.act(
        redetermine.redetermine,
        SYSTEM,
        packs,
        "demo-coal",
        "2026.1",
        progress=lambda d, t: seen.append((d, t)),
        chunk=2,
    )
    assert (run.against, run.enterprises, run.newly_major, run.no_longer_major) == ("2020.1", 6, 2, 1)
    assert (run.still_major, run.still_not_major) == (2, 1)
    by_id = {c.enterprise_id: c for c in changes}
    assert by_id[mines["newly"]].change == "newly_major" and by_id[mines["newly"]].after == ("4-1",)
    assert by_id[mines["no_longer"]].change == "no_longer_major" and by_id[mines["no_longer"]].before == (
        "5-1",
    )
    assert by_id[mines["changed"]].change == "clauses_changed"
    assert by_id[mines["changed"]].before == ("4-1", "5-1") and by_id[mines["changed"]].after == ("4-1",)
    assert mines["still"] not in by_id and mines["never"] not in by_id
    assert seen[-1] == (6, 6) and len(seen) == 3  # progress after every chunk of two
    with db.uow(write=False) as uow:
        stored = uow.session.scalars(
            select(RedeterminationChange).where(RedeterminationChange.run_id == run.id)
        ).all()
        assert len(stored) == 4
        assert uow.session.get(Redetermination, run.id) is not None


def test_apply_raises_hazards_for_newly_met_clauses(
    db: Db, packs: list[RulePack], mines: dict[str, int]
) -> None:
    with db.uow(write=False) as uow:
        assert uow.session.scalars(select(Hazard).where(Hazard.enterprise_id == mines["newly"])).all() == []
    run, _ = db.act(redetermine.redetermine, SYSTEM, packs, "demo-coal", "2026.1", apply=True)
    assert run.applied
    with db.uow(write=False) as uow:
        [hazard] = uow.session.scalars(select(Hazard).where(Hazard.enterprise_id == mines["newly"])).all()
        assert hazard.citation is not None
        assert (hazard.citation["pack"], hazard.citation["version"], hazard.citation["clause"]) == (
            "demo-coal",
            "2026.1",
            "4-1",
        )


def test_apply_needs_a_released_version_in_force(
    db: Db, packs: list[RulePack], mines: dict[str, int]
) -> None:
    with pytest.raises(ConflictError):
        db.act(redetermine.redetermine, SYSTEM, packs, "demo-coal", "2020.1", against="2026.1", apply=True)


def test_only_an_administrator_runs_it(db: Db, packs: list[RulePack]) -> None:
    regulator: Principal = db.user(Role.regulator, division="14")
    with pytest.raises(PermissionDeniedError):
        db.act(redetermine.redetermine, regulator, packs, "demo-coal", "2026.1")


def test_a_regulator_sees_the_changes_in_their_area_only(
    db: Db, packs: list[RulePack], mines: dict[str, int]
) -> None:
    run, _ = db.act(redetermine.redetermine, SYSTEM, packs, "demo-coal", "2026.1")
    db.user(Role.regulator, division="140213", username="datong")
    db.user(Role.regulator, division="320311", username="quanshan")
    client = db.client()
    datong = client.get(f"/api/v1/redeterminations/{run.id}", headers=auth_header(client, "datong")).json()
    assert datong["total"] == 3 and mines["elsewhere"] not in {c["enterprise_id"] for c in datong["items"]}
    quanshan = client.get(
        f"/api/v1/redeterminations/{run.id}?change=newly_major", headers=auth_header(client, "quanshan")
    ).json()
    assert [c["enterprise_id"] for c in quanshan["items"]] == [mines["elsewhere"]]
    assert datong["run"]["newly_major"] == 2  # the run's counts are national
    db.user(Role.enterprise, enterprise_id=mines["newly"], username="a-mine")
    assert client.get("/api/v1/redeterminations", headers=auth_header(client, "a-mine")).status_code == 403


def test_redetermine_cli_against_the_installed_successor(db: Db, cli: CliRunner) -> None:
    """The installed coal-mine 2026.1 is an empty draft (Order No. 21's text is not encoded yet), so every
    mine major under 2020.1 shows as no longer major: the run says exactly what re-determination would do."""
    from zhiben.cli.main import app

    mine = db.enterprise(county="140213", sector="coal_mine")
    db.act(
        checklist.answer,
        SYSTEM,
        mine,
        {"approved_capacity_t_per_year": 1_000_000, "annual_output_t": 1_100_000, "max_monthly_output_t": 0},
        checklist.installed_packs(),
    )
    result = cli.invoke(app, ["rules", "redetermine", "--pack", "coal-mine", "--version", "2026.1", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["against"], body["enterprises"], body["no_longer_major"]) == ("2020.1", 1, 1)
    assert body["changes"] == [
        {"enterprise_id": mine, "change": "no_longer_major", "before": ["4-1"], "after": []}
    ]
    unknown = cli.invoke(app, ["rules", "redetermine", "--pack", "coal-mine", "--version", "1999.1"])
    assert unknown.exit_code == 3
