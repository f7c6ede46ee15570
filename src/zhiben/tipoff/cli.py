"""`zhiben tipoff ...`: submit, status (by receipt code), list, show, reporter, start, substantiate, dismiss,
outcome, fine, overdue."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from zhiben.cli.runtime import EXIT_INPUT, emit_json, fail, runtime_of
from zhiben.db.uow import session_clock
from zhiben.hazard.domain import HazardLevel
from zhiben.kit.pagination import PageRequest
from zhiben.tipoff import repository, service
from zhiben.tipoff.domain import Submission, display_receipt_code
from zhiben.tipoff.models import Tipoff

tipoff_app = typer.Typer(help="Tip-offs (举报): receipt codes, verification, rewards.", no_args_is_help=True)


def document(session: Any, tipoff: Tipoff) -> dict[str, Any]:
    due = service.deadlines_of(tipoff, session_clock(session).now())
    return service.snapshot(tipoff) | {
        "id": tipoff.id,
        "content": tipoff.content,
        "finding": tipoff.finding,
        "feedback_due_at": due.feedback_due_at.isoformat() if due.feedback_due_at else None,
        "is_feedback_overdue": due.is_feedback_overdue,
        "verification_due_at": due.verification_due_at.isoformat() if due.verification_due_at else None,
        "is_verification_overdue": due.is_verification_overdue,
    }


@tipoff_app.command("submit")
def submit(
    ctx: typer.Context,
    county_code: Annotated[str, typer.Option(help="the county the tip-off concerns")],
    content: Annotated[str, typer.Option()],
    enterprise_uscc: Annotated[str, typer.Option()] = "",
    enterprise_name: Annotated[str, typer.Option()] = "",
    place: Annotated[str, typer.Option()] = "",
    reporter_name: Annotated[str, typer.Option()] = "",
    reporter_contact: Annotated[str, typer.Option()] = "",
    channel: Annotated[
        str, typer.Option(help="hotline | letter | visit (entered by a regulator)")
    ] = "hotline",
) -> None:
    """Enter a tip-off received by hotline, letter or visit (acting as a regulator); prints the receipt code."""
    submission = Submission(
        county_code, content, enterprise_uscc, enterprise_name, place, reporter_name, reporter_contact
    )
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        tipoff, code = service.submit_tipoff(uow.session, actor, submission, channel=channel)
        emit_json({"id": tipoff.id, "receipt_code": display_receipt_code(code)})


@tipoff_app.command("status")
def status(ctx: typer.Context, receipt_code: str) -> None:
    """What the public sees for a receipt code: the state and the published outcome."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    with rt.uow(write=False) as uow:
        found = service.status_by_receipt(uow.session, receipt_code)
    emit_json(
        {
            "state": found.state.value,
            "received_at": found.received_at.isoformat(),
            "concluded_at": found.concluded_at.isoformat() if found.concluded_at else None,
            "public_outcome": found.public_outcome,
        }
    )


@tipoff_app.command("list")
def list_command(
    ctx: typer.Context,
    state: Annotated[str | None, typer.Option()] = None,
    size: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        result = repository.page(uow.session, actor, repository.TipoffFilter(state), PageRequest(1, size))
        emit_json({"total": result.total, "items": [document(uow.session, t) for t in result.items]})


@tipoff_app.command("show")
def show(ctx: typer.Context, tipoff_id: int) -> None:
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        emit_json(document(uow.session, service.get_tipoff(uow.session, actor, tipoff_id)))


@tipoff_app.command("reporter")
def reporter(ctx: typer.Context, tipoff_id: int) -> None:
    """The reporter's name and contact: only a regulator of the tip-off's division (use --as); audited."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        found = service.reporter_of(uow.session, actor, tipoff_id)
        emit_json({"name": found.name, "contact": found.contact})


@tipoff_app.command("start")
def start(ctx: typer.Context, tipoff_id: int) -> None:
    """Start verifying (核查)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(document(uow.session, service.start_verification(uow.session, actor, tipoff_id)))


@tipoff_app.command("substantiate")
def substantiate(
    ctx: typer.Context,
    tipoff_id: int,
    enterprise_id: Annotated[int, typer.Option(min=1)],
    hazard_description: Annotated[str, typer.Option(help="the hazard as found on site")],
    finding: Annotated[str, typer.Option()],
    level: Annotated[HazardLevel | None, typer.Option()] = None,
    clause: Annotated[
        str, typer.Option(help="for a major hazard: pack/version/clause, e.g. hazchem/2017/12")
    ] = "",
    location: Annotated[str, typer.Option()] = "",
    public_outcome: Annotated[str, typer.Option()] = "",
) -> None:
    """The tip-off is true: report the hazard (source tipoff) and conclude."""
    citation = None
    if clause:
        parts = clause.split("/")
        if len(parts) != 3:
            raise fail("--clause is pack/version/clause", EXIT_INPUT)
        citation = {"pack": parts[0], "version": parts[1], "clause": parts[2]}
    result = service.Substantiation(
        enterprise_id, hazard_description, finding, level, citation, location, public_outcome
    )
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(document(uow.session, service.substantiate_tipoff(uow.session, actor, tipoff_id, result)))


@tipoff_app.command("dismiss")
def dismiss(
    ctx: typer.Context,
    tipoff_id: int,
    finding: Annotated[str, typer.Option()],
    public_outcome: Annotated[str, typer.Option()] = "",
) -> None:
    """The verification found nothing (不属实)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        tipoff = service.dismiss_tipoff(uow.session, actor, tipoff_id, finding, public_outcome)
        emit_json(document(uow.session, tipoff))


@tipoff_app.command("outcome")
def outcome(ctx: typer.Context, tipoff_id: int, text: str) -> None:
    """Publish the outcome the receipt code shows (the feedback)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(document(uow.session, service.publish_outcome(uow.session, actor, tipoff_id, text)))


@tipoff_app.command("fine")
def fine(ctx: typer.Context, tipoff_id: int, fine_yuan: str) -> None:
    """Record the fine; the reward (15 %, within 3,000-300,000 yuan) follows."""
    try:
        amount = Decimal(fine_yuan)
    except InvalidOperation as exc:
        raise fail("the fine is a number of yuan", EXIT_INPUT) from exc
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(document(uow.session, service.record_fine(uow.session, actor, tipoff_id, amount)))


@tipoff_app.command("overdue")
def overdue(ctx: typer.Context) -> None:
    """Tip-offs past a verification or feedback deadline; exit 1 if any."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        found = [document(uow.session, t) for t, _ in service.overdue_tipoffs(uow.session, actor)]
    emit_json(found)
    if found:
        raise typer.Exit(1)
