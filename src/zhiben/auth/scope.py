"""The one scoping layer: a principal's visible area as a SQL condition.

Every repository that reads or writes enterprise-bound rows builds its WHERE clause here, so there
is no unscoped path for ordinary users. Divisions are matched on the province/city/county columns
that every scoped table carries, which keeps national queries on plain equality indexes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, select, true
from sqlalchemy.orm import InstrumentedAttribute

from zhiben.auth.domain import Principal, Role
from zhiben.auth.models import ServiceContract


@dataclass(frozen=True)
class ScopedColumns:
    """The columns of a table that scoping needs."""

    enterprise_id: InstrumentedAttribute[int]
    province_code: InstrumentedAttribute[str]
    city_code: InstrumentedAttribute[str]
    county_code: InstrumentedAttribute[str]
    sector: InstrumentedAttribute[str]


def division_condition(prefix: str, cols: ScopedColumns) -> ColumnElement[bool]:
    if prefix == "":
        return true()
    # Every enclosing level is named too, so one index led by (province, city, county) serves all three.
    conditions = [cols.province_code == prefix[:2]]
    if len(prefix) >= 4:
        conditions.append(cols.city_code == prefix[:4])
    if len(prefix) == 6:
        conditions.append(cols.county_code == prefix)
    return and_(*conditions)


def scope_condition(principal: Principal, cols: ScopedColumns) -> ColumnElement[bool]:
    match principal.role:
        case Role.admin:
            return true()
        case Role.regulator | Role.officer:
            return division_condition(principal.prefix, cols)
        case Role.department:
            return and_(
                division_condition(principal.prefix, cols), cols.sector.in_(sorted(principal.sectors))
            )
        case Role.enterprise:
            if principal.enterprise_id is None:
                return false()
            return cols.enterprise_id == principal.enterprise_id
        case Role.service_provider:
            if not principal.provider_org:
                return false()
            contracted = select(ServiceContract.enterprise_id).where(
                ServiceContract.provider_org == principal.provider_org
            )
            if principal.as_of is not None:
                contracted = contracted.where(
                    ServiceContract.valid_from <= principal.as_of,
                    ServiceContract.valid_until >= principal.as_of,
                )
            return cols.enterprise_id.in_(contracted)
    return false()
