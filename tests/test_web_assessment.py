"""The assessment page through TestClient on both databases: a province regulator sees its cities ranked with
their KPIs and downloads the PDF and Excel; another province's regulator gets 404, an officer 403; the page's
words are all in the catalogue and the navigation offers it to regulators and administrators."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.builders import Db
from tests.test_assessment import registry
from tests.web_helpers import login
from zhiben.assessment.report import SHEET_KPIS
from zhiben.auth.domain import Role
from zhiben.web.render import NAVIGATION

PERIOD = "start=2026-01-01&end=2026-02-28"


def client_of(db: Db, role: Role, division: str = "") -> TestClient:
    client = db.client()
    user = db.user(role, division=division)
    assert login(client, user.username).status_code == 303
    return client


def test_a_province_regulator_sees_its_cities_ranked_and_downloads_the_reports(db: Db) -> None:
    registry(db)
    client = client_of(db, Role.regulator, "320000")
    got = client.get(f"/assessment?division=320000&{PERIOD}")
    assert got.status_code == 200, got.text
    html = got.text
    assert "江苏省" in html and 'data-testid="assessment-children"' in html
    assert html.index("苏州市") < html.index("南京市") < html.index("徐州市")  # rank order
    assert f"/assessment/report.pdf?division=320000&amp;{PERIOD.replace('&', '&amp;')}" in html
    pdf = client.get(f"/assessment/report.pdf?division=320000&{PERIOD}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(f"/assessment/report.xlsx?division=320000&{PERIOD}")
    assert xlsx.status_code == 200
    assert SHEET_KPIS in load_workbook(io.BytesIO(xlsx.content)).sheetnames


def test_the_page_defaults_to_the_users_own_division_and_this_year(db: Db) -> None:
    client = client_of(db, Role.regulator, "320100")
    got = client.get("/assessment")
    assert got.status_code == 200 and "南京市" in got.text and 'value="2026-01-01"' in got.text


def test_others_are_kept_out_of_the_page(db: Db) -> None:
    registry(db)
    other = client_of(db, Role.regulator, "420000")
    assert other.get(f"/assessment?division=320000&{PERIOD}").status_code == 404
    assert other.get(f"/assessment/report.pdf?division=320000&{PERIOD}").status_code == 404
    officer = client_of(db, Role.officer, "320000")
    assert officer.get(f"/assessment?division=320000&{PERIOD}").status_code == 403
    bad = client_of(db, Role.regulator, "320000").get(
        "/assessment?division=320000&start=2026-03-01&end=2026-01-01"
    )
    assert bad.status_code == 422


def test_regulators_and_administrators_find_the_page_in_the_navigation() -> None:
    for role in (Role.regulator, Role.admin):
        assert ("/assessment", "nav.assessment") in NAVIGATION[role]
