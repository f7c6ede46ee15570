"""Assessment of jurisdictions (M9): KPIs against a hand-built registry, traceability, scope, the reports."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.builders import Db, auth_header
from zhiben.accident.models import Accident
from zhiben.assessment import report, service
from zhiben.assessment.domain import KPIS, Period, counts_of, value_of
from zhiben.auth.domain import Principal, Role
from zhiben.enforcement.models import Inspection
from zhiben.enterprise.models import Enterprise
from zhiben.hazard.models import Hazard, Supervision
from zhiben.monitoring.models import Alarm, Sensor
from zhiben.monitoring.risk_models import EnterpriseRisk
from zhiben.tipoff.models import Tipoff

PERIOD = Period(date(2026, 1, 1), date(2026, 2, 28))
IN = datetime(2026, 1, 20, 2, 0, tzinfo=UTC)  # inside the period
BEFORE = datetime(2025, 11, 10, 2, 0, tzinfo=UTC)


def _hazard(db: Db, enterprise_id: int, **fields: Any) -> int:
    hazard_id: int = db.hazard(enterprise_id)
    with db.uow() as uow:
        hazard = uow.session.get(Hazard, hazard_id)
        assert hazard is not None
        for name, value in fields.items():
            setattr(hazard, name, value)
    return hazard_id


def _closed(db: Db, enterprise_id: int, closed_at: datetime, deadline_at: datetime) -> int:
    return _hazard(
        db, enterprise_id, state="closed", is_open=False, closed_at=closed_at, deadline_at=deadline_at
    )


def _scoped(session: Any, model: type, enterprise_id: int, **fields: Any) -> Any:
    firm = session.get(Enterprise, enterprise_id)
    row = model(
        enterprise_id=enterprise_id,
        county_code=firm.county_code,
        city_code=firm.city_code,
        province_code=firm.province_code,
        sector=firm.sector,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def _alarm(session: Any, sensor: Sensor, n: int, ack_after_s: int | None, response_s: int = 300) -> None:
    _scoped(
        session,
        Alarm,
        sensor.enterprise_id,
        sensor_id=sensor.id,
        condition=f"alarm:hihi{n}",
        priority="high",
        response_s=response_s,
        state="acknowledged" if ack_after_s else "unacknowledged",
        is_process_active=True,
        opened_at=IN,
        annunciated_at=IN,
        annunciations=1,
        acknowledged_at=None if ack_after_s is None else IN + timedelta(seconds=ack_after_s),
    )


def _accident(session: Any, enterprise_id: int, at: datetime, grade: str, deaths: int) -> None:
    _scoped(
        session,
        Accident,
        enterprise_id,
        kind="general",
        title=f"事故{grade}{deaths}",
        occurred_at=at,
        recorded_at=at,
        recorded_by="system",
        deaths=deaths,
        serious_injuries=0,
        direct_loss_yuan=Decimal(0),
        grade=grade,
        window_closes_at=at + timedelta(days=30),
        rules_version="test",
        hazards_linked_at=at,
    )


def _tipoff(session: Any, county: str, n: int, started_after_h: float | None) -> None:
    session.add(
        Tipoff(
            receipt_hash=f"{n:064d}",
            county_code=county,
            city_code=county[:4],
            province_code=county[:2],
            channel="hotline",
            content="违规储存",
            received_at=IN,
            state="verifying" if started_after_h else "received",
            verification_started_at=None
            if started_after_h is None
            else IN + timedelta(hours=started_after_h),
            rules_version="test",
            enterprise_name=f"被举报企业{n}",
        )
    )


@dataclass
class Registry:
    nanjing: int
    nanjing2: int
    xuzhou: int
    suzhou: int
    wuhan: int
    hazards: dict[str, int]


def registry(db: Db) -> Registry:
    """Nanjing (320100), Xuzhou (320300) and Suzhou (320500) in Jiangsu; Wuhan outside it."""
    nj, nj2, xz, sz, wh = (db.enterprise(c) for c in ("320102", "320104", "320311", "320505", "420102"))
    h = {
        "nj_on_time": _closed(db, nj, IN, IN + timedelta(days=1)),
        "nj_late": _closed(db, nj, IN, IN - timedelta(days=3)),
        "nj_overdue": _hazard(db, nj, is_overdue=True, deadline_at=IN),
        "nj_listed_open": _hazard(db, nj),
        "xz_closed_before": _closed(db, xz, BEFORE, BEFORE + timedelta(days=1)),
        "xz_closed_before2": _closed(db, xz, BEFORE, BEFORE + timedelta(days=1)),
        "xz_open": _hazard(db, xz),
        "wh_overdue": _hazard(db, wh, is_overdue=True),
    }
    db.hazard(nj, level=None)  # reported, not yet determined: never counted
    with db.uow() as uow:
        s = uow.session
        for key, lifted in (("nj_on_time", IN), ("nj_listed_open", None)):
            s.add(
                Supervision(
                    hazard_id=h[key],
                    level="city",
                    authority_division="320100",
                    listed_by="r",
                    listed_at=IN - timedelta(days=5),
                    deadline_at=IN + timedelta(days=30),
                    lifted_at=lifted,
                )
            )
        for firm, level in ((nj, "red"), (nj2, "orange"), (xz, "orange"), (sz, "blue"), (wh, "red")):
            _scoped(
                s,
                EnterpriseRisk,
                firm,
                level=level,
                score=40,
                points=60,
                components={},
                scheme_version="t",
                computed_at=IN,
                level_since=IN,
            )
        for firm, at in ((nj, IN), (xz, BEFORE), (wh, IN)):
            _scoped(
                s,
                Inspection,
                firm,
                planning_division="320000",
                is_unannounced=False,
                mode="overt",
                selection={},
                state="done",
                started_at=at,
                finished_at=at,
                created_at=at,
            )
        sensor = _scoped(
            s,
            Sensor,
            nj,
            code="GT-1",
            kind="combustible",
            limits=[],
            rationale={},
            created_at=IN,
            updated_at=IN,
        )
        _alarm(s, sensor, 1, 120)  # 2 min, within its 5 min
        _alarm(s, sensor, 2, 600)  # 10 min, late
        _alarm(s, sensor, 3, None)  # never acknowledged
        _accident(s, nj, IN, "ordinary", 1)
        _accident(s, xz, IN, "relatively_serious", 3)
        _accident(s, xz, BEFORE, "ordinary", 2)  # before the period
        _accident(s, wh, IN, "serious", 12)  # another province
        _tipoff(s, "320102", 1, 5)
        _tipoff(s, "320102", 2, 15)
        _tipoff(s, "320311", 3, None)
    return Registry(nj, nj2, xz, sz, wh, h)


def _assess(db: Db, who: Principal, code: str = "320000") -> Any:
    with db.uow(write=False) as uow:
        return service.assess_division(uow.session, who, code, PERIOD)


def test_kpis_of_a_province_and_its_cities_match_the_hand_built_registry(db: Db) -> None:
    registry(db)
    result = _assess(db, db.user(Role.regulator, division="320000"))
    province = result.division.values
    assert province["clearance_rate"] == round(4 / 7, 4)  # closed 4 of 7 determined major hazards
    assert province["overdue_major"] == 1
    assert province["closed_on_time_rate"] == 0.5
    assert province["listed_handled_rate"] == 0.5
    assert province["red_orange_coverage"] == round(1 / 3, 4)
    assert province["alarm_ack_on_time_rate"] == round(1 / 3, 4)
    assert province["alarm_response_min"] == 6.0
    assert (province["accidents"], province["deaths"]) == (2, 4)
    assert province["tipoff_response_h"] == 10.0
    assert result.division.by_grade == {"ordinary": (1, 1), "relatively_serious": (1, 3)}
    rows = {r.code: r for r in result.children}
    assert set(rows) >= {"320100", "320300", "320500"} and "420100" not in rows
    nanjing, xuzhou, suzhou = rows["320100"].values, rows["320300"].values, rows["320500"].values
    assert nanjing["clearance_rate"] == 0.5 and xuzhou["clearance_rate"] == round(2 / 3, 4)
    assert (nanjing["overdue_major"], xuzhou["overdue_major"]) == (1, 0)
    assert nanjing["closed_on_time_rate"] == 0.5 and xuzhou["closed_on_time_rate"] is None
    assert nanjing["red_orange_coverage"] == 0.5 and xuzhou["red_orange_coverage"] == 0.0
    assert (xuzhou["accidents"], xuzhou["deaths"]) == (1, 3)
    assert xuzhou["tipoff_response_h"] is None  # one tip-off, not yet under verification
    assert suzhou["clearance_rate"] is None and suzhou["accidents"] == 0
    assert rows["320300"].by_grade == {"relatively_serious": (1, 3)}


def test_children_are_ranked_by_score_best_first(db: Db) -> None:
    registry(db)
    children = _assess(db, db.user(Role.regulator, division="320000")).children
    scored = [r for r in children if r.score is not None]
    assert [r.score for r in scored] == sorted((r.score for r in scored), reverse=True)
    assert scored[0].rank == 1
    assert all(r.rank is None for r in children if r.score is None)
    # Suzhou has no hazard, accident or alarm against it: it scores on what it has and ranks above Nanjing.
    ranks = {r.code: r.rank for r in children}
    assert ranks["320500"] is not None and ranks["320100"] is not None and ranks["320500"] < ranks["320100"]
    # Wuxi has no registered enterprise: not scored, not ranked (no records is no evidence of good work).
    wuxi = next(r for r in children if r.code == "320200")
    assert (wuxi.enterprises, wuxi.score, wuxi.rank) == (0, None, None)


def test_every_kpi_of_the_province_and_each_city_traces_to_records_that_give_the_same_number(db: Db) -> None:
    reg = registry(db)
    who = db.user(Role.regulator, division="320000")
    result = _assess(db, who)
    for row in [result.division, *result.children[:4]]:
        for kpi in KPIS:
            with db.uow(write=False) as uow:
                records = service.trace_kpi(uow.session, who, row.code, kpi.code, PERIOD)
            assert value_of(kpi.kind, counts_of(records)) == row.values[kpi.code], (row.code, kpi.code)
            assert counts_of(records) == row.counts.get(kpi.code, counts_of([])), (row.code, kpi.code)
    with db.uow(write=False) as uow:
        overdue = service.trace_kpi(uow.session, who, "320000", "overdue_major", PERIOD)
        covered = service.trace_kpi(uow.session, who, "320100", "red_orange_coverage", PERIOD)
    assert [r.id for r in overdue] == [reg.hazards["nj_overdue"]]
    assert overdue[0].label.startswith("320102-")  # the hazard's number
    assert {r.id: bool(r.related) for r in covered} == {reg.nanjing: True, reg.nanjing2: False}


def test_only_regulators_over_the_division_and_administrators_may_assess(db: Db) -> None:
    registry(db)
    assert _assess(db, db.user(Role.admin)).division.name == "江苏省"
    assert _assess(db, db.user(Role.regulator, division="320100"), "320100").division.name == "南京市"
    from zhiben.errors import NotFoundError, PermissionDeniedError

    with pytest.raises(NotFoundError):
        _assess(db, db.user(Role.regulator, division="420000"))
    with pytest.raises(NotFoundError):
        _assess(db, db.user(Role.regulator, division="320100"))  # the province is above a city regulator
    for role in (Role.officer, Role.department, Role.enterprise, Role.service_provider):
        with pytest.raises(PermissionDeniedError):
            _assess(db, db.user(role, division="320000"))


def test_a_city_regulator_sees_only_its_own_records_in_a_trace(db: Db) -> None:
    reg = registry(db)
    nanjing = db.user(Role.regulator, division="320100")
    with db.uow(write=False) as uow:
        records = service.trace_kpi(uow.session, nanjing, "320100", "clearance_rate", PERIOD)
    ids = {r.id for r in records}
    assert ids == {reg.hazards[k] for k in ("nj_on_time", "nj_late", "nj_overdue", "nj_listed_open")}


def test_the_pdf_opens_names_the_province_and_the_xlsx_has_the_sheets_with_the_traced_ids(db: Db) -> None:
    reg = registry(db)
    who = db.user(Role.regulator, division="320000")
    with db.uow(write=False) as uow:
        result = service.assess_division(uow.session, who, "320000", PERIOD)
        traces = service.traces_of(uow.session, who, result)
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(report.render_pdf(result))).pages)
    assert "江苏省" in text.replace(" ", "") and "南京市" in text.replace(" ", "")
    book = load_workbook(io.BytesIO(report.render_xlsx(result, traces)))
    assert book.sheetnames[:3] == [report.SHEET_KPIS, report.SHEET_RANKING, report.SHEET_SCHEME]
    assert set(book.sheetnames[3:]) == {k.code for k in KPIS}
    overdue_ids = [row[3] for row in book["overdue_major"].iter_rows(min_row=2, values_only=True)]
    assert overdue_ids == [reg.hazards["nj_overdue"]]
    kpi_rows = list(book[report.SHEET_KPIS].iter_rows(min_row=2, values_only=True))
    assert kpi_rows[0][:2] == ("320000", "江苏省")


def test_api_answers_json_pdf_xlsx_and_trace_and_keeps_others_out(db: Db) -> None:
    reg = registry(db)
    province = db.user(Role.regulator, division="320000", username="js-reg")
    db.user(Role.regulator, division="420000", username="hb-reg")
    db.user(Role.officer, division="320000", username="js-officer")
    client = db.client()
    params = {"division": "320000", "start": "2026-01-01", "end": "2026-02-28"}
    headers = auth_header(client, province.username)
    got = client.get("/api/v1/assessment", params=params, headers=headers)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["division"]["name"] == "江苏省" and body["division"]["values"]["overdue_major"] == 1
    assert body["children"][0]["rank"] == 1 and body["scheme"]["version"]
    trace = client.get("/api/v1/assessment/trace", params={**params, "kpi": "overdue_major"}, headers=headers)
    assert trace.status_code == 200 and trace.json()["count"] == 1
    assert trace.json()["records"][0]["id"] == reg.hazards["nj_overdue"]
    pdf = client.get("/api/v1/assessment/report.pdf", params=params, headers=headers)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get("/api/v1/assessment/report.xlsx", params=params, headers=headers)
    assert xlsx.status_code == 200 and xlsx.content.startswith(b"PK")
    other = client.get("/api/v1/assessment", params=params, headers=auth_header(client, "hb-reg"))
    assert other.status_code == 404
    officer = client.get("/api/v1/assessment", params=params, headers=auth_header(client, "js-officer"))
    assert officer.status_code == 403
    bad = client.get("/api/v1/assessment", params={**params, "end": "2025-01-01"}, headers=headers)
    assert bad.status_code == 422
    unknown = client.get("/api/v1/assessment/trace", params={**params, "kpi": "nope"}, headers=headers)
    assert unknown.status_code == 422


def test_cli_writes_the_pdf_and_the_xlsx(db: Db, cli: Any, tmp_path: Any) -> None:
    registry(db)
    from zhiben.cli.main import app

    pdf, xlsx = tmp_path / "out.pdf", tmp_path / "out.xlsx"
    args = ["assessment", "report", "--division", "320000", "--start", "2026-01-01", "--end", "2026-02-28"]
    result = cli.invoke(app, [*args, "--pdf", str(pdf), "--xlsx", str(xlsx)])
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF") and xlsx.read_bytes().startswith(b"PK")
    traced = cli.invoke(
        app,
        [
            "assessment",
            "trace",
            "--division",
            "320100",
            "--kpi",
            "accidents",
            "--start",
            "2026-01-01",
            "--end",
            "2026-02-28",
            "--json",
        ],
    )
    assert traced.exit_code == 0, traced.output
    assert '"count": 1' in traced.stdout
