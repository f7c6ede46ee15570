"""Officer profiles: the law-enforcement certificate (执法证), the sectors an officer is qualified for,
where the officer is based (travel distances) and the weekly workload cap. Team assignment
(staffing.py) treats an officer without a profile as uncertified."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.auth.models import User
from zhiben.db.uow import session_clock
from zhiben.enforcement.models import OfficerProfile
from zhiben.enterprise.domain import SECTOR_BY_CODE
from zhiben.errors import InvalidInputError, NotFoundError, PermissionDeniedError


@dataclass(frozen=True)
class ProfileDraft:
    certificate_no: str
    certificate_valid_until: date
    sectors: tuple[str, ...]
    home_longitude: float | None = None
    home_latitude: float | None = None
    cap_per_week: int = 2


def _check(draft: ProfileDraft) -> None:
    problems = []
    if not draft.certificate_no.strip() or len(draft.certificate_no.strip()) > 40:
        problems.append(
            ("certificate_no", "required", "the certificate number (执法证号), 1 to 40 characters")
        )
    unknown = sorted({s for s in draft.sectors if s not in SECTOR_BY_CODE})
    if unknown:
        problems.append(("sectors", "unknown", f"sectors are codes from /api/v1/sectors; not {unknown}"))
    if (draft.home_longitude is None) != (draft.home_latitude is None):
        problems.append(("home", "incomplete", "give both the longitude and the latitude, or neither"))
    if draft.home_longitude is not None and not -180 <= draft.home_longitude <= 180:
        problems.append(("home_longitude", "range", "a longitude from -180 to 180"))
    if draft.home_latitude is not None and not -90 <= draft.home_latitude <= 90:
        problems.append(("home_latitude", "range", "a latitude from -90 to 90"))
    if not 0 <= draft.cap_per_week <= 20:
        problems.append(("cap_per_week", "range", "0 to 20 inspections a week"))
    if problems:
        raise InvalidInputError.of(problems)


def _officer(session: Session, actor: Principal, user_id: int) -> User:
    """The officer, if the caller's area covers the officer's division; otherwise not found (404)."""
    user = session.get(User, user_id)
    if (
        user is None
        or user.role != Role.officer.value
        or not actor.is_government
        or not actor.has_jurisdiction_over(user.division_code or "")
    ):
        raise NotFoundError(kind="officer", key=user_id)
    return user


def _require_manager(actor: Principal) -> None:
    if actor.role not in (Role.regulator, Role.admin):
        raise PermissionDeniedError(action="enforcement.officer_profile")


def document(profile: OfficerProfile) -> dict[str, Any]:
    return {
        "user_id": profile.user_id,
        "certificate_no": profile.certificate_no,
        "certificate_valid_until": profile.certificate_valid_until.isoformat(),
        "sectors": list(profile.sectors),
        "home_longitude": profile.home_longitude,
        "home_latitude": profile.home_latitude,
        "cap_per_week": profile.cap_per_week,
    }


def get_profile(session: Session, actor: Principal, user_id: int) -> OfficerProfile:
    _require_manager(actor)
    _officer(session, actor, user_id)
    profile = session.get(OfficerProfile, user_id)
    if profile is None:
        raise NotFoundError(kind="officer profile", key=user_id)
    return profile


def set_profile(session: Session, actor: Principal, user_id: int, draft: ProfileDraft) -> OfficerProfile:
    """Create or replace an officer's profile (audited, with the previous one)."""
    _require_manager(actor)
    _officer(session, actor, user_id)
    _check(draft)
    profile = session.get(OfficerProfile, user_id)
    before = None if profile is None else document(profile)
    if profile is None:
        profile = OfficerProfile(user_id=user_id)
        session.add(profile)
    profile.certificate_no = draft.certificate_no.strip()
    profile.certificate_valid_until = draft.certificate_valid_until
    profile.sectors = sorted(set(draft.sectors))
    profile.home_longitude, profile.home_latitude = draft.home_longitude, draft.home_latitude
    profile.cap_per_week = draft.cap_per_week
    profile.updated_at = session_clock(session).now()
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        "enforcement.officer_profile.set",
        "officer_profile",
        str(user_id),
        before=before,
        after=document(profile),
    )
    return profile


def profiles_of(session: Session, user_ids: list[int]) -> dict[int, OfficerProfile]:
    """The profiles of these officers (for staffing; no scope: the ids come from a plan's draw)."""
    rows = session.scalars(select(OfficerProfile).where(OfficerProfile.user_id.in_(user_ids)))
    return {p.user_id: p for p in rows}


def officer_id_of(session: Session, user: str) -> int:
    """A user id, or the id of the user with this name (for the CLI)."""
    if user.isdigit():
        return int(user)
    found = session.scalars(select(User.id).where(User.username == user)).first()
    if found is None:
        raise NotFoundError(kind="officer", key=user)
    return found
