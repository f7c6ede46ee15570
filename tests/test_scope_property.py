"""Scope as a property: whoever asks, through whichever endpoint, nothing outside their area is
returned, counted, or changed, and an out-of-scope id answers 404 exactly like one that never existed.

Hypothesis draws a small world (enterprises in real counties, hazards at various stages, service
contracts) and a few principals of every role. The database is emptied and rebuilt for each example.
Expected visibility is computed here from plain rows with a plain predicate; the app's scope code is
never consulted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Table, insert, select

from tests.builders import Db, five_implementations
from zhiben.audit.models import AuditEntry, AuditHead
from zhiben.auth.domain import SYSTEM, Role
from zhiben.auth.models import ServiceContract, User
from zhiben.auth.service import issue_token
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel
from zhiben.kit.clock import SHANGHAI
from zhiben.models import metadata
from zhiben.web.app import create_app

COUNTIES = ("320311", "320312", "320115", "440305", "440304")
# The scope prefix of each jurisdiction used here, written out by hand (GB/T 2260 structure).
PREFIX = {
    "": "",
    "320000": "32",
    "320300": "3203",
    "320100": "3201",
    "320311": "320311",
    "320312": "320312",
    "440000": "44",
    "440300": "4403",
    "440305": "440305",
}
# The `division` filter takes 2, 4 or 6 digits; a 6-digit city or province code means the whole of it.
FILTER_PREFIX = {
    "": "",
    "32": "32",
    "3203": "3203",
    "320311": "320311",
    "44": "44",
    "440300": "4403",
    "440305": "440305",
}
SECTORS = ("hazchem_production", "coal_mine", "fireworks")
ORGS = ("平安财险", "人保财险")
# Contract terms as days from today: a provider sees an enterprise only while a contract is in force.
TERMS = {"in_force": (-30, 335), "ends_today": (-365, 0), "expired": (-400, -1), "future": (1, 366)}
STAGES = ("reported", "determined", "planned", "extension")
KEEP_TABLES = {"divisions", "division_datasets", "alembic_version"}
CHILD_TABLES = ("hazard_plans", "hazard_supervisions", "hazard_extensions", "hazard_evidence")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
MISSING_ID = 2_000_000_000


@dataclass(frozen=True)
class EnterpriseSpec:
    county: str
    sector: str


@dataclass(frozen=True)
class HazardSpec:
    enterprise: int  # index into the world's enterprises
    level: str | None
    stage: str


@dataclass(frozen=True)
class PrincipalSpec:
    role: Role
    division: str
    sectors: frozenset[str]
    enterprise: int
    org: str


@dataclass(frozen=True)
class World:
    enterprises: list[EnterpriseSpec]
    hazards: list[HazardSpec]
    contracts: frozenset[tuple[str, int, str]]  # (organisation, enterprise index, term)
    principals: list[PrincipalSpec]
    enterprise_filters: list[dict[str, str]]
    hazard_filters: list[dict[str, str]]
    clearance_division: str


@st.composite
def worlds(draw: st.DrawFn) -> World:
    enterprises = draw(
        st.lists(
            st.builds(EnterpriseSpec, st.sampled_from(COUNTIES), st.sampled_from(SECTORS)),
            min_size=1,
            max_size=4,
        )
    )
    index = st.integers(0, len(enterprises) - 1)
    hazard_specs = draw(
        st.lists(
            st.builds(
                HazardSpec, index, st.sampled_from(["major", "general", None]), st.sampled_from(STAGES)
            ),
            max_size=4,
        )
    )
    principals = draw(
        st.lists(
            st.builds(
                PrincipalSpec,
                st.sampled_from(list(Role)),
                st.sampled_from(sorted(PREFIX)),
                st.frozensets(st.sampled_from(SECTORS), max_size=2),
                index,
                st.sampled_from(ORGS),
            ),
            min_size=1,
            max_size=3,
        )
    )
    division = st.sampled_from(sorted(FILTER_PREFIX))
    enterprise_filters = draw(
        st.lists(
            st.fixed_dictionaries({}, optional={"division": division, "sector": st.sampled_from(SECTORS)}),
            max_size=2,
        )
    )
    hazard_filters = draw(
        st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "division": division,
                    "sector": st.sampled_from(SECTORS),
                    "level": st.sampled_from(["major", "general"]),
                    "state": st.sampled_from(["reported", "determined", "planned", "open", "closed"]),
                },
            ),
            max_size=3,
        )
    )
    return World(
        enterprises=enterprises,
        hazards=hazard_specs,
        contracts=draw(
            st.frozensets(st.tuples(st.sampled_from(ORGS), index, st.sampled_from(sorted(TERMS))), max_size=3)
        ),
        principals=principals,
        enterprise_filters=enterprise_filters,
        hazard_filters=hazard_filters,
        clearance_division=draw(st.sampled_from(["320000", "320300", "320311", "440000", "440305"])),
    )


# --- the independent model of who sees what -------------------------------------------------------


@dataclass
class Caller:
    role: Role
    prefix: str
    sectors: frozenset[str]
    enterprise_id: int | None
    org: str | None
    headers: dict[str, str] = field(default_factory=dict)


def sees_enterprise(caller: Caller, enterprise: dict[str, Any], contracts: set[tuple[str, int]]) -> bool:
    in_area = enterprise["county_code"].startswith(caller.prefix)
    match caller.role:
        case Role.admin:
            return True
        case Role.regulator | Role.officer:
            return in_area
        case Role.department:
            return in_area and enterprise["sector"] in caller.sectors
        case Role.enterprise:
            return enterprise["id"] == caller.enterprise_id
        case Role.service_provider:
            return (caller.org, enterprise["id"]) in contracts
    raise AssertionError(caller.role)


@dataclass
class Snapshot:
    """Every row that scope protects, as plain dictionaries."""

    tables: dict[str, dict[Any, dict[str, Any]]]
    contracts: set[tuple[str, int]]  # (organisation, enterprise id) of the contracts in force today

    @property
    def enterprises(self) -> dict[Any, dict[str, Any]]:
        return self.tables["enterprises"]

    @property
    def hazards(self) -> dict[Any, dict[str, Any]]:
        return self.tables["hazards"]


def snapshot(db: Db) -> Snapshot:
    tables: dict[str, dict[Any, dict[str, Any]]] = {}
    with db.engine.connect() as connection:
        for name in ("enterprises", "hazards", *CHILD_TABLES, "service_contracts"):
            table = metadata.tables[name]
            tables[name] = {row["id"]: dict(row) for row in connection.execute(select(table)).mappings()}
        tables["audit_entries"] = {
            row["seq"]: dict(row) for row in connection.execute(select(AuditEntry.__table__)).mappings()
        }
    today = db.clock.now().astimezone(SHANGHAI).date()
    contracts = {
        (c["provider_org"], c["enterprise_id"])
        for c in tables["service_contracts"].values()
        if c["valid_from"] <= today <= c["valid_until"]
    }
    return Snapshot(tables, contracts)


@dataclass
class Visible:
    enterprises: set[int]
    hazards: set[int]


def visibility(caller: Caller, snap: Snapshot) -> Visible:
    enterprises = {i for i, e in snap.enterprises.items() if sees_enterprise(caller, e, snap.contracts)}
    # A hazard belongs to its enterprise: whoever sees the enterprise sees its hazards, nobody else.
    return Visible(enterprises, {i for i, h in snap.hazards.items() if h["enterprise_id"] in enterprises})


def expected_hazards(snap: Snapshot, visible: Visible, flt: dict[str, str]) -> set[int]:
    def keep(h: dict[str, Any]) -> bool:
        enterprise = snap.enterprises[h["enterprise_id"]]
        state = flt.get("state")
        return (
            h["county_code"].startswith(FILTER_PREFIX[flt.get("division", "")])
            and flt.get("sector", enterprise["sector"]) == enterprise["sector"]
            and flt.get("level", h["level"]) == h["level"]
            and (state is None or (h["is_open"] if state == "open" else h["state"] == state))
        )

    return {i for i in visible.hazards if keep(snap.hazards[i])}


# --- building each example's world ----------------------------------------------------------------


def empty(db: Db) -> None:
    with db.engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                connection.execute(table.delete())
        connection.execute(insert(AuditHead.__table__).values(id=1, seq=0, hash="0" * 64))


def build(db: Db, world: World) -> tuple[list[int], list[Caller]]:
    ids = [db.enterprise(e.county, e.sector) for e in world.enterprises]
    today = db.clock.now().astimezone(SHANGHAI).date()
    with db.uow() as uow:
        for org, index, term in sorted(world.contracts):
            start, end = (today + timedelta(days=d) for d in TERMS[term])
            uow.session.add(
                ServiceContract(
                    provider_org=org,
                    enterprise_id=ids[index],
                    kind="insurance",
                    valid_from=start,
                    valid_until=end,
                )
            )
    for spec in world.hazards:
        level = HazardLevel(spec.level) if spec.level else None
        hazard_id = db.hazard(ids[spec.enterprise], level=level)
        if level is None or spec.stage in ("reported", "determined"):
            continue
        db.act(hazards.plan_rectification, SYSTEM, hazard_id, five_implementations(db.clock))
        if spec.stage == "extension":
            later = db.clock.now() + timedelta(days=60)
            db.act(hazards.request_extension, SYSTEM, hazard_id, later, "设备到货延迟")
    callers = []
    for spec in world.principals:
        principal = db.user(
            spec.role,
            division=spec.division,
            enterprise_id=ids[spec.enterprise] if spec.role == Role.enterprise else None,
            provider_org=spec.org if spec.role == Role.service_provider else None,
            sectors=",".join(sorted(spec.sectors)) if spec.role == Role.department else "",
        )
        callers.append(
            Caller(
                role=principal.role,
                prefix=PREFIX[principal.division_code],
                sectors=principal.sectors,
                enterprise_id=principal.enterprise_id,
                org=principal.provider_org,
                headers=token_header(db, principal.user_id),
            )
        )
    return ids, callers


def token_header(db: Db, user_id: int) -> dict[str, str]:
    with db.uow(write=False) as uow:
        user = uow.session.get(User, user_id)
        assert user is not None
        token = issue_token(user, db.settings().secret_key, db.clock.now(), timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


# --- the checks -----------------------------------------------------------------------------------


def assert_not_found(response: Any, what: str) -> None:
    assert response.status_code == 404, f"{what}: {response.status_code} {response.text}"
    assert response.json()["error"]["code"] == "not_found", what


def check_reads(client: TestClient, caller: Caller, snap: Snapshot, world: World) -> None:
    visible = visibility(caller, snap)
    h = caller.headers

    listed = client.get("/api/v1/enterprises", params={"size": 500}, headers=h).json()
    assert {e["id"] for e in listed["items"]} == visible.enterprises, caller
    assert listed["total"] == len(visible.enterprises)
    for flt in world.enterprise_filters:
        body = client.get("/api/v1/enterprises", params={**flt, "size": 500}, headers=h).json()
        expected = {
            i
            for i in visible.enterprises
            if snap.enterprises[i]["county_code"].startswith(FILTER_PREFIX[flt.get("division", "")])
            and flt.get("sector", snap.enterprises[i]["sector"]) == snap.enterprises[i]["sector"]
        }
        assert {e["id"] for e in body["items"]} == expected, (caller, flt)
        assert body["total"] == len(expected)
    for enterprise_id in [*snap.enterprises, MISSING_ID]:
        response = client.get(f"/api/v1/enterprises/{enterprise_id}", headers=h)
        if enterprise_id in visible.enterprises:
            assert response.status_code == 200, response.text
        else:
            assert_not_found(response, f"enterprise {enterprise_id} for {caller}")

    for flt in [{}, *world.hazard_filters]:
        body = client.get("/api/v1/hazards", params={**flt, "size": 500}, headers=h).json()
        expected = expected_hazards(snap, visible, flt)
        assert {x["id"] for x in body["items"]} == expected, (caller, flt)
        assert body["total"] == len(expected), (caller, flt)
    for enterprise_id in snap.enterprises:
        body = client.get("/api/v1/hazards", params={"enterprise_id": enterprise_id}, headers=h).json()
        expected = {i for i in visible.hazards if snap.hazards[i]["enterprise_id"] == enterprise_id}
        assert {x["id"] for x in body["items"]} == expected
    for hazard_id in [*snap.hazards, MISSING_ID]:
        for suffix in ("", "/history"):
            response = client.get(f"/api/v1/hazards/{hazard_id}{suffix}", headers=h)
            if hazard_id in visible.hazards:
                assert response.status_code == 200, response.text
            else:
                assert_not_found(response, f"hazard {hazard_id}{suffix} for {caller}")
    for evidence in snap.tables["hazard_evidence"].values():
        response = client.get(f"/api/v1/hazards/{evidence['hazard_id']}/evidence/{evidence['id']}", headers=h)
        if evidence["hazard_id"] in visible.hazards:
            assert response.status_code == 200
        else:
            assert_not_found(response, f"evidence {evidence['id']}")

    for division in ["", world.clearance_division]:
        params = {"division": division} if division else {}
        body = client.get("/api/v1/clearance", params=params, headers=h).json()
        prefix = PREFIX[division] if division else caller.prefix
        check_clearance(body, snap, visible, prefix)


def check_clearance(body: dict[str, Any], snap: Snapshot, visible: Visible, prefix: str) -> None:
    rows = [snap.hazards[i] for i in visible.hazards if snap.hazards[i]["county_code"].startswith(prefix)]
    majors = [r for r in rows if r["level"] == "major"]
    assert body["open_major"] == sum(1 for r in majors if r["is_open"]), (prefix, body)
    closed = sum(1 for r in majors if r["state"] == "closed")
    assert body["closed_on_time"] + body["closed_late"] == closed
    listed = sum(1 for r in majors if r["is_open"] and r["listed_level"] is not None)
    assert sum(body["listed"].values()) == listed, (prefix, body)
    if len(prefix) < 6:
        width = {0: 2, 2: 4, 4: 6}[len(prefix)]
        expected_children = {r["county_code"][:width].ljust(6, "0") for r in majors}
        assert {c["division_code"] for c in body["children"]} == expected_children, (prefix, body)
        assert sum(c["open_major"] for c in body["children"]) == body["open_major"]


def write_calls(
    snap: Snapshot, enterprise_id: int, hazard_ids: list[int]
) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, request kwargs) for every write endpoint on the objects of one enterprise."""
    now = "2026-03-02T10:00:00+08:00"
    later = "2026-05-01T10:00:00+08:00"
    yield (
        "POST",
        "/api/v1/hazards",
        {
            "json": {
                "enterprise_id": enterprise_id,
                "description": "新发现",
                "source": "enforcement",
                "found_at": now,
            }
        },
    )
    for hazard_id in hazard_ids:
        base = f"/api/v1/hazards/{hazard_id}"
        yield "PATCH", base, {"json": {"location": "二号罐区"}}
        yield (
            "POST",
            f"{base}/evidence",
            {"files": {"file": ("after.png", PNG, "image/png")}, "data": {"phase": "after"}},
        )
        yield (
            "POST",
            f"{base}/supervision",
            {"json": {"deadline_at": later, "document_number": "苏安督〔2026〕1号"}},
        )
        yield (
            "POST",
            f"{base}/extensions",
            {"json": {"new_deadline_at": "2026-09-01T00:00:00+08:00", "reason": "延期"}},
        )
        extension_ids = [
            x["id"] for x in snap.tables["hazard_extensions"].values() if x["hazard_id"] == hazard_id
        ] or [MISSING_ID]
        for extension_id in extension_ids:
            yield "POST", f"{base}/extensions/{extension_id}/decision", {"json": {"approve": True}}
        yield (
            "POST",
            f"{base}/plan",
            {
                "json": {
                    "responsible_person": "张伟",
                    "measures": "更换",
                    "funds_yuan": "1000.00",
                    "deadline_at": later,
                    "contingency": "停用",
                }
            },
        )
        yield "POST", f"{base}/start", {}
        yield "POST", f"{base}/complete", {"json": {"acceptance_note": "自行验收合格"}}
        yield "POST", f"{base}/verify", {"json": {"opinion": "同意"}}
        yield "POST", f"{base}/fail-verification", {"json": {"reason": "仍有问题"}}
        yield "POST", f"{base}/close", {}
        yield "POST", f"{base}/determine", {"json": {"level": "major", "citation": {"clause": "1"}}}
        yield "POST", f"{base}/reject", {"json": {"reason": "不构成隐患"}}


def version_of(db: Db, table: Table, object_id: int) -> int:
    with db.engine.connect() as connection:
        version = connection.execute(select(table.c.version).where(table.c.id == object_id)).scalar()
    return int(version) if version is not None else 1


def check_writes(db: Db, client: TestClient, caller: Caller) -> None:
    before = snapshot(db)
    visible = visibility(caller, before)
    h = caller.headers
    enterprises_table = metadata.tables["enterprises"]
    hazards_table = metadata.tables["hazards"]
    for enterprise_id in [*before.enterprises, MISSING_ID]:
        body = {"address": "新地址", "headcount": 120}
        headers = h | {"If-Match": f'"{version_of(db, enterprises_table, enterprise_id)}"'}
        response = client.patch(f"/api/v1/enterprises/{enterprise_id}", json=body, headers=headers)
        check_write_status(response, enterprise_id in visible.enterprises, "PATCH enterprise", caller)
        hazard_ids = [i for i, x in before.hazards.items() if x["enterprise_id"] == enterprise_id]
        if enterprise_id == MISSING_ID:
            hazard_ids = [MISSING_ID]
        for method, url, kwargs in write_calls(before, enterprise_id, hazard_ids):
            hazard_id = int(url.split("/")[4]) if url.count("/") >= 4 else None
            if hazard_id is not None:
                kwargs = {
                    **kwargs,
                    "headers": h | {"If-Match": f'"{version_of(db, hazards_table, hazard_id)}"'},
                }
                in_scope = hazard_id in visible.hazards
            else:
                kwargs = {**kwargs, "headers": h}
                in_scope = enterprise_id in visible.enterprises
            response = client.request(method, url, **kwargs)
            check_write_status(response, in_scope, f"{method} {url}", caller, missing_ok="/decision" in url)
    check_untouched(before, snapshot(db), visible)


def check_write_status(
    response: Any, in_scope: bool, what: str, caller: Caller, missing_ok: bool = False
) -> None:
    assert response.status_code < 500, f"{what}: {response.text}"
    if not in_scope:
        assert_not_found(response, f"{what} by {caller}")
    elif not missing_ok:
        assert response.status_code != 404, f"{what} by {caller}: {response.text}"


def check_untouched(before: Snapshot, after: Snapshot, visible: Visible) -> None:
    for i, row in before.enterprises.items():
        if i not in visible.enterprises:
            assert after.enterprises[i] == row, f"out-of-scope enterprise {i} changed"
    for i, row in before.hazards.items():
        if i not in visible.hazards:
            assert after.hazards[i] == row, f"out-of-scope hazard {i} changed"
    new_hazards = set(after.hazards) - set(before.hazards)
    for i in new_hazards:
        assert after.hazards[i]["enterprise_id"] in visible.enterprises, (
            "hazard reported on an unseen enterprise"
        )
    for name in CHILD_TABLES:
        for i, row in after.tables[name].items():
            if row["hazard_id"] not in visible.hazards and row["hazard_id"] not in new_hazards:
                assert before.tables[name].get(i) == row, f"{name} {i} of an out-of-scope hazard changed"
    seen = {("enterprise", str(i)) for i in visible.enterprises} | {
        ("hazard", str(i)) for i in visible.hazards
    }
    seen |= {("hazard", str(i)) for i in new_hazards}
    for seq, entry in after.tables["audit_entries"].items():
        if seq not in before.tables["audit_entries"]:
            assert (entry["object_type"], entry["object_id"]) in seen, (
                f"audit entry for an unseen object: {entry}"
            )


@settings(
    max_examples=15,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example rebuilds a database: no shrinking
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds())
def test_no_principal_reads_counts_or_changes_anything_outside_their_scope(db: Db, world: World) -> None:
    note(repr(world))
    empty(db)
    _, callers = build(db, world)
    with serve(db) as client:
        for caller in callers:
            check_reads(client, caller, snapshot(db), world)
            check_writes(db, client, caller)


def serve(db: Db) -> TestClient:
    """One client (one event loop) for the whole example, without the in-process scheduler."""
    settings = db.settings().model_copy(update={"overdue_job_minutes": 0})
    return TestClient(create_app(settings, clock=db.clock, engine=db.engine))
