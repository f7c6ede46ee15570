"""`zhiben accident ...`: grade, record, show, list, casualties, report-up, link, overdue."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from zhiben.accident import repository, service
from zhiben.accident.domain import AccidentKind, Figures
from zhiben.accident.models import Accident
from zhiben.cli.runtime import EXIT_INPUT, emit_json, fail, runtime_of
from zhiben.db.uow import session_clock
from zhiben.kit.pagination import PageRequest
from zhiben.standards.cli import accident_grade

accident_app = typer.Typer(
    help="Accidents (生产安全事故): Decree 493 grade, reports, hazards open at the time.",
    no_args_is_help=True,
)
accident_app.command("grade")(accident_grade)  # the standards' grading, unchanged


def _time(value: str | None, option: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise fail(
            f"{option} is an ISO time with its offset, e.g. 2026-03-01T09:30+08:00", EXIT_INPUT
        ) from exc
    if parsed.tzinfo is None:
        raise fail(f"{option} needs its UTC offset, e.g. +08:00", EXIT_INPUT)
    return parsed


def _yuan(value: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation as exc:
        raise fail("--direct-loss-yuan is a number of yuan", EXIT_INPUT) from exc
    if not amount.is_finite():
        raise fail("--direct-loss-yuan is a number of yuan", EXIT_INPUT)
    return amount


def document(session: Any, accident: Accident) -> dict[str, Any]:
    now = session_clock(session).now()
    return service.snapshot(accident) | {
        "id": accident.id,
        "county_code": accident.county_code,
        "reporting": [
            {
                "from": s.from_level,
                "to": s.to_level.value,
                "due_at": s.due_at.isoformat(),
                "done_at": s.done_at.isoformat() if s.done_at else None,
                "is_late": s.is_late,
                "is_overdue": s.is_overdue(now),
            }
            for s in service.reporting_status(session, accident)
        ],
        "history": [
            {
                "reported_at": u.reported_at.isoformat(),
                "deaths": u.deaths,
                "serious_injuries": u.serious_injuries,
                "direct_loss_yuan": str(u.direct_loss_yuan),
                "grade_after": u.grade_after,
                "is_counted": u.is_counted,
            }
            for u in repository.history(session, accident.id)
        ],
        "hazards_open_at_the_time": [
            {
                "number": link.hazard_number,
                "level": link.level,
                "state": link.state,
                "is_major": link.is_major,
            }
            for link in repository.links(session, accident.id)
        ],
    }


@accident_app.command("record")
def record(
    ctx: typer.Context,
    enterprise_id: Annotated[int, typer.Option(min=1)],
    title: Annotated[str, typer.Option()],
    occurred_at: Annotated[str, typer.Option(help="ISO time with offset")],
    kind: Annotated[
        AccidentKind, typer.Option(help="road_traffic and fire: 7-day window")
    ] = AccidentKind.other,
    deaths: Annotated[int, typer.Option(min=0)] = 0,
    serious_injuries: Annotated[int, typer.Option(min=0)] = 0,
    direct_loss_yuan: Annotated[str, typer.Option()] = "0",
    unit_reported_at: Annotated[str | None, typer.Option(help="when the unit reported to the county")] = None,
    description: Annotated[str, typer.Option()] = "",
    location: Annotated[str, typer.Option()] = "",
) -> None:
    """Record an accident (audited): graded, reporting deadlines set, hazards open at the time linked."""
    occurred = _time(occurred_at, "--occurred-at")
    assert occurred is not None
    draft = service.AccidentDraft(
        enterprise_id=enterprise_id,
        title=title,
        kind=kind,
        occurred_at=occurred,
        deaths=deaths,
        serious_injuries=serious_injuries,
        direct_loss_yuan=_yuan(direct_loss_yuan),
        description=description,
        location=location,
        unit_reported_at=_time(unit_reported_at, "--unit-reported-at"),
    )
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(document(uow.session, service.record_accident(uow.session, actor, draft)))


@accident_app.command("show")
def show(ctx: typer.Context, accident_id: int) -> None:
    """An accident with its reporting steps, figures history and the hazards open when it happened."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        emit_json(document(uow.session, service.get_accident(uow.session, actor, accident_id)))


@accident_app.command("list")
def list_command(
    ctx: typer.Context,
    division: Annotated[str, typer.Option(help="a 6-digit division code")] = "",
    open_major_hazard: Annotated[bool | None, typer.Option(help="only those with (or without) one")] = None,
    size: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    flt = repository.AccidentFilter(division=division, had_open_major_hazard=open_major_hazard)
    with rt.uow(write=False) as uow:
        result = repository.page(uow.session, actor, flt, PageRequest(1, size))
        emit_json(
            {"total": result.total, "items": [service.snapshot(a) | {"id": a.id} for a in result.items]}
        )


@accident_app.command("casualties")
def casualties(
    ctx: typer.Context,
    accident_id: int,
    deaths: Annotated[int, typer.Option(min=0)],
    serious_injuries: Annotated[int, typer.Option(min=0)],
    direct_loss_yuan: Annotated[str, typer.Option()],
    note: Annotated[str, typer.Option()] = "",
) -> None:
    """A supplementary report of the figures (补报): re-graded within the Art. 13 window, kept after it."""
    figures = Figures(deaths, serious_injuries, _yuan(direct_loss_yuan))
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        service.update_casualties(uow.session, actor, accident_id, figures, note)
        emit_json(document(uow.session, service.get_accident(uow.session, actor, accident_id)))


@accident_app.command("report-up")
def report_up(
    ctx: typer.Context,
    accident_id: int,
    reported_at: Annotated[str | None, typer.Option(help="when it went up; now if not given")] = None,
) -> None:
    """Record the acting level's report to the next level up (Art. 11)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        service.report_upward(uow.session, actor, accident_id, _time(reported_at, "--reported-at"))
        emit_json(document(uow.session, service.get_accident(uow.session, actor, accident_id)))


@accident_app.command("link")
def link(ctx: typer.Context, accident_id: int) -> None:
    """Recompute the hazards open when the accident happened (audited)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        found = service.relink_hazards(uow.session, actor, accident_id)
        emit_json(
            {
                "had_open_major_hazard": found.had_open_major_hazard,
                "hazards": [{"number": h.number, "level": h.level, "state": h.state} for h in found.hazards],
            }
        )


@accident_app.command("overdue")
def overdue(ctx: typer.Context) -> None:
    """Reports not made by their due time; exit 1 if there are any."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        found = service.overdue_reports(uow.session, actor)
        emit_json(
            [
                {
                    "accident_id": o.accident.id,
                    "title": o.accident.title,
                    "from": o.step.from_level,
                    "to": o.step.to_level.value,
                    "due_at": o.step.due_at.isoformat(),
                }
                for o in found
            ]
        )
    if found:
        raise typer.Exit(1)
