"""The inspection on site: checklist, findings raising determined major hazards with their clause, orders with
deadlines, re-inspection, penalties inside the law's range, finishing; who may record; the documents."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from tests.builders import Db, auth_header
from tests.test_enforcement_plans import COUNTY, OTHER_COUNTY, plan_all, world  # noqa: F401  (fixture)
from tests.test_hazard_lifecycle import tiny_png
from zhiben.audit.models import AuditEntry
from zhiben.audit.service import verify_chain
from zhiben.auth.domain import Principal, Role
from zhiben.enforcement import inspecting, metrics, service
from zhiben.enforcement.models import Inspection, OfficerProfile
from zhiben.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from zhiben.hazard.models import Evidence, Hazard
from zhiben.kit.blobs import BlobStore

pypdf = pytest.importorskip("pypdf", reason="pypdf (dev extra) extracts the PDFs' text")

MAJOR = inspecting.FindingDraft(
    "三号车间两名电焊工无证上岗",
    location="三号车间",
    longitude=120.62,
    latitude=31.27,
    is_major=True,
    pack="hazchem",
    clause="2",
)


def started(db: Db, world: dict[str, object], unannounced: bool = True) -> Inspection:  # noqa: F811
    """An inspection of an enterprise in COUNTY, staffed by officers a and b, started by officer a."""
    planner, officer_a, officer_b = world["planner"], world["officer_a"], world["officer_b"]
    assert isinstance(officer_a, Principal) and isinstance(officer_b, Principal)
    plan = plan_all(db, planner, unannounced)  # type: ignore[arg-type]
    rows, _ = db.act(service.list_inspections, planner, plan.id, 0, 50)
    target = next(r for r in rows if r.enterprise_id == world["enterprises"][0])  # type: ignore[index]
    db.act(service.assign_team, planner, target.id, [officer_a.user_id, officer_b.user_id])
    with db.uow() as uow:
        uow.session.add(
            OfficerProfile(
                user_id=officer_a.user_id,
                certificate_no="苏320500001",
                certificate_valid_until=date(2028, 12, 31),
                sectors=["hazchem_production"],
                cap_per_week=2,
                updated_at=db.clock.now(),
            )
        )
    return db.act(service.start_inspection, officer_a, target.id)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def test_the_inspection_flow_from_checklist_to_penalty(db: Db, world: dict[str, object]) -> None:  # noqa: F811
    officer_a, officer_b, planner = world["officer_a"], world["officer_b"], world["planner"]
    inspection = started(db, world)
    listed = db.act(inspecting.inspection_checklist, officer_a, inspection.id)
    assert {"hazchem", "fire"} <= {p.id for p in listed.checklist.packs}
    db.act(inspecting.add_emphasis_questions, planner, inspection.id, "ZX-2026-01", ["动火作业票是否齐全？"])
    question = db.act(inspecting.inspection_checklist, officer_b, inspection.id).emphasis[0]
    outcome = db.act(
        inspecting.answer_checklist,
        officer_b,
        inspection.id,
        {"key_facility_external_distance_substandard": False},
        {question.id: "齐全"},
    )
    assert outcome is not None and outcome.changed == ("key_facility_external_distance_substandard",)

    store = BlobStore(db.tmp / "blobs")
    photo = inspecting.Photo("weld.png", tiny_png())
    finding = db.act(inspecting.record_finding, officer_a, inspection.id, MAJOR, [photo], store)
    with db.uow(write=False) as uow:
        hazard = uow.session.get(Hazard, finding.hazard_id)
        assert hazard is not None
        assert (hazard.level, hazard.state, hazard.source) == ("major", "determined", "enforcement")
        assert (hazard.citation["pack"], hazard.citation["clause"]) == ("hazchem", "2")
        assert hazard.citation["version"] == finding.pack_version == "2017.1"
        assert (
            uow.session.scalars(select(Evidence).where(Evidence.hazard_id == hazard.id)).one().phase
            == "before"
        )
    general = db.act(
        inspecting.record_finding,
        officer_b,
        inspection.id,
        inspecting.FindingDraft("动火作业票未经审批", location="二号罐区", basis="GB 30871-2022 5.2.1"),
    )
    assert general.hazard_id is None
    db.act(inspecting.take_measure, officer_a, inspection.id, "evacuate", "三号车间焊接作业人员撤出")

    today = db.clock.now().date()
    with pytest.raises(InvalidInputError) as late:
        db.act(
            inspecting.issue_order, officer_a, inspection.id, [inspecting.OrderItemDraft(finding.id, today)]
        )
    assert late.value.details["fields"][0]["field"] == "items[0].deadline"
    items = [
        inspecting.OrderItemDraft(finding.id, today + timedelta(days=15)),
        inspecting.OrderItemDraft(general.id, today + timedelta(days=5)),
    ]
    order = db.act(inspecting.issue_order, officer_a, inspection.id, items)
    assert order.number.endswith(f"责改〔{today.year}〕1号")
    second = db.act(inspecting.issue_order, officer_b, inspection.id, items[1:])
    assert second.number.endswith(f"责改〔{today.year}〕2号")  # numbered per planning division and year
    reinspections, _ = db.act(inspecting.list_reinspections, planner, False, 0, 10)
    assert reinspections[0].scheduled_on == today + timedelta(days=5)  # the latest deadline of `second`
    assert {r.scheduled_on for r in reinspections} == {today + timedelta(days=5), today + timedelta(days=15)}

    with pytest.raises(InvalidInputError) as refused:
        db.act(
            inspecting.impose_penalty,
            officer_a,
            inspection.id,
            inspecting.PenaltyDraft("wsl2021-102-unit", Decimal("60000"), "未消除事故隐患"),
        )
    reason = str(refused.value.details["fields"])
    assert "第一百零二条" in reason and "五万元以下" in reason
    penalty = db.act(
        inspecting.impose_penalty,
        officer_a,
        inspection.id,
        inspecting.PenaltyDraft("wsl2021-102-unit", Decimal("30000"), "特种作业人员无证上岗，未消除事故隐患"),
    )
    assert penalty.article == 102 and penalty.amount_yuan == Decimal("30000")

    db.act(inspecting.finish_inspection, officer_b, inspection.id)
    for record in (
        lambda: db.act(inspecting.record_finding, officer_a, inspection.id, MAJOR),
        lambda: db.act(inspecting.take_measure, officer_a, inspection.id, "other", "x"),
        lambda: db.act(inspecting.issue_order, officer_a, inspection.id, items),
        lambda: db.act(inspecting.finish_inspection, officer_a, inspection.id),
    ):
        with pytest.raises(ConflictError):
            record()

    db.clock.advance(timedelta(days=6))  # `second` is due for re-inspection and not done: overdue
    overdue, total = db.act(inspecting.list_reinspections, planner, True, 0, 10)
    assert total == 1 and overdue[0].order_id == second.id
    assert db.act(inspecting.list_reinspections, world["county"], True, 0, 10)[1] == 1
    assert db.act(inspecting.list_reinspections, world["province"], True, 0, 10)[1] == 1
    done = db.act(
        inspecting.record_reinspection,
        officer_a,
        order.id,
        [inspecting.ItemResult(1, True), inspecting.ItemResult(2, False, "审批流程仍未建立")],
    )
    assert done.number and done.number.endswith("复查〔2026〕1号")
    with pytest.raises(ConflictError):
        db.act(inspecting.record_reinspection, officer_a, order.id, [inspecting.ItemResult(1, True)])
    with db.uow(write=False) as uow:
        actions = set(uow.session.scalars(select(AuditEntry.action)))
        assert {
            "inspection.finding",
            "inspection.measure",
            "inspection.order",
            "inspection.penalty",
            "inspection.finish",
            "inspection.reinspect",
            "inspection.answer_emphasis",
            "checklist.answer",
            "hazard.determine",
        } <= actions
        assert verify_chain(uow.session)[1] is None
    numbers = db.act(metrics.quality, planner, None, date(2026, 1, 1), date(2026, 12, 31))
    assert numbers["penalties"] == {"count": 1, "amount_yuan": "30000.00"}
    assert (numbers["reinspections"]["on_time"], numbers["reinspections"]["overdue"]) == (1, 1)
    assert sum(numbers["major_findings_by_kind"].values()) >= 1


def test_a_major_finding_cites_a_clause_in_force_for_the_enterprise(
    db: Db,
    world: dict[str, object],  # noqa: F811
) -> None:
    inspection = started(db, world)
    officer = world["officer_a"]
    for pack, clause in (("coal-mine", "3-1"), ("hazchem", "99"), ("hazchem", None)):
        draft = inspecting.FindingDraft("x", is_major=True, pack=pack, clause=clause)
        with pytest.raises(InvalidInputError) as caught:
            db.act(inspecting.record_finding, officer, inspection.id, draft)
        assert caught.value.details["fields"][0]["field"] == "clause"


def test_only_the_team_or_the_planning_regulator_records(db: Db, world: dict[str, object]) -> None:  # noqa: F811
    inspection = started(db, world)
    local_officer = world["local_officer"]  # sees the started inspection in his county, not on the team
    with pytest.raises(PermissionDeniedError):
        db.act(inspecting.record_finding, local_officer, inspection.id, MAJOR)
    with pytest.raises(PermissionDeniedError):
        db.act(inspecting.record_finding, world["owner"], inspection.id, MAJOR)
    stranger = db.user(Role.officer, division="320581", username="officer-elsewhere")
    other_county = db.user(Role.regulator, division=OTHER_COUNTY, username="other-county")
    for outsider in (stranger, other_county):
        with pytest.raises(NotFoundError):
            db.act(inspecting.record_finding, outsider, inspection.id, MAJOR)
        with pytest.raises(NotFoundError):
            db.act(inspecting.inspection_checklist, outsider, inspection.id)
    assert db.act(inspecting.record_finding, world["planner"], inspection.id, MAJOR).hazard_id


def test_nothing_is_recorded_before_the_start(db: Db, world: dict[str, object]) -> None:  # noqa: F811
    planner = world["planner"]
    plan = plan_all(db, planner)  # type: ignore[arg-type]
    rows, _ = db.act(service.list_inspections, planner, plan.id, 0, 50)
    with pytest.raises(ConflictError):
        db.act(inspecting.record_finding, planner, rows[0].id, MAJOR)


def test_the_api_records_and_produces_each_document_from_stored_data(
    db: Db,
    world: dict[str, object],  # noqa: F811
) -> None:
    inspection = started(db, world)
    client = db.client()
    officer = auth_header(client, "officer-a")
    base = f"/api/v1/enforcement/inspections/{inspection.id}"
    checklist = client.get(f"{base}/checklist", headers=officer)
    assert checklist.status_code == 200, checklist.text
    assert "hazchem/2017.1" in checklist.json()["packs"]
    answered = client.post(
        f"{base}/checklist/answers",
        json={"answers": {"key_facility_external_distance_substandard": False}},
        headers=officer,
    )
    assert answered.status_code == 200, answered.text
    finding = client.post(
        f"{base}/findings",
        json={
            "description": "三号车间两名电焊工无证上岗",
            "location": "三号车间",
            "longitude": 120.62,
            "latitude": 31.27,
            "major": True,
            "pack": "hazchem",
            "clause": "2",
        },
        headers=officer,
    )
    assert finding.status_code == 201, finding.text
    fid = finding.json()["id"]
    photo = client.post(
        f"/api/v1/enforcement/findings/{fid}/photos",
        files={"file": ("weld.png", tiny_png(), "image/png")},
        headers=officer,
    )
    assert photo.status_code == 201 and len(photo.json()["evidence"]) == 1, photo.text
    measure = {"kind": "evacuate", "description": "三号车间焊接作业人员撤出"}
    assert client.post(f"{base}/measures", json=measure, headers=officer).status_code == 201
    deadline = (db.clock.now().date() + timedelta(days=10)).isoformat()
    order = client.post(
        f"{base}/orders", json={"items": [{"finding_id": fid, "deadline": deadline}]}, headers=officer
    )
    assert order.status_code == 201, order.text
    refused = client.post(
        f"{base}/penalties",
        json={"provision_id": "wsl2021-102-unit", "amount_yuan": "80000", "facts": "未消除事故隐患"},
        headers=officer,
    )
    assert refused.status_code == 422 and "第一百零二条" in refused.text and "五万元以下" in refused.text
    penalty = client.post(
        f"{base}/penalties",
        json={
            "provision_id": "wsl2021-102-unit",
            "amount_yuan": "45000",
            "facts": "特种作业人员无证上岗，未消除重大事故隐患",
            "violated": "违反了《中华人民共和国安全生产法》第三十条第一款的规定",
        },
        headers=officer,
    )
    assert penalty.status_code == 201, penalty.text
    assert client.get(f"{base}/documents/record", headers=officer).status_code == 409  # not finished yet
    assert client.post(f"{base}/finish", headers=officer).json()["state"] == "done"
    assert client.post(f"{base}/measures", json=measure, headers=officer).status_code == 409
    db.clock.advance(timedelta(days=11))
    officer = auth_header(client, "officer-a")  # a fresh token: the first one has expired by now
    overdue = client.get("/api/v1/enforcement/reinspections?overdue=true", headers=officer).json()
    assert overdue["total"] == 1
    other = auth_header(client, db.user(Role.regulator, division="320581", username="kunshan").username)
    assert client.get("/api/v1/enforcement/reinspections?overdue=true", headers=other).json()["total"] == 0
    done = client.post(
        f"/api/v1/enforcement/orders/{order.json()['id']}/reinspection",
        json={"results": [{"item": 1, "is_rectified": True, "note": "已持证上岗"}]},
        headers=officer,
    )
    assert done.status_code == 200, done.text

    year = db.clock.now().year
    expected = {
        "record": ["现场检查记录", f"检记〔{year}〕1号", "三号车间两名电焊工无证上岗", "hazchem/2", "撤出"],
        "order": ["责令限期整改指令书", order.json()["number"], "三号车间两名电焊工无证上岗", "重大事故隐患"],
        "reinspection": ["整改复查意见书", f"复查〔{year}〕1号", order.json()["number"], "已整改"],
        "penalty": ["行政处罚决定书", penalty.json()["number"], "第一百零二条", "45,000元"],
    }
    for kind, texts in expected.items():
        response = client.get(f"{base}/documents/{kind}", headers=officer)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        text = text_of(response.content)
        for wanted in [*texts, "苏320500001", "【待填：执法证号】", "测试"]:
            assert wanted.replace(" ", "") in text, (kind, wanted)
        assert client.get(f"{base}/documents/{kind}", headers=other).status_code == 404
    assert client.get(f"{base}/documents/memo", headers=officer).status_code == 422


def test_documents_and_checklist_stay_hidden_while_the_inspection_is_confidential(
    db: Db,
    world: dict[str, object],  # noqa: F811
) -> None:
    planner = world["planner"]
    plan = plan_all(db, planner)  # type: ignore[arg-type]
    rows, _ = db.act(service.list_inspections, planner, plan.id, 0, 50)
    target = next(r for r in rows if r.enterprise_id == world["enterprises"][0])  # type: ignore[index]
    client = db.client()
    base = f"/api/v1/enforcement/inspections/{target.id}"
    for username in ("owner-0", "wuzhong-official"):
        headers = auth_header(client, username)
        assert client.get(f"{base}/checklist", headers=headers).status_code == 404
        assert client.get(f"{base}/documents/order", headers=headers).status_code == 404
        assert client.post(f"{base}/findings", json={"description": "x"}, headers=headers).status_code == 404
    assert (
        client.get(f"{base}/documents/order", headers=auth_header(client, "suzhou-planner")).status_code
        == 409
    )
