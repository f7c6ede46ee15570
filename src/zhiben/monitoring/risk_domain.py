"""Enterprise risk level (企业安全风险等级, M6), pure: red / orange / yellow / blue (重大 / 较大 / 一般 / 低风险).

An enterprise's level comes from its inherent risk (sector, the highest grade of its major hazard
installations, headcount) and its dynamic risk (active alarms by priority, sensor health, open and
overdue hazards). Every number is data (`data/risk_scheme.yaml`, read by `scheme_from_mapping`); this
module only applies it:

    score = max(0, start - Σ component points)
    level = the band the score falls in, raised to at least the level of every floor that holds

`assess` returns each component with its input value, its points and why, so a user sees why an
enterprise is orange. No I/O, no clock: the service gathers the inputs and passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from zhiben.enterprise.domain import SECTOR_BY_CODE


class RiskLevel(StrEnum):
    red = "red"  # 重大风险
    orange = "orange"  # 较大风险
    yellow = "yellow"  # 一般风险
    blue = "blue"  # 低风险

    @property
    def rank(self) -> int:
        """blue 0 < yellow 1 < orange 2 < red 3."""
        return LEVEL_RANK[self]

    @property
    def zh(self) -> str:
        return LEVEL_NAMES[self][0]

    @property
    def en(self) -> str:
        return LEVEL_NAMES[self][1]


LEVEL_RANK = {RiskLevel.blue: 0, RiskLevel.yellow: 1, RiskLevel.orange: 2, RiskLevel.red: 3}
LEVEL_NAMES = {
    RiskLevel.red: ("红色（重大风险）", "red (major risk)"),
    RiskLevel.orange: ("橙色（较大风险）", "orange (considerable risk)"),
    RiskLevel.yellow: ("黄色（一般风险）", "yellow (general risk)"),
    RiskLevel.blue: ("蓝色（低风险）", "blue (low risk)"),
}
PRIORITIES = ("emergency", "high", "medium", "low")
PRIORITY_ZH = {"emergency": "紧急", "high": "高", "medium": "中", "low": "低"}
HAZARD_COMPONENTS = ("major_open", "major_overdue", "general_open", "general_overdue")
HAZARD_ZH = {
    "major_open": ("未销号重大事故隐患", "open major hazards"),
    "major_overdue": ("逾期重大事故隐患", "overdue major hazards"),
    "general_open": ("未销号一般（含待判定）隐患", "open general (or undetermined) hazards"),
    "general_overdue": ("逾期一般（含待判定）隐患", "overdue general (or undetermined) hazards"),
}
FACTS = (
    "hazards_major_open",
    "hazards_major_overdue",
    "hazards_general_open",
    "hazards_general_overdue",
    "sensors_dark",
    "sensors_unmonitored",
    "alarms_emergency",
    "major_hazard_grade_1",
)


# ---------------------------------------------------------------- the scheme (data)


@dataclass(frozen=True)
class ScoreBand:
    level: RiskLevel
    score_below: int | None  # None: the last band (blue), everything else


@dataclass(frozen=True)
class Band:
    """Points for a value at or above `at_least` (strictly above it when `is_strict`)."""

    at_least: float
    points: int
    is_strict: bool = False

    def holds(self, value: float) -> bool:
        return value > self.at_least if self.is_strict else value >= self.at_least


@dataclass(frozen=True)
class Capped:
    points: int  # per item
    cap: int  # at most, for the component


@dataclass(frozen=True)
class Floor:
    fact: str
    at_least: int
    level: RiskLevel
    why_zh: str
    why_en: str


@dataclass(frozen=True)
class RiskScheme:
    version: str
    start: int
    levels: tuple[ScoreBand, ...]
    sector_points: Mapping[str, int]
    sector_default: int
    grade_points: Mapping[int, int]
    grade_none: int
    headcount_bands: tuple[Band, ...]
    headcount_unknown: int
    alarm_points: Mapping[str, int]
    alarm_cap: int
    share_bands: tuple[Band, ...]
    dark_points: int
    unmonitored_points: int
    monitoring_expected: frozenset[str]
    hazard_points: Mapping[str, Capped]
    floors: tuple[Floor, ...]
    whys: Mapping[str, str] = field(default_factory=dict)  # per section, from the data file

    def level_for_score(self, score: int) -> RiskLevel:
        for band in self.levels:
            if band.score_below is None or score < band.score_below:
                return band.level
        return RiskLevel.blue  # unreachable: the last band has no bound (checked when loaded)


def _int(data: Mapping[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{where}.{key}: a whole number of points, 0 or more (got {value!r})")
    return value


def _section(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}.{key}: missing or not a mapping")
    return value


def _levels(raw: object) -> tuple[ScoreBand, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("levels: a list of {level, score_below}")
    bands = tuple(ScoreBand(RiskLevel(item["level"]), item.get("score_below")) for item in raw)
    if [b.level for b in bands] != [RiskLevel.red, RiskLevel.orange, RiskLevel.yellow, RiskLevel.blue]:
        raise ValueError("levels: red, orange, yellow, blue, in that order")
    bounds = [b.score_below for b in bands[:-1]]
    if bands[-1].score_below is not None or any(not isinstance(b, int) for b in bounds):
        raise ValueError("levels: whole-number score_below on red, orange and yellow; none on blue")
    if bounds != sorted(set(bounds)):  # type: ignore[type-var]
        raise ValueError("levels: score_below rises from red to yellow")
    return bands


def _bands(raw: object, where: str) -> tuple[Band, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: a list of bands")
    bands = []
    for i, item in enumerate(raw):
        if "above" in item:
            bands.append(Band(float(item["above"]), _int(item, "points", f"{where}[{i}]"), is_strict=True))
        else:
            bands.append(Band(float(item["at_least"]), _int(item, "points", f"{where}[{i}]")))
    if [b.at_least for b in bands] != sorted((b.at_least for b in bands), reverse=True):
        raise ValueError(f"{where}: bands from the highest threshold down")
    return tuple(bands)


def _capped(raw: Mapping[str, Any], where: str) -> Capped:
    return Capped(_int(raw, "points", where), _int(raw, "cap", where))


def _floors(raw: object) -> tuple[Floor, ...]:
    if not isinstance(raw, list):
        raise ValueError("floors: a list of {fact, at_least, level, why}")
    floors = []
    for i, item in enumerate(raw):
        if item.get("fact") not in FACTS:
            raise ValueError(f"floors[{i}].fact: one of {', '.join(FACTS)}")
        why = item.get("why") or {}
        floors.append(
            Floor(
                item["fact"],
                _int(item, "at_least", f"floors[{i}]"),
                RiskLevel(item["level"]),
                str(why.get("zh", "")),
                str(why.get("en", "")),
            )
        )
    return tuple(floors)


def scheme_from_mapping(data: Mapping[str, Any]) -> RiskScheme:
    """Check and read a scheme (the parsed YAML); a ValueError names the entry that is wrong."""
    try:
        inherent = _section(data, "inherent", "")
        dynamic = _section(data, "dynamic", "")
        sector = _section(inherent, "sector", "inherent")
        grade = _section(inherent, "major_hazard_grade", "inherent")
        headcount = _section(inherent, "headcount", "inherent")
        alarms = _section(dynamic, "alarms", "dynamic")
        health = _section(dynamic, "sensor_health", "dynamic")
        hazards = _section(dynamic, "hazards", "dynamic")
        unknown_sectors = set(sector["points"]) - set(SECTOR_BY_CODE)
        if unknown_sectors:
            raise ValueError(f"inherent.sector.points: unknown sectors {sorted(unknown_sectors)}")
        alarm_points = {p: _int(alarms["points"], p, "dynamic.alarms.points") for p in PRIORITIES}
        scheme = RiskScheme(
            version=str(data["version"]),
            start=_int(data, "start", ""),
            levels=_levels(data.get("levels")),
            sector_points={k: _int(sector["points"], k, "inherent.sector.points") for k in sector["points"]},
            sector_default=_int(sector, "default", "inherent.sector"),
            grade_points={
                int(k): _int(grade["points"], k, "major_hazard_grade.points") for k in grade["points"]
            },
            grade_none=_int(grade, "none", "inherent.major_hazard_grade"),
            headcount_bands=_bands(headcount.get("bands"), "inherent.headcount.bands"),
            headcount_unknown=_int(headcount, "unknown", "inherent.headcount"),
            alarm_points=alarm_points,
            alarm_cap=_int(alarms, "cap", "dynamic.alarms"),
            share_bands=_bands(health.get("share_bands"), "dynamic.sensor_health.share_bands"),
            dark_points=_int(health, "dark_points", "dynamic.sensor_health"),
            unmonitored_points=_int(health, "unmonitored_points", "dynamic.sensor_health"),
            monitoring_expected=frozenset(health.get("monitoring_expected") or ()),
            hazard_points={k: _capped(hazards[k], f"dynamic.hazards.{k}") for k in HAZARD_COMPONENTS},
            floors=_floors(data.get("floors")),
            whys={
                "sector": str(sector.get("why", "")),
                "major_hazard_grade": str(grade.get("why", "")),
                "headcount": str(headcount.get("why", "")),
                "alarms": str(alarms.get("why", "")),
                "sensor_health": str(health.get("why", "")),
                "hazards": str(hazards.get("why", "")),
            },
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"risk scheme: missing or malformed entry {exc}") from exc
    if set(scheme.grade_points) != {1, 2, 3, 4}:
        raise ValueError("inherent.major_hazard_grade.points: one value for each GB 18218 grade 1 to 4")
    return scheme


# ---------------------------------------------------------------- inputs and the assessment


@dataclass(frozen=True)
class SensorHealth:
    """In-service sensors of an enterprise and how many are unhealthy (each sensor counted once in
    `unhealthy`; the per-cause counts may overlap)."""

    total: int = 0
    unhealthy: int = 0
    offline: int = 0
    stuck: int = 0
    out_of_range: int = 0
    never_reported: int = 0

    @property
    def share(self) -> float:
        return self.unhealthy / self.total if self.total else 0.0


@dataclass(frozen=True)
class HazardCounts:
    major_open: int = 0
    major_overdue: int = 0
    general_open: int = 0  # with hazards not determined yet
    general_overdue: int = 0


@dataclass(frozen=True)
class RiskInputs:
    sector: str
    headcount: int | None = None
    major_hazard_grade: int | None = None  # the highest (smallest number) of its installations
    active_alarms: Mapping[str, int] = field(default_factory=dict)  # by priority
    sensors: SensorHealth = SensorHealth()
    hazards: HazardCounts = HazardCounts()


@dataclass(frozen=True)
class Component:
    name: str
    group: str  # inherent | dynamic
    value: Any  # the input, JSON-ready
    points: int
    why_zh: str
    why_en: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group": self.group,
            "value": self.value,
            "points": self.points,
            "why_zh": self.why_zh,
            "why_en": self.why_en,
        }


@dataclass(frozen=True)
class Assessment:
    level: RiskLevel
    score: int
    points: int
    band_level: RiskLevel  # from the score alone, before floors
    floors: tuple[Floor, ...]  # the floors that raised the level (or held it)
    components: tuple[Component, ...]
    scheme_version: str

    def summary(self, language: str = "zh-CN") -> str:
        return summarise(self.as_json(), language)

    def as_json(self) -> dict[str, Any]:
        return {
            "level": self.level.value,
            "score": self.score,
            "points": self.points,
            "band_level": self.band_level.value,
            "floors": [
                {
                    "fact": f.fact,
                    "at_least": f.at_least,
                    "level": f.level.value,
                    "why_zh": f.why_zh,
                    "why_en": f.why_en,
                }
                for f in self.floors
            ],
            "components": [c.as_json() for c in self.components],
            "scheme_version": self.scheme_version,
        }


def summarise(assessment: Mapping[str, Any], language: str = "zh-CN") -> str:
    """One sentence for people: the level, the score, the three largest deductions and any floor. Works on
    `Assessment.as_json()`, so a stored assessment is explained the same way as a fresh one."""
    level = RiskLevel(assessment["level"])
    top = sorted((c for c in assessment["components"] if c["points"]), key=lambda c: -int(c["points"]))[:3]
    floors = assessment.get("floors", [])
    score, points = assessment["score"], assessment["points"]
    if language == "en":
        parts = [f"{level.en}: score {score} (start minus {points} points)"]
        if top:
            parts.append("largest deductions: " + "; ".join(c["why_en"] for c in top))
        parts += [f"at least {f['level']}: {f['why_en']}" for f in floors]
        return "; ".join(parts)
    parts = [f"{level.zh}：得分 {score}（扣 {points} 分）"]
    if top:
        parts.append("主要扣分：" + "；".join(c["why_zh"] for c in top))
    parts += [f"至少{RiskLevel(f['level']).zh}：{f['why_zh']}" for f in floors]
    return "；".join(parts)


def _sector_name(code: str) -> tuple[str, str]:
    sector = SECTOR_BY_CODE.get(code)
    return (sector.zh, sector.en) if sector else (code, code)


def _sector(inputs: RiskInputs, scheme: RiskScheme) -> Component:
    known = inputs.sector in scheme.sector_points
    points = scheme.sector_points[inputs.sector] if known else scheme.sector_default
    zh, en = _sector_name(inputs.sector)
    tail_zh, tail_en = (
        ("", "") if known else ("（方案未列该行业，取默认值）", " (sector not listed: the default)")
    )
    return Component(
        "sector",
        "inherent",
        inputs.sector,
        points,
        f"行业：{zh}，{points} 分{tail_zh}",
        f"sector {en}: {points} points{tail_en}",
    )


def _grade(inputs: RiskInputs, scheme: RiskScheme) -> Component:
    grade = inputs.major_hazard_grade
    if grade is None:
        points = scheme.grade_none
        return Component(
            "major_hazard_grade",
            "inherent",
            None,
            points,
            f"无重大危险源，{points} 分",
            f"no major hazard installation: {points} points",
        )
    points = scheme.grade_points[grade]
    return Component(
        "major_hazard_grade",
        "inherent",
        grade,
        points,
        f"最高重大危险源等级：{grade} 级（GB 18218，一级最高），{points} 分",
        f"highest major hazard installation grade {grade} (GB 18218, grade 1 highest): {points} points",
    )


def _headcount(inputs: RiskInputs, scheme: RiskScheme) -> Component:
    count = inputs.headcount
    if count is None:
        points = scheme.headcount_unknown
        return Component(
            "headcount",
            "inherent",
            None,
            points,
            f"从业人数未登记，按 {points} 分计（缺数据不视为安全）",
            f"headcount not registered: {points} points (missing data is not taken as safe)",
        )
    band = next((b for b in scheme.headcount_bands if b.holds(count)), None)
    points = band.points if band else 0
    at_least = f"{band.at_least:g}" if band else "0"
    return Component(
        "headcount",
        "inherent",
        count,
        points,
        f"从业人数 {count}（≥ {at_least} 档），{points} 分",
        f"headcount {count} (band at least {at_least}): {points} points",
    )


def _alarms(inputs: RiskInputs, scheme: RiskScheme) -> Component:
    counts = {p: int(inputs.active_alarms.get(p, 0)) for p in PRIORITIES}
    raw = sum(counts[p] * scheme.alarm_points[p] for p in PRIORITIES)
    points = min(raw, scheme.alarm_cap)
    listed_zh = "，".join(f"{PRIORITY_ZH[p]} {n} 条" for p, n in counts.items() if n) or "无"
    listed_en = ", ".join(f"{n} {p}" for p, n in counts.items() if n) or "none"
    capped_zh = f"（封顶 {scheme.alarm_cap}）" if raw > scheme.alarm_cap else ""
    capped_en = f" (capped at {scheme.alarm_cap})" if raw > scheme.alarm_cap else ""
    return Component(
        "alarms",
        "dynamic",
        counts,
        points,
        f"活动报警：{listed_zh}，{points} 分{capped_zh}",
        f"active alarms: {listed_en}: {points} points{capped_en}",
    )


def _health(inputs: RiskInputs, scheme: RiskScheme) -> tuple[Component, bool, bool]:
    """The sensor-health component, and whether the site is unmonitored, and whether it is dark."""
    s = inputs.sensors
    value = {
        "total": s.total,
        "unhealthy": s.unhealthy,
        "share": round(s.share, 4),
        "offline": s.offline,
        "stuck": s.stuck,
        "out_of_range": s.out_of_range,
        "never_reported": s.never_reported,
    }
    if s.total == 0:
        expected = inputs.sector in scheme.monitoring_expected or inputs.major_hazard_grade is not None
        if expected:
            p = scheme.unmonitored_points
            return (
                Component(
                    "sensor_health",
                    "dynamic",
                    value,
                    p,
                    f"应接入监测但无在用传感器，{p} 分",
                    f"monitoring expected but no sensor in service: {p} points",
                ),
                True,
                False,
            )
        return (
            Component(
                "sensor_health",
                "dynamic",
                value,
                0,
                "无传感器（该行业不要求接入监测），0 分",
                "no sensors (monitoring not expected for this sector): 0 points",
            ),
            False,
            False,
        )
    causes_zh = f"离线 {s.offline}、数据不变 {s.stuck}、超量程 {s.out_of_range}、从未上传 {s.never_reported}"
    causes_en = (
        f"offline {s.offline}, stuck {s.stuck}, "
        f"out of range {s.out_of_range}, never reported {s.never_reported}"
    )
    if s.unhealthy >= s.total:
        p = scheme.dark_points
        return (
            Component(
                "sensor_health",
                "dynamic",
                value,
                p,
                f"全部 {s.total} 个在用传感器异常（{causes_zh}），{p} 分",
                f"all {s.total} sensors in service unhealthy ({causes_en}): {p} points",
            ),
            False,
            True,
        )
    band = next((b for b in scheme.share_bands if b.holds(s.share)), None)
    p = band.points if band else 0
    return (
        Component(
            "sensor_health",
            "dynamic",
            value,
            p,
            f"{s.unhealthy}/{s.total} 个传感器异常（{s.share:.0%}；{causes_zh}），{p} 分",
            f"{s.unhealthy} of {s.total} sensors unhealthy ({s.share:.0%}; {causes_en}): {p} points",
        ),
        False,
        False,
    )


def _hazards(inputs: RiskInputs, scheme: RiskScheme) -> list[Component]:
    out = []
    for name in HAZARD_COMPONENTS:
        count = getattr(inputs.hazards, name)
        rule = scheme.hazard_points[name]
        raw = count * rule.points
        points = min(raw, rule.cap)
        zh, en = HAZARD_ZH[name]
        capped_zh = f"（封顶 {rule.cap}）" if raw > rule.cap else ""
        capped_en = f" (capped at {rule.cap})" if raw > rule.cap else ""
        out.append(
            Component(
                f"hazards_{name}",
                "dynamic",
                count,
                points,
                f"{zh} {count} 项 × {rule.points}，{points} 分{capped_zh}",
                f"{en}: {count} × {rule.points} = {points} points{capped_en}",
            )
        )
    return out


def assess(inputs: RiskInputs, scheme: RiskScheme) -> Assessment:
    health, unmonitored, dark = _health(inputs, scheme)
    components = (
        _sector(inputs, scheme),
        _grade(inputs, scheme),
        _headcount(inputs, scheme),
        _alarms(inputs, scheme),
        health,
        *_hazards(inputs, scheme),
    )
    points = sum(c.points for c in components)
    score = max(0, scheme.start - points)
    band_level = scheme.level_for_score(score)
    facts = {
        "hazards_major_open": inputs.hazards.major_open,
        "hazards_major_overdue": inputs.hazards.major_overdue,
        "hazards_general_open": inputs.hazards.general_open,
        "hazards_general_overdue": inputs.hazards.general_overdue,
        "sensors_dark": int(dark),
        "sensors_unmonitored": int(unmonitored),
        "alarms_emergency": int(inputs.active_alarms.get("emergency", 0)),
        "major_hazard_grade_1": int(inputs.major_hazard_grade == 1),
    }
    held = tuple(f for f in scheme.floors if facts[f.fact] >= f.at_least)
    level = max((band_level, *(f.level for f in held)), key=lambda lv: lv.rank)
    raising = tuple(f for f in held if f.level.rank > band_level.rank)
    return Assessment(level, score, points, band_level, raising, components, scheme.version)


def change_reason(
    old_level: str | None,
    old_score: int | None,
    old_components: Sequence[Mapping[str, Any]],
    old_version: str | None,
    new: Assessment,
) -> tuple[str, str]:
    """Why the level changed (zh-CN, en): the components whose points moved, and any floor or scheme change."""
    before = {c["name"]: c for c in old_components}
    moved_zh, moved_en = [], []
    for c in new.components:
        was = before.get(c.name)
        if was is None or was.get("points") != c.points:
            old_points = was.get("points") if was else "—"
            moved_zh.append(f"{c.why_zh}（原 {old_points} 分）")
            moved_en.append(f"{c.why_en} (was {old_points})")
    if old_level is None:
        head_zh = f"首次评定为{new.level.zh}，得分 {new.score}"
        head_en = f"first assessed {new.level.en}, score {new.score}"
    else:
        old = RiskLevel(old_level)
        head_zh = f"{old.zh} → {new.level.zh}，得分 {old_score} → {new.score}"
        head_en = f"{old.en} → {new.level.en}, score {old_score} → {new.score}"
    zh, en = [head_zh], [head_en]
    if old_version is not None and old_version != new.scheme_version:
        zh.append(f"评分方案 {old_version} → {new.scheme_version}")
        en.append(f"scheme {old_version} → {new.scheme_version}")
    zh += [f"至少{f.level.zh}：{f.why_zh}" for f in new.floors]
    en += [f"at least {f.level.value}: {f.why_en}" for f in new.floors]
    if old_level is not None:
        zh += moved_zh
        en += moved_en
    return "；".join(zh), "; ".join(en)
