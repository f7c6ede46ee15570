"""Regulatory sectors and the validation of enterprise fields. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from zhiben.errors import InvalidInputError, InvalidUsccError
from zhiben.kit import uscc


@dataclass(frozen=True)
class Sector:
    code: str
    zh: str
    en: str
    parent: str | None = None


# Stable codes used by the API, the CLI and rule packs. Industry-and-trade (工贸) sub-sectors follow
# MEM's eight 工贸 sectors (应急厅〔2019〕17号).
SECTORS: tuple[Sector, ...] = (
    Sector("coal_mine", "煤矿", "coal mine"),
    Sector("metal_nonmetal_mine", "金属非金属矿山", "metal and non-metal mine"),
    Sector("hazchem_production", "危险化学品生产", "hazardous chemicals production"),
    Sector("hazchem_storage", "危险化学品储存", "hazardous chemicals storage"),
    Sector("hazchem_trading", "危险化学品经营", "hazardous chemicals trading"),
    Sector("fireworks", "烟花爆竹", "fireworks"),
    Sector("industry_trade", "工贸", "industry and trade"),
    Sector("industry_trade_metallurgy", "冶金", "metallurgy", "industry_trade"),
    Sector("industry_trade_nonferrous", "有色", "non-ferrous metals", "industry_trade"),
    Sector("industry_trade_building_materials", "建材", "building materials", "industry_trade"),
    Sector("industry_trade_machinery", "机械", "machinery", "industry_trade"),
    Sector("industry_trade_light", "轻工", "light industry", "industry_trade"),
    Sector("industry_trade_textile", "纺织", "textile", "industry_trade"),
    Sector("industry_trade_tobacco", "烟草", "tobacco", "industry_trade"),
    Sector("industry_trade_commerce_warehousing", "商贸", "commerce and warehousing", "industry_trade"),
    Sector("construction", "房屋市政工程", "housing and municipal construction"),
    Sector("urban_gas", "城镇燃气", "urban gas"),
    Sector("road_transport", "道路运输", "road transport"),
    Sector("other", "其他", "other"),
)
SECTOR_BY_CODE = {s.code: s for s in SECTORS}
SECTOR_BY_NAME = {s.zh: s for s in SECTORS} | {s.en: s for s in SECTORS}

_GBT4754 = re.compile(r"^[A-T](\d{2}(\d{1,2})?)?$|^\d{2}(\d{1,2})?$")


def sector_family(code: str) -> str:
    """The top-level sector: industry_trade_textile → industry_trade."""
    sector = SECTOR_BY_CODE[code]
    return sector.parent or sector.code


def parse_sector(value: str) -> str:
    """Accept a code, or a Chinese or English sector name, as a ledger would hold it."""
    text = value.strip()
    if text in SECTOR_BY_CODE:
        return text
    if text in SECTOR_BY_NAME:
        return SECTOR_BY_NAME[text].code
    raise InvalidInputError(
        "sector", "unknown", f"unknown sector {text!r}; use one of: {', '.join(SECTOR_BY_CODE)}"
    )


def parse_uscc(value: str) -> str:
    try:
        return uscc.validate(value)
    except uscc.UsccError as exc:
        raise InvalidUsccError("uscc", exc.reason, str(exc)) from exc


def parse_gbt4754(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    text = value.strip().upper()
    if not _GBT4754.match(text):
        raise InvalidInputError(
            "gbt4754_code", "format", "GB/T 4754 code: a section letter and/or 2-4 digits"
        )
    return text


def check_coordinates(longitude: float | None, latitude: float | None) -> None:
    """China lies within 73-136 °E and 3-54 °N; both or neither must be given."""
    if (longitude is None) != (latitude is None):
        raise InvalidInputError("longitude", "pair", "give both longitude and latitude, or neither")
    if longitude is not None and not 73.0 <= longitude <= 136.0:
        raise InvalidInputError("longitude", "range", "longitude must lie within China, 73-136 °E")
    if latitude is not None and not 3.0 <= latitude <= 54.0:
        raise InvalidInputError("latitude", "range", "latitude must lie within China, 3-54 °N")


def check_headcount(headcount: Any) -> int | None:
    if headcount is None:
        return None
    if not isinstance(headcount, int) or isinstance(headcount, bool) or headcount < 0:
        raise InvalidInputError("headcount", "range", "headcount is a whole number, 0 or more")
    return headcount


@dataclass(frozen=True)
class EnterpriseDraft:
    """The fields a user supplies for an enterprise, before they are checked."""

    uscc: str
    name: str
    county_code: str
    sector: str
    address: str = ""
    longitude: float | None = None
    latitude: float | None = None
    gbt4754_code: str | None = None
    headcount: int | None = None
    main_responsible_person: str = ""
    safety_manager: str = ""
    licences: tuple[dict[str, str], ...] = ()


def check_draft(draft: EnterpriseDraft) -> EnterpriseDraft:
    """Normalise and check every field that needs no database; raise on the first bad one."""
    name = draft.name.strip()
    if not name:
        raise InvalidInputError("name", "required", "the enterprise name is required")
    county = draft.county_code.strip()
    if len(county) != 6 or not county.isdigit():
        raise InvalidInputError("county_code", "format", "a county is a 6-digit GB/T 2260 code")
    check_coordinates(draft.longitude, draft.latitude)
    return EnterpriseDraft(
        uscc=parse_uscc(draft.uscc),
        name=name,
        county_code=county,
        sector=parse_sector(draft.sector),
        address=draft.address.strip(),
        longitude=draft.longitude,
        latitude=draft.latitude,
        gbt4754_code=parse_gbt4754(draft.gbt4754_code),
        headcount=check_headcount(draft.headcount),
        main_responsible_person=draft.main_responsible_person.strip(),
        safety_manager=draft.safety_manager.strip(),
        licences=draft.licences,
    )
