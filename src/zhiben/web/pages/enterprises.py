"""Enterprises: the list in scope, and an enterprise's workspace (profile, risk colour and why, hazards,
the self-inspection checklist from the applicable rule packs, sensors with live values, alarms)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from zhiben.auth.api import MAX_ID
from zhiben.auth.domain import Role
from zhiben.dualprevention.self_inspection import answer_self_inspection
from zhiben.enterprise.service import EnterpriseFilter
from zhiben.errors import NotFoundError, ZhibenError
from zhiben.hazard import repository as hazards
from zhiben.kit.pagination import PageRequest
from zhiben.monitoring import handling
from zhiben.monitoring import repository as monitoring
from zhiben.monitoring.risk import enterprise_risk, enterprises_with_levels
from zhiben.monitoring.risk_domain import RiskLevel
from zhiben.standards import checklist
from zhiben.training import service as training
from zhiben.training.domain import ExpiryWarning
from zhiben.training.models import Certificate
from zhiben.training.repository import CertificateFilter
from zhiben.web.pages.common import Web, form_errors, page, pager_of, see_other
from zhiben.web.pages.forms import form_values

router = APIRouter(include_in_schema=False)
EnterpriseId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.get("/enterprises", response_class=HTMLResponse)
def listing(
    ctx: Web,
    division: Annotated[str, Query(pattern=r"^(\d{6})?$")] = "",
    name: Annotated[str, Query(max_length=100)] = "",
    risk: Annotated[Literal["red", "orange", "yellow", "blue", ""], Query()] = "",
    page_number: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> HTMLResponse:
    flt = EnterpriseFilter(division=division, name=name or None)
    with ctx.read() as session:
        result = enterprises_with_levels(
            session, ctx.principal, flt, RiskLevel(risk) if risk else None, PageRequest(page_number, size)
        )
        return page(
            ctx,
            "enterprises.html",
            rows=result.items,
            pager=pager_of(result, ctx.request),
            filters={"division": division, "name": name, "risk": risk},
        )


@router.get("/workspace")
def workspace(ctx: Web) -> RedirectResponse:
    if ctx.principal.enterprise_id is None:
        raise NotFoundError(kind="workspace", key=ctx.principal.username)
    return RedirectResponse(f"/enterprises/{ctx.principal.enterprise_id}", status_code=303)


def _workspace(
    ctx: Web,
    enterprise_id: int,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    outcome: checklist.Outcome | None = None,
    status: int = 200,
) -> HTMLResponse:
    with ctx.read() as session:
        risk = enterprise_risk(session, ctx.principal, enterprise_id)  # 404 outside scope
        enterprise = risk.enterprise
        open_hazards = hazards.page(
            session,
            ctx.principal,
            hazards.HazardFilter(enterprise_id=enterprise.id, state="open"),
            PageRequest(1, 10),
        )
        questions = checklist.checklist(session, ctx.principal, enterprise.id, checklist.installed_packs())
        sensors = handling.sensors_with_health(session, ctx.principal, enterprise.id)
        alarms = monitoring.page_alarms(
            session,
            ctx.principal,
            monitoring.AlarmFilter(enterprise_id=enterprise.id, is_open=True),
            PageRequest(1, 20),
        )
        alarm_actions = {row.id: handling.actions_for(ctx.principal, row) for row in alarms.items}
        certificates: list[Certificate] = []
        warnings: dict[int, ExpiryWarning] = {}
        if ctx.principal.role in training.READERS:
            certificates = list(training.enterprise_certificates(session, ctx.principal, enterprise.id))
            flt = CertificateFilter(enterprise_id=enterprise.id)
            warnings = {
                w.certificate.id: w.warning
                for w in training.certificate_warnings(session, ctx.principal, flt)
            }
        return page(
            ctx,
            "enterprise.html",
            status=status,
            enterprise=enterprise,
            risk=risk,
            hazards=open_hazards,
            checklist=questions,
            sensors=sensors,
            alarms=alarms.items,
            alarm_actions=alarm_actions,
            values=values or {},
            errors=errors or {},
            outcome=outcome,
            certificates=certificates,
            certificate_warnings=warnings,
            may_answer=ctx.principal.role
            in (Role.enterprise, Role.regulator, Role.officer, Role.service_provider),
        )


@router.get("/enterprises/{enterprise_id}", response_class=HTMLResponse)
def detail(ctx: Web, enterprise_id: EnterpriseId) -> HTMLResponse:
    return _workspace(ctx, enterprise_id)


@router.get("/enterprises/{enterprise_id}/sensors", response_class=HTMLResponse)
def live_sensors(ctx: Web, enterprise_id: EnterpriseId) -> HTMLResponse:
    """The sensor table alone, with each sensor's latest value and health, for htmx to refresh."""
    with ctx.read() as session:
        sensors = handling.sensors_with_health(session, ctx.principal, enterprise_id)  # 404 outside scope
        return page(ctx, "partials/sensor_rows.html", sensors=sensors)


@router.post("/enterprises/{enterprise_id}/checklist", response_class=HTMLResponse)
async def answer(ctx: Web, enterprise_id: EnterpriseId) -> Response:
    form = await ctx.request.form()
    values = form_values(form)
    answers: dict[str, object] = {
        name.removeprefix("fact."): value
        for name, value in values.items()
        if name.startswith("fact.") and value != ""
    }
    try:
        with ctx.write() as session:
            if ctx.principal.role == Role.enterprise:  # the enterprise's own answers are its self-inspection
                outcome, _ = answer_self_inspection(session, ctx.principal, enterprise_id, answers)
            else:
                outcome = checklist.answer(
                    session, ctx.principal, enterprise_id, answers, checklist.installed_packs()
                )
    except ZhibenError as exc:
        if exc.status == 404:
            raise
        errors = {  # the service names a wrong answer `answers.<fact>`; its field here is `fact.<fact>`
            f"fact.{k.removeprefix('answers.')}" if k.startswith("answers.") else k: v
            for k, v in form_errors(exc, ctx.language).items()
        }
        return _workspace(ctx, enterprise_id, values=values, errors=errors, status=exc.status)
    if outcome.met:
        return _workspace(ctx, enterprise_id, outcome=outcome)
    return see_other(f"/enterprises/{enterprise_id}?answered=1#checklist")
