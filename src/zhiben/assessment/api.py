"""GET /api/v1/assessment (JSON), /assessment/trace, /assessment/report.pdf and /assessment/report.xlsx."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response

from zhiben.assessment import report, service
from zhiben.assessment.domain import Assessment, check_period, counts_of, kpi_of, value_of
from zhiben.assessment.schemas import AssessmentRead, TraceRead, assessment_read, traced
from zhiben.auth.api import ERROR_RESPONSES, Ctx

router = APIRouter(prefix="/api/v1", tags=["assessment"], responses=ERROR_RESPONSES)

DivisionParam = Annotated[
    str, Query(pattern=r"^\d{6}$", description="GB/T 2260 code of the assessed division")
]
StartParam = Annotated[date, Query(description="first day of the period (Beijing time)")]
EndParam = Annotated[date, Query(description="last day of the period, included")]
TRACE_LIMIT = 10_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _assess(ctx: Ctx, division: str, start: date, end: date) -> Assessment:
    period = check_period(start, end)
    with ctx.read() as session:
        return service.assess_division(session, ctx.principal, division, period)


@router.get("/assessment", response_model=AssessmentRead)
def get_assessment(ctx: Ctx, division: DivisionParam, start: StartParam, end: EndParam) -> AssessmentRead:
    """For regulators over the division (and administrators): its KPIs and its direct children's, scored by
    the scheme (data/scheme.yaml, the platform's example) and ranked best first."""
    return assessment_read(_assess(ctx, division, start, end))


@router.get("/assessment/trace", response_model=TraceRead)
def get_trace(
    ctx: Ctx,
    division: DivisionParam,
    kpi: Annotated[str, Query(max_length=40, description="a KPI code, e.g. overdue_major")],
    start: StartParam,
    end: EndParam,
) -> TraceRead:
    """The records (hazard numbers, enterprise, alarm, accident or tip-off ids) that make one KPI of one
    division, within the caller's scope; their count, numerator and values give the KPI's number again."""
    period = check_period(start, end)
    info = kpi_of(kpi)
    with ctx.read() as session:
        records = service.trace_kpi(session, ctx.principal, division, kpi, period, TRACE_LIMIT + 1)
    shown, cut = records[:TRACE_LIMIT], len(records) > TRACE_LIMIT
    counts = counts_of(shown)
    return TraceRead(
        division=division,
        kpi=kpi,
        kind=info.kind.value,
        start=start,
        end=end,
        count=counts.n,
        numerator=counts.numerator,
        value=None if cut else value_of(info.kind, counts),
        records=[traced(r) for r in shown],
        is_truncated=cut,
    )


def _download(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )


@router.get(
    "/assessment/report.pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the assessment report as PDF"}},
)
def get_report_pdf(ctx: Ctx, division: DivisionParam, start: StartParam, end: EndParam) -> Response:
    """The assessment report (考核评估报告) as PDF, with the chart of the children's scores."""
    found = _assess(ctx, division, start, end)
    return _download(
        report.render_pdf(found), "application/pdf", f"{report.title_of(found)}-{start}-{end}.pdf"
    )


@router.get(
    "/assessment/report.xlsx",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "the assessment as an Excel workbook"}},
)
def get_report_xlsx(ctx: Ctx, division: DivisionParam, start: StartParam, end: EndParam) -> Response:
    """The KPIs per child division, the ranking, the scheme, and one sheet per KPI with the traced records."""
    period = check_period(start, end)
    with ctx.read() as session:
        found = service.assess_division(session, ctx.principal, division, period)
        traces = service.traces_of(session, ctx.principal, found)
    return _download(report.render_xlsx(found, traces), XLSX, f"{report.title_of(found)}-{start}-{end}.xlsx")
