"""Roles and principals. Pure: who the caller is and what area they may see."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class Role(StrEnum):
    enterprise = "enterprise"  # 生产经营单位: main responsible person, safety manager
    regulator = "regulator"  # 应急管理部门 at county, city, province or national level
    officer = "officer"  # 执法人员
    service_provider = "service_provider"  # insurer, technical service agency, expert
    department = "department"  # other department along the responsibility chain
    admin = "admin"


class Level(StrEnum):
    """Administrative level of a jurisdiction (also the level of a listed supervision)."""

    county = "county"
    city = "city"
    province = "province"
    national = "national"


LEVEL_ORDER = (Level.county, Level.city, Level.province, Level.national)


def division_prefix(code: str) -> str:
    """The scope prefix of a GB/T 2260 code: 320000 → 32, 320300 → 3203, 320311 → 320311, '' → ''."""
    code = code.strip()
    if code in ("", "000000", "100000"):
        return ""
    if len(code) != 6 or not code.isdigit():
        raise ValueError(f"not a 6-digit division code: {code!r}")
    if code.endswith("0000"):
        return code[:2]
    if code.endswith("00"):
        return code[:4]
    return code


def level_of(code: str) -> Level:
    return {0: Level.national, 2: Level.province, 4: Level.city, 6: Level.county}[len(division_prefix(code))]


def parent_code(code: str) -> str:
    """The division one level up ('' for the nation); GB/T 2260 structure, no table needed."""
    prefix = division_prefix(code)
    if len(prefix) == 6:
        return prefix[:4] + "00"
    if len(prefix) == 4:
        return prefix[:2] + "0000"
    return ""


def covers(ancestor_code: str, code: str) -> bool:
    """Whether a jurisdiction contains a division (itself included)."""
    return division_prefix(code).startswith(division_prefix(ancestor_code))


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    role: Role
    division_code: str = ""  # the jurisdiction (regulator, officer, department); '' = nation
    enterprise_id: int | None = None  # enterprise users
    provider_org: str | None = None  # service providers: their organisation, joined to contracts
    sectors: frozenset[str] = field(default_factory=frozenset)  # departments: the sectors they handle
    language: str = "zh-CN"
    as_of: date | None = None  # the day the principal acts on: service contracts must be in force then

    @property
    def prefix(self) -> str:
        return division_prefix(self.division_code)

    @property
    def is_government(self) -> bool:
        return self.role in (Role.regulator, Role.officer, Role.department, Role.admin)

    def has_jurisdiction_over(self, division_code: str) -> bool:
        """A government role whose area contains the division."""
        if self.role == Role.admin:
            return True
        return self.role in (Role.regulator, Role.officer, Role.department) and covers(
            self.division_code, division_code
        )

    @property
    def level(self) -> Level:
        return level_of(self.division_code)

    @property
    def audit_name(self) -> str:
        return f"{self.role}:{self.username}"


SYSTEM = Principal(user_id=0, username="system", role=Role.admin)
