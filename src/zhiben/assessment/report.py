"""The assessment report (考核评估报告) of a division as PDF (A4 landscape, Chinese, with a bar chart of the
lower-level divisions' scores drawn by reportlab.graphics) and as an Excel workbook (the KPIs per child, the
ranking, and one sheet per KPI listing the records behind every number).

Inputs are the computed `Assessment` and its traces; no database, no clock. The font is the enforcement
documents' (WenQuanYi Micro Hei, embedded; see enforcement.documents.find_cjk_font and NOTICE).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Table, TableStyle

from zhiben.assessment.domain import KPIS, Assessment, Kind, Kpi, Row, TraceRecord, child_for
from zhiben.auth.domain import division_prefix
from zhiben.enforcement.documents import CjkFont, find_cjk_font
from zhiben.kit.clock import SHANGHAI
from zhiben.standards.accident import SEVERITY

GRADE_ZH = {
    "ordinary": "一般事故",
    "relatively_serious": "较大事故",
    "serious": "重大事故",
    "extraordinarily_serious": "特别重大事故",
}
TRACE_URL = "/api/v1/assessment/trace?division={division}&kpi={kpi}&start={start}&end={end}"


def shown(kpi: Kpi, value: float | None) -> str:
    if value is None:
        return "—"
    if kpi.kind == Kind.rate:
        return f"{value * 100:.1f}%"
    if kpi.kind in (Kind.count, Kind.sum):
        return f"{value:.0f}"
    return f"{value:.1f}"


def title_of(assessment: Assessment) -> str:
    return f"{assessment.division.name}安全生产考核评估报告"


# ------------------------------------------------------------------------------------------------ PDF


@cache
def _font_name(font: CjkFont) -> str:
    if font.path is None:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        return "STSong-Light"
    name = "ZhibenCJK-" + hashlib.sha256(f"{font.path}:{font.subfont_index}".encode()).hexdigest()[:8]
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(font.path), subfontIndex=font.subfont_index))
    return name


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle(
            "title", fontName=font, fontSize=18, leading=24, alignment=1, spaceAfter=4 * mm
        ),
        "h": ParagraphStyle(
            "h", fontName=font, fontSize=12.5, leading=17, spaceBefore=4 * mm, spaceAfter=2 * mm
        ),
        "p": ParagraphStyle("p", fontName=font, fontSize=9, leading=13),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5),
    }


def _table(data: list[list[Any]], font: str, widths: Sequence[float] | None = None) -> Table:
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 7.5),
                ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef6")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    return table


def score_chart(
    children: Sequence[Row], font: str, width: float = 250 * mm, height: float = 70 * mm
) -> Drawing:
    """A bar chart of the children's scores (out of 100), in rank order."""
    drawing = Drawing(width, height)
    scored = [r for r in children if r.score is not None]
    if not scored:
        drawing.add(String(10, height / 2, "本期无可评分的下级行政区划", fontName=font, fontSize=10))
        return drawing
    chart = VerticalBarChart()
    chart.x, chart.y = int(12 * mm), int(14 * mm)
    chart.width, chart.height = int(width - 20 * mm), int(height - 28 * mm)
    chart.data = [[r.score or 0.0 for r in scored]]
    chart.valueAxis.valueMin, chart.valueAxis.valueMax, chart.valueAxis.valueStep = 0.0, 100.0, 20.0
    chart.valueAxis.labels.fontName = font
    chart.categoryAxis.categoryNames = [r.name for r in scored]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7 if len(scored) < 16 else 5
    chart.categoryAxis.labels.angle = 30 if len(scored) > 8 else 0
    chart.categoryAxis.labels.boxAnchor = "ne" if len(scored) > 8 else "n"
    chart.bars[0].fillColor = colors.HexColor("#2f6fb3")
    chart.barLabelFormat = "%.1f"
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 6
    chart.barLabels.nudge = 6
    drawing.add(chart)
    drawing.add(String(0, height - 4 * mm, "下级行政区划考核得分（满分100）", fontName=font, fontSize=9))
    return drawing


def render_pdf(assessment: Assessment, font: CjkFont | None = None) -> bytes:
    name = _font_name(font or find_cjk_font())
    st = _styles(name)
    a, period, scheme = assessment, assessment.period, assessment.scheme
    when = a.computed_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
    story: list[object] = [
        Paragraph(escape(title_of(a)), st["title"]),
        Paragraph(
            escape(
                f"行政区划：{a.division.name}（{a.division.code or '全国'}）　考核期间：{period.start} 至 {period.end}"
                f"　生成时间：{when}（北京时间）　评分方案：{scheme.version}"
            ),
            st["p"],
        ),
        Paragraph(escape(f"评分方案依据：{scheme.basis}。权重与目标值为平台示例，非国家标准数值。"), st["p"]),
        Paragraph("一、本级指标", st["h"]),
        _own_table(a.division, a, name),
        KeepTogether([Paragraph("二、下级行政区划得分与排名", st["h"]), score_chart(a.children, name)]),
        Paragraph(escape("无登记企业的下级行政区划不评分、不排名（无记录不等于工作到位）。"), st["p"]),
        _children_table(a.children, name),
        Paragraph("三、生产安全事故（按《生产安全事故报告和调查处理条例》分级）", st["h"]),
        _grades_table(a, name),
        Paragraph("四、指标口径与追溯", st["h"]),
    ]
    for kpi in KPIS:
        url = TRACE_URL.format(division=a.division.code, kpi=kpi.code, start=period.start, end=period.end)
        story.append(
            Paragraph(escape(f"{kpi.name_zh}（{kpi.code}）：{_DEFINITIONS[kpi.code]} 明细：{url}"), st["p"])
        )
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=title_of(a),
        author="zhiben",
        subject=f"{period.start}/{period.end}",
    )
    doc.build(story)  # type: ignore[arg-type]
    return out.getvalue()


_DEFINITIONS = {
    "clearance_rate": "已销号重大隐患 ÷（已销号 + 未销号）重大隐患，按生成时的登记状态（同动态清零）。",
    "overdue_major": "生成时已逾期的重大隐患数（同动态清零）。",
    "closed_on_time_rate": "期间内销号的重大隐患中，在整改期限内销号的比例。",
    "listed_handled_rate": "期间内处于挂牌督办的重大隐患中，期末前已销号的比例。",
    "red_orange_coverage": "当前风险等级为红色、橙色的企业中，期间内完成执法检查的比例。",
    "alarm_ack_on_time_rate": "期间内报警的记录中，在其规定响应时间内确认的比例。",
    "alarm_response_min": "期间内报警从报警到确认的平均分钟数（仅已确认者）。",
    "accidents": "期间内发生的生产安全事故起数。",
    "deaths": "上述事故的死亡人数（按条例第十三条计入）。",
    "tipoff_response_h": "期间内受理的举报从受理到开始核查的平均小时数（仅已开始核查者）。",
}


def _own_table(row: Row, a: Assessment, font: str) -> Table:
    data: list[list[Any]] = [["指标", "数值", "得分", "权重"]]
    for kpi in KPIS:
        rule = a.scheme.rules.get(kpi.code)
        points = row.points.get(kpi.code)
        data.append(
            [
                kpi.name_zh,
                shown(kpi, row.values.get(kpi.code)),
                "—" if points is None else f"{points:.1f}",
                "—" if rule is None else f"{rule.weight:g}",
            ]
        )
    data.append(["综合得分（百分制）", "—" if row.score is None else f"{row.score:.1f}", "", ""])
    return _table(data, font, [90 * mm, 35 * mm, 25 * mm, 25 * mm])


def _children_table(children: Sequence[Row], font: str) -> Table:
    cell = ParagraphStyle("c", fontName=font, fontSize=6.5, leading=8)
    header: list[Any] = ["排名", "行政区划", "企业数", "得分"] + [
        Paragraph(escape(k.name_zh), cell) for k in KPIS
    ]
    data: list[list[Any]] = [header]
    for r in children:
        data.append(
            [
                "—" if r.rank is None else r.rank,
                r.name,
                r.enterprises,
                "—" if r.score is None else f"{r.score:.1f}",
            ]
            + [shown(k, r.values.get(k.code)) for k in KPIS]
        )
    return _table(data, font, [10 * mm, 28 * mm, 12 * mm, 12 * mm] + [21 * mm] * len(KPIS))


def _grades_table(a: Assessment, font: str) -> Table:
    data: list[list[Any]] = [["行政区划"] + [f"{GRADE_ZH[g.value]}（起/死亡）" for g in SEVERITY]]
    for r in [a.division, *a.children]:
        data.append(
            [r.name]
            + [
                f"{r.by_grade.get(g.value, (0, 0))[0]} / {r.by_grade.get(g.value, (0, 0))[1]}"
                for g in SEVERITY
            ]
        )
    return _table(data, font)


# ---------------------------------------------------------------------------------------------- Excel

SHEET_KPIS = "指标 KPIs"
SHEET_RANKING = "排名 Ranking"
SHEET_SCHEME = "方案 Scheme"


def render_xlsx(assessment: Assessment, traces: Mapping[str, Sequence[TraceRecord]]) -> bytes:
    """Sheets: the KPIs per child division (and the division's own), the ranking with points per KPI, the
    scheme, and one sheet per KPI (named by its code) with every record behind its numbers."""
    a = assessment
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_KPIS)
    sheet.append(
        ["代码 code", "行政区划 division"]
        + [f"{k.name_zh} {k.code}" for k in KPIS]
        + ["企业数 enterprises", "得分 score", "排名 rank"]
    )
    for r in [a.division, *a.children]:
        sheet.append(
            [r.code, r.name] + [r.values.get(k.code) for k in KPIS] + [r.enterprises, r.score, r.rank]
        )
    sheet = book.create_sheet(SHEET_RANKING)
    sheet.append(
        ["排名 rank", "代码 code", "行政区划 division", "得分 score"] + [f"{k.code} points" for k in KPIS]
    )
    for r in a.children:
        sheet.append([r.rank, r.code, r.name, r.score] + [r.points.get(k.code) for k in KPIS])
    sheet = book.create_sheet(SHEET_SCHEME)
    sheet.append(["KPI", "指标", "权重 weight", "方向 direction", "满分值 full_at", "零分值 zero_at"])
    for k in KPIS:
        rule = a.scheme.rules.get(k.code)
        if rule is not None:
            sheet.append([k.code, k.name_zh, rule.weight, rule.direction.value, rule.full_at, rule.zero_at])
    sheet.append([])
    sheet.append([f"version {a.scheme.version}", a.scheme.basis])
    prefix = division_prefix(a.division.code)
    names = {r.code: r.name for r in a.children}
    for k in KPIS:
        sheet = book.create_sheet(k.code)
        sheet.append(
            [
                "下级区划 child",
                "名称 name",
                "记录 record",
                "ID",
                "标识 label",
                "县区 county",
                "计入分子 in numerator",
                "值 value",
                "相关检查 inspections",
            ]
        )
        for t in traces.get(k.code, ()):
            child = child_for(t.county_code, prefix, names) or ""
            sheet.append(
                [
                    child,
                    names.get(child, ""),
                    t.record.value,
                    t.id,
                    t.label,
                    t.county_code,
                    int(t.in_numerator),
                    t.value,
                    " ".join(str(i) for i in t.related),
                ]
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def bold() -> Font:
    return Font(bold=True)
