"""Demo certificates: `seed_training_demo(session, actor, enterprise_ids)` for the demo loader.

Per enterprise: a principal person and a safety manager with valid certificates and two special-operation
workers, one certificate valid and one expiring within the warning window. The first enterprise's
principal certificate lapsed a month ago, so under the chemicals or fireworks pack it meets item (一)
and raises a major hazard through the checklist. ID numbers are synthetic (valid check characters)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy.orm import Session

from zhiben.auth.domain import Principal
from zhiben.enterprise import service as enterprises
from zhiben.training import service
from zhiben.training.domain import CertificateKind
from zhiben.training.models import Certificate

DEMO_ID_KEY = b"zhiben-demo-id-key"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def synthetic_id(county_code: str, born: date, serial: int) -> str:
    body = f"{county_code}{born:%Y%m%d}{serial % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _WEIGHTS, strict=True)) % 11]


PEOPLE = (
    ("王建国", CertificateKind.principal, "", 0),
    ("李秀英", CertificateKind.safety_manager, "", 1),
    ("张伟", CertificateKind.special_operation, "危险化学品安全作业·氯化工艺作业", 2),
    ("刘洋", CertificateKind.special_operation, "电工作业·低压电工作业", 3),
)


def seed_training_demo(
    session: Session, actor: Principal, enterprise_ids: Sequence[int], id_key: bytes = DEMO_ID_KEY
) -> list[Certificate]:
    """Record the demo certificates through the service (audited, facts set); returns them."""
    today = service.today(session)
    made: list[Certificate] = []
    for index, enterprise_id in enumerate(enterprise_ids):
        county = enterprises.get_enterprise(session, actor, enterprise_id).county_code
        for name, kind, operation, slot in PEOPLE:
            issued = today - timedelta(days=400 + 30 * slot)
            until = issued + timedelta(days=3 * 365)
            if slot == 0 and index == 0:
                issued, until = today - timedelta(days=3 * 365 + 30), today - timedelta(days=30)
            elif slot == 3:
                until = today + timedelta(days=20)
            draft = service.CertificateDraft(
                name,
                synthetic_id(county, date(1975 + slot, 3 + slot, 10 + index % 18), index * 10 + slot),
                kind,
                f"T{enterprise_id:06d}{slot:02d}",
                "江苏省应急管理厅",
                issued,
                until,
                operation,
            )
            made.append(service.record_certificate(session, actor, enterprise_id, draft, id_key))
    return made
