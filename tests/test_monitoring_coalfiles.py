"""Coal-mine networking upload files: CDDY definitions, CDSS readings, YCBJ alarm records."""

from __future__ import annotations

import csv
import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from importlib import resources
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhiben.kit.clock import SHANGHAI
from zhiben.monitoring import coalfiles as cf
from zhiben.monitoring import limits
from zhiben.monitoring.coalfiles import FileKind, PointStatus, ValueType, Verdict
from zhiben.monitoring.domain import Condition, Direction

DATA = Path(__file__).parent / "data" / "coal"
MINE = "999999999999"
M = MINE + "01"
T = datetime(2026, 1, 5, 8, 0, tzinfo=SHANGHAI)
CDDY = f"{MINE}_CDDY_20260105080000.txt"
CDSS = f"{MINE}_CDSS_20260105080000.txt"
YCBJ = f"{MINE}_YCBJ_20260105080000.txt"


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def parse(fixture: str, name: str | None = None) -> cf.ParseResult:
    return cf.parse_file(read(fixture), name or fixture)


def cdss_text(*records: str, head: str = f"{MINE};测试煤矿;2026-01-05 08:00:00") -> str:
    return "~".join([head, *records, "||"])


def package_csv(name: str) -> list[dict[str, str]]:
    text = resources.files("zhiben.monitoring").joinpath(f"data/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


# ------------------------------------------------------------------ file names and point codes


def test_file_name_gives_mine_kind_and_beijing_time() -> None:
    name = cf.parse_file_name("/inbox/aqjk/620823009203_CDSS_20260923101319.TXT")
    assert name == cf.FileName("620823009203", "CDSS", datetime(2026, 9, 23, 10, 13, 19, tzinfo=SHANGHAI))


@pytest.mark.parametrize(
    "name", ["620823009203_CDSS_20261323101319.txt", "620823009203-CDSS-20260923101319.txt", "x.txt"]
)
def test_file_name_that_does_not_fit_the_pattern_is_none(name: str) -> None:
    assert cf.parse_file_name(name) is None


def test_format_file_name_round_trips() -> None:
    assert cf.format_file_name(MINE, FileKind.CDSS, T) == CDSS
    assert cf.parse_file_name(CDSS) == cf.FileName(MINE, "CDSS", T)


def test_every_real_yulin_point_id_decodes() -> None:
    records = json.loads(read("point-ids_yulin-platform_excerpt.json"))
    names = {"0003": "环境温度", "0004": "一氧化碳", "0006": "负压", "0012": "氧气", "0043": "激光甲烷",
             "1002": "风门", "1003": "风筒状态", "1008": "烟雾"}  # fmt: skip
    for record in records:
        point = cf.parse_point_code(record["PT_ID"])
        assert point.mine_code == "610802019211"
        assert point.system_code == "01"
        assert len(point.serial) == 8
        assert point.sensor_type.name_zh == names[point.sensor_type.code]
    laser = cf.parse_point_code("61080201921101MN004300003452", "610802019211")
    assert (laser.value_type, laser.sensor_type.kind, laser.serial) == (
        ValueType.analog,
        "methane",
        "00003452",
    )


def test_point_code_splits_on_a_known_mine_code_of_any_length() -> None:
    point = cf.parse_point_code("150622B001200020009201MN000100000001", "150622B0012000200092")
    assert (point.mine_code, point.system_code, point.sensor_type.code) == (
        "150622B0012000200092",
        "01",
        "0001",
    )


@pytest.mark.parametrize(
    ("code", "mine", "words"),
    [
        ("61080201921101MN000300001828", "999999999999", "does not start with"),
        ("61080201921101MN999900001828", None, "unknown sensor type '9999'"),
        ("61080201921101KG000300001828", None, "sensor type 0003 is analog"),
        ("61080201921103MN000300001828", None, "unknown system code '03'"),
        ("61080201921101XX000300001828", None, "is not <mine>"),
    ],
)
def test_bad_point_code_is_refused_with_its_reason(code: str, mine: str | None, words: str) -> None:
    with pytest.raises(cf.FieldError, match=words):
        cf.parse_point_code(code, mine)


# ------------------------------------------------------------------ code tables


def test_every_sensor_type_row_round_trips_through_a_point_code() -> None:
    rows = package_csv("coal_sensor_types.csv")
    assert len(rows) == 53 + 15 + 5 + 2  # 0001-0053, 1001-1015, 3001-3005, 4001-4002 (reference §2.7.3)
    for row in rows:
        point = cf.parse_point_code(f"{M}{row['value_type']}{row['code']}00000001", MINE)
        kind = point.sensor_type
        assert (kind.code, kind.name_zh, kind.value_type.value, kind.kind) == (
            row["code"], row["name_zh"], row["value_type"], row["zhiben_kind"],
        )  # fmt: skip
        assert kind.kind and kind.confidence in ("V", "V2")


@pytest.mark.parametrize(
    ("code", "name", "kind", "value_type", "states"),
    [
        ("0001", "环境瓦斯", "methane", "MN", ()),
        ("0004", "一氧化碳", "co", "MN", ()),
        ("0043", "激光甲烷", "methane", "MN", ()),
        ("1002", "风门", "door_open", "KG", ((0, "风门关闭"), (1, "风门打开"))),
        ("1010", "主通风机", "fan_running", "KG", ((0, "停"), (1, "开"))),
        ("1014", "控制量", "switch_on", "KG", ((0, "断开"), (1, "合并"))),
        ("3002", "瓦斯抽放量", "drained_methane", "LJ", ()),
        ("4002", "电源状态", "power_supply_state", "DT", ((0, "无电"), (1, "交流供电"), (2, "直流供电"))),
    ],
)
def test_sensor_type_spot_checks_against_the_reference(
    code: str, name: str, kind: str, value_type: str, states: tuple[tuple[int, str], ...]
) -> None:
    found = cf.sensor_types()[code]
    assert (found.name_zh, found.kind, found.value_type.value, found.states) == (
        name,
        kind,
        value_type,
        states,
    )


def test_status_table_rows_are_the_status_flags() -> None:
    rows = [r for r in package_csv("coal_code_tables.csv") if r["table"] == "status_bit"]
    assert [(int(r["code"]), r["name"]) for r in rows] == [(int(f), f.name) for f in PointStatus]
    assert [r["meaning_zh"] for r in rows] == [
        "报警",
        "断电",
        "标校",
        "超量程",
        "分站故障",
        "不巡检",
        "暂停",
        "传感器故障",
    ]


@pytest.mark.parametrize("flag", list(PointStatus))
def test_each_status_bit_decodes_to_its_flag(flag: PointStatus) -> None:
    result = cf.parse_text(
        cdss_text(f"{M}MN000100000001;甲烷;某处;0.10;%CH4;{int(flag)};2026-01-05 08:00:00"), CDSS
    )
    assert result.readings[0].status is flag


def test_status_sum_decodes_bitwise_and_zero_is_normal() -> None:
    assert cf.parse_text(cdss_text(f"{M}MN000100000001;甲烷;某处;2.0;%CH4;3;2026-01-05 08:00:00")).readings[
        0
    ].status == (PointStatus.alarm | PointStatus.power_off)
    assert (
        cf.parse_text(cdss_text(f"{M}MN000100000001;甲烷;某处;0.1;%CH4;0;2026-01-05 08:00:00"))
        .readings[0]
        .status
        == 0
    )


@pytest.mark.parametrize("status", ["256", "-1", "a"])
def test_status_outside_the_table_is_a_problem(status: str) -> None:
    result = cf.parse_text(
        cdss_text(f"{M}MN000100000001;甲烷;某处;0.1;%CH4;{status};2026-01-05 08:00:00"), CDSS
    )
    assert not result.records and "测点状态" in result.problems[0].reason


@pytest.mark.parametrize(
    "row", [r for r in package_csv("coal_code_tables.csv") if r["table"] == "abnormal_type"]
)
def test_each_abnormal_type_row_is_read_from_ycbj(row: dict[str, str]) -> None:
    record = f"{M}MN000100000001;环境瓦斯;某处;%CH4;{row['code']};2026-01-05 07:50:00;;;;;;;;;;;2026-01-05 08:00:00"
    (alarm,) = cf.parse_text(cdss_text(record), YCBJ).abnormal_records
    assert (alarm.abnormal_type.code, alarm.abnormal_type.name, alarm.abnormal_type.meaning_zh) == (
        row["code"], row["name"], row["meaning_zh"],
    )  # fmt: skip


def test_code_tables_hold_the_reference_rows() -> None:
    tables = cf.code_tables()
    assert {c: v.meaning_zh for c, v in tables["system"].items()} == {
        "01": "安全监控系统",
        "02": "瓦斯抽放(采)系统",
    }
    assert set(tables["value_type"]) == {v.value for v in ValueType}
    assert list(tables["relation"]) == ["B", "G", "K", "H", "Z", "D", "T"]
    assert [c.code for c in tables["abnormal_type"].values()] == [f"{i:03d}" for i in range(1, 11)]


@pytest.mark.parametrize("code", ["B", "G", "K", "H", "Z", "D", "T"])
def test_each_relation_code_is_read(code: str) -> None:
    assert cf.parse_relations(f"{code}-{M}KG100900000004") == (cf.Relation(code, f"{M}KG100900000004"),)


def test_relations_are_read_leniently() -> None:
    text = f"K-{M}KG100100000005-局扇◇D-{M}KG100900000004:X-nothing:garbage"
    assert cf.parse_relations(text) == (
        cf.Relation("K", f"{M}KG100100000005", "局扇"),
        cf.Relation("D", f"{M}KG100900000004"),
    )


# ------------------------------------------------------------------ CDDY


def test_cddy_header_and_every_field_of_a_methane_definition() -> None:
    result = parse(CDDY)
    assert (result.verdict, result.kind, result.encoding, result.problems) == (
        Verdict.accept,
        "CDDY",
        "utf-8",
        (),
    )
    assert result.header == cf.Header(
        MINE, "测试煤矿", T, "KJ999", "煤矿安全监控系统", "测试厂家", "2027-12-31"
    )
    assert len(result.definitions) == 7
    d = result.definitions[0]
    assert (d.point.code, d.point.system_code, d.point.value_type, d.point.sensor_type.code) == (
        f"{M}MN000100000001", "01", ValueType.analog, "0001",
    )  # fmt: skip
    assert (d.substation_code, d.unit, d.effective_unit, d.kind) == ("001", "%CH4", "%CH4", "methane")
    assert (d.range_high, d.range_low) == (Decimal("100.00"), Decimal("0.00"))
    assert (d.alarm_high, d.alarm_high_release, d.alarm_low, d.alarm_low_release) == (
        Decimal("1.00"), Decimal("0.90"), None, None,
    )  # fmt: skip
    assert (d.power_off_high, d.power_restore_high, d.power_off_low, d.power_restore_low) == (
        Decimal("1.50"), Decimal("1.00"), None, None,
    )  # fmt: skip
    assert (d.on_text, d.off_text, d.location, d.location_tag) == ("", "", "1101工作面回风隅角甲烷T1", "T1")
    assert (d.x, d.y, d.z) == (Decimal("4321.5"), Decimal("1234.25"), Decimal("-350.75"))
    assert d.relations == (cf.Relation("D", f"{M}KG100900000004"),)
    assert d.data_at == T


def test_cddy_switch_low_limit_state_and_cumulative_definitions() -> None:
    o2, breaker, fan, substation, counter = parse(CDDY).definitions[2:]
    assert (o2.kind, o2.alarm_low, o2.alarm_low_release, o2.alarm_high) == (
        "o2",
        Decimal(20),
        Decimal("20.50"),
        None,
    )
    assert (breaker.kind, breaker.on_text, breaker.off_text, breaker.unit) == ("power_on", "复电", "断电", "")
    assert fan.relations[0] == cf.Relation("K", f"{M}KG100100000005", "局扇")
    assert (substation.point.value_type, substation.kind) == (ValueType.multi_state, "substation_state")
    assert (counter.point.value_type, counter.kind, counter.unit) == (ValueType.cumulative, "production", "t")


def test_cddy_fields_that_repeat_the_point_code_must_agree_with_it() -> None:
    text = (
        (DATA / CDDY)
        .read_text("utf-8")
        .replace(f"{M}MN000400000002;01;001;0004;MN", f"{M}MN000400000002;01;001;0003;MN")
    )
    result = cf.parse_text(text, CDDY)
    assert len(result.definitions) == 6
    assert result.problems[0].record == 2
    assert (
        result.problems[0].reason
        == "field 4 传感器类型 (type): '0003' disagrees with the point code, which says '0004'"
    )


def test_a_point_defined_twice_keeps_the_first_and_reports_the_second() -> None:
    text = (DATA / CDDY).read_text("utf-8")
    head, first, *rest = text.split("~")
    result = cf.parse_text("~".join([head, first, first.replace("0.90", "0.80"), *rest]), CDDY)
    assert result.definitions[0].alarm_high_release == Decimal("0.90")
    assert "defined twice" in result.problems[0].reason and result.problems[0].record == 2


def test_cddy_header_with_the_wrong_field_count_is_quarantined() -> None:
    sichuan = "KJ1031X;煤矿安全监控系统;四川省川煤科技有限公司;2026-01-05 08:00:00;3;4;0;0;0;0;;"
    result = cf.parse_text(f"{sichuan}~||", CDDY)
    assert result.verdict is Verdict.quarantine
    assert "Sichuan" in result.reason and result.problems[0].line == 0


def test_cddy_round_trips_through_the_formatter() -> None:
    result = parse(CDDY)
    assert result.header is not None
    text = cf.format_cddy(result.header, result.definitions)
    assert text.encode("utf-8") == read(CDDY)
    again = cf.parse_text(cf.format_cddy(result.header, result.definitions, line_breaks=True), CDDY)
    assert again.records == result.records


# ------------------------------------------------------------------ CDSS


def test_cdss_every_field_of_a_reading() -> None:
    result = parse(CDSS)
    assert result.header == cf.Header(MINE, "测试煤矿", T)
    methane, co, o2, breaker, fan, substation, counter = result.readings
    assert (methane.point.code, methane.type_name, methane.location) == (
        f"{M}MN000100000001", "环境瓦斯", "1101工作面回风隅角甲烷T1",
    )  # fmt: skip
    assert (methane.value, methane.unit, methane.status, methane.data_at) == (
        Decimal("0.12"),
        "%CH4",
        PointStatus(0),
        T,
    )
    assert (co.value, co.status) == (Decimal("25.50"), PointStatus.alarm)
    assert (o2.value, o2.status) == (None, PointStatus.sensor_fault)  # empty value: no signal
    assert (breaker.value, breaker.state_text, breaker.status) == (
        Decimal(0),
        "断电",
        PointStatus.alarm | PointStatus.power_off,
    )
    assert (fan.value, fan.state_text) == (Decimal(1), "开")
    assert (substation.value, substation.state_text) == (Decimal(1), "正常")
    assert (counter.value, counter.state_text) == (Decimal("1520.75"), None)


def test_the_reference_example_file_parses() -> None:
    result = parse(f"reference-example_{CDSS}", CDSS)
    assert result.verdict is Verdict.accept and not result.problems
    assert [(r.point.sensor_type.code, r.value, r.state_text) for r in result.readings] == [
        ("0001", Decimal("0.12"), None),
        ("1003", 1, "风筒有风"),
    ]


def test_gbk_with_crlf_and_utf8_with_bom_read_the_same_as_plain_utf8() -> None:
    plain = parse(CDSS)
    gbk = parse(f"gbk_crlf_{CDSS}", CDSS)
    bom = parse(f"utf8bom_{CDSS}", CDSS)
    assert gbk.records == bom.records == plain.records
    assert (gbk.encoding, bom.encoding, plain.encoding) == ("gb18030", "utf-8", "utf-8")
    assert gbk.notes == ("decoded as gb18030, not UTF-8",) and not bom.notes


def test_json_quoted_text_is_unwrapped_and_noted() -> None:
    text = (DATA / CDSS).read_text("utf-8")
    result = cf.parse_file(json.dumps(text, ensure_ascii=False).encode(), CDSS)
    assert result.records == parse(CDSS).records
    assert "JSON quotes" in result.notes[0]


def test_switch_value_other_than_0_or_1_is_a_problem() -> None:
    result = cf.parse_text(cdss_text(f"{M}KG100900000004;断电器;某处;2;;0;2026-01-05 08:00:00"), CDSS)
    assert result.problems[0].reason == "field 4 测点值 (value): switch value '2' is not 0 or 1"
    assert result.problems[0].reason_zh == "第 4 字段 测点值：开关量测点值“2”不是 0 或 1"


# ------------------------------------------------------------------ YCBJ


def test_ycbj_every_field_of_a_closed_record() -> None:
    result = parse(YCBJ)
    assert result.verdict is Verdict.accept and not result.problems
    a = result.abnormal_records[0]

    def at(hms: str) -> datetime:
        return datetime.fromisoformat(f"2026-01-05T{hms}+08:00")

    assert (a.point.code, a.type_name, a.location, a.unit) == (
        f"{M}MN000100000001",
        "环境瓦斯",
        "1101工作面回风隅角甲烷T1",
        "%CH4",
    )
    assert (a.abnormal_type.code, a.abnormal_type.meaning_zh) == ("001", "超限报警")
    assert (a.started_at, a.ended_at) == (at("07:50:00"), at("07:55:00"))
    assert (a.max_value, a.max_at, a.min_value, a.min_at, a.avg_value) == (
        Decimal("1.32"), at("07:52:10"), Decimal("1.01"), at("07:50:00"), Decimal("1.18"),
    )  # fmt: skip
    assert (a.cause, a.measures, a.entered_at, a.entered_by, a.data_at) == (
        "放炮后瓦斯涌出",
        "加强通风",
        at("07:58:00"),
        "张工",
        T,
    )


def test_ycbj_open_record_has_no_end_and_an_unpadded_type_is_read() -> None:
    _, co, breaker = parse(YCBJ).abnormal_records
    assert (co.abnormal_type.code, co.abnormal_type.name, co.ended_at, co.max_value, co.entered_at) == (
        "009", "high_pre_alarm", None, None, None,
    )  # fmt: skip
    assert (breaker.abnormal_type.meaning_zh, breaker.unit) == ("断电报警", "")


def test_the_15_field_ycbj_of_one_writer_is_reported_per_record() -> None:
    good = (DATA / YCBJ).read_text("utf-8").split("~")[1]
    short = ";".join(good.split(";")[:3] + good.split(";")[5:])  # no unit, no type
    result = cf.parse_text(cdss_text(good, short), YCBJ)
    assert len(result.records) == 1
    assert result.problems[0].reason == "too few fields for YCBJ: 15, expected 17"


# ------------------------------------------------------------------ malformed records and files


def test_malformed_records_are_reported_with_line_and_reason_and_good_ones_still_parse() -> None:
    result = parse(f"malformed_{CDSS}", CDSS)
    assert result.verdict is Verdict.accept
    assert [r.point.serial for r in result.readings] == ["00000001", "00000006"]
    got = [(p.line, p.record, p.reason) for p in result.problems]
    assert got == [
        (3, 2, "too few fields for CDSS: 6, expected 7"),
        (4, 3, "field 4 测点值 (value): '20.x' is not a number"),
        (5, 4, "field 7 数据时间 (data_at): '2026-02-30 08:00:00' is not a valid date and time"),
        (6, 5, "field 1 测点编码 (point): unknown sensor type '9999'"),
        (7, 6, "a full-width '；' is used as separator"),
    ]
    assert (
        result.problems[1].raw == f"{M}MN001200000003;氧气;1101工作面进风巷氧气;20.x;%;0;2026-01-05 08:00:00"
    )
    assert result.problems[1].reason_zh == "第 4 字段 测点值：“20.x”不是数字"
    assert result.bad_ratio == Decimal(5) / Decimal(7)
    assert not result.keep_good_records()


def test_bad_time_format_is_a_problem() -> None:
    result = cf.parse_text(cdss_text(f"{M}MN000100000001;甲烷;某处;0.1;%CH4;0;2026/01/05 08:00"), CDSS)
    assert (
        result.problems[0].reason
        == "field 7 数据时间 (data_at): '2026/01/05 08:00' is not a time yyyy-MM-dd HH:mm:ss"
    )


def test_good_records_are_kept_when_at_most_a_fifth_are_bad() -> None:
    good = f"{M}MN000100000001;甲烷;某处;0.1;%CH4;0;2026-01-05 08:00:00"
    bad = f"{M}MN000100000001;甲烷;某处;x;%CH4;0;2026-01-05 08:00:00"
    assert cf.parse_text(cdss_text(*[good] * 4, bad), CDSS).keep_good_records()
    assert not cf.parse_text(cdss_text(*[good] * 3, bad), CDSS).keep_good_records()


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"\x80\xff\xfe\x00garbage", "neither UTF-8 nor GB18030"),
        ("\ufeff999".encode("utf-16"), "neither UTF-8 nor GB18030"),
        (cdss_text(head="999999999999;测试煤矿").encode(), "header has 2 fields"),
        (cdss_text(head="999999999999;测试煤矿;2026-01-05").encode(), "header upload time"),
        (
            cdss_text(head="888888888888;测试煤矿;2026-01-05 08:00:00").encode(),
            "the header says 888888888888",
        ),
        (b"999999999999;x;2026-01-05 08:00:00~a||b~||", "'||' appears before the end"),
    ],
)
def test_unreadable_file_is_quarantined_with_its_reason(data: bytes, words: str) -> None:
    result = cf.parse_file(data, CDSS)
    assert result.verdict is Verdict.quarantine and not result.records
    assert words in result.reason and result.reason_zh
    assert result.problems == (cf.Problem(0, 0, "", result.reason, result.reason_zh),)


def test_unknown_file_type_is_quarantined_and_a_known_unparsed_one_is_unsupported() -> None:
    unknown = cf.parse_file(cdss_text().encode(), f"{MINE}_ABCD_20260105080000.txt")
    assert (unknown.verdict, unknown.kind, unknown.reason) == (
        Verdict.quarantine,
        "ABCD",
        "unknown file type 'ABCD'",
    )
    ryss = cf.parse_file(cdss_text().encode(), f"{MINE}_RYSS_20260105080000.txt")
    assert (ryss.verdict, ryss.kind, ryss.problems) == (Verdict.unsupported, "RYSS", ())


@pytest.mark.parametrize("data", [b"", cdss_text().removesuffix("||").encode()])
def test_file_without_its_end_mark_is_incomplete(data: bytes) -> None:
    assert cf.parse_file(data, CDSS).verdict is Verdict.incomplete


def test_kind_is_found_from_the_fields_when_the_name_does_not_say() -> None:
    for fixture, kind in ((CDDY, "CDDY"), (CDSS, "CDSS"), (YCBJ, "YCBJ")):
        result = cf.parse_file(read(fixture))
        assert (result.kind, len(result.records)) == (kind, len(parse(fixture).records))
    renamed = cf.parse_file(read(CDSS), "upload.txt")
    assert renamed.kind == "CDSS" and "is not <mine>_<TYPE>" in renamed.notes[0]
    assert cf.parse_file(cdss_text().encode()).verdict is Verdict.quarantine  # header only: cannot tell
    assert (
        cf.parse_file(read(CDSS), kind=FileKind.YCBJ).problems[0].reason.startswith("too few fields for YCBJ")
    )


# ------------------------------------------------------------------ round trip and the engine

_text = st.text(
    st.characters(codec="utf-8", exclude_characters=";~|；\r\n", exclude_categories=("Cs", "Cc")), max_size=12
)
_times = st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(
    lambda t: t.replace(microsecond=0, tzinfo=SHANGHAI)
)


@st.composite
def readings(draw: st.DrawFn) -> cf.Reading:
    sensor_type = draw(st.sampled_from(sorted(cf.sensor_types().values(), key=lambda s: s.code)))
    serial = draw(st.from_regex(r"\A[0-9]{8}\Z"))
    point = cf.parse_point_code(f"{M}{sensor_type.value_type.value}{sensor_type.code}{serial}", MINE)
    if sensor_type.value_type is ValueType.switch:
        value = draw(st.sampled_from([None, Decimal(0), Decimal(1)]))
    elif sensor_type.value_type is ValueType.multi_state:
        value = draw(st.none() | st.integers(0, 9).map(Decimal))
    else:
        value = draw(
            st.none()
            | st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1e6, max_value=1e6)
        )
    status = PointStatus(draw(st.integers(0, 255)))
    return cf.Reading(
        point, draw(_text).strip(), draw(_text).strip(), value, draw(_text).strip(), status, draw(_times)
    )


@given(records=st.lists(readings(), max_size=8), uploaded_at=_times, line_breaks=st.booleans())
def test_a_generated_cdss_file_round_trips(
    records: list[cf.Reading], uploaded_at: datetime, line_breaks: bool
) -> None:
    header = cf.Header(MINE, "测试煤矿", uploaded_at)
    text = cf.format_cdss(header, records, line_breaks=line_breaks)
    for encoding in ("utf-8", "gb18030"):
        result = cf.parse_file(text.encode(encoding), cf.format_file_name(MINE, FileKind.CDSS, uploaded_at))
        assert (result.verdict, result.problems, result.header) == (Verdict.accept, (), header)
        assert list(result.readings) == records


def test_formatter_refuses_a_field_with_a_separator() -> None:
    reading = parse(CDSS).readings[0]
    with pytest.raises(ValueError, match="separator"):
        cf.format_cdss(cf.Header(MINE, "a;b", T), [reading])


def test_methane_definition_becomes_an_engine_sensor_with_alarm_and_power_off_limits() -> None:
    sensor = cf.to_sensor(parse(CDDY).definitions[0])
    assert (sensor.sensor_id, sensor.kind, sensor.unit, sensor.location_code) == (
        f"{M}MN000100000001",
        "methane",
        "%CH4",
        "T1",
    )
    assert (sensor.range_min, sensor.range_max) == (0.0, 100.0)
    assert [(lim.condition, lim.level, lim.direction, lim.on_at, lim.off_at) for lim in sensor.limits] == [
        (Condition.alarm, "hi", Direction.high, 1.0, 0.9),
        (Condition.power_off, None, Direction.high, 1.5, 1.0),
    ]


def test_oxygen_low_alarm_becomes_a_low_limit() -> None:
    sensor = cf.to_sensor(parse(CDDY).definitions[2])
    assert [(lim.level, lim.direction, lim.on_at, lim.off_at) for lim in sensor.limits] == [
        ("lo", Direction.low, 20.0, 20.5)
    ]


def test_real_shaanxi_limits_and_location_strings_map_to_sensors() -> None:
    for item in json.loads(read("platform-json_sensor-readings_shaanxi_excerpt.json")):
        d = item["allData"]
        if d["ssAnalogValue"] is None:
            continue  # the smoke switch has no analog limits
        code = "0001" if d["ssAnalogUnit"] == "%CH4" else "0004"
        fields = [f"{M}MN{code}00000001", "01", "001", code, "MN", d["ssAnalogUnit"], d["ssAnalogHigh"],
                  d["ssAnalogLower"], d["ssAnalogAlarmhigh"], "", "", "", "", "", "", "", "", "",
                  d["ssTransducerPoint"], "", "", "", "", d["csDataTime"]]  # fmt: skip
        head = f"{MINE};测试煤矿;KJ999;煤矿安全监控系统;测试厂家;2027-12-31;2026-01-05 08:00:00"
        (definition,) = cf.parse_text(cdss_text(";".join(fields), head=head), CDDY).definitions
        sensor = cf.to_sensor(definition)
        assert sensor.limits[0].on_at == float(d["ssAnalogAlarmhigh"])  # 1.00 %CH4, 24.00 ppm
        assert sensor.location_code == ("T1" if code == "0001" else "coal")


def test_release_above_the_alarm_cannot_become_a_sensor() -> None:
    definition = parse(CDDY).definitions[0]
    with pytest.raises(ValueError, match=f"point {M}MN000100000001"):
        cf.to_sensor(replace(definition, alarm_high_release=Decimal("1.2")))


@pytest.mark.parametrize(
    ("location", "tag", "code"),
    [
        ("八盘区西翼2#区域预抽巷工作面激光甲烷T1", "T1", "T1"),  # real, Shaanxi excerpt
        ("八盘区西翼2#区域预抽巷工作面激光甲烷T1&八盘区西翼2#区域预抽巷&掘进工作面", "T1", "T1"),  # real
        ("1101工作面回风巷甲烷T2", "T2", "T2"),
        ("专用排瓦斯巷甲烷T7", "T7", "coal"),  # obsolete tag: not a limits.py location code
        ("北二皮带巷H15皮带机头一氧化碳", "", "coal"),  # real; H15 is not a tag
        ("1101工作面FT1", "", "coal"),
    ],
)
def test_location_tag_gives_the_engine_location_code(location: str, tag: str, code: str) -> None:
    definition = replace(parse(CDDY).definitions[0], location=location)
    assert (definition.location_tag, cf.to_sensor(definition).location_code) == (tag, code)


def test_engine_table_limits_are_found_for_a_parsed_methane_sensor() -> None:
    sensor = cf.to_sensor(parse(CDDY).definitions[0])
    table = limits.limits_for(sensor.kind, sensor.location_code, sensor.unit)
    assert [(lim.condition, lim.on_at) for lim in table] == [
        (Condition.alarm, 1.0),
        (Condition.power_off, 1.5),
    ]
