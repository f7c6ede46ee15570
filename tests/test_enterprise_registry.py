"""The registry's identifiers and fields: USCC (GB 32100), sectors, coordinates, divisions (GB/T 2260)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.builders import Db, new_uscc
from zhiben.auth.domain import SYSTEM, Role
from zhiben.division import service as divisions
from zhiben.enterprise import service
from zhiben.enterprise.domain import (
    SECTORS,
    EnterpriseDraft,
    check_coordinates,
    check_draft,
    check_headcount,
    parse_gbt4754,
    parse_sector,
    parse_uscc,
    sector_family,
)
from zhiben.enterprise.models import Enterprise
from zhiben.errors import (
    DuplicateError,
    InvalidInputError,
    InvalidUsccError,
    NotFoundError,
    PermissionDeniedError,
)
from zhiben.kit import uscc

# ------------------------------------------------------------------------------ USCC, GB 32100-2015


@pytest.mark.parametrize(
    "code",
    [
        "91110000600037341L",  # python-stdnum's own docstring example
        "91310000MA1FL8XP0W",
        "N2110105MA00000A1U",  # 农业 collective: python-stdnum wrongly rejects a letter first
        "Y1110000MA0000001Y",  # 其他: likewise
        "A1110000MA0000001K",
    ],
)
def test_valid_codes_are_accepted_whatever_their_first_character(code: str) -> None:
    assert uscc.validate(code) == code
    assert parse_uscc(code) == code


def test_a_code_is_normalised_to_upper_case_without_spaces() -> None:
    assert uscc.validate(" 9131 0000ma1fl8xp0w ") == "91310000MA1FL8XP0W"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91310000MA1FL8XP0X", "check_digit"),
        ("91310000MA1FL8XP0", "length"),
        ("91310000MA1FL8XP0W1", "length"),
        ("", "length"),
        ("91310000MA1FI8XP0W", "character"),  # I is never used
        ("91310000MA1FO8XP0W", "character"),
        ("91310000MA1FZ8XP0W", "character"),
        ("91310000MA1FS8XP0W", "character"),
        ("91310000MA1FV8XP0W", "character"),
        ("913100A0MA1FL8XP0W", "division"),
    ],
)
def test_a_bad_code_is_refused_with_a_stable_reason(code: str, reason: str) -> None:
    with pytest.raises(uscc.UsccError) as caught:
        uscc.validate(code)
    assert caught.value.reason == reason
    with pytest.raises(InvalidUsccError) as wrapped:
        parse_uscc(code)
    assert wrapped.value.details["fields"] == [
        {"field": "uscc", "reason": reason, "message": str(caught.value)}
    ]


def test_the_refusal_names_the_expected_check_character() -> None:
    with pytest.raises(uscc.UsccError, match="should be W, not X"):
        uscc.validate("91310000MA1FL8XP0X")


def test_a_check_value_of_31_is_written_as_0() -> None:
    body = next(b for n in range(1000) if uscc.check_character(b := f"91320311MA{n:07d}") == "0")
    weighted = sum(uscc.ALPHABET.index(c) * w for c, w in zip(body, uscc.WEIGHTS, strict=True))
    assert weighted % 31 == 0
    assert uscc.validate(body + "0") == body + "0"


def test_the_check_character_follows_the_standards_formula_on_a_worked_example() -> None:
    # 9 1 3 1 0 0 0 0 M A 1 F L 8 X P 0 → Σ value × 3^(i-1) mod 31, C18 = 31 - (Σ mod 31)
    body = "91310000MA1FL8XP0"
    total = sum(uscc.ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    assert uscc.ALPHABET[(31 - total % 31) % 31] == "W" == uscc.check_character(body)


_FIRST = st.sampled_from("0123456789ANY")
_BODY = st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9)
_DIVISION = st.from_regex(r"\A[0-9]{6}\Z")


@given(first=_FIRST, kind=st.sampled_from(uscc.ALPHABET), division=_DIVISION, body=_BODY)
def test_every_code_made_with_its_check_character_is_valid(
    first: str, kind: str, division: str, body: str
) -> None:
    code = uscc.make(first + kind + division + body)
    assert uscc.validate(code) == code


@given(
    first=_FIRST,
    division=_DIVISION,
    body=_BODY,
    position=st.integers(0, 17),
    other=st.sampled_from(uscc.ALPHABET),
)
def test_changing_any_one_character_is_detected(
    first: str, division: str, body: str, position: int, other: str
) -> None:
    code = uscc.make(first + "1" + division + body)
    changed = code[:position] + other + code[position + 1 :]
    if changed != code:
        with pytest.raises(uscc.UsccError):
            uscc.validate(changed)


# ----------------------------------------------------------------------------------------- sectors


@pytest.mark.parametrize(
    ("given_as", "expected"),
    [
        ("hazchem_storage", "hazchem_storage"),
        ("危险化学品储存", "hazchem_storage"),
        ("hazardous chemicals storage", "hazchem_storage"),
        ("  冶金 ", "industry_trade_metallurgy"),
        ("商贸", "industry_trade_commerce_warehousing"),
    ],
)
def test_a_sector_is_read_from_its_code_or_its_chinese_or_english_name(given_as: str, expected: str) -> None:
    assert parse_sector(given_as) == expected


@pytest.mark.parametrize("text", ["", "化工", "Hazchem_Storage", "coal"])
def test_an_unknown_sector_is_refused_listing_the_codes(text: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse_sector(text)
    [problem] = caught.value.details["fields"]
    assert (problem["field"], problem["reason"]) == ("sector", "unknown")
    assert "coal_mine" in problem["message"]


def test_sector_codes_and_names_are_unique_and_every_parent_exists() -> None:
    codes = [s.code for s in SECTORS]
    assert len(set(codes)) == len(codes)
    assert len({s.zh for s in SECTORS}) == len({s.en for s in SECTORS}) == len(SECTORS)
    assert all(s.parent in codes for s in SECTORS if s.parent)


def test_the_eight_industry_and_trade_sectors_belong_to_industry_and_trade() -> None:
    children = [s.code for s in SECTORS if s.parent == "industry_trade"]
    assert len(children) == 8
    assert {sector_family(c) for c in children} == {"industry_trade"}
    assert sector_family("coal_mine") == "coal_mine"


# --------------------------------------------------------------------------------- other fields


@pytest.mark.parametrize(
    ("longitude", "latitude"),
    [(None, None), (73.0, 3.0), (136.0, 54.0), (120.62, 31.32)],
)
def test_coordinates_within_china_or_none_are_accepted(
    longitude: float | None, latitude: float | None
) -> None:
    check_coordinates(longitude, latitude)


@pytest.mark.parametrize(
    ("longitude", "latitude", "field", "reason"),
    [
        (120.0, None, "longitude", "pair"),
        (None, 31.0, "longitude", "pair"),
        (72.99, 31.0, "longitude", "range"),
        (136.01, 31.0, "longitude", "range"),
        (-120.0, 31.0, "longitude", "range"),
        (120.0, 2.99, "latitude", "range"),
        (120.0, 54.01, "latitude", "range"),
        (31.3, 120.6, "longitude", "range"),  # swapped
        (float("nan"), 31.0, "longitude", "range"),
    ],
)
def test_coordinates_outside_china_or_without_a_partner_are_refused(
    longitude: float | None, latitude: float | None, field: str, reason: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_coordinates(longitude, latitude)
    assert caught.value.details["fields"][0]["field"] == field
    assert caught.value.details["fields"][0]["reason"] == reason


@pytest.mark.parametrize(("code", "expected"), [("c2614", "C2614"), ("26", "26"), ("C", "C"), (" ", None)])
def test_gbt4754_codes_are_a_section_letter_and_or_two_to_four_digits(
    code: str, expected: str | None
) -> None:
    assert parse_gbt4754(code) == expected


@pytest.mark.parametrize("code", ["X26", "C2", "C26141", "2614A"])
def test_malformed_gbt4754_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_gbt4754(code)


@pytest.mark.parametrize("headcount", [-1, True, 1.5, "12"])
def test_headcount_is_a_whole_number_of_zero_or_more(headcount: object) -> None:
    with pytest.raises(InvalidInputError):
        check_headcount(headcount)
    assert check_headcount(0) == 0


def test_a_draft_is_normalised_field_by_field() -> None:
    clean = check_draft(
        EnterpriseDraft(
            uscc=" 91310000ma1fl8xp0w",
            name="  上海某化工有限公司 ",
            county_code=" 310115 ",
            sector="危险化学品经营",
            gbt4754_code="f5166",
            main_responsible_person=" 王 ",
        )
    )
    assert (clean.uscc, clean.name, clean.county_code, clean.sector, clean.gbt4754_code) == (
        "91310000MA1FL8XP0W",
        "上海某化工有限公司",
        "310115",
        "hazchem_trading",
        "F5166",
    )
    assert clean.main_responsible_person == "王"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"county_code": "3203"}, "county_code"),
        ({"county_code": "32031a"}, "county_code"),
    ],
)
def test_a_draft_without_a_name_or_with_a_malformed_county_is_refused(
    changes: dict[str, str], field: str
) -> None:
    values = {"uscc": "91310000MA1FL8XP0W", "name": "某公司", "county_code": "310115", "sector": "other"}
    with pytest.raises(InvalidInputError) as caught:
        check_draft(EnterpriseDraft(**(values | changes)))
    assert caught.value.details["fields"][0]["field"] == field


# ------------------------------------------------------------------------------ divisions, GB/T 2260


def test_the_division_table_holds_provinces_cities_and_counties(db: Db) -> None:
    with db.uow(write=False) as uow:
        assert divisions.count(uow.session) == 3211
        dataset = divisions.dataset(uow.session)
        assert dataset is not None
        assert dataset.count == 3211


def test_the_ancestors_of_a_county_run_from_its_province_down(db: Db) -> None:
    with db.uow(write=False) as uow:
        path = divisions.ancestors(uow.session, "320311")
        assert [(d.code, d.level) for d in path] == [("320000", 1), ("320300", 2), ("320311", 3)]
        assert [d.name for d in path] == ["江苏省", "徐州市", "泉山区"]


def test_searching_a_name_finds_the_division(db: Db) -> None:
    with db.uow(write=False) as uow:
        found = divisions.search(uow.session, "苏州")
        assert found[0].code == "320500"
        assert [d.code for d in divisions.search(uow.session, " 泉山 ")] == ["320311"]
        assert divisions.search(uow.session, "不存在的地名") == []


def test_children_and_counties_follow_the_hierarchy(db: Db) -> None:
    with db.uow(write=False) as uow:
        provinces = divisions.children(uow.session, "")
        assert {d.level for d in provinces} == {1}
        assert "320000" in [d.code for d in provinces]
        assert "320500" in [d.code for d in divisions.children(uow.session, "320000")]
        suzhou = divisions.counties_under(uow.session, "320500")
        assert "320506" in [d.code for d in suzhou]
        assert all(d.level == 3 and d.code.startswith("3205") for d in suzhou)


def test_an_unknown_division_is_not_found(db: Db) -> None:
    with db.uow(write=False) as uow, pytest.raises(NotFoundError):
        divisions.get_division(uow.session, "329999")


def test_loading_the_same_edition_again_changes_nothing(db: Db) -> None:
    assert db.act(divisions.load_divisions, SYSTEM) == 3211
    with db.uow(write=False) as uow:
        assert divisions.count(uow.session) == 3211


# ------------------------------------------------------------------------------------- registering


def _draft(county: str = "320311", **changes: object) -> EnterpriseDraft:
    values: dict[str, object] = {
        "uscc": new_uscc(county),
        "name": "徐州某化工有限公司",
        "county_code": county,
        "sector": "危险化学品生产",
    }
    return EnterpriseDraft(**(values | changes))  # type: ignore[arg-type]


def test_registering_records_the_city_and_province_of_the_county(db: Db) -> None:
    firm = db.act(lambda s: service.snapshot(service.register_enterprise(s, SYSTEM, _draft())))
    with db.uow(write=False) as uow:
        stored = uow.session.scalars(select(Enterprise)).one()
        assert (stored.province_code, stored.city_code, stored.county_code) == ("32", "3203", "320311")
        assert stored.sector == "hazchem_production" == firm["sector"]


def test_a_code_can_be_registered_once(db: Db) -> None:
    draft = _draft()
    db.act(service.register_enterprise, SYSTEM, draft)
    with pytest.raises(DuplicateError):
        db.act(service.register_enterprise, SYSTEM, _draft(uscc=draft.uscc.lower(), name="另一家"))


@pytest.mark.parametrize("county", ["320300", "320000", "329999"])
def test_an_enterprise_is_registered_in_a_county_not_a_city_or_an_unknown_code(db: Db, county: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        db.act(service.register_enterprise, SYSTEM, _draft(county))
    assert caught.value.details["fields"][0]["reason"] == "unknown"


def test_a_regulator_registers_only_within_their_jurisdiction(db: Db) -> None:
    xuzhou = db.user(Role.regulator, division="320300")
    db.act(service.register_enterprise, xuzhou, _draft("320311"))
    with pytest.raises(PermissionDeniedError):
        db.act(service.register_enterprise, xuzhou, _draft("320506"))
    officer = db.user(Role.officer, division="320300")
    with pytest.raises(PermissionDeniedError):
        db.act(service.register_enterprise, officer, _draft("320311"))


def test_checking_a_new_enterprise_writes_nothing(db: Db) -> None:
    clean = db.act(service.check_new, _draft(name=" 空格 "))
    assert clean.name == "空格"
    with db.uow(write=False) as uow:
        assert uow.session.scalar(select(func.count()).select_from(Enterprise)) == 0
