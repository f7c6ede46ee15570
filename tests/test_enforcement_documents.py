"""Enforcement documents: each PDF carries its content, embeds its CJK font and renders; fines stay in range."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from zhiben.enforcement.documents import (
    DocumentKind,
    DocumentNumber,
    Enterprise,
    Finding,
    InspectionRecord,
    Officer,
    OrderItem,
    PenaltyDecision,
    RectificationOrder,
    ReinspectionItem,
    ReinspectionOpinion,
    RemedyNotice,
    ResponsiblePerson,
    find_cjk_font,
    render_inspection_record,
    render_penalty_decision,
    render_rectification_order,
    render_reinspection_opinion,
)
from zhiben.enforcement.penalties import check_fine, chinese_number, penalty_provisions
from zhiben.errors import InvalidInputError

pypdf = pytest.importorskip("pypdf", reason="pypdf (dev extra) extracts the PDFs' text")

AUTHORITY = "临沂市兰山区应急管理局"
ENTERPRISE = Enterprise(
    "兰山精细化工有限公司", "91371302MA3C4XYZ1K", "山东省临沂市兰山区化工路18号", "王建国"
)
OFFICERS = (Officer("李明", "鲁370000123456"), Officer("赵雪", "鲁370000654321"))
FINDINGS = (
    Finding(
        "二号罐区可燃气体检测报警器未投入使用",
        "chem-2017/2（化工和危险化学品重大生产安全事故隐患判定标准 第二项）",
        is_major=True,
    ),
    Finding("动火作业票未经审批", "GB 30871-2022 5.2.1"),
)
NUMBER = DocumentNumber("（兰州市）应急", 2026, 7)


def record() -> InspectionRecord:
    return InspectionRecord(
        number=NUMBER,
        authority=AUTHORITY,
        enterprise=ENTERPRISE,
        officers=OFFICERS,
        started_at=datetime(2026, 3, 5, 1, 30, tzinfo=UTC),
        ended_at=datetime(2026, 3, 5, 4, 0, tzinfo=UTC),
        place="二号罐区及动火作业现场",
        attendee="孙安全",
        findings=FINDINGS,
        on_site_measures=("责令二号罐区立即停止装卸作业",),
    )


def order() -> RectificationOrder:
    return RectificationOrder(
        number=NUMBER,
        authority=AUTHORITY,
        enterprise=ENTERPRISE,
        officers=OFFICERS,
        issued_on=date(2026, 3, 5),
        items=(OrderItem(FINDINGS[0], date(2026, 3, 20)), OrderItem(FINDINGS[1], date(2026, 3, 8))),
        legal_basis="《中华人民共和国安全生产法》第六十五条",
        record_number="（兰州市）应急检记〔2026〕7号",
    )


def opinion() -> ReinspectionOpinion:
    return ReinspectionOpinion(
        number=NUMBER,
        authority=AUTHORITY,
        enterprise=ENTERPRISE,
        officers=OFFICERS,
        reinspected_on=date(2026, 3, 21),
        order_number="（兰州市）应急责改〔2026〕7号",
        items=(
            ReinspectionItem(
                FINDINGS[0].description, date(2026, 3, 20), is_rectified=False, note="报警器仍未联网"
            ),
            ReinspectionItem(FINDINGS[1].description, date(2026, 3, 8), is_rectified=True),
        ),
    )


def decision(**changes: Any) -> PenaltyDecision:
    values: dict[str, Any] = dict(
        number=NUMBER,
        authority=AUTHORITY,
        enterprise=ENTERPRISE,
        officers=OFFICERS,
        decided_on=date(2026, 4, 2),
        facts="你单位二号罐区可燃气体检测报警器未投入使用，经责令限期整改后逾期仍未消除。",
        evidence=("现场检查记录（（兰州市）应急检记〔2026〕7号）", "现场照片3张", "询问笔录1份"),
        violated="违反了《中华人民共和国安全生产法》第四十一条第二款的规定",
        provision_id="wsl2021-102-unit",
        amount_yuan=Decimal("45000"),
    )
    values.update(changes)
    return PenaltyDecision(**values)


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")


def font_dicts(pdf: bytes) -> Iterator[Any]:
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {}).get_object()
        for ref in fonts.values():
            yield ref.get_object()


def squeezed(text: str) -> str:
    return text.replace(" ", "")


# ------------------------------------------------------------------------------------------ content


def test_inspection_record_carries_enterprise_officers_certificates_findings_and_measures() -> None:
    text = text_of(render_inspection_record(record()))
    for expected in (
        "现场检查记录",
        "（兰州市）应急检记〔2026〕7号",
        AUTHORITY,
        ENTERPRISE.name,
        ENTERPRISE.uscc,
        "李明",
        "鲁370000123456",
        "赵雪",
        "鲁370000654321",
        "二号罐区可燃气体检测报警器未投入使用",
        "（重大事故隐患）",
        "GB30871-20225.2.1",
        "责令二号罐区立即停止装卸作业",
        "2026年3月5日09时30分",
        "2026年3月5日12时00分",
        "孙安全",
        "第1页共1页",
    ):
        assert squeezed(expected) in text, expected


def test_rectification_order_carries_findings_deadlines_and_work_safety_law_article() -> None:
    text = text_of(render_rectification_order(order()))
    for expected in (
        "责令限期整改指令书",
        "（兰州市）应急责改〔2026〕7号",
        ENTERPRISE.name,
        "动火作业票未经审批",
        "2026年3月20日",
        "2026年3月8日",
        "《中华人民共和国安全生产法》第六十五条",
        "鲁370000654321",
        "（兰州市）应急检记〔2026〕7号",
    ):
        assert squeezed(expected) in text, expected


def test_reinspection_opinion_says_for_each_item_whether_it_was_rectified() -> None:
    text = text_of(render_reinspection_opinion(opinion()))
    for expected in (
        "整改复查意见书",
        "（兰州市）应急复查〔2026〕7号",
        "（兰州市）应急责改〔2026〕7号",
        "未整改",
        "已整改",
        "报警器仍未联网",
        "第1项未按期整改完毕",
        "李明",
    ):
        assert squeezed(expected) in text, expected


def test_penalty_decision_carries_facts_evidence_article_amount_and_marked_remedy_fields() -> None:
    text = text_of(render_penalty_decision(decision()))
    for expected in (
        "行政处罚决定书",
        "（兰州市）应急罚〔2026〕7号",
        ENTERPRISE.name,
        "逾期仍未消除",
        "现场照片3张",
        "《中华人民共和国安全生产法》第一百零二条",
        "五万元以下的罚款",
        "罚款人民币45,000元",
        "【待填：申请行政复议的期限",
        "【待填：提起行政诉讼的期限",
        "【待填：缴纳方式",
        "鲁370000123456",
    ):
        assert squeezed(expected) in text, expected


def test_penalty_decision_prints_remedy_periods_given_by_the_authority() -> None:
    remedy = RemedyNotice("临沂市兰山区人民政府", "六十日", "临沂市兰山区人民法院", "六个月")
    text = text_of(render_penalty_decision(decision(remedy=remedy, payment="十五日内到指定银行缴纳")))
    assert "【待填" not in text
    assert "六十日内依法向临沂市兰山区人民政府申请行政复议" in text
    assert "六个月内依法向临沂市兰山区人民法院提起行政诉讼" in text


def test_penalty_on_a_responsible_person_names_the_person() -> None:
    pdf = render_penalty_decision(
        decision(
            provision_id="wsl2021-102-person-refused",
            amount_yuan=Decimal(60000),
            person=ResponsiblePerson("王建国", "总经理"),
        )
    )
    text = text_of(pdf)
    assert "被处罚人王建国" in text and "总经理" in text and "给予你罚款人民币60,000元" in text


def test_penalty_decision_refuses_a_fine_outside_the_article_range() -> None:
    with pytest.raises(InvalidInputError) as raised:
        render_penalty_decision(decision(amount_yuan=Decimal("50001")))
    assert raised.value.details["article"] == 102


def test_penalty_decision_refuses_a_person_provision_without_a_person() -> None:
    with pytest.raises(InvalidInputError, match="person"):
        render_penalty_decision(
            decision(provision_id="wsl2021-102-person-refused", amount_yuan=Decimal(60000))
        )


def test_documents_need_two_officers_with_certificates() -> None:
    with pytest.raises(InvalidInputError, match="officers"):
        render_inspection_record(InspectionRecord(**{**record().__dict__, "officers": OFFICERS[:1]}))
    with pytest.raises(InvalidInputError, match="certificate_no"):
        render_rectification_order(
            RectificationOrder(**{**order().__dict__, "officers": (*OFFICERS[:1], Officer("钱进", " "))})
        )


def test_order_deadline_cannot_precede_the_order() -> None:
    late = (OrderItem(FINDINGS[0], date(2026, 3, 4)),)
    with pytest.raises(InvalidInputError, match="deadline"):
        render_rectification_order(RectificationOrder(**{**order().__dict__, "items": late}))


def test_document_number_format_and_validation() -> None:
    assert (
        DocumentNumber("（兰州市）应急", 2026, 12).render(DocumentKind.PENALTY_DECISION) == "（兰州市）应急罚〔2026〕12号"
    )
    with pytest.raises(InvalidInputError) as raised:
        DocumentNumber(" ", 26, 0).render(DocumentKind.INSPECTION_RECORD)
    assert {f["field"] for f in raised.value.details["fields"]} == {
        "number.issuer_code",
        "number.year",
        "number.sequence",
    }


def test_same_input_gives_the_same_bytes() -> None:
    assert render_rectification_order(order()) == render_rectification_order(order())


def test_long_record_runs_over_pages_with_page_count_in_footer() -> None:
    many = tuple(
        Finding(f"第{i}处问题：安全警示标志缺失或者不清晰，需要补设", f"clause-{i}") for i in range(60)
    )
    pdf = render_inspection_record(InspectionRecord(**{**record().__dict__, "findings": many}))
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 1
    assert f"第{pages}页共{pages}页" in text_of(pdf)


# ----------------------------------------------------------------------------------- font and image

ALL_DOCUMENTS = {
    "inspection_record": lambda: render_inspection_record(record()),
    "rectification_order": lambda: render_rectification_order(order()),
    "reinspection_opinion": lambda: render_reinspection_opinion(opinion()),
    "penalty_decision": lambda: render_penalty_decision(decision()),
}


def test_default_install_finds_an_embeddable_font() -> None:
    font = find_cjk_font()
    assert font.is_embedded, f"no TrueType CJK font found; documents fall back to {font.source}"


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_every_font_in_the_document_is_an_embedded_truetype_subset(name: str) -> None:
    fonts = list(font_dicts(ALL_DOCUMENTS[name]()))
    assert fonts
    for font in fonts:
        assert font["/Subtype"] == "/TrueType", font
        descriptor = font["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"


def test_configured_font_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="font_path"):
        find_cjk_font(tmp_path / "missing.ttf")


@pytest.mark.parametrize("name", sorted(ALL_DOCUMENTS))
def test_first_page_renders_to_png_with_ink_in_the_title(name: str, tmp_path: Path) -> None:
    pdfium = pytest.importorskip(
        "pypdfium2", reason="pypdfium2 (dev extra) renders PDF pages without poppler"
    )
    document = pdfium.PdfDocument(ALL_DOCUMENTS[name]())
    pixels = document[0].render(scale=100 / 72, grayscale=True).to_numpy()
    height, width = pixels.shape[:2]
    assert (height, width) == (1170, 827)  # A4 at 100 dpi
    gray = pixels.reshape(height, width, -1)[:, :, 0]
    title_band = gray[int(height * 0.07) : int(height * 0.16), :]
    assert (title_band < 128).mean() > 0.01, "no glyphs drawn in the title band"
    assert (gray < 128).mean() < 0.5, "page mostly dark"
    png = tmp_path / f"{name}.png"
    png.write_bytes(_png(gray))
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _png(gray: Any) -> bytes:
    """A greyscale PNG from a 2-D uint8 array (keeps the test free of Pillow)."""
    height, width = gray.shape
    raw = b"".join(b"\x00" + gray[row].tobytes() for row in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# -------------------------------------------------------------------------------------- penalties


@pytest.mark.parametrize(
    ("provision_id", "low", "high"),
    [
        ("wsl2021-101-unit-overdue", Decimal(100000), Decimal(200000)),
        ("wsl2021-101-person-overdue", Decimal(20000), Decimal(50000)),
        ("wsl2021-102-person-refused", Decimal(50000), Decimal(100000)),
        ("wsl2021-114-unit-general", Decimal(300000), Decimal(1000000)),
        ("wsl2021-114-unit-especially-major", Decimal(10000000), Decimal(20000000)),
    ],
)
def test_fine_range_includes_both_boundaries_and_nothing_beyond(
    provision_id: str, low: Decimal, high: Decimal
) -> None:
    cent = Decimal("0.01")
    for inside in (low, low + cent, high - cent, high):
        assert check_fine(provision_id, inside).provision_id == provision_id
    for outside in (low - cent, high + cent):
        with pytest.raises(InvalidInputError) as raised:
            check_fine(provision_id, outside)
        assert raised.value.details["provision_id"] == provision_id
        message = raised.value.details["fields"][0]["message"]
        assert "《中华人民共和国安全生产法》" in message and "以上" in message and "以下" in message


@pytest.mark.parametrize("amount", [Decimal(50000), Decimal("49999.99"), Decimal("0.01")])
def test_fine_up_to_a_ceiling_accepts_any_positive_amount_to_the_ceiling(amount: Decimal) -> None:
    assert check_fine("wsl2021-102-unit", amount).article == 102


@pytest.mark.parametrize("amount", ["50000.01", "0", "-1", "NaN", "Infinity", "五万"])
def test_fine_up_to_a_ceiling_refuses_zero_negative_or_above(amount: str) -> None:
    with pytest.raises(InvalidInputError, match="amount_yuan"):
        check_fine("wsl2021-102-unit", amount)


def test_unknown_provision_is_named_in_the_error() -> None:
    with pytest.raises(InvalidInputError, match="wsl2021-999"):
        check_fine("wsl2021-999", 1)


def test_every_provision_cites_its_source_and_has_a_sane_range() -> None:
    for provision in penalty_provisions().values():
        assert provision.citation.startswith("shared/reference/cn-standards.md §7")
        assert provision.verification in {"V", "V2", "R"}
        assert provision.party in {"unit", "responsible_person"}
        assert provision.minimum is None or provision.minimum.yuan < provision.maximum.yuan


def test_article_numbers_in_chinese() -> None:
    assert [chinese_number(n) for n in (1, 10, 15, 65, 101, 102, 110, 114, 120)] == [
        "一",
        "十",
        "十五",
        "六十五",
        "一百零一",
        "一百零二",
        "一百一十",
        "一百一十四",
        "一百二十",
    ]
