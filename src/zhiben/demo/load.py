"""Write the generated data set: COPY on PostgreSQL, executemany on SQLite; demo accounts through the services."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.auth.models import ServiceContract
from zhiben.auth.service import add_user
from zhiben.demo import generate
from zhiben.division.models import Division
from zhiben.enterprise.models import Enterprise
from zhiben.errors import ConflictError
from zhiben.hazard.models import Hazard, HazardCounter, RectificationPlan, Supervision
from zhiben.kit.clock import FrozenClock
from zhiben.monitoring import simulate
from zhiben.monitoring.ingest import Ingestor, IngestReport, sweep
from zhiben.monitoring.models import Sensor
from zhiben.monitoring.sensors import SensorDraft, register_sensor

Progress = Callable[[str, int], None]
DEMO_PASSWORD = "zhiben-demo-2026"
HISTORY = timedelta(hours=1)  # simulated readings before the data set's "today"
DEMO_FAULTS = simulate.Faults(dropout=0.003, stuck=0.002, spike=0.0002, dead=0.01)
DEMO_EXCURSIONS = {"methane": 2.0, "*": 0.3}  # per sensor and day: a few methane over-limits to show


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    division: str
    description: str


ACCOUNTS = (
    DemoAccount("admin", Role.admin, "", "系统管理员 administrator"),
    DemoAccount("mem", Role.regulator, "", "应急管理部 national regulator"),
    DemoAccount("jiangsu", Role.regulator, "320000", "江苏省应急管理厅 province regulator"),
    DemoAccount("suzhou", Role.regulator, "320500", "苏州市应急管理局 city regulator"),
    DemoAccount("wuzhong", Role.regulator, "320506", "吴中区应急管理局 county regulator"),
    DemoAccount("officer", Role.officer, "320500", "苏州市执法人员 enforcement officer"),
    DemoAccount(
        "housing", Role.department, "320500", "苏州市住建局 other department (construction, urban gas)"
    ),
    DemoAccount("insurer", Role.service_provider, "", "安责险承保机构 insurer (contracted enterprises)"),
    DemoAccount("enterprise", Role.enterprise, "", "企业安全管理员 enterprise safety manager"),
)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


def bulk_write(
    session: Session,
    table: str,
    columns: Sequence[str],
    rows: Iterable[dict[str, Any]],
    progress: Progress | None = None,
    batch: int = 20_000,
) -> int:
    """Append rows to a table as fast as the database allows; returns the count."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    written = 0
    iterator: Iterator[dict[str, Any]] = iter(rows)
    if not sqlite:
        raw = connection.connection.driver_connection
        assert raw is not None
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in iterator:
                copy.write_row([row[c] for c in columns])
                written += 1
                if progress and written % batch == 0:
                    progress(table, written)
    else:
        statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 (names from our metadata)
        raw = connection.connection.driver_connection
        assert raw is not None
        while chunk := list(islice(iterator, batch)):
            raw.executemany(statement, [[_sqlite_value(row[c]) for c in columns] for row in chunk])
            written += len(chunk)
            if progress:
                progress(table, written)
    if progress:
        progress(table, written)
    return written


def _counties(session: Session) -> list[generate.County]:
    cities = dict(session.execute(select(Division.code, Division.name).where(Division.level <= 2)).all())
    rows = session.execute(
        select(Division.code, Division.name, Division.parent_code).where(Division.level == 3)
    )
    return [generate.County(code, name, cities.get(parent, "")) for code, name, parent in rows]


def seed(
    session: Session,
    actor: Principal,
    scale: str,
    seed_value: int,
    as_of: datetime,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Seed an empty registry. Raises ConflictError when enterprises already exist."""
    if session.scalar(select(func.count()).select_from(Enterprise)):
        raise ConflictError(reason="the registry already has enterprises; seed an empty database")
    plan = generate.plan_for(scale)
    counties = _counties(session)
    firms: list[tuple[int, str, str]] = []

    def remember(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for row in rows:
            firms.append((row["id"], row["county_code"], row["sector"]))
            yield row

    enterprise_columns = [c.name for c in Enterprise.__table__.columns]
    counts = {
        "enterprises": bulk_write(
            session,
            Enterprise.__tablename__,
            enterprise_columns,
            remember(generate.enterprises(plan, counties, seed_value, as_of)),
            progress,
        )
    }
    counts.update(_write_hazards(session, plan, firms, seed_value, as_of, progress))
    _reset_sequences(session)
    counts.update(seed_monitoring(session, actor, firms, seed_value, as_of, progress))
    audit.record(
        session,
        actor.audit_name,
        "demo.seed",
        "dataset",
        f"{scale}-{seed_value}",
        after={"scale": scale, "seed": seed_value, "as_of": as_of.isoformat(), **counts},
    )
    return counts


def _write_hazards(
    session: Session,
    plan: generate.Plan,
    firms: list[tuple[int, str, str]],
    seed_value: int,
    as_of: datetime,
    progress: Progress | None,
) -> dict[str, int]:
    plans: list[dict[str, Any]] = []
    supervisions: list[dict[str, Any]] = []
    counters: dict[tuple[str, int], int] = {}
    hazard_columns = [c.name for c in Hazard.__table__.columns if c.name != "id"]

    def rows() -> Iterator[dict[str, Any]]:
        for hazard_id, generated in enumerate(generate.hazards(plan, firms, seed_value, as_of), start=1):
            row = generated.hazard
            row["id"] = hazard_id
            county, year, sequence = row["number"].split("-")
            counters[(county, int(year))] = int(sequence)
            if generated.plan:
                plans.append(generated.plan | {"hazard_id": hazard_id})
            if generated.supervision:
                supervisions.append(generated.supervision | {"hazard_id": hazard_id})
            yield row

    written = bulk_write(session, Hazard.__tablename__, ["id", *hazard_columns], rows(), progress)
    plan_columns = [c.name for c in RectificationPlan.__table__.columns if c.name != "id"]
    supervision_columns = [c.name for c in Supervision.__table__.columns if c.name != "id"]
    bulk_write(session, RectificationPlan.__tablename__, plan_columns, plans, progress)
    bulk_write(session, Supervision.__tablename__, supervision_columns, supervisions, progress)
    counter_rows = [{"county_code": c, "year": y, "last": n} for (c, y), n in counters.items()]
    bulk_write(session, HazardCounter.__tablename__, ["county_code", "year", "last"], counter_rows, progress)
    return {"hazards": written, "plans": len(plans), "supervisions": len(supervisions)}


def seed_monitoring(
    session: Session,
    actor: Principal,
    firms: Sequence[tuple[int, str, str]],
    seed_value: int,
    as_of: datetime,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Sensors for the monitored enterprises (registered through the service, each audited), then an
    hour of simulated readings up to `as_of` through the Ingestor: some alarms, some sensors offline."""
    chosen = generate.monitored(firms, seed_value)
    for enterprise_id, sector in chosen:
        for fields in generate.sensor_kit(enterprise_id, sector, seed_value):
            register_sensor(session, actor, enterprise_id, SensorDraft(**fields))
    if progress:
        progress("sensors", len(chosen))
    ids = [e for e, _ in chosen]
    rows = list(session.scalars(select(Sensor).where(Sensor.enterprise_id.in_(ids)).order_by(Sensor.id)))
    points = [simulate.point_of(r) for r in rows]
    sim = simulate.Simulator(points, seed_value, faults=DEMO_FAULTS, excursions_per_day=DEMO_EXCURSIONS)
    total, ingestor = IngestReport(), Ingestor()
    for moment, batch in simulate.history(sim, as_of - HISTORY, as_of):
        with _clock_at(session, moment):  # the history happens before the data set's "today"
            total.add(simulate.feed(session, ingestor, batch))
        if progress:
            progress("readings", total.stored)
    with _clock_at(session, as_of):
        after = 0
        while True:  # sensors gone quiet are offline by now
            after, swept = sweep(ingestor, session, after)
            total.alarms_opened += swept.alarms_opened
            if not after:
                break
    return {"sensors": len(rows), "readings": total.stored, "alarms": total.alarms_opened}


@contextmanager
def _clock_at(session: Session, moment: datetime) -> Iterator[None]:
    """Run services in this session as if it were `moment` (the session clock is what they read)."""
    saved = session.info.get("clock")
    session.info["clock"] = FrozenClock(moment)
    try:
        yield
    finally:
        session.info["clock"] = saved


def _reset_sequences(session: Session) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in ("enterprises", "hazards", "hazard_plans", "hazard_supervisions"):
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (fixed table names)
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def create_accounts(session: Session, actor: Principal, now: datetime) -> list[DemoAccount]:
    """The demo users; the enterprise user gets an enterprise in Wuzhong, the insurer twenty contracts."""
    firms = session.scalars(
        select(Enterprise.id).where(Enterprise.county_code == "320506").order_by(Enterprise.id).limit(21)
    ).all()
    for account in ACCOUNTS:
        add_user(
            session,
            actor,
            account.username,
            DEMO_PASSWORD,
            account.role,
            display_name=account.description,
            division_code=account.division,
            enterprise_id=firms[0] if account.role == Role.enterprise and firms else None,
            provider_org="江苏安责险共保体" if account.role == Role.service_provider else None,
            sectors=frozenset({"construction", "urban_gas"})
            if account.role == Role.department
            else frozenset(),
        )
    for enterprise_id in firms[1:]:
        session.add(
            ServiceContract(
                provider_org="江苏安责险共保体",
                enterprise_id=enterprise_id,
                kind="insurance",
                valid_from=(now - timedelta(days=100)).date(),
                valid_until=(now + timedelta(days=265)).date(),
            )
        )
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "demo.accounts",
        "dataset",
        "accounts",
        after={"usernames": [a.username for a in ACCOUNTS], "contracts": len(firms[1:])},
    )
    return list(ACCOUNTS)


def describe(accounts: Sequence[DemoAccount]) -> str:
    return json.dumps(
        [
            {
                "username": a.username,
                "password": DEMO_PASSWORD,
                "role": a.role.value,
                "division": a.division,
                "who": a.description,
            }
            for a in accounts
        ],
        ensure_ascii=False,
    )
