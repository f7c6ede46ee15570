"""The regulator's dashboard: dynamic clearance, trends, the risk map and early warnings for a division,
with drill-down nation → province → city → county → enterprise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from zhiben.auth.domain import Role, covers, division_prefix
from zhiben.division import service as divisions
from zhiben.errors import NotFoundError, PermissionDeniedError
from zhiben.hazard.clearance import clearance, monthly_trend
from zhiben.kit.pagination import PageRequest
from zhiben.monitoring.risk import COUNT_KEYS, WarningFilter, early_warnings, risk_summary
from zhiben.web.pages.common import Web, page

router = APIRouter(include_in_schema=False)
DIVISION_CODE = r"^(\d{6})?$"


@dataclass(frozen=True)
class EarlyWarning:
    enterprise_id: int
    name: str
    level: str
    score: int
    computed_at: datetime


@dataclass(frozen=True)
class Crumb:
    code: str
    name: str


def _division_in_scope(ctx: Web, division: str) -> str:
    """The division asked for, within the caller's jurisdiction; outside it, 404 as for any object."""
    own = ctx.principal.division_code
    if ctx.principal.role not in (Role.regulator, Role.admin):
        raise PermissionDeniedError(action="dashboard")
    code = division or own
    if code and not covers(own, code):
        raise NotFoundError(kind="division", key=code)
    return code


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(ctx: Web, division: Annotated[str, Query(pattern=DIVISION_CODE)] = "") -> HTMLResponse:
    code = _division_in_scope(ctx, division)
    now = ctx.state.clock.now()
    with ctx.read() as session:
        if code:
            divisions.get_division(session, code)
        path = [Crumb("", ctx.t("dashboard.nation"))]
        if code:
            path += [Crumb(d.code, d.name) for d in divisions.ancestors(session, code)]
        own = ctx.principal.division_code
        crumbs = [c for c in path if covers(own, c.code) if c.code or not own]
        totals = clearance(session, ctx.principal, code, now)
        trend = monthly_trend(session, ctx.principal, code, now)
        risk = risk_summary(session, ctx.principal, code)
        found = early_warnings(session, ctx.principal, WarningFilter(division=code), PageRequest(1, 10))
        warnings = [
            EarlyWarning(r.enterprise_id, name, r.level, r.score, r.computed_at) for r, name in found.items
        ]
    risk_by_code = {row.division_code: row.counts for row in risk.rows}
    children: list[dict[str, Any]] = [
        {
            "code": child.division_code,
            "name": child.division_name,
            "open": child.open_major,
            "overdue": child.overdue_major,
            "on_time": child.closed_on_time,
            "rate": child.rectification_rate,
            "risk": risk_by_code.get(child.division_code, {}),
        }
        for child in totals.children
    ]
    known = {c["code"] for c in children}
    for row in risk.rows:  # divisions with enterprises but no major hazard
        if row.division_code not in known and len(division_prefix(code)) < 6:
            children.append(
                {
                    "code": row.division_code,
                    "name": row.name,
                    "open": 0,
                    "overdue": 0,
                    "on_time": 0,
                    "rate": None,
                    "risk": row.counts,
                }
            )
    children.sort(key=lambda c: c["code"])
    county = len(division_prefix(code)) == 6
    chart = {
        "trend": {
            "months": [m.month for m in trend],
            "reported": [m.reported for m in trend],
            "closed": [m.closed for m in trend],
            "labels": {
                "reported": ctx.t("dashboard.trend.reported"),
                "closed": ctx.t("dashboard.trend.closed"),
            },
        },
        "map": {
            "show": code == "",
            "label": ctx.t("dashboard.open_major"),
            "values": {c["code"]: c["open"] for c in children},
            "red": {c["code"]: c["risk"].get("red", 0) for c in children},
            "drill": "/dashboard?division=",
        },
        "bars": {
            "names": [c["name"] for c in children],
            "codes": [c["code"] for c in children],
            "open": [c["open"] for c in children],
            "overdue": [c["overdue"] for c in children],
            "labels": {"open": ctx.t("dashboard.open_major"), "overdue": ctx.t("dashboard.overdue")},
            "drill": "/dashboard?division=" if not county else "",
        },
    }
    return page(
        ctx,
        "dashboard.html",
        code=code,
        crumbs=crumbs,
        totals=totals,
        children=children,
        county=county,
        risk_totals=risk.totals,
        risk_keys=COUNT_KEYS,
        warnings=warnings,
        chart=chart,
    )
