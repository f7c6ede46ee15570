"""`zhiben rules`, `zhiben gb18218` and `zhiben accident`: determination standards and the computations
regulators run most."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from zhiben.cli.runtime import EXIT_INPUT, console, emit_json, fail, progress_bar, runtime_of
from zhiben.enterprise import repository as enterprise_repository
from zhiben.enterprise.domain import SECTOR_BY_CODE
from zhiben.errors import NotFoundError
from zhiben.kit.clock import SHANGHAI
from zhiben.standards import checklist, gb18218, installations, pack, redetermine, schemas, seveso3
from zhiben.standards.accident import grade_accident
from zhiben.standards.engine import determine

rules_app = typer.Typer(help="Determination standards as rule packs (判定标准).", no_args_is_help=True)
accident_app = typer.Typer(help="Accidents (生产安全事故).", no_args_is_help=True)
SHOWN_CHANGES = 50


def gb18218_command(
    ctx: typer.Context,
    inventory: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="CSV: " + ", ".join(seveso3.COLUMNS))
    ],
    as_json: Annotated[bool, typer.Option("--json")] = False,
    regime: Annotated[
        Literal["gb18218", "seveso3"],
        typer.Option(help="gb18218: units under GB 18218-2018; seveso3: the establishment under Seveso III"),
    ] = "gb18218",
    store: Annotated[
        str | None,
        typer.Option(
            help="store each unit on this enterprise's facility of the same name (id or credit code; gb18218 only)"
        ),
    ] = None,
) -> None:
    """Identify and grade major hazard installations (重大危险源) under GB 18218-2018, unit by unit;
    or, with --regime seveso3, the whole establishment's Seveso III tier (Directive 2012/18/EU Annex I)."""
    try:
        text = inventory.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise fail("the inventory must be a UTF-8 CSV file", EXIT_INPUT) from exc
    if regime == "seveso3":
        if store is not None:
            raise fail("--store keeps GB 18218 units on facilities; it does not apply to seveso3", EXIT_INPUT)
        assessment = seveso3.assess(seveso3.read_inventory(csv.DictReader(text.splitlines())))
        if as_json:
            emit_json(seveso3.as_json(assessment))
            return
        for line in seveso3.summary(assessment):
            console.print(line, markup=False, highlight=False)
        return
    lines = gb18218.read_inventory(csv.DictReader(text.splitlines()))
    results = gb18218.identify(lines)
    if store is not None:
        rt = runtime_of(ctx)
        rt.require_migrated()
        principal = rt.principal()
        with rt.uow() as uow:
            installations.assess(uow.session, principal, _enterprise_id(uow.session, principal, store), lines)
        console.print(f"stored {len(results)} units on the enterprise's facilities")
    if as_json:
        emit_json({"units": [gb18218.as_json(result) for result in results]})
        return
    for result in results:
        verdict = f"重大危险源 {result.grade or '?'} 级" if result.is_major_hazard else "不构成重大危险源"
        r = f", R = {float(result.r):.2f}" if result.r is not None else ""
        console.print(f"{result.unit} ({result.unit_type}): S = {float(result.s):.3f}{r} → {verdict}")


@rules_app.command("check")
def rules_check(
    root: Annotated[
        Path, typer.Option(help="the folder of packs: <pack-id>/<version>.yaml")
    ] = pack.PACKS_DIR,
) -> None:
    """Validate every pack: schema, conditions, facts, sectors, examples, effective dates (exit 1 on a problem)."""
    problems: list[str] = []
    packs = []
    for path in pack.pack_files(root):
        try:
            loaded = pack.load_pack(path)
        except pack.PackError as exc:
            problems += [f"{path.relative_to(root)}: {p}" for p in exc.problems]
            continue
        packs.append(loaded)
        problems += [f"{path.relative_to(root)}: {p}" for p in pack.check_pack(loaded, SECTOR_BY_CODE)]
    problems += pack.check_effective_dates(packs) + pack.check_shared_facts(packs)
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    clauses = sum(len(p.clauses) for p in packs)
    console.print(f"{len(packs)} packs, {clauses} clauses, {len(problems)} problems")
    if problems:
        raise typer.Exit(1)


@rules_app.command("determine")
def rules_determine(
    ctx: typer.Context,
    sector: Annotated[str, typer.Option(help="the enterprise's sector code, e.g. coal_mine")],
    facts: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="JSON: fact name → value")],
    at: Annotated[
        str | None, typer.Option(help="the day to determine for, YYYY-MM-DD (default: today)")
    ] = None,
    drafts: Annotated[bool, typer.Option(help="also apply draft packs")] = False,
    root: Annotated[Path, typer.Option(help="the folder of packs")] = pack.PACKS_DIR,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which clauses of which pack versions the facts meet, and which facts are still missing."""
    if sector not in SECTOR_BY_CODE:
        raise fail(f"unknown sector {sector!r}; use one of: {', '.join(SECTOR_BY_CODE)}", EXIT_INPUT)
    try:
        given = json.loads(facts.read_text("utf-8"))
        day = date.fromisoformat(at) if at else runtime_of(ctx).clock.now().astimezone(SHANGHAI).date()
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"bad input: {exc}", EXIT_INPUT) from exc
    if not isinstance(given, dict):
        raise fail("the facts file holds one JSON object: fact name → value", EXIT_INPUT)
    result = determine(pack.load_all(root), sector, given, day, drafts=drafts)
    rows = [
        {
            "pack": m.pack,
            "version": m.version,
            "clause": m.clause,
            "major": True,
            "facts": m.facts,
            "citation": m.citation,
            "verification": m.verification,
            "checksum": m.checksum,
        }
        for m in result.met
    ]
    if as_json:
        emit_json(
            {
                "determinations": rows,
                "missing": list(result.missing),
                "packs": [{"pack": p, "version": v} for p, v in result.packs],
            }
        )
        return
    for row in rows:
        console.print(f"重大事故隐患 {row['pack']}/{row['clause']} ({row['version']}, {row['citation']})")
    if result.missing:
        console.print(f"still to answer: {', '.join(result.missing)}")


@accident_app.command("grade")
def accident_grade(
    deaths: Annotated[int, typer.Option(min=0, help="死亡人数")] = 0,
    serious_injuries: Annotated[
        int, typer.Option(min=0, help="重伤人数 (incl. acute industrial poisoning)")
    ] = 0,
    direct_loss_yuan: Annotated[str, typer.Option(help="直接经济损失, yuan")] = "0",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Grade an accident under Decree 493 Art. 3: the highest grade any criterion reaches."""
    try:
        loss = Decimal(direct_loss_yuan)
    except InvalidOperation as exc:
        raise fail("--direct-loss-yuan is a number of yuan", EXIT_INPUT) from exc
    if not loss.is_finite():
        raise fail("--direct-loss-yuan is a number of yuan", EXIT_INPUT)
    grading = grade_accident(deaths, serious_injuries, loss)
    decided_by = [
        {
            "criterion": d.criterion,
            "value": int(d.value) if d.value == d.value.to_integral_value() else float(d.value),
        }
        for d in grading.decided_by
    ]
    if as_json:
        emit_json({"grade": grading.grade.value, "decided_by": decided_by})
        return
    reasons = ", ".join(f"{d['criterion']} = {d['value']}" for d in decided_by)
    console.print(f"{grading.name_zh} ({grading.grade.value}), decided by {reasons}")


def _enterprise_id(session: Any, principal: Any, key: str) -> int:
    """An enterprise named by its id or its unified social credit code, within the caller's scope."""
    if key.isdigit() and len(key) < 18:
        return int(key)
    found = enterprise_repository.get_by_uscc(session, principal, key.strip().upper())
    if found is None:
        raise NotFoundError(kind="enterprise", key=key)
    return found.id


@rules_app.command("checklist")
def rules_checklist(
    ctx: typer.Context,
    enterprise: Annotated[str, typer.Argument(help="enterprise id or unified social credit code")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The questions of every pack that applies to the enterprise today, with the current answers."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    principal = rt.principal()
    with rt.uow(write=False) as uow:
        found = checklist.checklist(
            uow.session,
            principal,
            _enterprise_id(uow.session, principal, enterprise),
            checklist.installed_packs(),
        )
        questions = [schemas.QuestionRead.of(q).model_dump(mode="json") for q in found.questions]
    if as_json:
        emit_json(
            {
                "enterprise_id": found.enterprise_id,
                "on": found.on.isoformat(),
                "packs": [schemas.PackSummary.of(p).model_dump(mode="json") for p in found.packs],
                "questions": questions,
            }
        )
        return
    for q in questions:
        answer = q["answer"]["value"] if q["answer"] else "—"
        unit = f" [{q['unit']}]" if q["unit"] else ""
        console.print(f"{q['pack']}/{q['fact']}{unit}: {q['question']['zh']} → {answer}")


@rules_app.command("answer")
def rules_answer(
    ctx: typer.Context,
    enterprise: Annotated[str, typer.Argument(help="enterprise id or unified social credit code")],
    answers: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="JSON: fact name → answer")],
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Answer checklist questions (use --as for the answering user), then determine the enterprise again:
    a clause of a released pack that the facts meet raises a major hazard."""
    try:
        given = json.loads(answers.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"bad input: {exc}", EXIT_INPUT) from exc
    if not isinstance(given, dict):
        raise fail("the answers file holds one JSON object: fact name → answer", EXIT_INPUT)
    rt = runtime_of(ctx)
    rt.require_migrated()
    principal = rt.principal()
    with rt.uow() as uow:
        outcome = checklist.answer(
            uow.session,
            principal,
            _enterprise_id(uow.session, principal, enterprise),
            given,
            checklist.installed_packs(),
        )
    result = schemas.DeterminationRead.of(outcome).model_dump(mode="json")
    if as_json:
        emit_json(result)
        return
    console.print(f"{len(outcome.changed)} answers changed")
    for met in result["met"]:
        hazard = (
            f" → hazard {met['hazard_id']} ({met['hazard_action'] or 'unchanged'})"
            if met["hazard_id"]
            else ""
        )
        flag = " [provisional: draft pack]" if met["provisional"] else ""
        console.print(f"重大事故隐患 {met['pack']}/{met['clause']} ({met['citation']}){flag}{hazard}")
    if outcome.missing:
        console.print(f"still to answer: {', '.join(outcome.missing)}")


@rules_app.command("redetermine")
def rules_redetermine(
    ctx: typer.Context,
    pack_id: Annotated[str, typer.Option("--pack", help="pack id, e.g. coal-mine")],
    version: Annotated[str, typer.Option(help="the version to determine with, e.g. 2026.1")],
    against: Annotated[
        str | None, typer.Option(help="the version to compare with (default: the one it supersedes)")
    ] = None,
    apply: Annotated[
        bool, typer.Option(help="also re-determine the changed enterprises: newly met clauses raise hazards")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-evaluate every enterprise's current facts under a pack version and its predecessor; store and
    print the difference: newly major, no longer major, major under other clauses, unchanged."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    principal = rt.principal()
    with rt.uow() as uow, progress_bar("re-determining") as bar:
        task = bar.add_task("enterprises", total=None)
        run, changes = redetermine.redetermine(
            uow.session,
            principal,
            checklist.installed_packs(),
            pack_id,
            version,
            against=against,
            apply=apply,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
        summary = schemas.RedeterminationRead.model_validate(run).model_dump(mode="json")
    if as_json:
        emit_json(
            summary
            | {
                "changes": [
                    {
                        "enterprise_id": c.enterprise_id,
                        "change": c.change,
                        "before": c.before,
                        "after": c.after,
                    }
                    for c in changes
                ]
            }
        )
        return
    console.print(
        f"{run.pack} {run.version} against {run.against or 'nothing'}: {run.enterprises} enterprises; "
        f"newly major {run.newly_major}, no longer major {run.no_longer_major}, "
        f"still major {run.still_major}, still not major {run.still_not_major} (run {run.id})"
    )
    for c in changes[:SHOWN_CHANGES]:
        console.print(f"  enterprise {c.enterprise_id}: {c.change} {list(c.before)} → {list(c.after)}")
    if len(changes) > SHOWN_CHANGES:
        console.print(f"  … {len(changes) - SHOWN_CHANGES} more: GET /api/v1/redeterminations/{run.id}")
