from __future__ import annotations

from datetime import timedelta

from tests.builders import Db, five_implementations
from zhiben.auth.domain import SYSTEM, Role
from zhiben.hazard import service
from zhiben.hazard.clearance import clearance
from zhiben.hazard.domain import HazardLevel


def _close(db: Db, hazard_id: int) -> None:
    db.act(service.plan_rectification, SYSTEM, hazard_id, five_implementations(db.clock, days=10))
    db.act(service.start_rectification, SYSTEM, hazard_id)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 32
    from zhiben.kit.blobs import BlobStore

    db.act(
        service.attach_evidence, SYSTEM, hazard_id, png, "after", "a.png", BlobStore(db.tmp / "ev"), 10_000
    )
    db.act(service.complete_rectification, SYSTEM, hazard_id, "验收合格")
    db.act(service.verify_hazard, SYSTEM, hazard_id, "复核通过")
    db.act(service.close_out_hazard, SYSTEM, hazard_id)


def test_clearance_counts_open_overdue_and_closed_on_time_or_late_by_division(db: Db) -> None:
    suzhou_firm = db.enterprise("320506")
    nanjing_firm = db.enterprise("320102")
    guangdong_firm = db.enterprise("440305")
    on_time = db.hazard(suzhou_firm)
    _close(db, on_time)
    late = db.hazard(suzhou_firm)
    db.act(service.plan_rectification, SYSTEM, late, five_implementations(db.clock, days=10))
    overdue = db.hazard(nanjing_firm)
    db.act(service.plan_rectification, SYSTEM, overdue, five_implementations(db.clock, days=5))
    db.hazard(nanjing_firm)  # open major, no plan yet
    db.hazard(nanjing_firm, level=HazardLevel.general)  # general hazards do not count
    db.hazard(guangdong_firm)  # another province
    db.clock.advance(timedelta(days=20))
    db.act(service.mark_overdue, SYSTEM, 1)
    db.act(service.start_rectification, SYSTEM, late)
    png = b"\x89PNG\r\n\x1a\n" + b"1" * 32
    from zhiben.kit.blobs import BlobStore

    db.act(service.attach_evidence, SYSTEM, late, png, "after", "b.png", BlobStore(db.tmp / "ev"), 10_000)
    db.act(service.complete_rectification, SYSTEM, late, "验收合格")
    db.act(service.verify_hazard, SYSTEM, late, "")
    db.act(service.close_out_hazard, SYSTEM, late)

    province = db.user(Role.regulator, division="320000")
    with db.uow(write=False) as uow:
        result = clearance(uow.session, province, "320000", db.clock.now())
    assert (result.open_major, result.overdue_major, result.closed_on_time, result.closed_late) == (
        2,
        1,
        1,
        1,
    )
    assert result.rectification_rate == 0.5
    assert result.median_age_days is not None and 19 < result.median_age_days < 21
    children = {c.division_code: c for c in result.children}
    assert set(children) == {"320100", "320500"}
    assert children["320500"].closed_on_time == 1 and children["320500"].closed_late == 1
    assert children["320100"].open_major == 2 and children["320100"].overdue_major == 1
    assert children["320100"].division_name == "南京市"


def test_clearance_for_the_nation_is_limited_to_the_callers_scope(db: Db) -> None:
    db.hazard(db.enterprise("320506"))
    db.hazard(db.enterprise("440305"))
    county = db.user(Role.regulator, division="320506")
    with db.uow(write=False) as uow:
        result = clearance(uow.session, county, "", db.clock.now())
    assert result.open_major == 1
    assert [c.division_code for c in result.children] == ["320000"]


def test_listed_hazards_are_counted_by_listing_level(db: Db) -> None:
    hazard = db.hazard(db.enterprise("320506"))
    city = db.user(Role.regulator, division="320500")
    db.act(service.list_for_supervision, city, hazard, db.clock.now() + timedelta(days=60))
    with db.uow(write=False) as uow:
        result = clearance(uow.session, city, "320500", db.clock.now())
    assert result.listed == {"city": 1}


def test_a_province_rolls_up_to_its_cities_and_to_the_counties_it_administers_directly(db: Db) -> None:
    db.hazard(db.enterprise("429004"))  # 仙桃市, a county-level city under Hubei directly
    db.hazard(db.enterprise("420106"))  # 武昌区 in 武汉市
    db.hazard(db.enterprise("110105"))  # 朝阳区 in Beijing, whose districts sit under the province
    with db.uow(write=False) as uow:
        hubei = clearance(uow.session, SYSTEM, "420000", db.clock.now())
        beijing = clearance(uow.session, SYSTEM, "110000", db.clock.now())
        nation = clearance(uow.session, SYSTEM, "", db.clock.now())
    assert [(c.division_code, c.division_name) for c in hubei.children] == [
        ("420100", "武汉市"),
        ("429004", "仙桃市"),
    ]
    assert [(c.division_code, c.division_name) for c in beijing.children] == [("110105", "朝阳区")]
    assert nation.division_code == "" and nation.open_major == 3
    assert [c.division_name for c in nation.children] == ["北京市", "湖北省"]


def test_a_higher_level_takes_over_a_listing_and_a_lower_one_cannot(db: Db) -> None:
    import pytest

    from zhiben.errors import ConflictError

    hazard = db.hazard(db.enterprise("320506"))
    county = db.user(Role.regulator, division="320506")
    province = db.user(Role.regulator, division="320000")
    db.act(service.list_for_supervision, county, hazard, db.clock.now() + timedelta(days=60))
    db.act(service.list_for_supervision, province, hazard, db.clock.now() + timedelta(days=30))
    with pytest.raises(ConflictError):
        db.act(service.list_for_supervision, county, hazard, db.clock.now() + timedelta(days=60))
    with db.uow(write=False) as uow:
        result = clearance(uow.session, province, "320000", db.clock.now())
    assert result.listed == {"province": 1}
