"""Certificates of competence, pure: kinds, masked and keyed person ids, validity on a day, expiry
warnings, and the rule-pack facts the certificates answer.

The rules (kinds, citations, reminder figures, fact mapping) are data: data/certificate_rules.yaml.
A certificate is valid from the day it was issued to the `valid_until` day printed on it; no period is
computed, because the reference gives none (see the data file).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from zhiben.errors import InvalidInputError


class CertificateKind(StrEnum):
    principal = "principal"  # 主要负责人
    safety_manager = "safety_manager"  # 安全生产管理人员
    special_operation = "special_operation"  # 特种作业人员


class CertificateStatus(StrEnum):
    active = "active"
    revoked = "revoked"  # 吊销/撤销: invalid from then on
    withdrawn = "withdrawn"  # the person left the enterprise: no longer counts for it


class WarningKind(StrEnum):
    expired = "expired"
    expiring = "expiring"
    review_due = "review_due"  # 复审 due (reminder; the interval is a recalled figure, see the data file)


@dataclass(frozen=True)
class KindRule:
    kind: CertificateKind
    zh: str
    en: str
    basis: str
    validity_years: int | None
    review_interval_years: int | None


@dataclass(frozen=True)
class FactRule:
    fact: str
    kinds: frozenset[CertificateKind]


@dataclass(frozen=True)
class Rules:
    kinds: Mapping[CertificateKind, KindRule]
    facts: tuple[FactRule, ...]
    default_warning_days: int


def rules_from_mapping(data: Mapping[str, Any]) -> Rules:
    kinds = {
        CertificateKind(name): KindRule(
            CertificateKind(name),
            spec["zh"],
            spec["en"],
            spec["basis"],
            spec.get("validity_years"),
            spec.get("review_interval_years"),
        )
        for name, spec in data["kinds"].items()
    }
    facts = tuple(
        FactRule(f["fact"], frozenset(CertificateKind(k) for k in f["kinds"])) for f in data["facts"]
    )
    return Rules(kinds, facts, int(data["default_warning_days"]))


@lru_cache(maxsize=1)
def rules() -> Rules:
    text = resources.files("zhiben.training").joinpath("data/certificate_rules.yaml").read_text("utf-8")
    return rules_from_mapping(yaml.safe_load(text))


# --- person ids: never the ID number in clear -------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


@dataclass(frozen=True)
class PersonId:
    masked: str  # 320311********123X: region and last four, as printed on public notices
    digest: str  # HMAC-SHA-256 under the deployment's key: the same person matches, the number is not kept


def person_id(id_number: str, key: bytes) -> PersonId:
    """A resident ID number (GB 11643, 18 characters with its check character) as a masked text and a keyed
    digest. The digest is keyed so that the small space of ID numbers cannot be searched from it."""
    text = id_number.strip().upper()
    if len(text) != 18 or not text[:17].isdigit() or text[17] not in "0123456789X":
        raise InvalidInputError(
            "id_number", "format", "a resident ID number has 17 digits and a check character"
        )
    check = _ID_CHECK[sum(int(c) * w for c, w in zip(text[:17], _ID_WEIGHTS, strict=True)) % 11]
    if text[17] != check:
        raise InvalidInputError("id_number", "check_digit", "the ID number's check character does not match")
    digest = hmac.new(key, text.encode("ascii"), hashlib.sha256).hexdigest()
    return PersonId(f"{text[:6]}{'*' * 8}{text[14:]}", digest)


# --- validity ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateFacts:
    id: int
    person_digest: str
    kind: CertificateKind
    issued_on: date
    valid_until: date  # the last valid day, as printed
    status: CertificateStatus = CertificateStatus.active
    reviewed_on: date | None = None  # the last 复审, if any

    def is_valid_on(self, on: date) -> bool:
        return self.status == CertificateStatus.active and self.issued_on <= on <= self.valid_until


EARLIEST, LATEST = (
    date(1900, 1, 1),
    date(2199, 12, 31),
)  # plausible days; beyond them date arithmetic overflows


def check_day(name: str, day: date) -> None:
    if not EARLIEST <= day <= LATEST:
        raise InvalidInputError(name, "out_of_range", f"{name} lies between {EARLIEST} and {LATEST}")


def check_dates(issued_on: date, valid_until: date, reviewed_on: date | None = None) -> None:
    check_day("issued_on", issued_on)
    check_day("valid_until", valid_until)
    if valid_until < issued_on:
        raise InvalidInputError(
            "valid_until", "before_issue", "a certificate cannot expire before it is issued"
        )
    if reviewed_on is not None and not issued_on <= reviewed_on <= valid_until:
        raise InvalidInputError("reviewed_on", "out_of_range", "a review falls between issue and expiry")


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year without one
        return day.replace(year=day.year + years, day=28)


def _latest(certs: Iterable[CertificateFacts]) -> dict[tuple[str, CertificateKind], CertificateFacts]:
    """Each person's most recent certificate of each kind (the one valid longest), withdrawn ones ignored."""
    latest: dict[tuple[str, CertificateKind], CertificateFacts] = {}
    for cert in certs:
        if cert.status == CertificateStatus.withdrawn:
            continue
        key = (cert.person_digest, cert.kind)
        held = latest.get(key)
        if held is None or (cert.valid_until, cert.issued_on, cert.id) > (
            held.valid_until,
            held.issued_on,
            held.id,
        ):
            latest[key] = cert
    return latest


@dataclass(frozen=True)
class ExpiryWarning:
    certificate_id: int
    kind: WarningKind
    due_on: date  # the last valid day, or the day the review is due
    days_left: int  # negative once expired


def expiry_warnings(
    certs: Iterable[CertificateFacts], on: date, within_days: int, kinds: Mapping[CertificateKind, KindRule]
) -> list[ExpiryWarning]:
    """Expired and expiring (within N days) certificates, and reviews due within N days; a certificate that a
    later one of the same person and kind replaced is not reported, nor a revoked or withdrawn one."""
    if within_days < 0:
        raise InvalidInputError("within_days", "negative", "the warning window is zero or more days")
    check_day("on", on)
    if within_days > 36_600:
        raise InvalidInputError("within_days", "too_large", "the warning window is at most 36,600 days")
    horizon = on + timedelta(days=within_days)
    warnings = []
    for cert in _latest(certs).values():
        if cert.status != CertificateStatus.active:
            continue
        if cert.valid_until < on:
            warnings.append(
                ExpiryWarning(cert.id, WarningKind.expired, cert.valid_until, (cert.valid_until - on).days)
            )
            continue
        if cert.valid_until <= horizon:
            warnings.append(
                ExpiryWarning(cert.id, WarningKind.expiring, cert.valid_until, (cert.valid_until - on).days)
            )
            continue
        interval = kinds[cert.kind].review_interval_years if cert.kind in kinds else None
        if interval:
            due = add_years(cert.reviewed_on or cert.issued_on, interval)
            if due <= horizon and due < cert.valid_until:
                warnings.append(ExpiryWarning(cert.id, WarningKind.review_due, due, (due - on).days))
    return sorted(warnings, key=lambda w: (w.due_on, w.certificate_id))


def certificate_facts(
    certs: Sequence[CertificateFacts], on: date, fact_rules: Iterable[FactRule]
) -> dict[str, bool | None]:
    """The rule-pack facts the certificates answer on a day: True when some recorded person's latest
    certificate of the fact's kinds is not valid then, False when all are; None (clear the fact) when every
    certificate of those kinds was withdrawn. Facts with no certificate of their kinds are left out."""
    facts: dict[str, bool | None] = {}
    by_kind: dict[CertificateKind, list[CertificateFacts]] = defaultdict(list)
    for cert in certs:
        by_kind[cert.kind].append(cert)
    for rule in fact_rules:
        relevant = [c for kind in sorted(rule.kinds) for c in by_kind.get(kind, ())]
        if not relevant:
            continue
        latest = _latest(relevant)
        facts[rule.fact] = None if not latest else any(not c.is_valid_on(on) for c in latest.values())
    return facts
