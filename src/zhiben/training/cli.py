"""`zhiben training ...`: certificates of competence, their warnings, and the daily fact refresh."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

import typer

from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, fail, runtime_of
from zhiben.kit.pagination import PageRequest
from zhiben.training import service
from zhiben.training.domain import CertificateKind, rules
from zhiben.training.models import Certificate
from zhiben.training.repository import CertificateFilter

training_app = typer.Typer(help="Training and competence (培训考核): certificates.", no_args_is_help=True)


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise fail(f"{option} is YYYY-MM-DD: {exc}", EXIT_INPUT) from exc


def _row(cert: Certificate) -> dict[str, Any]:
    return {"id": cert.id, **service.snapshot(cert)}


@training_app.command("add")
def add(
    ctx: typer.Context,
    enterprise_id: Annotated[int, typer.Argument(help="the enterprise the person works for")],
    name: Annotated[str, typer.Option(help="the holder's name")],
    id_number: Annotated[str, typer.Option(help="resident ID number (stored masked and as a keyed digest)")],
    kind: Annotated[CertificateKind, typer.Option(help="principal, safety_manager or special_operation")],
    number: Annotated[str, typer.Option(help="certificate number")],
    issuer: Annotated[str, typer.Option(help="issuing authority")],
    issued_on: Annotated[str, typer.Option(help="YYYY-MM-DD")],
    valid_until: Annotated[str, typer.Option(help="the last valid day printed on it, YYYY-MM-DD")],
    operation_type: Annotated[str, typer.Option(help="作业类别 of a special-operation certificate")] = "",
) -> None:
    """Record a certificate (audited); the enterprise's certificate facts are set again."""
    issued, until = _day(issued_on, "--issued-on"), _day(valid_until, "--valid-until")
    assert issued is not None and until is not None
    draft = service.CertificateDraft(name, id_number, kind, number, issuer, issued, until, operation_type)
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    key = rt.settings.resolved_secret_key().encode("utf-8")
    with rt.uow() as uow:
        cert = service.record_certificate(uow.session, actor, enterprise_id, draft, key)
        emit_json(_row(cert))


@training_app.command("list")
def list_(
    ctx: typer.Context,
    enterprise_id: Annotated[int | None, typer.Option(help="one enterprise")] = None,
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits")] = "",
    kind: Annotated[CertificateKind | None, typer.Option()] = None,
    page: int = 1,
    size: int = 50,
) -> None:
    """Certificates in scope, soonest to expire first, as JSON."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    flt = CertificateFilter(division, enterprise_id, kind.value if kind else None)
    with rt.uow(write=False) as uow:
        found = service.list_certificates(uow.session, actor, flt, PageRequest(page, size))
        emit_json({"items": [_row(c) for c in found.items], "total": found.total})


@training_app.command("warnings")
def warnings(
    ctx: typer.Context,
    within_days: Annotated[int | None, typer.Option(help="the warning window N (days)")] = None,
    on: Annotated[str | None, typer.Option(help="the day judged, YYYY-MM-DD; today by default")] = None,
    enterprise_id: Annotated[int | None, typer.Option()] = None,
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits")] = "",
) -> None:
    """Expired and expiring certificates, and reviews due, as JSON."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow(write=False) as uow:
        found = service.certificate_warnings(
            uow.session, actor, CertificateFilter(division, enterprise_id), _day(on, "--on"), within_days
        )
        emit_json(
            [
                {
                    **asdict(w.warning),
                    "due_on": w.warning.due_on.isoformat(),
                    "certificate": _row(w.certificate),
                }
                for w in found
            ]
        )


@training_app.command("refresh-facts")
def refresh_facts(
    ctx: typer.Context,
    on: Annotated[str | None, typer.Option(help="the day, YYYY-MM-DD; today by default")] = None,
    since: Annotated[
        str | None, typer.Option(help="first day of lapses to pick up; a week before by default")
    ] = None,
) -> None:
    """Set again the certificate facts of enterprises whose certificates lapsed or began lately (the daily job)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        day = _day(on, "--on") or service.today(uow.session)
        synced = service.refresh_certificate_facts(uow.session, actor, day, _day(since, "--since"))
        emit_json(
            [
                {
                    "enterprise_id": s.enterprise_id,
                    "facts": s.facts,
                    "hazards": [m.hazard_id for m in (s.outcome.met if s.outcome else ()) if m.hazard_action],
                }
                for s in synced
            ]
        )
    console.print(f"{len(synced)} enterprises refreshed")


@training_app.command("revoke")
def revoke(ctx: typer.Context, certificate_id: int) -> None:
    """The issuer revoked a certificate."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(_row(service.revoke_certificate(uow.session, actor, certificate_id)))


@training_app.command("withdraw")
def withdraw(ctx: typer.Context, certificate_id: int) -> None:
    """The holder left the enterprise."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    actor = rt.principal()
    with rt.uow() as uow:
        emit_json(_row(service.withdraw_certificate(uow.session, actor, certificate_id)))


@training_app.command("rules")
def rules_() -> None:
    """The certificate kinds with their legal basis and the recalled (R) figures."""
    emit_json({k.value: asdict(r) for k, r in rules().kinds.items()})
