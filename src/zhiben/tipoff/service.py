"""Tip-off use cases: submit (public, no account), verify, substantiate into a hazard or dismiss, publish the
outcome (the feedback), record the fine and the reward. Audit entries never carry the reporter's identity,
the tip-off's text (only its hash) or the receipt code."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from zhiben.audit import service as audit
from zhiben.auth.domain import Principal, Role
from zhiben.db.uow import session_clock
from zhiben.division import service as divisions
from zhiben.enterprise import service as enterprises
from zhiben.errors import (
    ConflictError,
    InvalidInputError,
    InvalidUsccError,
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
)
from zhiben.hazard import service as hazards
from zhiben.hazard.domain import HazardLevel, Source
from zhiben.kit import uscc
from zhiben.kit.clock import as_utc
from zhiben.kit.hashing import sha256_hex
from zhiben.tipoff import repository
from zhiben.tipoff.domain import (
    CONCLUDED,
    Deadlines,
    Submission,
    TipoffAction,
    TipoffState,
    check_submission,
    deadlines,
    new_receipt_code,
    next_state,
    normalise_receipt_code,
    receipt_hash,
    reward_for,
    tipoff_rules,
)
from zhiben.tipoff.models import Tipoff, TipoffReporter

PUBLIC_ACTOR = "public:anonymous"
CHANNELS = ("web", "hotline", "letter", "visit")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def snapshot(tipoff: Tipoff) -> dict[str, Any]:
    """What the audit log keeps: the target and the handling, never the reporter or the text itself."""
    return {
        "county_code": tipoff.county_code,
        "channel": tipoff.channel,
        "enterprise_uscc": tipoff.enterprise_uscc,
        "enterprise_name": tipoff.enterprise_name,
        "place": tipoff.place,
        "content_sha256": sha256_hex(tipoff.content),
        "state": tipoff.state,
        "enterprise_id": tipoff.enterprise_id,
        "hazard_id": tipoff.hazard_id,
        "public_outcome": tipoff.public_outcome,
        "feedback_at": _iso(tipoff.feedback_at),
        "fine_yuan": None if tipoff.fine_yuan is None else str(tipoff.fine_yuan),
        "reward_yuan": None if tipoff.reward_yuan is None else str(tipoff.reward_yuan),
        "reward_paid_at": _iso(tipoff.reward_paid_at),
        "version": tipoff.version,
    }


def get_tipoff(session: Session, actor: Principal, tipoff_id: int, *, for_update: bool = False) -> Tipoff:
    tipoff = repository.get(session, actor, tipoff_id, for_update=for_update)
    if tipoff is None:
        raise NotFoundError(kind="tipoff", key=tipoff_id)
    return tipoff


def _require_handler(actor: Principal, county_code: str, action: str) -> None:
    if actor.role not in (Role.regulator, Role.admin) or not actor.has_jurisdiction_over(county_code):
        raise PermissionDeniedError(action=f"tipoff.{action}")


def _check_version(tipoff: Tipoff, expected_version: int | None) -> None:
    if expected_version is not None and tipoff.version != expected_version:
        raise StaleVersionError(current=tipoff.version, given=expected_version)


# ---- submission and the public's view ------------------------------------------------------------


def _checked(session: Session, submission: Submission) -> Submission:
    check_submission(submission)
    try:
        level = divisions.get_division(session, submission.county_code).level
    except NotFoundError:
        level = None
    if level != 3:
        raise InvalidInputError(
            "county_code", "unknown", f"{submission.county_code} is not a county-level division"
        )
    if submission.enterprise_uscc.strip():
        try:
            uscc.validate(submission.enterprise_uscc)
        except uscc.UsccError as exc:
            raise InvalidUsccError("enterprise_uscc", exc.reason, str(exc)) from exc
    return submission


def _fresh_code(session: Session) -> str:
    while True:  # 80 random bits: a repeat is not expected in the life of the system, but is checked
        code = new_receipt_code(secrets.randbelow)
        if not repository.receipt_taken(session, receipt_hash(code)):
            return code


def submit_tipoff(
    session: Session,
    actor: Principal | None,
    submission: Submission,
    channel: str = "web",
    receipt_code: str | None = None,
) -> tuple[Tipoff, str]:
    """Take a tip-off and return it with its receipt code, which is shown once and stored only as a hash.
    `actor` is None for the public form (no account); a regulator enters one received by hotline, letter or
    visit. `receipt_code` fixes the code (the demo's known code); otherwise a random one is drawn."""
    if actor is not None:
        _require_handler(actor, submission.county_code, "submit")
    elif channel != "web":
        raise PermissionDeniedError(action=f"tipoff.submit:{channel}")
    if channel not in CHANNELS:
        raise InvalidInputError("channel", "unknown", f"the channel is one of {', '.join(CHANNELS)}")
    clean = _checked(session, submission)
    code = normalise_receipt_code(receipt_code) if receipt_code is not None else _fresh_code(session)
    if code is None:
        raise InvalidInputError("receipt_code", "format", "not a receipt code")
    if repository.receipt_taken(session, receipt_hash(code)):
        raise ConflictError(reason="that receipt code is taken")
    now, county = session_clock(session).now(), clean.county_code
    tipoff = Tipoff(
        receipt_hash=receipt_hash(code),
        county_code=county,
        city_code=county[:4],
        province_code=county[:2],
        channel=channel,
        enterprise_uscc=uscc.normalise(clean.enterprise_uscc) if clean.enterprise_uscc.strip() else "",
        enterprise_name=clean.enterprise_name.strip(),
        place=clean.place.strip(),
        content=clean.content.strip(),
        received_at=now,
        state=TipoffState.received.value,
        rules_version=tipoff_rules().version,
    )
    session.add(tipoff)
    session.flush()
    if clean.has_reporter:
        session.add(
            TipoffReporter(
                tipoff_id=tipoff.id,
                county_code=county,
                city_code=county[:4],
                province_code=county[:2],
                name=clean.reporter_name.strip(),
                contact=clean.reporter_contact.strip(),
            )
        )
    session.flush()
    who = actor.audit_name if actor else PUBLIC_ACTOR
    audit.record(session, who, "tipoff.submit", "tipoff", str(tipoff.id), after=snapshot(tipoff))
    return tipoff, code


@dataclass(frozen=True)
class PublicStatus:
    """All the receipt code shows: the state, the dates, and the outcome text the regulator published."""

    state: TipoffState
    received_at: datetime
    concluded_at: datetime | None
    public_outcome: str


def status_by_receipt(session: Session, code: str) -> PublicStatus:
    normal = normalise_receipt_code(code)
    tipoff = repository.by_receipt(session, receipt_hash(normal)) if normal else None
    if tipoff is None:
        raise NotFoundError(kind="tipoff", key="receipt code")
    return PublicStatus(
        TipoffState(tipoff.state),
        as_utc(tipoff.received_at),
        as_utc(tipoff.concluded_at) if tipoff.concluded_at else None,
        tipoff.public_outcome if tipoff.feedback_at else "",
    )


def reporter_of(session: Session, actor: Principal, tipoff_id: int) -> TipoffReporter:
    """The reporter's name and contact, for the handling regulator only; anyone else finds nothing. Every
    look is audited (who looked, not what they saw)."""
    get_tipoff(session, actor, tipoff_id)
    found = repository.reporter(session, actor, tipoff_id)
    if found is None:
        raise NotFoundError(kind="tipoff reporter", key=tipoff_id)
    audit.record(session, actor.audit_name, "tipoff.read_reporter", "tipoff", str(tipoff_id))
    return found


# ---- handling ------------------------------------------------------------------------------------


def _step(
    session: Session, actor: Principal, tipoff_id: int, action: TipoffAction, expected_version: int | None
) -> tuple[Tipoff, dict[str, Any]]:
    tipoff = get_tipoff(session, actor, tipoff_id, for_update=True)
    _check_version(tipoff, expected_version)
    _require_handler(actor, tipoff.county_code, action.value)
    target = next_state(TipoffState(tipoff.state), action)
    before = snapshot(tipoff)
    tipoff.state = target.value
    tipoff.handled_by = actor.audit_name
    return tipoff, before


def _finish(
    session: Session, actor: Principal, tipoff: Tipoff, action: str, before: dict[str, Any]
) -> Tipoff:
    session.flush()
    audit.record(
        session,
        actor.audit_name,
        f"tipoff.{action}",
        "tipoff",
        str(tipoff.id),
        before=before,
        after=snapshot(tipoff),
    )
    return tipoff


def start_verification(
    session: Session, actor: Principal, tipoff_id: int, expected_version: int | None = None
) -> Tipoff:
    tipoff, before = _step(session, actor, tipoff_id, TipoffAction.start, expected_version)
    tipoff.verification_started_at = session_clock(session).now()
    return _finish(session, actor, tipoff, "start", before)


def _conclude(tipoff: Tipoff, now: datetime, finding: str, public_outcome: str) -> None:
    if not finding.strip():
        raise InvalidInputError("finding", "required", "say what the verification found")
    tipoff.concluded_at = now
    tipoff.finding = finding.strip()
    if public_outcome.strip():
        tipoff.public_outcome = public_outcome.strip()
        tipoff.feedback_at = now


@dataclass(frozen=True)
class Substantiation:
    """What the verification found on site, written by the regulator (never copied from the tip-off, which
    may give its author away): the hazard as it goes into the registry."""

    enterprise_id: int
    hazard_description: str
    finding: str
    level: HazardLevel | None = None
    citation: dict[str, str] | None = None
    location: str = ""
    public_outcome: str = ""  # published now if given; otherwise later, within the feedback deadline


def substantiate_tipoff(
    session: Session,
    actor: Principal,
    tipoff_id: int,
    result: Substantiation,
    expected_version: int | None = None,
) -> Tipoff:
    """The tip-off is true: a hazard is reported through the hazard service, its source `tipoff`."""
    tipoff, before = _step(session, actor, tipoff_id, TipoffAction.substantiate, expected_version)
    report = hazards.HazardReport(
        enterprise_id=result.enterprise_id,
        description=result.hazard_description,
        source=Source.tipoff,
        found_at=as_utc(tipoff.received_at),
        location=result.location,
        level=result.level,
        citation=result.citation,
    )
    hazard = hazards.report_hazard(session, actor, report)
    tipoff.enterprise_id = hazard.enterprise_id
    tipoff.hazard_id = hazard.id
    _conclude(tipoff, session_clock(session).now(), result.finding, result.public_outcome)
    return _finish(session, actor, tipoff, "substantiate", before)


def dismiss_tipoff(
    session: Session,
    actor: Principal,
    tipoff_id: int,
    finding: str,
    public_outcome: str = "",
    expected_version: int | None = None,
) -> Tipoff:
    """The verification found nothing to the tip-off (不属实)."""
    tipoff, before = _step(session, actor, tipoff_id, TipoffAction.dismiss, expected_version)
    _conclude(tipoff, session_clock(session).now(), finding, public_outcome)
    return _finish(session, actor, tipoff, "dismiss", before)


def publish_outcome(session: Session, actor: Principal, tipoff_id: int, public_outcome: str) -> Tipoff:
    """The feedback (反馈): the outcome text the receipt code shows. Only once the verification is concluded."""
    tipoff = get_tipoff(session, actor, tipoff_id, for_update=True)
    _require_handler(actor, tipoff.county_code, "publish")
    if TipoffState(tipoff.state) not in CONCLUDED:
        raise ConflictError(reason="the outcome is published once the verification is concluded")
    if not public_outcome.strip():
        raise InvalidInputError("public_outcome", "required", "write the outcome the reporter will read")
    before = snapshot(tipoff)
    tipoff.public_outcome = public_outcome.strip()
    tipoff.feedback_at = tipoff.feedback_at or session_clock(session).now()
    return _finish(session, actor, tipoff, "publish", before)


def record_fine(session: Session, actor: Principal, tipoff_id: int, fine_yuan: Decimal) -> Tipoff:
    """The fine imposed on the substantiated matter, and the reward it gives (15 %, clamped, as data)."""
    tipoff = get_tipoff(session, actor, tipoff_id, for_update=True)
    _require_handler(actor, tipoff.county_code, "reward")
    if tipoff.state != TipoffState.substantiated:
        raise ConflictError(reason="a reward follows a substantiated tip-off")
    if tipoff.reward_paid_at is not None:
        raise ConflictError(reason="the reward has been paid")
    reward = reward_for(fine_yuan, tipoff_rules())
    before = snapshot(tipoff)
    tipoff.fine_yuan = fine_yuan
    tipoff.reward_yuan = reward
    tipoff.reward_decided_at = session_clock(session).now()
    return _finish(session, actor, tipoff, "reward", before)


def mark_reward_paid(session: Session, actor: Principal, tipoff_id: int) -> Tipoff:
    tipoff = get_tipoff(session, actor, tipoff_id, for_update=True)
    _require_handler(actor, tipoff.county_code, "pay")
    if tipoff.reward_yuan is None:
        raise ConflictError(reason="no reward has been decided")
    if tipoff.reward_paid_at is not None:
        raise ConflictError(reason="the reward has been paid")
    before = snapshot(tipoff)
    tipoff.reward_paid_at = session_clock(session).now()
    return _finish(session, actor, tipoff, "pay", before)


# ---- deadlines -----------------------------------------------------------------------------------


def deadlines_of(tipoff: Tipoff, now: datetime) -> Deadlines:
    return deadlines(
        as_utc(tipoff.received_at),
        as_utc(tipoff.concluded_at) if tipoff.concluded_at else None,
        as_utc(tipoff.feedback_at) if tipoff.feedback_at else None,
        now,
        tipoff_rules(),
    )


def overdue_tipoffs(session: Session, actor: Principal) -> list[tuple[Tipoff, Deadlines]]:
    now = session_clock(session).now()
    found = [(t, deadlines_of(t, now)) for t in repository.unfinished(session, actor)]
    return [(t, d) for t, d in found if d.is_verification_overdue or d.is_feedback_overdue]


# ---- the demo -------------------------------------------------------------------------------------

DEMO_RECEIPT_CODE = "ZB2026DEMQ7K4M9X"


@dataclass(frozen=True)
class TipoffDemo:
    tipoff_id: int
    receipt_code: str  # as the reporter would type it, e.g. ZB20-26DE-MQ7K-4M9X
    hazard_id: int


def seed_tipoff_demo(
    session: Session, actor: Principal, enterprise_id: int, receipt_code: str = DEMO_RECEIPT_CODE
) -> TipoffDemo:
    """A tip-off followed to its end, for the demo: submitted from the public form with a reporter's contact
    about `enterprise_id`, verified by `actor` (a regulator over it, or an administrator), substantiated
    into a general hazard, fined 50,000 yuan (reward 7,500), outcome published. Returns the known code."""
    enterprise = enterprises.get_enterprise(session, actor, enterprise_id)
    submission = Submission(
        county_code=enterprise.county_code,
        content="厂区东侧仓库夜间违规存放大量桶装溶剂，消防通道被货物堵塞。",
        enterprise_uscc=enterprise.uscc,
        enterprise_name=enterprise.name,
        reporter_name="王先生",
        reporter_contact="13800000000",
    )
    tipoff, code = submit_tipoff(session, None, submission, receipt_code=receipt_code)
    start_verification(session, actor, tipoff.id)
    result = Substantiation(
        enterprise_id=enterprise.id,
        hazard_description="东侧仓库超量存放桶装易燃溶剂，消防通道堵塞",
        finding="现场核查属实：仓库存放溶剂约 40 桶，消防通道被占用",
        level=HazardLevel.general,
        location="东侧仓库",
        public_outcome="经核查，举报情况属实，已责令企业立即整改并依法处罚。",
    )
    substantiate_tipoff(session, actor, tipoff.id, result)
    record_fine(session, actor, tipoff.id, Decimal("50000"))
    assert tipoff.hazard_id is not None
    return TipoffDemo(tipoff.id, code, tipoff.hazard_id)
