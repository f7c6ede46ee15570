"""Enforcement documents (执法文书) as A4 PDFs in Chinese, with the CJK font embedded.

Four documents: 现场检查记录 (inspection record), 责令限期整改指令书 (rectification order), 整改复查意见书
(re-inspection opinion) and 行政处罚决定书 (penalty decision). Inputs are frozen dataclasses; each
`render_*` function returns the PDF's bytes. No database, no clock: every date comes in with the input, and
the same input gives the same bytes.

Numbering (文书编号), as the reference's table of MEM document abbreviations gives it
(data-standards/enforcement_doc_number_abbrev.csv, V/V2): `（地区简称）应急<文书代字>〔<年份>〕<序号>号`, e.g.
`（沂南县）应急检记〔2026〕7号`, with the document codes 检记, 责改, 复查 and 罚 (the penalty decision is
`应急罚`; local variants exist, e.g. round brackets and a sector tag). `issuer_code` is the part before the
document code, `（地区简称）应急`; the year sits in 六角括号 〔〕, and the sequence runs per authority, kind and
year from 1 with no leading zeros. The caller allocates the sequence; `DocumentNumber` only checks and renders it.

Font: reportlab embeds only TrueType (glyf) outlines. `find_cjk_font` takes, in order, a path the caller
gives, WenQuanYi Micro Hei from the `paperang-p2-fonts-cjk` wheel (a core dependency, Apache-2.0 font; see
NOTICE), then Debian's WenQuanYi fonts; only when none is there does it fall back to reportlab's
STSong-Light, which is NOT embedded (viewers substitute a font). `CjkFont.is_embedded` says which one it got.

Where the reference material gives no wording or time limit (the review and litigation periods, the payment
term), the input field is optional and a missing value prints as a marked blank `【待填：…】`.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhiben.enforcement.penalties import check_fine
from zhiben.errors import InvalidInputError
from zhiben.kit.clock import SHANGHAI

# --------------------------------------------------------------------------------------------- font

_WHEEL_DIST = "paperang-p2-fonts-cjk"
_WHEEL_FONT = "paperang_p2_fonts_cjk/fonts/wqy-microhei.ttc"
_WHEEL_FONT_SHA256 = "2420e8078af796b19a3f6ef13de527a1a91c1e7171eea115926c614ced1009b3"
_SYSTEM_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
)
_FALLBACK_CID_FONT = "STSong-Light"


@dataclass(frozen=True)
class CjkFont:
    """The font the documents are set in; `is_embedded` is False only for the STSong-Light fallback."""

    source: str
    path: Path | None
    subfont_index: int = 0

    @property
    def is_embedded(self) -> bool:
        return self.path is not None


def find_cjk_font(path: Path | None = None) -> CjkFont:
    """The first TrueType CJK font found: `path`, the packaged WenQuanYi Micro Hei, Debian's WenQuanYi fonts."""
    if path is not None:
        if not path.is_file():
            raise InvalidInputError("font_path", "not_found", f"字体文件不存在：{path}")
        return CjkFont(source="configured", path=path)
    packaged = _packaged_font()
    if packaged is not None:
        return CjkFont(source=_WHEEL_DIST, path=packaged)
    for candidate in _SYSTEM_FONTS:
        if candidate.is_file():
            return CjkFont(source="system", path=candidate)
    return CjkFont(source=_FALLBACK_CID_FONT, path=None)


@cache
def _packaged_font() -> Path | None:
    """The wheel's font file, located without importing the package, and only if its bytes are the audited ones."""
    try:
        located = Path(str(metadata.distribution(_WHEEL_DIST).locate_file(_WHEEL_FONT)))
    except metadata.PackageNotFoundError:
        return None
    if not located.is_file() or hashlib.sha256(located.read_bytes()).hexdigest() != _WHEEL_FONT_SHA256:
        return None
    return located


@cache
def _registered_name(font: CjkFont) -> str:
    if font.path is None:
        pdfmetrics.registerFont(UnicodeCIDFont(_FALLBACK_CID_FONT))
        return _FALLBACK_CID_FONT
    name = "ZhibenCJK-" + hashlib.sha256(f"{font.path}:{font.subfont_index}".encode()).hexdigest()[:8]
    pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.subfont_index))
    return name


# ---------------------------------------------------------------------------------------- numbering


class DocumentKind(StrEnum):
    """The four documents, each with its code in the number (文书代字)."""

    INSPECTION_RECORD = "检记"
    RECTIFICATION_ORDER = "责改"
    REINSPECTION_OPINION = "复查"
    PENALTY_DECISION = "罚"  # 应急罚〔YYYY〕N号 (reference: enforcement_doc_number_abbrev.csv, V2)

    @property
    def title_zh(self) -> str:
        return _TITLES[self]


_TITLES = {
    DocumentKind.INSPECTION_RECORD: "现场检查记录",
    DocumentKind.RECTIFICATION_ORDER: "责令限期整改指令书",
    DocumentKind.REINSPECTION_OPINION: "整改复查意见书",
    DocumentKind.PENALTY_DECISION: "行政处罚决定书",
}


@dataclass(frozen=True)
class DocumentNumber:
    """`issuer_code` is `（地区简称）应急` (e.g. （沂南县）应急); `sequence` runs per kind and year."""

    issuer_code: str
    year: int
    sequence: int

    def render(self, kind: DocumentKind) -> str:
        problems = []
        if not self.issuer_code.strip():
            problems.append(("number.issuer_code", "required", "机关代字不能为空"))
        if not 2000 <= self.year <= 2999:
            problems.append(("number.year", "out_of_range", f"年份应为四位数：{self.year}"))
        if self.sequence < 1:
            problems.append(("number.sequence", "out_of_range", f"序号应从 1 开始：{self.sequence}"))
        if problems:
            raise InvalidInputError.of(problems)
        return f"{self.issuer_code.strip()}{kind.value}〔{self.year}〕{self.sequence}号"


# ------------------------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Officer:
    """A law-enforcement officer and the number of their enforcement certificate (执法证号)."""

    name: str
    certificate_no: str


@dataclass(frozen=True)
class Enterprise:
    name: str
    uscc: str  # 统一社会信用代码
    address: str
    principal: str  # 主要负责人


@dataclass(frozen=True)
class Finding:
    """A problem found on site, with the clause it breaks (e.g. a rule id and its citation)."""

    description: str
    clause: str
    is_major: bool = False


@dataclass(frozen=True)
class OrderItem:
    finding: Finding
    deadline: date


@dataclass(frozen=True)
class ReinspectionItem:
    """One item of the order as found on re-inspection (复查)."""

    description: str
    deadline: date
    is_rectified: bool
    note: str = ""


@dataclass(frozen=True)
class ResponsiblePerson:
    """The person fined, where the penalty falls on a responsible person rather than the unit."""

    name: str
    position: str


@dataclass(frozen=True)
class RemedyNotice:
    """Where and within what time the party may apply for review (行政复议) or sue (行政诉讼).

    The reference material gives neither period, so nothing is assumed: a field left None prints as a
    marked blank for the authority to fill in.
    """

    review_body: str | None = None
    review_period: str | None = None
    court: str | None = None
    litigation_period: str | None = None


@dataclass(frozen=True)
class InspectionRecord:
    number: DocumentNumber
    authority: str
    enterprise: Enterprise
    officers: tuple[Officer, ...]
    started_at: datetime
    ended_at: datetime
    place: str
    attendee: str  # the enterprise's person present at the inspection (现场负责人)
    findings: tuple[Finding, ...]
    on_site_measures: tuple[str, ...] = ()


@dataclass(frozen=True)
class RectificationOrder:
    number: DocumentNumber
    authority: str
    enterprise: Enterprise
    officers: tuple[Officer, ...]
    issued_on: date
    items: tuple[OrderItem, ...]
    legal_basis: str  # the Work Safety Law article the order rests on, as cited on the document
    record_number: str = ""  # the inspection record this order follows from


@dataclass(frozen=True)
class ReinspectionOpinion:
    number: DocumentNumber
    authority: str
    enterprise: Enterprise
    officers: tuple[Officer, ...]
    reinspected_on: date
    order_number: str
    items: tuple[ReinspectionItem, ...]


@dataclass(frozen=True)
class PenaltyDecision:
    number: DocumentNumber
    authority: str
    enterprise: Enterprise
    officers: tuple[Officer, ...]
    decided_on: date
    facts: str
    evidence: tuple[str, ...]
    violated: str  # the duty broken, e.g. 违反了《中华人民共和国安全生产法》第四十一条第二款的规定
    provision_id: str  # a row of data/penalties_wsl2021.csv; the amount must lie inside its range
    amount_yuan: Decimal
    person: ResponsiblePerson | None = None
    payment: str | None = None  # where and by when to pay; a marked blank if None
    remedy: RemedyNotice = field(default_factory=RemedyNotice)


# ---------------------------------------------------------------------------------------- rendering


def render_inspection_record(doc: InspectionRecord, font: CjkFont | None = None) -> bytes:
    _check_officers(doc.officers)
    if doc.ended_at < doc.started_at:
        raise InvalidInputError("ended_at", "before_start", "检查结束时间早于开始时间")
    page = _Page(DocumentKind.INSPECTION_RECORD, doc.number, doc.authority, font)
    page.fields(
        [
            ("被检查单位", doc.enterprise.name),
            ("统一社会信用代码", doc.enterprise.uscc),
            ("地址", doc.enterprise.address),
            ("主要负责人", doc.enterprise.principal),
            ("检查场所", doc.place),
            ("现场负责人", doc.attendee),
            ("检查时间", f"{_datetime_zh(doc.started_at)} 至 {_datetime_zh(doc.ended_at)}"),
        ]
    )
    page.officers(doc.officers)
    page.heading("检查情况")
    if not doc.findings:
        page.text("未发现安全生产违法行为和事故隐患。")
    for i, finding in enumerate(doc.findings, 1):
        page.text(f"{i}. {_finding_zh(finding)}")
    page.heading("现场处理措施")
    for i, measure in enumerate(doc.on_site_measures or ("无。",), 1):
        page.text(f"{i}. {measure}" if doc.on_site_measures else measure)
    page.signatures(
        ("检查人员（签名）", "被检查单位现场负责人（签名）"), doc.ended_at.astimezone(SHANGHAI).date()
    )
    return page.build()


def render_rectification_order(doc: RectificationOrder, font: CjkFont | None = None) -> bytes:
    _check_officers(doc.officers)
    if not doc.items:
        raise InvalidInputError("items", "required", "整改指令至少需要一项")
    late = [item for item in doc.items if item.deadline < doc.issued_on]
    if late:
        raise InvalidInputError("items.deadline", "before_issue", f"整改期限早于签发日期：{late[0].deadline}")
    page = _Page(DocumentKind.RECTIFICATION_ORDER, doc.number, doc.authority, font)
    page.text(f"{doc.enterprise.name}：", indent=False)
    source = f"（{doc.record_number}）" if doc.record_number else ""
    page.text(f"经查，你单位存在下列问题{source}：")
    rows = [["序号", "问题及依据", "整改期限"]] + [
        [str(i), _finding_zh(item.finding), _date_zh(item.deadline)] for i, item in enumerate(doc.items, 1)
    ]
    page.table(rows, (12 * mm, 118 * mm, 40 * mm))
    page.text(
        f"依据{doc.legal_basis}的规定，责令你单位对上述问题于所列期限前整改完毕，达到有关法律法规"
        "规章和标准规定的要求。整改期间应采取措施，确保安全。期限届满，本机关将进行复查。"
    )
    page.officers(doc.officers)
    page.signatures(("检查人员（签名）", "被检查单位负责人（签收）"), doc.issued_on, seal=doc.authority)
    return page.build()


def render_reinspection_opinion(doc: ReinspectionOpinion, font: CjkFont | None = None) -> bytes:
    _check_officers(doc.officers)
    if not doc.items:
        raise InvalidInputError("items", "required", "复查意见至少需要一项")
    page = _Page(DocumentKind.REINSPECTION_OPINION, doc.number, doc.authority, font)
    page.text(f"{doc.enterprise.name}：", indent=False)
    page.text(
        f"本机关于{_date_zh(doc.reinspected_on)}对你单位执行《责令限期整改指令书》（{doc.order_number}）"
        "的情况进行了复查，意见如下："
    )
    rows = [["序号", "整改事项", "整改期限", "复查结果"]] + [
        [
            str(i),
            item.description + (f"（{item.note}）" if item.note else ""),
            _date_zh(item.deadline),
            "已整改" if item.is_rectified else "未整改",
        ]
        for i, item in enumerate(doc.items, 1)
    ]
    page.table(rows, (12 * mm, 98 * mm, 35 * mm, 25 * mm))
    open_items = [str(i) for i, item in enumerate(doc.items, 1) if not item.is_rectified]
    if open_items:
        page.text(f"第{'、'.join(open_items)}项未按期整改完毕，本机关将依法处理。")
    else:
        page.text("所列事项均已整改完毕。")
    page.officers(doc.officers)
    page.signatures(("复查人员（签名）", "被复查单位负责人（签收）"), doc.reinspected_on, seal=doc.authority)
    return page.build()


def render_penalty_decision(doc: PenaltyDecision, font: CjkFont | None = None) -> bytes:
    _check_officers(doc.officers)
    provision = check_fine(doc.provision_id, doc.amount_yuan)
    if (provision.party == "responsible_person") != (doc.person is not None):
        raise InvalidInputError(
            "person",
            "party_mismatch",
            f"条款 {provision.provision_id} 的处罚对象是"
            f"{'责任人员' if provision.party == 'responsible_person' else '生产经营单位'}",
        )
    page = _Page(DocumentKind.PENALTY_DECISION, doc.number, doc.authority, font)
    party: list[tuple[str, str]] = [
        ("被处罚单位", doc.enterprise.name),
        ("统一社会信用代码", doc.enterprise.uscc),
        ("地址", doc.enterprise.address),
        ("主要负责人", doc.enterprise.principal),
    ]
    if doc.person is not None:
        party = [("被处罚人", doc.person.name), ("职务", doc.person.position), *party[:2]]
    page.fields(party)
    page.heading("违法事实")
    page.text(doc.facts)
    page.heading("证据")
    for i, item in enumerate(doc.evidence, 1):
        page.text(f"{i}. {item}")
    page.heading("处罚依据和决定")
    page.text(
        f"上述行为{doc.violated}。依据{provision.article_zh}的规定（{provision.range_zh}），本机关决定"
        f"给予{'你' if doc.person else '你单位'}罚款人民币{_amount_zh(doc.amount_yuan)}的行政处罚。"
    )
    page.text(f"罚款缴纳：{doc.payment or _blank('缴纳方式、地点和期限')}")
    remedy = doc.remedy
    page.text(
        "如不服本决定，可以在"
        f"{remedy.review_period or _blank('申请行政复议的期限（参考资料未载明）')}内依法向"
        f"{remedy.review_body or _blank('行政复议机关')}申请行政复议，或者在"
        f"{remedy.litigation_period or _blank('提起行政诉讼的期限（参考资料未载明）')}内依法向"
        f"{remedy.court or _blank('人民法院')}提起行政诉讼。"
    )
    page.officers(doc.officers)
    page.signatures((), doc.decided_on, seal=doc.authority)
    return page.build()


# ------------------------------------------------------------------------------------------ helpers


def _check_officers(officers: Sequence[Officer]) -> None:
    """At least two certified officers (cn-standards §7: 执法时不少于有行政执法权 2 人), each with a certificate."""
    if len(officers) < 2:
        raise InvalidInputError("officers", "too_few", f"执法人员不少于两人，现为 {len(officers)} 人")
    missing = [o.name for o in officers if not o.certificate_no.strip()]
    if missing:
        raise InvalidInputError(
            "officers.certificate_no", "required", f"执法人员缺少执法证号：{'、'.join(missing)}"
        )


def _blank(what: str) -> str:
    return f"【待填：{what}】"


def _finding_zh(finding: Finding) -> str:
    major = "（重大事故隐患）" if finding.is_major else ""
    return f"{finding.description}{major}。依据：{finding.clause}"


def _date_zh(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _datetime_zh(at: datetime) -> str:
    if at.tzinfo is None:
        raise InvalidInputError("time", "naive_datetime", f"时间须带时区：{at.isoformat()}")
    local = at.astimezone(SHANGHAI)
    return f"{_date_zh(local.date())} {local.hour:02d}时{local.minute:02d}分"


def _amount_zh(amount: Decimal) -> str:
    return f"{Decimal(amount):,.2f}元".replace(".00元", "元")


_Row = tuple[str, str]


class _Page:
    """Builds one document: header, body flowables, footer with the number and page count."""

    def __init__(
        self, kind: DocumentKind, number: DocumentNumber, authority: str, font: CjkFont | None
    ) -> None:
        self.kind, self.number = kind, number.render(kind)
        self.authority = authority
        self.font = _registered_name(font or find_cjk_font())
        self.body = ParagraphStyle(
            "body", fontName=self.font, fontSize=11, leading=18, wordWrap="CJK", firstLineIndent=22
        )
        self.flat = ParagraphStyle("flat", parent=self.body, firstLineIndent=0)
        self.story: list[Flowable] = [
            Paragraph(
                escape(authority),
                ParagraphStyle("org", parent=self.flat, fontSize=16, leading=24, alignment=TA_CENTER),
            ),
            Paragraph(
                kind.title_zh,
                ParagraphStyle("title", parent=self.flat, fontSize=20, leading=30, alignment=TA_CENTER),
            ),
            Paragraph(escape(self.number), ParagraphStyle("no", parent=self.flat, alignment=TA_CENTER)),
            Spacer(1, 6 * mm),
        ]

    def text(self, content: str, indent: bool = True) -> None:
        self.story.append(Paragraph(escape(content), self.body if indent else self.flat))

    def heading(self, content: str) -> None:
        self.story.append(
            Paragraph(escape(f"{content}："), ParagraphStyle("h", parent=self.flat, spaceBefore=6))
        )

    def fields(self, rows: Sequence[_Row]) -> None:
        self.table([[label, value] for label, value in rows], (38 * mm, 132 * mm), header=False)

    def officers(self, officers: Sequence[Officer]) -> None:
        self.heading("执法人员")
        self.table(
            [["姓名", "执法证号"]] + [[o.name, o.certificate_no] for o in officers], (60 * mm, 110 * mm)
        )

    def table(self, rows: Sequence[Sequence[str]], widths: Sequence[float], header: bool = True) -> None:
        cells = [[Paragraph(escape(cell), self.flat) for cell in row] for row in rows]
        style: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, "#000000"),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("FONTNAME", (0, 0), (-1, -1), self.font),
        ]
        if header:
            style.append(("BACKGROUND", (0, 0), (-1, 0), "#EEEEEE"))
        self.story += [
            Table(cells, colWidths=list(widths), style=TableStyle(style), repeatRows=int(header)),
            Spacer(1, 3 * mm),
        ]

    def signatures(self, signers: Sequence[str], day: date, seal: str = "") -> None:
        self.story.append(Spacer(1, 8 * mm))
        for signer in signers:
            self.text(f"{signer}：____________________    {_date_zh(day)}", indent=False)
        if seal:
            right = ParagraphStyle("seal", parent=self.flat, alignment=2)
            self.story += [
                Spacer(1, 6 * mm),
                Paragraph(escape(f"{seal}（印章）"), right),
                Paragraph(_date_zh(day), right),
            ]

    def build(self) -> bytes:
        out = io.BytesIO()
        pdf = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=20 * mm,
            rightMargin=20 * mm,
            topMargin=20 * mm,
            bottomMargin=20 * mm,
            title=f"{self.kind.title_zh} {self.number}",
            author=self.authority,
            creator="zhiben",
            invariant=True,
            lang="zh-CN",
            initialFontName=self.font,
        )
        pdf.build(self.story, canvasmaker=_numbered_canvas(self.font, self.number))
        return out.getvalue()


def _numbered_canvas(font: str, number: str) -> Callable[..., Canvas]:
    """A canvas that writes `<number>  第 n 页 共 m 页` at the foot of every page once all pages are known."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]  # reportlab starts a fresh page state here

        def save(self) -> None:
            for n, state in enumerate(self._pages, 1):
                self.__dict__.update(state)
                self.setFont(font, 9)
                self.drawCentredString(A4[0] / 2, 12 * mm, f"{number}    第 {n} 页 共 {len(self._pages)} 页")
                super().showPage()
            super().save()

    return NumberedCanvas
