"""`zhiben insurance ...`: liability insurance policies, the mandatory-cover check, visits and floating."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from zhiben.cli.runtime import EXIT_INPUT, emit_json, fail, runtime_of
from zhiben.insurance import service
from zhiben.insurance.domain import PolicyTerms
from zhiben.insurance.models import InsurancePolicy
from zhiben.insurance.repository import PolicyFilter
from zhiben.kit.pagination import PageRequest

insurance_app = typer.Typer(help="Safety liability insurance (安责险).", no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option} is YYYY-MM-DD: {exc}", EXIT_INPUT) from exc


def _yuan(value: str, option: str) -> Decimal:
    try:
        return Decimal(value)
    except InvalidOperation as exc:
        raise fail(f"{option} is an amount in yuan", EXIT_INPUT) from exc


def _row(policy: InsurancePolicy) -> dict[str, Any]:
    return {"id": policy.id, **service.snapshot(policy)}


@insurance_app.command("add-policy")
def add_policy(
    ctx: typer.Context,
    enterprise_id: int,
    insurer: Annotated[str, typer.Option(help="the insurer (its users' provider_org)")],
    number: Annotated[str, typer.Option(help="policy number")],
    starts_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    ends_on: Annotated[str, typer.Option(help="the last day of cover, YYYY-MM-DD")],
    premium: Annotated[str, typer.Option(help="premium, yuan")],
    cover_per_person: Annotated[str, typer.Option(help="death/disability cover per person, yuan")],
    headcount: Annotated[int | None, typer.Option(help="insured headcount")] = None,
) -> None:
    """Record a policy (audited); its insurer's users see the enterprise while it is in force."""
    start, end = _day(starts_on, "--starts-on"), _day(ends_on, "--ends-on")
    assert start is not None and end is not None
    terms = PolicyTerms(
        insurer,
        number,
        start,
        end,
        _yuan(premium, "--premium"),
        _yuan(cover_per_person, "--cover-per-person"),
        headcount,
    )
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(_row(service.record_policy(uow.session, actor, enterprise_id, terms)))


@insurance_app.command("cancel-policy")
def cancel_policy(
    ctx: typer.Context, policy_id: int, cancelled_on: Annotated[str, typer.Option(help="YYYY-MM-DD")]
) -> None:
    """Cancel a policy from a day (cover ends the day before)."""
    day = _day(cancelled_on, "--cancelled-on")
    assert day is not None
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(_row(service.cancel_policy(uow.session, actor, policy_id, day)))


@insurance_app.command("policies")
def policies(
    ctx: typer.Context,
    enterprise_id: Annotated[int | None, typer.Option()] = None,
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits")] = "",
    in_force_on: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    page: int = 1,
    size: int = 50,
) -> None:
    """Policies in scope, as JSON."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    flt = PolicyFilter(division, enterprise_id, None, _day(in_force_on, "--in-force-on"))
    with rt.uow(write=False) as uow:
        found = service.list_policies(uow.session, actor, flt, PageRequest(page, size))
        emit_json({"items": [_row(p) for p in found.items], "total": found.total})


@insurance_app.command("check-cover")
def check_cover(
    ctx: typer.Context,
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits")] = "",
    on: Annotated[str | None, typer.Option(help="YYYY-MM-DD; today by default")] = None,
) -> None:
    """Mandatory sectors without a policy in force, and policies below the least cover; exit 1 if any."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        findings = service.check_cover(uow.session, actor, _day(on, "--on"), division)
    emit_json([{k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(f).items()} for f in findings])
    if findings:
        raise typer.Exit(1)


@insurance_app.command("visit")
def visit(
    ctx: typer.Context,
    enterprise_id: int,
    summary: Annotated[str, typer.Option(help="what the visit covered")],
    visited_at: Annotated[str, typer.Option(help="ISO time with offset, e.g. 2026-03-02T10:00+08:00")],
    hazard: Annotated[list[str] | None, typer.Option(help="a hazard found (repeat the option)")] = None,
    experts: str = "",
) -> None:
    """Record a prevention-service visit as an insurer's user (`zhiben --as USER insurance visit ...`)."""
    try:
        at = datetime.fromisoformat(visited_at)
    except ValueError as exc:
        raise fail(f"--visited-at is an ISO time: {exc}", EXIT_INPUT) from exc
    if at.tzinfo is None:
        raise fail("--visited-at needs its UTC offset, e.g. +08:00", EXIT_INPUT)
    draft = service.VisitDraft(at, summary, experts, tuple(service.FoundHazard(h) for h in hazard or ()))
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        saved = service.record_visit(uow.session, actor, enterprise_id, draft)
        emit_json({"id": saved.id, "policy_id": saved.policy_id, "hazard_ids": saved.hazard_ids})


@insurance_app.command("floating")
def floating(
    ctx: typer.Context,
    enterprise_id: int,
    accidents: Annotated[
        str | None,
        typer.Option(help='accident counts by grade as JSON, e.g. {"ordinary": 1}; omitted: not counted'),
    ] = None,
    on: Annotated[str | None, typer.Option(help="end of the look-back period, YYYY-MM-DD")] = None,
) -> None:
    """Suggest the premium floating (上浮/下浮 percent) from the accident and hazard record."""
    try:
        counts = json.loads(accidents) if accidents is not None else None
    except json.JSONDecodeError as exc:
        raise fail(f"--accidents is JSON: {exc}", EXIT_INPUT) from exc
    if counts is not None and not (
        isinstance(counts, dict) and all(isinstance(v, int) for v in counts.values())
    ):
        raise fail('--accidents maps grades to whole counts, e.g. {"ordinary": 1}', EXIT_INPUT)
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        result = service.suggest_floating(uow.session, actor, enterprise_id, counts, _day(on, "--on"))
    emit_json(
        {
            "enterprise_id": result.enterprise_id,
            "since": result.since.isoformat(),
            "until": result.until.isoformat(),
            "accidents_given": result.accidents_given,
            "record": asdict(result.record),
            "pct": result.suggestion.pct,
            "is_capped": result.suggestion.is_capped,
            "steps": [asdict(s) for s in result.suggestion.steps],
        }
    )
