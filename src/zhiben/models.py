"""Every ORM model, imported once so the metadata is complete (for migrations and the drift check)."""

from zhiben.accident.models import Accident, AccidentHazardLink, CasualtyUpdate, UpwardReport
from zhiben.audit.models import AuditEntry, AuditHead
from zhiben.auth.models import ServiceContract, User
from zhiben.chain.models import BusinessType, ChainAssignment, Referral
from zhiben.db.base import Base
from zhiben.division.models import Division, DivisionDataset
from zhiben.dualprevention.models import CheckRecord, ControlMeasure, ExchangeId, RiskEvent, RiskUnit
from zhiben.enforcement.models import (
    EmphasisQuestion,
    EnforcementDocumentNumber,
    EnforcementPlan,
    Inspection,
    InspectionFinding,
    InspectionOfficer,
    OfficerProfile,
    OnSiteMeasure,
    Penalty,
    RectificationOrder,
    Reinspection,
)
from zhiben.enterprise.models import Enterprise, Facility
from zhiben.hazard.models import (
    DeadlineExtension,
    Evidence,
    Hazard,
    HazardCounter,
    RectificationPlan,
    Supervision,
)
from zhiben.insurance.models import InsurancePolicy, PreventionVisit
from zhiben.monitoring.coal_models import CoalAbnormalRecord, CoalMineCode, CoalPoint
from zhiben.monitoring.models import (
    Alarm,
    AlarmLogEntry,
    DeadLetter,
    LateReading,
    ReadingBlock,
    Sensor,
    SensorState,
)
from zhiben.monitoring.risk_models import EnterpriseRisk, RiskLevelChange
from zhiben.standards.models import ClauseFinding, EnterpriseFact, Redetermination, RedeterminationChange
from zhiben.tipoff.models import Tipoff, TipoffReporter
from zhiben.training.models import Certificate

metadata = Base.metadata

__all__ = [
    "Accident",
    "AccidentHazardLink",
    "Alarm",
    "AlarmLogEntry",
    "AuditEntry",
    "AuditHead",
    "BusinessType",
    "CasualtyUpdate",
    "Certificate",
    "ChainAssignment",
    "CheckRecord",
    "ClauseFinding",
    "CoalAbnormalRecord",
    "CoalMineCode",
    "CoalPoint",
    "ControlMeasure",
    "DeadLetter",
    "DeadlineExtension",
    "Division",
    "DivisionDataset",
    "EmphasisQuestion",
    "EnforcementDocumentNumber",
    "EnforcementPlan",
    "Enterprise",
    "EnterpriseFact",
    "EnterpriseRisk",
    "Evidence",
    "ExchangeId",
    "Facility",
    "Hazard",
    "HazardCounter",
    "Inspection",
    "InspectionFinding",
    "InspectionOfficer",
    "InsurancePolicy",
    "LateReading",
    "OfficerProfile",
    "OnSiteMeasure",
    "Penalty",
    "PreventionVisit",
    "ReadingBlock",
    "RectificationOrder",
    "RectificationPlan",
    "Redetermination",
    "RedeterminationChange",
    "Referral",
    "Reinspection",
    "RiskEvent",
    "RiskLevelChange",
    "RiskUnit",
    "Sensor",
    "SensorState",
    "ServiceContract",
    "Supervision",
    "Tipoff",
    "TipoffReporter",
    "UpwardReport",
    "User",
    "metadata",
]
