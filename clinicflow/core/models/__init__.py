from clinicflow.core.models.audit import GENESIS_HASH, AuditAction, AuditChain, AuditEvent
from clinicflow.core.models.base import Audited, ClinicOwned
from clinicflow.core.models.clinic import Clinic

__all__ = [
    "GENESIS_HASH",
    "AuditAction",
    "AuditChain",
    "AuditEvent",
    "Audited",
    "Clinic",
    "ClinicOwned",
]
