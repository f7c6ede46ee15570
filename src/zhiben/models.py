"""Every ORM model, imported once so the metadata is complete (for migrations and the drift check)."""

from zhiben.audit.models import AuditEntry, AuditHead
from zhiben.auth.models import ServiceContract, User
from zhiben.db.base import Base
from zhiben.division.models import Division, DivisionDataset
from zhiben.enterprise.models import Enterprise
from zhiben.hazard.models import (
    DeadlineExtension,
    Evidence,
    Hazard,
    HazardCounter,
    RectificationPlan,
    Supervision,
)

metadata = Base.metadata

__all__ = [
    "AuditEntry",
    "AuditHead",
    "DeadlineExtension",
    "Division",
    "DivisionDataset",
    "Enterprise",
    "Evidence",
    "Hazard",
    "HazardCounter",
    "RectificationPlan",
    "ServiceContract",
    "Supervision",
    "User",
    "metadata",
]
