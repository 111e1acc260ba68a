"""SQLModel tables and enums. Import the tables from here so Alembic sees all of them."""

from models.enums import PageStatus, Role, Sex
from models.tables import (
    ApiKey,
    AuditEvent,
    Batch,
    Clinic,
    Lot,
    Original,
    Page,
    RecordRead,
    Resident,
    ReviewAction,
    UserAccount,
    UserSession,
    VaccinationRecord,
    Vaccine,
)

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Batch",
    "Clinic",
    "Lot",
    "Original",
    "Page",
    "PageStatus",
    "RecordRead",
    "Resident",
    "ReviewAction",
    "Role",
    "Sex",
    "UserAccount",
    "UserSession",
    "Vaccine",
    "VaccinationRecord",
]
