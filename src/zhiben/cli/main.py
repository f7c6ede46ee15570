"""zhiben's command line. Errors print a message and exit non-zero: 2 bad input, 3 not found, 4 conflict,
5 not allowed, 1 anything else. `--json` output is stable: see docs/cli.md."""

from __future__ import annotations

import getpass
import re
from dataclasses import asdict
from typing import Annotated, Any

import typer
import uvicorn
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup

from zhiben.accident.cli import accident_app
from zhiben.assessment.cli import assessment_app
from zhiben.audit import service as audit
from zhiben.auth import service as auth
from zhiben.auth.domain import Role
from zhiben.chain.cli import chain_app
from zhiben.cli.runtime import (
    EXIT_INPUT,
    console,
    emit_json,
    exit_code_for,
    fail,
    make_runtime,
    progress_bar,
    runtime_of,
)
from zhiben.db.engine import make_session_factory
from zhiben.db.schema import drift, upgrade
from zhiben.demo.cli import demo_app
from zhiben.division import service as divisions
from zhiben.dualprevention.cli import dualprevention_app
from zhiben.enforcement.cli import enforcement_app
from zhiben.enterprise.cli import enterprises_app
from zhiben.errors import ZhibenError
from zhiben.hazard import repository as hazard_repository
from zhiben.hazard.clearance import clearance as compute_clearance
from zhiben.hazard.domain import HazardState
from zhiben.insurance.cli import insurance_app
from zhiben.kit.pagination import PageRequest
from zhiben.monitoring.cli import monitoring_app
from zhiben.monitoring.simulate_cli import simulate_command
from zhiben.standards.cli import gb18218_command, rules_app
from zhiben.tipoff.cli import tipoff_app
from zhiben.training.cli import training_app
from zhiben.worker import mqtt_ingest
from zhiben.worker.scheduler import run_overdue_job


class ZhibenGroup(TyperGroup):
    """Turns a ZhibenError from any command into its message and exit code."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except ZhibenError as exc:
            console.print(f"[red]error:[/red] {exc.message('en')}")
            ctx.exit(exit_code_for(exc))


app = typer.Typer(
    cls=ZhibenGroup,
    help="治本 zhiben: major accident hazards, monitoring and enforcement.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
hazards_app = typer.Typer(help="Hazards (隐患).", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
divisions_app = typer.Typer(help="Administrative divisions (GB/T 2260).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(hazards_app, name="hazards")
app.add_typer(audit_app, name="audit")
app.add_typer(divisions_app, name="divisions")
app.add_typer(demo_app, name="demo")
app.add_typer(rules_app, name="rules")
app.add_typer(accident_app, name="accident")
app.command("gb18218")(gb18218_command)
app.add_typer(enterprises_app, name="enterprises")
app.add_typer(monitoring_app, name="monitoring")
app.add_typer(enforcement_app, name="enforcement")
app.add_typer(tipoff_app, name="tipoff")
app.add_typer(chain_app, name="chain")
app.add_typer(dualprevention_app, name="dualprevention")
app.add_typer(training_app, name="training")
app.add_typer(insurance_app, name="insurance")
app.add_typer(assessment_app, name="assessment")
app.command("simulate")(simulate_command)


@app.callback()
def root(
    ctx: typer.Context,
    acting_as: Annotated[
        str | None, typer.Option("--as", help="act as this user, within their scope")
    ] = None,
) -> None:
    ctx.obj = make_runtime(acting_as)


@app.command()
def serve(ctx: typer.Context, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the API (and web UI) with uvicorn."""
    from zhiben.web.app import create_app

    rt = runtime_of(ctx)
    rt.require_migrated()
    uvicorn.run(create_app(rt.settings, engine=rt.engine), host=host, port=port, log_level="info")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context) -> None:
    """Migrate the database to the current schema and load the division table."""
    rt = runtime_of(ctx)
    upgrade(rt.engine)
    with rt.uow() as uow:
        count = divisions.load_divisions(uow.session, rt.principal())
    console.print(f"database at the current schema; {count} divisions loaded")


@db_app.command("check")
def db_check(ctx: typer.Context) -> None:
    """Compare the migrated schema with the models (the drift check); exit 1 on any difference."""
    from zhiben.models import metadata

    differences = drift(runtime_of(ctx).engine, metadata)
    for item in differences:
        console.print(str(item))
    if differences:
        raise typer.Exit(1)
    console.print("no drift")


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: str,
    role: Annotated[Role, typer.Option(help="the user's role")],
    division: Annotated[str, typer.Option(help="jurisdiction, 6-digit code ('' = nation)")] = "",
    enterprise_id: Annotated[int | None, typer.Option(help="for enterprise users")] = None,
    provider_org: Annotated[str | None, typer.Option(help="for service providers")] = None,
    sectors: Annotated[str, typer.Option(help="for departments: comma-separated sector codes")] = "",
    display_name: str = "",
    password: Annotated[str | None, typer.Option(help="omit to be asked")] = None,
) -> None:
    """Add a user (administrators only)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    secret = password or getpass.getpass("password: ")
    with rt.uow() as uow:
        user = auth.add_user(
            uow.session,
            rt.principal(),
            username,
            secret,
            role,
            display_name=display_name,
            division_code=division,
            enterprise_id=enterprise_id,
            provider_org=provider_org,
            sectors=frozenset(s for s in sectors.split(",") if s),
        )
    console.print(f"user {user.username} ({user.role}) added")


STATUSES = (*(state.value for state in HazardState), "open", "overdue")
DIVISION_OPTION = re.compile(r"^(\d{2}|\d{4}|\d{6})?$")


def division_option(value: str) -> str:
    """A --division of 2, 4 or 6 digits as a 6-digit code ('' for the nation); exit 2 otherwise."""
    if not DIVISION_OPTION.match(value):
        raise fail("--division takes 2, 4 or 6 digits (province, city or county)", EXIT_INPUT)
    return value.ljust(6, "0") if value else ""


@hazards_app.command("list")
def hazards_list(
    ctx: typer.Context,
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits")] = "",
    status: Annotated[str | None, typer.Option(help="a state, or open / overdue")] = None,
    level: Annotated[str | None, typer.Option(help="major or general")] = None,
    sector: str | None = None,
    page: int = 1,
    size: int = 50,
    as_json: Annotated[bool, typer.Option("--json", help="stable JSON on stdout")] = False,
) -> None:
    """List hazards in the acting user's scope."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    if status is not None and status not in STATUSES:
        raise fail(f"--status is one of: {', '.join(STATUSES)}", EXIT_INPUT)
    if level is not None and level not in ("major", "general"):
        raise fail("--level is major or general", EXIT_INPUT)
    flt = hazard_repository.HazardFilter(
        division=division_option(division), state=status, level=level, sector=sector
    )
    try:
        request = PageRequest(page, size)
    except ValueError as exc:
        raise fail(str(exc), EXIT_INPUT) from exc
    with rt.uow(write=False) as uow:
        result = hazard_repository.page(uow.session, rt.principal(), flt, request)
        rows = [
            {
                "id": h.id,
                "number": h.number,
                "enterprise_id": h.enterprise_id,
                "county_code": h.county_code,
                "sector": h.sector,
                "level": h.level,
                "state": h.state,
                "is_overdue": h.is_overdue,
                "deadline_at": h.deadline_at.isoformat() if h.deadline_at else None,
                "listed_level": h.listed_level,
                "reported_at": h.reported_at.isoformat(),
                "description": h.description,
            }
            for h in result.items
        ]
    if as_json:
        emit_json({"items": rows, "total": result.total, "page": result.page, "size": result.size})
        return
    from rich.table import Table

    table = Table(
        "编号 number", "级别 level", "状态 state", "逾期 overdue", "期限 deadline", "描述 description"
    )
    for row in rows:
        table.add_row(
            str(row["number"]),
            str(row["level"] or "—"),
            str(row["state"]),
            "是" if row["is_overdue"] else "",
            str(row["deadline_at"] or "")[:10],
            str(row["description"])[:40],
        )
    console.print(table)
    console.print(f"{result.total} hazards")


@hazards_app.command("mark-overdue")
def hazards_mark_overdue(ctx: typer.Context) -> None:
    """The scheduled job: flag hazards past their deadline and escalate overdue major hazards."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    levels = 1 if rt.settings.escalate_overdue_major else 0
    marked = run_overdue_job(make_session_factory(rt.engine), rt.clock, levels)
    console.print(f"{marked} hazards newly overdue")


@app.command("clearance")
def clearance_command(
    ctx: typer.Context,
    division: Annotated[str, typer.Option(help="2, 4 or 6 digits; empty for the nation")] = "",
    sector: str | None = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Dynamic clearance (动态清零) for a division and its direct children."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    code = division_option(division)
    with rt.uow(write=False) as uow:
        if code:
            divisions.get_division(uow.session, code)
        result = compute_clearance(uow.session, rt.principal(), code, rt.clock.now(), sector)
    if as_json:
        emit_json(asdict(result))
        return
    from rich.table import Table

    table = Table(
        "区划 division", "在办重大 open", "逾期 overdue", "按期销号 on time", "逾期销号 late", "整改率 rate"
    )
    for row in [result, *result.children]:
        rate = f"{row.rectification_rate:.1%}" if row.rectification_rate is not None else "—"
        table.add_row(
            f"{row.division_code} {row.division_name}",
            str(row.open_major),
            str(row.overdue_major),
            str(row.closed_on_time),
            str(row.closed_late),
            rate,
        )
    console.print(table)


@audit_app.command("verify")
def audit_verify(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Recompute the hash chain; name the first entry that was edited, deleted or reordered (exit 1)."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    with rt.uow(write=False) as uow, progress_bar("校验审计链 verifying") as bar:
        task = bar.add_task("verify", total=None)
        count, found = audit.verify_chain(uow.session, progress=lambda n: bar.update(task, completed=n))
        head_seq, head_hash = audit.head_of(uow.session)  # same snapshot as the walk
    if as_json:
        emit_json(
            {
                "head_seq": head_seq,
                "head_hash": head_hash,
                "entries": count,
                "intact": found is None,
                "first_bad_seq": found.seq if found else None,
                "reason": found.reason if found else None,
            }
        )
    if found is not None:
        console.print(f"[red]audit chain broken at entry {found.seq}: {found.reason}[/red]")
        raise typer.Exit(1)
    console.print(f"audit chain intact: {count} entries; head {head_seq} {head_hash}")
    console.print("keep the head outside this database (print it, mail it): it anchors the chain")


@divisions_app.command("search")
def divisions_search(ctx: typer.Context, text: str) -> None:
    """Find divisions by name."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    with rt.uow(write=False) as uow:
        for d in divisions.search(uow.session, text):
            console.print(f"{d.code} {d.name} (level {d.level})")


@monitoring_app.command("worker")
def monitoring_worker(
    ctx: typer.Context,
    mqtt: Annotated[str, typer.Option(help="the broker, e.g. mqtt://127.0.0.1:1883")],
    partitions: Annotated[str, typer.Option(help="partitions to take: all, 0-7, 0,2,4-6")] = "all",
    client_id: Annotated[
        str | None, typer.Option(help="the persistent session's id (default: zhiben-<partitions>)")
    ] = None,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="messages per transaction at most")] = 50,
    linger_ms: Annotated[int, typer.Option(min=0, max=10_000, help="wait this long to fill a batch")] = 200,
    topic_prefix: Annotated[str, typer.Option(help="topics are <prefix>/<partition>/<enterprise id>")] = (
        mqtt_ingest.TOPIC_PREFIX
    ),
    group: Annotated[str, typer.Option(help="the shared-subscription group")] = mqtt_ingest.SHARE_GROUP,
) -> None:
    """Ingest gateway batches from the MQTT broker (QoS 1, acknowledged after commit) until stopped."""
    rt = runtime_of(ctx)
    rt.require_migrated()
    try:
        broker, chosen = mqtt_ingest.Broker.of(mqtt), mqtt_ingest.parse_partitions(partitions)
    except ValueError as exc:
        raise fail(str(exc), EXIT_INPUT) from exc
    name = client_id or f"zhiben-{partitions.replace(',', '_')}"
    worker = mqtt_ingest.MqttWorker(
        broker,
        make_session_factory(rt.engine),
        rt.clock,
        chosen,
        name,
        batch=batch,
        linger_s=linger_ms / 1000,
        prefix=topic_prefix,
        group=group,
    )
    mqtt_ingest.stop_on_signals(worker)
    console.print(f"ingesting partitions {partitions} from {broker.host}:{broker.port} as {name}")
    totals = worker.run()
    console.print(
        f"stopped: {totals.messages} messages, {totals.stored} readings stored, {totals.dead_letters} dead letters"
    )


def main() -> None:
    app()
