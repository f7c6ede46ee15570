"""Test data builders and a small handle on the database under test."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from zhiben.auth.domain import SYSTEM, Principal, Role
from zhiben.auth.models import ServiceContract, User
from zhiben.auth.service import hash_password, principal_of
from zhiben.config import Settings
from zhiben.db.engine import make_session_factory
from zhiben.db.uow import UnitOfWork
from zhiben.enterprise.domain import EnterpriseDraft
from zhiben.enterprise.service import register_enterprise
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Plan, Source
from zhiben.kit import uscc
from zhiben.kit.clock import FrozenClock

PASSWORD = "correct-horse-9"
_serial = itertools.count(1)


@lru_cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def new_uscc(county: str = "320311") -> str:
    return uscc.make(f"91{county}MA{next(_serial):07d}"[:17])


@dataclass
class Db:
    engine: Engine
    clock: FrozenClock
    tmp: Path
    factory: sessionmaker[Session] = field(init=False)

    def __post_init__(self) -> None:
        self.factory = make_session_factory(self.engine)

    def uow(self, write: bool = True) -> UnitOfWork:
        return UnitOfWork(self.factory, self.clock, write=write)

    def settings(self) -> Settings:
        return Settings(
            data_dir=self.tmp / "data",
            secret_key="test-secret-key-0123456789-abcdefghij",
            database_url=str(self.engine.url),
        )

    def client(self) -> TestClient:
        from zhiben.web.app import create_app

        return TestClient(create_app(self.settings(), clock=self.clock, engine=self.engine))

    def enterprise(self, county: str = "320311", sector: str = "hazchem_production", name: str = "") -> int:
        draft = EnterpriseDraft(
            uscc=new_uscc(county),
            name=name or f"测试化工有限公司{next(_serial)}",
            county_code=county,
            sector=sector,
        )
        with self.uow() as uow:
            return register_enterprise(uow.session, SYSTEM, draft).id

    def user(
        self,
        role: Role,
        division: str = "",
        enterprise_id: int | None = None,
        provider_org: str | None = None,
        sectors: str = "",
        username: str = "",
    ) -> Principal:
        with self.uow() as uow:
            user = User(
                username=username or f"{role.value}{next(_serial)}",
                display_name="测试",
                password_hash=password_hash(),
                role=role.value,
                division_code=division,
                enterprise_id=enterprise_id,
                provider_org=provider_org,
                sectors=sectors,
                language="zh-CN",
                is_active=True,
                created_at=self.clock.now(),
            )
            uow.session.add(user)
            uow.session.flush()
            return principal_of(user, as_of=self.clock.now().date())

    def contract(self, provider_org: str, enterprise_id: int) -> None:
        now = self.clock.now()
        with self.uow() as uow:
            uow.session.add(
                ServiceContract(
                    provider_org=provider_org,
                    enterprise_id=enterprise_id,
                    kind="insurance",
                    valid_from=now.date(),
                    valid_until=(now + timedelta(days=365)).date(),
                )
            )

    def hazard(
        self, enterprise_id: int, level: HazardLevel | None = HazardLevel.major, actor: Principal = SYSTEM
    ) -> int:
        citation = (
            {"pack": "hazchem", "version": "2017", "clause": "1"} if level == HazardLevel.major else None
        )
        report = hazards.HazardReport(
            enterprise_id=enterprise_id,
            description="储罐区可燃气体检测报警装置失效",
            source=Source.enforcement,
            found_at=self.clock.now() - timedelta(hours=1),
            location="罐区",
            level=level,
            citation=citation,
        )
        with self.uow() as uow:
            return hazards.report_hazard(uow.session, actor, report).id

    def act(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with self.uow() as uow:
            return fn(uow.session, *args, **kwargs)


def five_implementations(clock: FrozenClock, days: int = 30) -> Plan:
    return Plan(
        responsible_person="张伟",
        measures="更换检测报警装置并联锁",
        deadline_at=clock.now() + timedelta(days=days),
        funds_yuan=Decimal("85000.00"),
        contingency="停用该罐区，设专人巡检",
    )


def auth_header(client: TestClient, username: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}
