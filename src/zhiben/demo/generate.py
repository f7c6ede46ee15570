"""A synthetic national data set, deterministic for a seed and an as-of date. Pure: yields plain rows.

Proportions are plausible, not official statistics: enterprises are spread over the real counties
with provincial weights, sectors follow a typical regulator's register (industry and trade largest,
coal concentrated in the coal provinces), and each enterprise has hazards over three years whose
state follows their age: old ones mostly closed, recent ones somewhere along the lifecycle.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from zhiben.demo.names import GENERAL_TEXTS, GIVEN, MAJOR_TEXTS, SECTOR_WORDS, SUFFIXES, SURNAMES, TRADE_NAMES
from zhiben.kit import uscc
from zhiben.kit.clock import SHANGHAI

# enterprises, and the mean of the exponential draw per enterprise (its floor averages about 0.5 less)
SCALES = {"small": (3_000, 4.0), "province": (50_000, 4.0), "nation": (1_000_000, 5.6)}
SMALL_PROVINCE = "32"  # the province that the small and province scales centre on (Jiangsu)

SECTOR_WEIGHTS = {
    "industry_trade_machinery": 17,
    "industry_trade_light": 10,
    "industry_trade_textile": 6,
    "industry_trade_building_materials": 5,
    "industry_trade_metallurgy": 2,
    "industry_trade_nonferrous": 2,
    "industry_trade_tobacco": 0.2,
    "industry_trade_commerce_warehousing": 10,
    "construction": 12,
    "road_transport": 8,
    "hazchem_trading": 7,
    "hazchem_production": 3,
    "hazchem_storage": 1,
    "urban_gas": 2,
    "metal_nonmetal_mine": 3,
    "coal_mine": 0.4,
    "fireworks": 1,
    "other": 7,
}
COAL_PROVINCES = {"14": 8, "15": 5, "61": 4, "52": 3, "65": 2, "41": 1.5, "34": 1, "37": 1, "53": 1}
PROVINCE_WEIGHTS = {
    "44": 12,
    "32": 11,
    "33": 10,
    "37": 8,
    "41": 6,
    "13": 5,
    "42": 5,
    "51": 5,
    "35": 5,
    "43": 4,
    "34": 4,
    "31": 4,
    "11": 3,
    "12": 2,
    "21": 3,
    "36": 3,
    "45": 3,
    "50": 3,
    "61": 3,
    "14": 3,
    "53": 3,
    "52": 2,
    "23": 2,
    "22": 2,
    "15": 2,
    "62": 1.5,
    "65": 1.5,
    "46": 1,
    "64": 0.8,
    "63": 0.6,
    "54": 0.4,
}
GBT4754 = {
    "coal_mine": "0610",
    "metal_nonmetal_mine": "0810",
    "hazchem_production": "2614",
    "hazchem_storage": "5942",
    "hazchem_trading": "5166",
    "fireworks": "2672",
    "industry_trade_metallurgy": "3120",
    "industry_trade_nonferrous": "3216",
    "industry_trade_building_materials": "3011",
    "industry_trade_machinery": "3411",
    "industry_trade_light": "1391",
    "industry_trade_textile": "1713",
    "industry_trade_tobacco": "1620",
    "industry_trade_commerce_warehousing": "5990",
    "construction": "4790",
    "urban_gas": "4520",
    "road_transport": "5430",
    "other": "7299",
}
CITATIONS = {
    "coal_mine": ("coal-mine", "2020", "5-1"),
    "hazchem_production": ("hazchem", "2017", "7"),
    "hazchem_storage": ("hazchem", "2017", "9"),
    "hazchem_trading": ("hazchem", "2017", "4"),
    "fireworks": ("fireworks", "2017", "3"),
    "metal_nonmetal_mine": ("metal-nonmetal-mine", "2022", "4-1"),
}
DEFAULT_CITATION = ("industry-trade", "2023", "4-1")


@dataclass(frozen=True)
class County:
    code: str
    name: str
    city_name: str


@dataclass(frozen=True)
class Plan:
    enterprises: int
    hazards_per_enterprise: float
    provinces: tuple[str, ...] | None  # None: the whole country


def plan_for(scale: str) -> Plan:
    enterprises, per = SCALES[scale]
    return Plan(enterprises, per, (SMALL_PROVINCE,) if scale == "province" else None)


def _weighted_counties(
    counties: Sequence[County], provinces: tuple[str, ...] | None, rng: random.Random
) -> tuple[list[County], list[float]]:
    chosen = [c for c in counties if provinces is None or c.code[:2] in provinces]
    per_province: dict[str, int] = {}
    for c in chosen:
        per_province[c.code[:2]] = per_province.get(c.code[:2], 0) + 1
    weights = [
        PROVINCE_WEIGHTS.get(c.code[:2], 1) / per_province[c.code[:2]] * rng.uniform(0.5, 1.5) for c in chosen
    ]
    return chosen, weights


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _org_code(index: int) -> str:
    """Nine characters from the USCC alphabet, unique per index."""
    digits = []
    for _ in range(9):
        index, rest = divmod(index, 31)
        digits.append(uscc.ALPHABET[rest])
    return "".join(reversed(digits))


def _sector_for(county: str, rng: random.Random) -> str:
    weights = dict(SECTOR_WEIGHTS)
    weights["coal_mine"] = SECTOR_WEIGHTS["coal_mine"] * COAL_PROVINCES.get(county[:2], 0.05) * 3
    return rng.choices(list(weights), list(weights.values()))[0]


def enterprises(
    plan: Plan, counties: Sequence[County], seed: int, as_of: datetime
) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)
    chosen, weights = _weighted_counties(counties, plan.provinces, rng)
    picks = rng.choices(chosen, weights, k=plan.enterprises)
    if plan.provinces is None and plan.enterprises <= 5_000:
        # the small demo: make sure the demo accounts' county (Suzhou Wuzhong) has enterprises to show
        home = next((c for c in chosen if c.code == "320506"), None)
        if home:
            picks[: plan.enterprises // 20] = [home] * (plan.enterprises // 20)
    for i, county in enumerate(picks, start=1):
        sector = _sector_for(county.code, rng)
        city = county.city_name.removesuffix("市").removesuffix("地区").removesuffix("自治州") or county.name
        name = f"{city}{rng.choice(TRADE_NAMES)}{rng.choice(SECTOR_WORDS[sector])}{rng.choice(SUFFIXES)}"
        created = as_of - timedelta(days=rng.randint(1100, 4000))
        yield {
            "id": i,
            "uscc": uscc.make(f"91{county.code}{_org_code(i)}"),
            "name": name,
            "county_code": county.code,
            "city_code": county.code[:4],
            "province_code": county.code[:2],
            "address": f"{county.city_name}{county.name}{rng.choice(TRADE_NAMES)}路{rng.randint(1, 999)}号",
            "longitude": None,
            "latitude": None,
            "sector": sector,
            "gbt4754_code": GBT4754[sector],
            "headcount": int(rng.lognormvariate(4.0, 1.0)) + 3,
            "main_responsible_person": _person(rng),
            "safety_manager": _person(rng),
            "licences": "[]",
            "created_at": created,
            "updated_at": created,
            "version": 1,
        }


OPEN_STATES = ("determined", "planned", "rectifying", "rectified", "verified", "reopened")
OPEN_WEIGHTS = (10, 20, 40, 15, 8, 3)
SOURCES = ("self_inspection", "enforcement", "service", "tipoff", "monitoring")
SOURCE_WEIGHTS = (60, 28, 6, 3, 3)


@dataclass
class HazardRows:
    """Everything generated for one hazard: its row, its plan (if any) and its listing (if any)."""

    hazard: dict[str, Any]
    plan: dict[str, Any] | None
    supervision: dict[str, Any] | None


def _lifecycle(rng: random.Random, major: bool, reported: datetime, as_of: datetime) -> dict[str, Any]:
    deadline = reported + timedelta(days=rng.randint(60, 180) if major else rng.randint(3, 30))
    age_days = (as_of - reported).days
    determined = reported + timedelta(hours=rng.randint(1, 72))
    if determined >= as_of:
        return {"state": "reported", "determined_at": None, "deadline_at": None}
    if rng.random() < 0.02:
        return {"state": "rejected", "determined_at": None, "deadline_at": None}
    late_share = 0.15 if major else 0.08
    p_closed = 0.0 if as_of < deadline - timedelta(days=5) else (0.9 if major else 0.97)
    if age_days > 400:
        p_closed = 0.985
    state = "closed" if rng.random() < p_closed else rng.choices(OPEN_STATES, OPEN_WEIGHTS)[0]
    out: dict[str, Any] = {"state": state, "determined_at": determined, "deadline_at": deadline}
    if state == "closed":
        span = (deadline - determined).total_seconds()
        closed = determined + timedelta(seconds=span * rng.uniform(0.3, 1.0))
        if rng.random() < late_share:
            closed = deadline + timedelta(days=rng.randint(1, 40))
        closed = min(closed, as_of - timedelta(minutes=5))
        out.update(
            closed_at=closed, rectified_at=closed - timedelta(days=2), verified_at=closed - timedelta(days=1)
        )
    elif state == "reopened":
        out["reopened_at"] = min(as_of - timedelta(hours=1), determined + timedelta(days=rng.randint(5, 40)))
    elif state in ("rectified", "verified"):
        out["rectified_at"] = min(as_of - timedelta(hours=2), determined + timedelta(days=rng.randint(1, 30)))
        if state == "verified":
            out["verified_at"] = out["rectified_at"] + timedelta(hours=1)
    return out


def hazards(
    plan: Plan, firms: Sequence[tuple[int, str, str]], seed: int, as_of: datetime
) -> Iterator[HazardRows]:
    """firms: (enterprise id, county code, sector). Rows come sorted by county and year, numbered gap-free."""
    rng = random.Random(seed * 7919 + 1)
    drafts: list[tuple[str, int, datetime, int, str, str]] = []
    three_years = 3 * 365 * 86400
    for enterprise_id, county, sector in firms:
        count = min(40, int(rng.expovariate(1 / plan.hazards_per_enterprise)))
        for _ in range(count):
            reported = as_of - timedelta(seconds=rng.randint(600, three_years))
            drafts.append(
                (county, reported.astimezone(SHANGHAI).year, reported, enterprise_id, county, sector)
            )
    drafts.sort(key=lambda d: (d[0], d[1], d[2]))
    sequence, last_key = 0, ("", 0)
    for county, year, reported, enterprise_id, _, sector in drafts:
        sequence = sequence + 1 if (county, year) == last_key else 1
        last_key = (county, year)
        yield _hazard(rng, f"{county}-{year}-{sequence:06d}", enterprise_id, county, sector, reported, as_of)


def _family(sector: str) -> str:
    if sector.startswith("hazchem"):
        return "hazchem"
    return "industry_trade" if sector.startswith("industry_trade") else sector


def _hazard(
    rng: random.Random,
    number: str,
    enterprise_id: int,
    county: str,
    sector: str,
    reported: datetime,
    as_of: datetime,
) -> HazardRows:
    major = rng.random() < 0.04
    life = _lifecycle(rng, major, reported, as_of)
    state, deadline = life["state"], life["deadline_at"]
    level = (
        None
        if state in ("reported", "rejected") and rng.random() < 0.7
        else ("major" if major else "general")
    )
    is_open = state not in ("closed", "rejected")
    overdue = (
        is_open
        and deadline is not None
        and deadline < as_of
        and state in ("determined", "planned", "rectifying", "reopened")
    )
    pack, version, clause = CITATIONS.get(sector, DEFAULT_CITATION)
    row = {
        "number": number,
        "enterprise_id": enterprise_id,
        "county_code": county,
        "city_code": county[:4],
        "province_code": county[:2],
        "sector": sector,
        "source": rng.choices(SOURCES, SOURCE_WEIGHTS)[0],
        "found_by": "demo",
        "found_at": reported - timedelta(hours=rng.randint(0, 48)),
        "reported_at": reported,
        "location": rng.choice(("罐区", "车间", "仓库", "井下", "配电室", "厂区")),
        "description": rng.choice(MAJOR_TEXTS[_family(sector)] if level == "major" else GENERAL_TEXTS),
        "level": level,
        "citation": json.dumps({"pack": pack, "version": version, "clause": clause})
        if level == "major"
        else None,
        "state": state,
        "is_open": is_open,
        "deadline_at": deadline if state not in ("determined",) else None,
        "original_deadline_at": deadline if state not in ("determined",) else None,
        "is_overdue": False,
        "overdue_since": None,
        "escalated_to": None,
        "listed_level": None,
        "listing_division": None,
        "determined_at": life.get("determined_at"),
        "rectified_at": life.get("rectified_at"),
        "verified_at": life.get("verified_at"),
        "closed_at": life.get("closed_at"),
        "reopened_at": life.get("reopened_at"),
        "version": 1,
    }
    if state == "determined":
        overdue = False
    if overdue:
        row.update(is_overdue=True, overdue_since=deadline)
        if major:
            row["escalated_to"] = county[:4] + "00"
    plan = None
    if row["deadline_at"] is not None and (major or is_open):
        plan = {
            "responsible_person": _person(rng),
            "measures": "制定专项整改方案，落实整改措施",
            "funds_yuan": rng.randint(5, 500) * (1000 if major else 100),
            "deadline_at": deadline,
            "contingency": "落实临时管控措施，设专人值守" if major else "",
            "created_by": "demo",
            "created_at": life["determined_at"] + timedelta(hours=2),
        }
    supervision = None
    if major and is_open and state != "reported" and rng.random() < 0.3:
        level_name, authority = rng.choices(
            (("county", county), ("city", county[:4] + "00"), ("province", county[:2] + "0000")), (60, 30, 10)
        )[0]
        row.update(listed_level=level_name, listing_division=authority)
        listed_at = life["determined_at"] + timedelta(days=1)
        supervision = {
            "level": level_name,
            "authority_division": authority,
            "listed_by": "demo",
            "listed_at": listed_at,
            "deadline_at": deadline or listed_at + timedelta(days=90),
            "document_number": "",
            "lifted_at": None,
        }
    return HazardRows(row, plan, supervision)


# ---- monitoring: which enterprises have sensors, and what sensors (plain SensorDraft fields) ----

MONITORED_CAP = {"coal_mine": 20, "hazchem": 30}  # at every scale, so seeding stays quick
HAZCHEM_MONITORED = ("hazchem_production", "hazchem_storage")
HOME_COUNTY = "320506"  # the demo accounts' county: its plants are monitored first
COAL_PERIOD_S = 30.0
HAZCHEM_PERIOD_S = 60.0
COAL_KIT = (
    # code, kind, unit, location (limits.py codes), name, range
    ("CH4-T0", "methane", "%CH4", "T0", "采煤工作面上隅角甲烷", (0.0, 4.0)),
    ("CH4-T1", "methane", "%CH4", "T1", "采煤工作面甲烷", (0.0, 4.0)),
    ("CH4-T2", "methane", "%CH4", "T2", "采煤工作面回风巷甲烷", (0.0, 4.0)),
    ("CO-01", "co", "ppm", "T1", "采煤工作面一氧化碳", (0.0, 1000.0)),
    ("O2-01", "o2", "%", "T1", "采煤工作面氧气", (0.0, 25.0)),
    ("FS-01", "wind_speed", "m/s", "T2", "回风巷风速", (0.0, 15.0)),
    ("KD-01", "power_on", "", "", "采煤工作面馈电状态", (0.0, 1.0)),
)


def monitored(firms: Sequence[tuple[int, str, str]], seed: int) -> list[tuple[int, str]]:
    """(enterprise id, sector) of the enterprises given sensors: coal mines, and hazardous-chemical
    production and storage plants (those of the demo county first), each up to its cap."""
    rng = random.Random(seed * 104_729 + 3)
    mines = [(e, s) for e, _, s in firms if s == "coal_mine"]
    plants = [(e, c, s) for e, c, s in firms if s in HAZCHEM_MONITORED]
    home = [(e, s) for e, c, s in plants if c == HOME_COUNTY]
    others = [(e, s) for e, c, s in plants if c != HOME_COUNTY]
    rng.shuffle(mines)
    rng.shuffle(others)
    chosen = mines[: MONITORED_CAP["coal_mine"]] + (home + others)[: MONITORED_CAP["hazchem"]]
    return sorted(chosen)


def sensor_kit(enterprise_id: int, sector: str, seed: int) -> list[dict[str, Any]]:
    """The sensors of one monitored enterprise, as SensorDraft fields."""
    if sector == "coal_mine":
        return [_coal_sensor(*row) for row in COAL_KIT]
    rng = random.Random(seed * 15_485_863 + enterprise_id)
    storage = sector == "hazchem_storage"
    kit = [_tank(rng, n) for n in range(1, rng.randint(3, 6) + 1 if storage else rng.randint(2, 4) + 1)]
    for n in range(1, (rng.randint(2, 4) if storage else rng.randint(2, 3)) + 1):
        kit.append(_hazchem("combustible_gas", f"GT-2{n:02d}", "%LEL", "GB50493", "可燃气体", (0.0, 100.0)))
    if not storage and rng.random() < 0.5:
        kit.append(_hazchem("toxic_gas", "AT-301", "%OEL", "GB50493", "有毒气体(硫化氢)", (0.0, 500.0)))
    hi = rng.choice((40.0, 45.0)) if storage else float(rng.randrange(80, 100, 5))
    kit.append(
        _hazchem("temperature", "TT-401", "℃", "", "储罐温度" if storage else "反应釜温度", (-20.0, 250.0))
        | {"settings": {"hi": hi, "hihi": hi + 10}, "stuck_window_s": 20 * HAZCHEM_PERIOD_S}
    )
    if not storage:
        bar = rng.choice((1.0, 1.2, 1.6))
        kit.append(
            _hazchem("pressure", "PT-501", "MPa", "", "反应釜压力", (0.0, 2.5))
            | {"settings": {"hi": bar, "hihi": round(bar + 0.2, 1)}, "stuck_window_s": 20 * HAZCHEM_PERIOD_S}
        )
    return kit


def _coal_sensor(
    code: str, kind: str, unit: str, location: str, name: str, span: tuple[float, float]
) -> dict[str, Any]:
    analog = kind != "power_on"
    return {
        "code": code,
        "kind": kind,
        "unit": unit,
        "location_code": location,
        "name": name,
        "range_min": span[0],
        "range_max": span[1],
        "sampling_period_s": COAL_PERIOD_S,
        "stuck_window_s": 20 * COAL_PERIOD_S if analog else None,
    }


def _hazchem(
    kind: str, code: str, unit: str, location: str, name: str, span: tuple[float, float]
) -> dict[str, Any]:
    # no flat-line check on gas detectors: reading 0 all day is what a detector in clean air does
    return {
        "code": code,
        "kind": kind,
        "unit": unit,
        "location_code": location,
        "name": name,
        "range_min": span[0],
        "range_max": span[1],
        "sampling_period_s": HAZCHEM_PERIOD_S,
    }


def _tank(rng: random.Random, n: int) -> dict[str, Any]:
    hi, lo = float(rng.randint(80, 88)), float(rng.randint(12, 18))
    settings = {"hi": hi, "hihi": hi + rng.randint(5, 7), "lo": lo, "lolo": lo - rng.randint(5, 7)}
    return _hazchem("liquid_level", f"LT-1{n:02d}", "%", "tank", f"储罐T-1{n:02d}液位", (0.0, 100.0)) | {
        "settings": settings,
        "stuck_window_s": 20 * HAZCHEM_PERIOD_S,
    }
